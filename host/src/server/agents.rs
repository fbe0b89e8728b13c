//! Agents: named principals per tenant. Seed 003 addresses them by name,
//! seeds 001 and 004 by id; every path accepts either.
use super::AppState;
use super::auth::Principal;
use super::error::{ApiError, JsonBody};
use crate::store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/agents", get(list).post(create))
        .route("/api/agents/{agent}", get(fetch).delete(remove))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    name: String,
}

/// Agent names appear in URL paths: keep them to a safe alphabet.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewAgent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            "agent name must be 1-64 characters: letters, digits, `-`, `_` or `.`",
        ));
    }
    let agent = state
        .store
        .create_agent(&principal.tenant_id, &body.name)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::Conflict {
                code: "agent_exists",
                message: format!("an agent named `{}` already exists", body.name),
            },
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(json!({ "agent": agent }))))
}

/// A tenant's agent by id or name, or 404.
pub(super) async fn find_agent(
    state: &AppState,
    principal: &Principal,
    key: &str,
) -> Result<crate::store::Agent, ApiError> {
    state
        .store
        .agent(&principal.tenant_id, key)
        .await?
        .ok_or(ApiError::NotFound("agent"))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agents = state.store.list_agents(&principal.tenant_id).await?;
    Ok(Json(json!({ "agents": agents, "total": agents.len() })))
}

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    Ok(Json(
        json!({ "agent": find_agent(&state, &principal, &agent).await? }),
    ))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let found = find_agent(&state, &principal, &agent).await?;
    state
        .store
        .delete_agent(&principal.tenant_id, &found.id)
        .await?;
    Ok(Json(
        json!({ "success": true, "message": format!("Agent '{}' deleted", found.name) }),
    ))
}
