//! Seed 004's attach/detach of skills to agents and runners, with
//! `promptOverride` and `credentialId`, and the context an agent runtime
//! loads at its next message. Seed 003 already owns
//! `/api/agents/{agent}/skills`, so an agent's attachments live at
//! `/api/agents/{agent}/attached-skills`; a runner's at seed 004's
//! `/api/runners/{runner}/skills`. Both read and write the same
//! assignments as seed 001's assign.
use crate::capability::Narrowing;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody, JsonBody, Success};
use crate::server::lookup::find_skill;
use crate::server::lookup::{Agents, Kind, Runners, find_kind};
use crate::services::AppState;
use crate::store::SkillStatus;
use crate::store::{Agent, AssignmentRow, SkillRow, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rmcp::model::Tool;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agent, attach_agent, detach_agent))
        .routes(routes!(context_agent))
        .routes(routes!(list_runner, attach_runner, detach_runner))
        .routes(routes!(context_runner))
}

/// Seed 004's Skill object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SkillObject {
    id: String,
    name: String,
    /// The same as `name`.
    slug: String,
    description: String,
    category: Option<String>,
    created_at: String,
    /// Seed 004's fields, from the catalog's view of a skill.
    #[serde(flatten)]
    #[schema(value_type = SeedFieldsShape)]
    seed: Map<String, Value>,
}

// Shape of catalog::view::seed_fields's JSON; Schemathesis checks it.
/// Seed 004's source fields of a skill.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = SeedFields, rename_all = "camelCase")]
struct SeedFieldsShape {
    /// `custom` for a component, else the source's kind.
    source: String,
    source_url: Option<String>,
    source_ref: Option<String>,
    author: Option<String>,
    version: Option<String>,
    tags: Vec<String>,
    icon_url: Option<String>,
    /// A source skill's authentication kind; null for a component.
    auth_type: Option<String>,
    /// The skill's status; `error` for an active source whose last sync failed.
    status: String,
    last_synced_at: Option<String>,
}

impl SkillObject {
    fn of(skill: &SkillRow) -> SkillObject {
        let seed = match crate::server::catalog::view::seed_fields(skill) {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        SkillObject {
            id: skill.id.clone(),
            name: skill.manifest.name.clone(),
            slug: skill.manifest.name.clone(),
            description: skill.manifest.description.clone(),
            category: skill.manifest.category.clone(),
            created_at: skill.created_at.clone(),
            seed,
        }
    }
}

/// A skill attached to an agent or runner (seed 004).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AttachedSkill {
    /// The assignment's id.
    id: String,
    agent_id: String,
    skill_id: String,
    enabled: bool,
    prompt_override: Option<String>,
    credential_id: Option<String>,
    attached_at: String,
    /// What this attachment takes away from the skill's approved grant.
    capabilities: Narrowing,
    skill: SkillObject,
}

impl AttachedSkill {
    fn of(a: &AssignmentRow, skill: &SkillRow) -> AttachedSkill {
        AttachedSkill {
            id: a.id.clone(),
            agent_id: a.agent_id.clone(),
            skill_id: a.skill_id.clone(),
            enabled: a.enabled,
            prompt_override: a.prompt_override.clone(),
            credential_id: a.credential_id.clone(),
            attached_at: a.assigned_at.clone(),
            capabilities: a.narrowing.clone(),
            skill: SkillObject::of(skill),
        }
    }
}

/// Lists the skills attached to an agent.
#[utoipa::path(get, path = "/api/agents/{agent}/attached-skills", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The attachments", body = Vec<AttachedSkill>)),
    security(("bearer" = ["skills:read"])))]
async fn list_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Vec<AttachedSkill>>, ApiError> {
    list::<Agents>(&state, &principal, &agent).await.map(Json)
}

/// Lists the skills attached to a runner (seed 004).
#[utoipa::path(get, path = "/api/runners/{runner}/skills", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    responses((status = 200, description = "The attachments", body = Vec<AttachedSkill>)),
    security(("bearer" = ["skills:read"])))]
async fn list_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
) -> Result<Json<Vec<AttachedSkill>>, ApiError> {
    list::<Runners>(&state, &principal, &runner).await.map(Json)
}

async fn list<K: Kind>(
    state: &AppState,
    principal: &Principal,
    agent: &str,
) -> Result<Vec<AttachedSkill>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_kind::<K>(state, principal, agent).await?;
    Ok(state
        .store
        .agent_skills(&principal.tenant_id, &agent.id)
        .await?
        .iter()
        .map(|(a, skill)| AttachedSkill::of(a, skill))
        .collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttachSkill {
    /// The skill's id or name.
    skill_id: String,
    /// Replaces the skill's prompt for this agent; at most 64 KiB.
    #[serde(default)]
    #[schema(max_length = 65536)]
    prompt_override: Option<String>,
    /// A tenant secret sent to the skill's origin (admin only).
    #[serde(default)]
    credential_id: Option<String>,
}

/// Attaches a skill to an agent.
#[utoipa::path(post, path = "/api/agents/{agent}/attached-skills", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body = AttachSkill,
    responses(
        (status = 201, description = "Attached", body = AttachedSkill),
        (status = 404, description = "No such agent or skill", body = ErrorBody),
        (status = 409, description = "The skill is already attached (`SKILL_ALREADY_ATTACHED`)", body = ErrorBody),
        (status = 422, description = "`credentialId` names no secret of the tenant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn attach_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<AttachSkill>,
) -> Result<(StatusCode, Json<AttachedSkill>), ApiError> {
    let attached = attach::<Agents>(&state, &principal, &agent, body).await?;
    Ok((StatusCode::CREATED, Json(attached)))
}

/// Attaches a skill to a runner (seed 004).
#[utoipa::path(post, path = "/api/runners/{runner}/skills", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    request_body = AttachSkill,
    responses(
        (status = 201, description = "Attached", body = AttachedSkill),
        (status = 404, description = "No such runner or skill", body = ErrorBody),
        (status = 409, description = "The skill is already attached (`SKILL_ALREADY_ATTACHED`)", body = ErrorBody),
        (status = 422, description = "`credentialId` names no secret of the tenant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn attach_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
    JsonBody(body): JsonBody<AttachSkill>,
) -> Result<(StatusCode, Json<AttachedSkill>), ApiError> {
    let attached = attach::<Runners>(&state, &principal, &runner, body).await?;
    Ok((StatusCode::CREATED, Json(attached)))
}

async fn attach<K: Kind>(
    state: &AppState,
    principal: &Principal,
    agent: &str,
    body: AttachSkill,
) -> Result<AttachedSkill, ApiError> {
    principal.require("skills:write")?;
    let agent = find_kind::<K>(state, principal, agent).await?;
    let skill = find_skill(state, principal, &body.skill_id).await?;
    // A credential sends a tenant secret to the skill's origin: an admin's
    // decision, like approving the origin itself.
    crate::server::catalog::sources::check_credential(
        state,
        principal,
        body.credential_id.as_deref(),
    )
    .await?;
    if body
        .prompt_override
        .as_ref()
        .is_some_and(|p| p.len() > 64 << 10)
    {
        return Err(ApiError::bad_request(
            "invalid_prompt_override",
            "promptOverride is limited to 64 KiB",
        ));
    }
    let row = AssignmentRow {
        prompt_override: body.prompt_override,
        credential_id: body.credential_id,
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
            StoreError::Conflict => ApiError::Conflict {
                code: "SKILL_ALREADY_ATTACHED",
                message: format!(
                    "skill `{}` is already attached to {} `{}`",
                    skill.manifest.name,
                    K::ONE,
                    agent.name
                ),
            },
            other => other.into(),
        })?;
    Ok(AttachedSkill::of(&row, &skill))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DetachSkill {
    /// The skill's id or name.
    skill_id: String,
}

/// Detaches a skill from an agent.
#[utoipa::path(delete, path = "/api/agents/{agent}/attached-skills", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body = DetachSkill,
    responses(
        (status = 200, description = "Detached", body = Success),
        (status = 404, description = "No such agent or skill, or the skill is not attached", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn detach_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<DetachSkill>,
) -> Result<Json<Success>, ApiError> {
    detach::<Agents>(&state, &principal, &agent, body).await?;
    Ok(Json(Success::TRUE))
}

/// Detaches a skill from a runner (seed 004).
#[utoipa::path(delete, path = "/api/runners/{runner}/skills", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    request_body = DetachSkill,
    responses(
        (status = 200, description = "Detached", body = Success),
        (status = 404, description = "No such runner or skill, or the skill is not attached", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn detach_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
    JsonBody(body): JsonBody<DetachSkill>,
) -> Result<Json<Success>, ApiError> {
    detach::<Runners>(&state, &principal, &runner, body).await?;
    Ok(Json(Success::TRUE))
}

async fn detach<K: Kind>(
    state: &AppState,
    principal: &Principal,
    agent: &str,
    body: DetachSkill,
) -> Result<(), ApiError> {
    principal.require("skills:write")?;
    let agent = find_kind::<K>(state, principal, agent).await?;
    let skill = find_skill(state, principal, &body.skill_id).await?;
    if !state
        .store
        .delete_assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
    {
        return Err(ApiError::NotFound("attachment"));
    }
    Ok(())
}

/// An agent's context: what its runtime loads at its next message.
#[derive(Serialize, ToSchema)]
struct AgentContext {
    agent: Agent,
    #[serde(flatten)]
    context: RuntimeContext,
}

/// A runner's context: what its runtime loads at its next message.
#[derive(Serialize, ToSchema)]
struct RunnerContext {
    runner: Agent,
    #[serde(flatten)]
    context: RuntimeContext,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct RuntimeContext {
    /// One `## Skill: <name>` section per skill with a prompt, highest
    /// priority first.
    system_prompt: String,
    skills: Vec<ContextSkill>,
    /// MCP `Tool` objects, as the agent's MCP endpoint lists them.
    #[schema(value_type = Vec<Object>)]
    tools: Vec<Tool>,
}

/// An enabled attachment of an active skill.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ContextSkill {
    skill_id: String,
    name: String,
    /// `custom` for a component, else the source's kind (seed 004).
    #[schema(value_type = String)]
    source: Value,
    /// Whether the prompt is the attachment's `promptOverride`.
    prompt_override: bool,
    prompt: Option<String>,
    /// The names of its abilities.
    abilities: Vec<String>,
}

/// What an agent's runtime loads at its next message: the system prompt
/// and tools.
#[utoipa::path(get, path = "/api/agents/{agent}/context", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The context", body = AgentContext)),
    security(("bearer" = ["skills:read"])))]
async fn context_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<AgentContext>, ApiError> {
    let (agent, context) = context::<Agents>(&state, &principal, &agent).await?;
    Ok(Json(AgentContext { agent, context }))
}

/// What a runner's runtime loads at its next message: the system prompt
/// and tools.
#[utoipa::path(get, path = "/api/runners/{runner}/context", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    responses((status = 200, description = "The context", body = RunnerContext)),
    security(("bearer" = ["skills:read"])))]
async fn context_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
) -> Result<Json<RunnerContext>, ApiError> {
    let (runner, context) = context::<Runners>(&state, &principal, &runner).await?;
    Ok(Json(RunnerContext { runner, context }))
}

/// What an agent runtime loads at its next message, with no restart: the
/// system prompt composed from each enabled attachment of an active skill
/// (highest priority first: its `promptOverride`, else a SKILL.md skill's
/// instructions) and the tool list as the agent's MCP endpoint lists it.
async fn context<K: Kind>(
    state: &AppState,
    principal: &Principal,
    agent: &str,
) -> Result<(Agent, RuntimeContext), ApiError> {
    principal.require("skills:read")?;
    let agent = find_kind::<K>(state, principal, agent).await?;
    let tenant = &principal.tenant_id;
    let mut sections = Vec::new();
    let mut skills = Vec::new();
    for (a, skill) in state.store.agent_skills(tenant, &agent.id).await? {
        if !a.enabled || skill.status != SkillStatus::Active {
            continue;
        }
        let own = skill
            .detail
            .as_deref()
            .and_then(|d| d.docs())
            .and_then(|docs| docs.instructions())
            .map(str::to_owned);
        let prompt = a.prompt_override.clone().or(own);
        if let Some(text) = &prompt {
            sections.push(format!(
                "## Skill: {}\n\n{}",
                skill.manifest.name,
                text.trim()
            ));
        }
        skills.push(ContextSkill {
            source: crate::server::catalog::view::seed_fields(&skill)["source"].take(),
            skill_id: skill.id,
            name: skill.manifest.name,
            prompt_override: a.prompt_override.is_some(),
            prompt,
            abilities: skill
                .manifest
                .abilities
                .into_iter()
                .map(|x| x.name)
                .collect(),
        });
    }
    let mut tools = crate::server::mcp::tools::agent_tools(state, tenant, &agent).await?;
    tools.extend(crate::server::mcp::discovery::tools());
    let context = RuntimeContext {
        system_prompt: sections.join("\n\n"),
        skills,
        tools,
    };
    Ok((agent, context))
}
