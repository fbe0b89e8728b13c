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
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(attach, detach))
}

/// The skillsets attached to an agent.
#[derive(Serialize, ToSchema)]
struct AttachedSkillsets {
    skillsets: Vec<AttachedSkillset>,
}

/// One attached skillset, with how many of its abilities there are and
/// how many are callable.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AttachedSkillset {
    id: String,
    name: String,
    description: String,
    /// How many abilities the skillset has.
    abilities: usize,
    /// How many of them are active (callable).
    active_abilities: usize,
}

/// The attachment as made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SkillsetAttachment {
    /// The agent's name.
    agent: String,
    skillset_id: String,
    /// Always `true`.
    attached: bool,
}

/// Lists the skillsets attached to an agent.
#[utoipa::path(get, operation_id = "list_skillsets", path = "/api/agents/{agent}/skillsets", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The attached skillsets", body = AttachedSkillsets)),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<AttachedSkillsets>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let tenant = &principal.tenant_id;
    let mut skillsets = Vec::new();
    for id in state.store.agent_skillset_ids(tenant, &agent.id).await? {
        let Some(skillset) = state.store.skillset(tenant, &id).await? else {
            continue;
        };
        let abilities = state.store.skillset_abilities(tenant, &id).await?;
        let active_abilities = abilities
            .iter()
            .filter(|a| a.status == AbilityStatus::Active)
            .count();
        skillsets.push(AttachedSkillset {
            id: skillset.id,
            name: skillset.name,
            description: skillset.description,
            abilities: abilities.len(),
            active_abilities,
        });
    }
    Ok(Json(AttachedSkillsets { skillsets }))
}

/// Attaches a skillset to an agent: its active abilities join the agent's
/// tools.
///
/// 201 when attached now, 200 when it already was. Abilities still need
/// an admin's approval to be callable, so `skills:write` suffices.
#[utoipa::path(put, operation_id = "attach_skillset", path = "/api/agents/{agent}/skillsets/{skillset}", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skillset" = String, Path, description = "The skillset's id"),
    ),
    responses(
        (status = 201, description = "Attached now", body = SkillsetAttachment),
        (status = 200, description = "Already attached", body = SkillsetAttachment),
    ),
    security(("bearer" = ["skills:write"])))]
async fn attach(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skillset)): Path<(String, String)>,
) -> Result<(StatusCode, Json<SkillsetAttachment>), ApiError> {
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
        Json(SkillsetAttachment {
            agent: agent.name,
            skillset_id: skillset.id,
            attached: true,
        }),
    ))
}

/// Detaches a skillset from an agent.
#[utoipa::path(delete, operation_id = "detach_skillset", path = "/api/agents/{agent}/skillsets/{skillset}", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skillset" = String, Path, description = "The skillset's id"),
    ),
    responses((status = 204, description = "Detached")),
    security(("bearer" = ["skills:write"])))]
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
