//! The audit trail: every invocation and every refusal, filterable by
//! agent, skill, outcome and time, newest first, with cursor paging.
use crate::server::auth::Principal;
use crate::server::cursor;
use crate::server::error::{ApiError, ErrorBody, QueryParams};
use crate::services::AppState;
use crate::store::{ApprovalRecord, AuditQuery, InvocationRow, normalize_time};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(approvals))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ApprovalParams {
    /// `nextCursor` from the previous page, unchanged.
    cursor: Option<String>,
    /// Page size, 100 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One page of the approvals trail.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Approvals {
    approvals: Vec<ApprovalRecord>,
    /// The next page's `cursor`; null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// One page of the invocation records.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Invocations {
    invocations: Vec<InvocationRow>,
    /// Records on this page.
    count: usize,
    /// The next page's `cursor`; null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Every approval, refusal and grant change of the tenant, newest first.
///
/// Who, which digest, which grant (never a secret's value).
#[utoipa::path(get, path = "/api/audit/approvals", tag = "audit",
    params(ApprovalParams),
    responses(
        (status = 200, description = "One page, newest first", body = Approvals),
        (status = 400, description = "`limit` out of range (`invalid_limit`), or a `cursor` that is not a `nextCursor` (`invalid_cursor`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approvals(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(p): QueryParams<ApprovalParams>,
) -> Result<Json<Approvals>, ApiError> {
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
    Ok(Json(Approvals {
        approvals: records,
        next_cursor: next,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Params {
    /// Only this agent's calls: its id or name.
    agent: Option<String>,
    /// Only this skill's calls: its id or name.
    skill: Option<String>,
    /// Only calls with this outcome: `success` or an error category.
    outcome: Option<String>,
    /// Only calls at or after this time (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Only calls before this time (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
    /// `nextCursor` from the previous page, unchanged.
    cursor: Option<String>,
    /// Page size, 100 when absent.
    #[param(minimum = 1, maximum = 1000)]
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

/// The tenant's invocation records, newest first, filtered.
#[utoipa::path(get, path = "/api/audit", tag = "audit",
    params(Params),
    responses(
        (status = 200, description = "One page, newest first", body = Invocations),
        (status = 400, description = "`since`/`until` not RFC 3339 (`invalid_time`), `limit` out of range (`invalid_limit`), or a `cursor` that is not a `nextCursor` (`invalid_cursor`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(p): QueryParams<Params>,
) -> Result<Json<Invocations>, ApiError> {
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
    Ok(Json(Invocations {
        count: rows.len(),
        invocations: rows,
        next_cursor: next,
    }))
}
