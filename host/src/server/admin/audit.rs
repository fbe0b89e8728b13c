//! The audit trail: every invocation and every refusal, filterable by
//! agent, skill, outcome and time, newest first, with cursor paging.
use crate::server::auth::Principal;
use crate::server::cursor;
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::{AuditQuery, normalize_time};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/audit", get(list))
        .route("/api/audit/approvals", get(approvals))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalParams {
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Every approval, refusal and grant change of the tenant, newest first:
/// who, which digest, which grant (never a secret's value).
async fn approvals(
    State(state): State<AppState>,
    principal: Principal,
    Query(p): Query<ApprovalParams>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let limit = cursor::page_limit(p.limit)?;
    let before = p
        .cursor
        .as_deref()
        .map(cursor::decode::<2>)
        .transpose()?
        .map(|[at, id]| (at, id));
    let mut records = state
        .store
        .list_approvals(&principal.tenant_id, before, limit + 1)
        .await?;
    let next = if records.len() as i64 > limit {
        records.truncate(limit as usize);
        records
            .last()
            .map(|r| cursor::encode(&[&r.created_at, &r.id]))
    } else {
        None
    };
    Ok(Json(json!({ "approvals": records, "nextCursor": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    agent: Option<String>,
    skill: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn time_param(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    value
        .map(|v| {
            normalize_time(&v).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_time",
                    format!("`{name}` must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z"),
                )
            })
        })
        .transpose()
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let limit = cursor::page_limit(p.limit)?;
    let query = AuditQuery {
        agent: p.agent,
        skill: p.skill,
        outcome: p.outcome,
        since: time_param("since", p.since)?,
        until: time_param("until", p.until)?,
        before: p
            .cursor
            .as_deref()
            .map(cursor::decode::<2>)
            .transpose()?
            .map(|[time, id]| (time, id)),
        limit: limit + 1,
    };
    let mut rows = state
        .store
        .list_invocations(&principal.tenant_id, &query)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| cursor::encode(&[&r.created_at, &r.id]))
    } else {
        None
    };
    Ok(Json(
        json!({ "invocations": rows, "count": rows.len(), "nextCursor": next }),
    ))
}
