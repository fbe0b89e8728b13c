//! Agents and runners: named principals per tenant. Seed 003 addresses
//! agents by name, seeds 001 and 004 by id; every path accepts either.
//! Runners (seed 004) are managed at `/api/runners` and are otherwise
//! principals like agents: skills are attached to them and they call
//! abilities through the same surfaces.
use crate::server::auth::Principal;
use crate::server::error::{ApiError, JsonBody};
use crate::server::lookup::{Agents, Kind, Runners, find_kind};
use crate::services::AppState;
use crate::store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/agents", get(list::<Agents>).post(create::<Agents>))
        .route(
            "/api/agents/{agent}",
            get(fetch::<Agents>).delete(remove::<Agents>),
        )
        .route("/api/runners", get(list::<Runners>).post(create::<Runners>))
        .route(
            "/api/runners/{runner}",
            get(fetch::<Runners>).delete(remove::<Runners>),
        )
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

async fn create<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewAgent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound("create agents or runners")?;
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!(
                "{} name must be 1-64 characters: letters, digits, `-`, `_` or `.`",
                K::ONE
            ),
        ));
    }
    let agent = state
        .store
        .create_agent(&principal.tenant_id, &body.name, K::KIND)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::Conflict {
                code: "agent_exists",
                message: format!(
                    "an agent or runner named `{}` already exists (they share names within a tenant)",
                    body.name
                ),
            },
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(json!({ K::ONE: agent }))))
}

async fn list<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let mut agents = state
        .store
        .list_agents(&principal.tenant_id, K::KIND)
        .await?;
    agents.retain(|a| principal.may_act_as(a));
    Ok(Json(json!({ K::MANY: agents, "total": agents.len() })))
}

async fn fetch<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    Ok(Json(
        json!({ K::ONE: find_kind::<K>(&state, &principal, &agent).await? }),
    ))
}

async fn remove<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound("delete agents or runners")?;
    let found = find_kind::<K>(&state, &principal, &agent).await?;
    state
        .store
        .delete_agent(&principal.tenant_id, &found.id)
        .await?;
    Ok(Json(
        json!({ "success": true, "message": format!("{} '{}' deleted", K::NOUN, found.name) }),
    ))
}
