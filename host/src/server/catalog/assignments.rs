//! A skill's assignments to agents (seed 001): assign, change, unassign,
//! and list them by skill and by agent.
use super::skills::{AGENT_KEY, AssignedAgent, SKILL_ID, SKILLS, assigned_agents};
use crate::capability::{Narrowing, Policy};
use crate::server::auth::AgentRoute;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::error::{JsonBody, Success};
use crate::server::lookup::{find_agent, find_skill};
use crate::services::AppState;
use crate::store::{AssignmentRow, SkillRow, StoreError};
use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(skill_agents))
        .routes(routes!(update_assignment))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        // Seed 001's skills of one agent: a token bound to it may list them.
        .routes(routes!(agent_skills).layer(Extension(AgentRoute)))
}

#[derive(Serialize, ToSchema)]
struct SkillAgents {
    agents: Vec<AssignedAgent>,
}

/// Lists the agents a skill is assigned to.
#[utoipa::path(get, path = "/api/skills/{id}/agents", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    responses((status = 200, description = "Its agents, highest priority first", body = SkillAgents)),
    security(("bearer" = ["skills:read"])))]
async fn skill_agents(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SkillAgents>, ApiError> {
    principal.require("skills:read")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agents = assigned_agents(&state, &principal, &skill).await?;
    Ok(Json(SkillAgents { agents }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignmentPatch {
    enabled: Option<bool>,
    /// Replaces the assignment's configuration.
    #[schema(value_type = Option<Object>)]
    config: Option<serde_json::Map<String, Value>>,
    /// Higher is preferred.
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    priority: Option<i64>,
    /// Replaces what this assignment takes away from the approved grant.
    capabilities: Option<Narrowing>,
}

/// Changes one agent's assignment of a skill.
#[utoipa::path(patch, path = "/api/skills/{id}/assignments/{agent}", tag = SKILLS,
    params(
        ("id" = String, Path, description = SKILL_ID),
        ("agent" = String, Path, description = AGENT_KEY),
    ),
    request_body = AssignmentPatch,
    responses(
        (status = 200, description = "Changed", body = Success),
        (status = 404, description = "No such skill or agent, or the skill is not assigned to the agent", body = ErrorBody),
        (status = 422, description = "`capabilities` would widen the approved grant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn update_assignment(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, agent)): Path<(String, String)>,
    JsonBody(body): JsonBody<AssignmentPatch>,
) -> Result<Json<Success>, ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut row = state
        .store
        .assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
        .ok_or(ApiError::NotFound("assignment"))?;
    if let Some(enabled) = body.enabled {
        row.enabled = enabled;
    }
    if let Some(priority) = body.priority {
        row.priority = priority;
    }
    if let Some(config) = body.config {
        row.config = Value::Object(config);
    }
    if let Some(narrowing) = body.capabilities {
        check_narrowing(&state, &skill, &narrowing)?;
        row.narrowing = narrowing;
    }
    state.store.update_assignment(&row).await?;
    Ok(Json(Success::TRUE))
}

/// An integer, also when JSON writes it with a fraction of zero (`3.0`):
/// JSON Schema counts that as an integer, and clients do send it.
fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom(format!("`{number}` is not an integer"))),
    }
}

/// Checks that a narrowing only takes away from what the skill has now.
fn check_narrowing(
    state: &AppState,
    skill: &SkillRow,
    narrowing: &Narrowing,
) -> Result<(), ApiError> {
    let grant = skill.grant.clone().unwrap_or_default();
    Policy::resolve(&skill.manifest, &grant, state.loader.runtime().limits())
        .and_then(|mut p| p.narrow(narrowing))
        .map_err(|e| ApiError::Unprocessable {
            code: "invalid_narrowing",
            message: e.to_string(),
        })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Assign {
    /// The agent's id or name.
    agent_id: String,
    /// The assignment's configuration.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    config: Option<serde_json::Map<String, Value>>,
    /// Higher is preferred; 0 when absent.
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    priority: Option<i64>,
    /// Narrows the approved grant for this agent only.
    #[serde(default)]
    capabilities: Option<Narrowing>,
}

#[derive(Serialize, ToSchema)]
struct Assigned {
    assignment: AssignmentView,
}

/// An assignment as created (seed 001, with what it narrows).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AssignmentView {
    id: String,
    tenant_id: String,
    skill_id: String,
    agent_id: String,
    skill_version: String,
    /// Always `null` (seed 001).
    listing_ref: Option<String>,
    enabled: bool,
    config: Value,
    priority: i64,
    assigned_at: String,
    assigned_by: String,
    capabilities: Narrowing,
}

/// Assigns a skill to an agent.
#[utoipa::path(post, path = "/api/skills/{id}/assign", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    request_body = Assign,
    responses(
        (status = 201, description = "Assigned", body = Assigned),
        (status = 400, description = "The body is malformed, or the skill is already assigned to this agent (`duplicate_assignment`)", body = ErrorBody),
        (status = 404, description = "No such skill, or `agentId` names no agent of this tenant", body = ErrorBody),
        (status = 422, description = "`capabilities` would widen the approved grant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn assign(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Assign>,
) -> Result<(StatusCode, Json<Assigned>), ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agent = find_agent(&state, &principal, &body.agent_id).await?;
    let narrowing = body.capabilities.unwrap_or_default();
    check_narrowing(&state, &skill, &narrowing)?;
    let row = AssignmentRow {
        priority: body.priority.unwrap_or(0),
        config: Value::Object(body.config.unwrap_or_default()),
        narrowing,
        ..AssignmentRow::new(
            &principal.tenant_id,
            &skill.id,
            &agent.id,
            &principal.token_id,
        )
    };
    state
        .store
        .create_assignment(&row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::bad_request(
                "duplicate_assignment",
                "skill already assigned to this agent",
            ),
            other => other.into(),
        })?;
    let assignment = AssignmentView {
        id: row.id,
        tenant_id: row.tenant_id,
        skill_id: row.skill_id,
        agent_id: row.agent_id,
        skill_version: skill.manifest.version.to_string(),
        listing_ref: None,
        enabled: row.enabled,
        config: row.config,
        priority: row.priority,
        assigned_at: row.assigned_at,
        assigned_by: row.assigned_by,
        capabilities: row.narrowing,
    };
    Ok((StatusCode::CREATED, Json(Assigned { assignment })))
}

/// Takes a skill away from an agent.
#[utoipa::path(delete, path = "/api/skills/{id}/unassign/{agent}", tag = SKILLS,
    params(
        ("id" = String, Path, description = SKILL_ID),
        ("agent" = String, Path, description = AGENT_KEY),
    ),
    responses(
        (status = 200, description = "Unassigned", body = Success),
        (status = 404, description = "No such skill or agent, or the skill is not assigned to the agent", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn unassign(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, agent)): Path<(String, String)>,
) -> Result<Json<Success>, ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agent = find_agent(&state, &principal, &agent).await?;
    if !state
        .store
        .delete_assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
    {
        return Err(ApiError::NotFound("assignment"));
    }
    Ok(Json(Success::TRUE))
}

#[derive(Serialize, ToSchema)]
struct AgentSkills {
    skills: Vec<AgentSkill>,
}

/// One skill of an agent (seed 001).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AgentSkill {
    assignment_id: String,
    skill_id: String,
    name: String,
    /// The name again (seed 001).
    slug: String,
    description: String,
    category: Option<String>,
    /// Always `null` (seed 001).
    listing_ref: Option<String>,
    enabled: bool,
    config: Value,
    priority: i64,
    assigned_at: String,
}

/// Lists an agent's skills; a token bound to the agent may ask.
#[utoipa::path(get, path = "/api/skills/agent/{agent}", tag = SKILLS,
    params(("agent" = String, Path, description = AGENT_KEY)),
    responses((status = 200, description = "The agent's skills", body = AgentSkills)),
    security(("bearer" = ["skills:read"])))]
async fn agent_skills(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<AgentSkills>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut skills = Vec::new();
    for (a, skill) in state
        .store
        .agent_skills(&principal.tenant_id, &agent.id)
        .await?
    {
        skills.push(AgentSkill {
            assignment_id: a.id,
            skill_id: skill.id,
            name: skill.manifest.name.clone(),
            slug: skill.manifest.name,
            description: skill.manifest.description,
            category: skill.manifest.category,
            listing_ref: None,
            enabled: a.enabled,
            config: a.config,
            priority: a.priority,
            assigned_at: a.assigned_at,
        });
    }
    Ok(Json(AgentSkills { skills }))
}
