//! The audit trail: every invocation and denial, filterable.
use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit", get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    agent: Option<String>,
    skill: Option<String>,
    outcome: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 1000"));
    }
    let rows = state
        .store
        .list_invocations(&principal.tenant_id, q.agent.as_deref(), q.skill.as_deref(), q.outcome.as_deref(), limit)
        .await?;
    Ok(Json(json!({ "invocations": rows, "total": rows.len() })))
}
