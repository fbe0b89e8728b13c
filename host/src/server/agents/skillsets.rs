//! Skillsets attached to an agent (seed 002 attaches skillsets to bots):
//! the active abilities of each join the agent's tools on its MCP
//! endpoint.
//!
//! `GET /api/agents/{agent}/skillsets`,
//! `PUT|DELETE /api/agents/{agent}/skillsets/{skillsetId}`.
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::lookup::find_agent;
use crate::server::lookup::find_skillset;
use crate::services::AppState;
use crate::store::AbilityStatus;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/agents/{agent}/skillsets", get(list))
        .route(
            "/api/agents/{agent}/skillsets/{skillset}",
            put(attach).delete(detach),
        )
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let tenant = &principal.tenant_id;
    let mut skillsets = Vec::new();
    for id in state.store.agent_skillset_ids(tenant, &agent.id).await? {
        let Some(skillset) = state.store.skillset(tenant, &id).await? else {
            continue;
        };
        let abilities = state.store.skillset_abilities(tenant, &id).await?;
        let active = abilities
            .iter()
            .filter(|a| a.status == AbilityStatus::Active)
            .count();
        skillsets.push(json!({
            "id": skillset.id,
            "name": skillset.name,
            "description": skillset.description,
            "abilities": abilities.len(),
            "activeAbilities": active,
        }));
    }
    Ok(Json(json!({ "skillsets": skillsets })))
}

/// 201 when attached now, 200 when it already was. Abilities still need
/// an admin's approval to be callable, so `skills:write` suffices.
async fn attach(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skillset)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let skillset = find_skillset(&state, &principal.tenant_id, &skillset).await?;
    let new = state
        .store
        .attach_skillset(&principal.tenant_id, &agent.id, &skillset.id)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "agent": agent.name, "skillsetId": skillset.id, "attached": true })),
    ))
}

async fn detach(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skillset)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    if !state
        .store
        .detach_skillset(&principal.tenant_id, &agent.id, &skillset)
        .await?
    {
        return Err(ApiError::NotFound("skillset attachment"));
    }
    Ok(StatusCode::NO_CONTENT)
}
