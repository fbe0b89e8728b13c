//! Seed 004's attach/detach of skills to agents and runners, with
//! `promptOverride` and `credentialId`, and the context an agent runtime
//! loads at its next message. Seed 003 already owns
//! `/api/agents/{agent}/skills`, so an agent's attachments live at
//! `/api/agents/{agent}/attached-skills`; a runner's at seed 004's
//! `/api/runners/{runner}/skills`. Both read and write the same
//! assignments as seed 001's assign.
use crate::server::auth::Principal;
use crate::server::error::{ApiError, JsonBody};
use crate::server::lookup::find_skill;
use crate::server::lookup::{Agents, Kind, Runners, find_kind};
use crate::services::AppState;
use crate::store::SkillStatus;
use crate::store::{AssignmentRow, SkillRow, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(
            "/api/agents/{agent}/attached-skills",
            get(list::<Agents>)
                .post(attach::<Agents>)
                .delete(detach::<Agents>),
        )
        .route("/api/agents/{agent}/context", get(context::<Agents>))
        .route(
            "/api/runners/{runner}/skills",
            get(list::<Runners>)
                .post(attach::<Runners>)
                .delete(detach::<Runners>),
        )
        .route("/api/runners/{runner}/context", get(context::<Runners>))
}

/// Seed 004's Skill object.
fn skill_object(skill: &SkillRow) -> Value {
    let mut v = json!({
        "id": skill.id,
        "name": skill.manifest.name,
        "slug": skill.manifest.name,
        "description": skill.manifest.description,
        "category": skill.manifest.category,
        "createdAt": skill.created_at,
    });
    if let (Value::Object(into), Value::Object(seed)) =
        (&mut v, crate::server::catalog::view::seed_fields(skill))
    {
        into.extend(seed);
    }
    v
}

fn attached(a: &AssignmentRow, skill: &SkillRow) -> Value {
    json!({
        "id": a.id,
        "agentId": a.agent_id,
        "skillId": a.skill_id,
        "enabled": a.enabled,
        "promptOverride": a.prompt_override,
        "credentialId": a.credential_id,
        "attachedAt": a.assigned_at,
        "skill": skill_object(skill),
    })
}

async fn list<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_kind::<K>(&state, &principal, &agent).await?;
    let mut out = Vec::new();
    for (a, skill) in state
        .store
        .agent_skills(&principal.tenant_id, &agent.id)
        .await?
    {
        out.push(attached(&a, &skill));
    }
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Attach {
    skill_id: String,
    #[serde(default)]
    prompt_override: Option<String>,
    #[serde(default)]
    credential_id: Option<String>,
}

async fn attach<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<Attach>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    let agent = find_kind::<K>(&state, &principal, &agent).await?;
    let skill = find_skill(&state, &principal, &body.skill_id).await?;
    // A credential sends a tenant secret to the skill's origin: an admin's
    // decision, like approving the origin itself.
    crate::server::catalog::sources::check_credential(
        &state,
        &principal,
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
    Ok((StatusCode::CREATED, Json(attached(&row, &skill))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Detach {
    skill_id: String,
}

async fn detach<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<Detach>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let agent = find_kind::<K>(&state, &principal, &agent).await?;
    let skill = find_skill(&state, &principal, &body.skill_id).await?;
    if !state
        .store
        .delete_assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
    {
        return Err(ApiError::NotFound("attachment"));
    }
    Ok(Json(json!({ "success": true })))
}

/// What an agent runtime loads at its next message, with no restart: the
/// system prompt composed from each enabled attachment of an active skill
/// (highest priority first: its `promptOverride`, else a SKILL.md skill's
/// instructions) and the tool list as the agent's MCP endpoint lists it.
async fn context<K: Kind>(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_kind::<K>(&state, &principal, &agent).await?;
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
        skills.push(json!({
            "skillId": skill.id,
            "name": skill.manifest.name,
            "source": crate::server::catalog::view::seed_fields(&skill)["source"],
            "promptOverride": a.prompt_override.is_some(),
            "prompt": prompt,
            "abilities": skill.manifest.abilities.iter().map(|x| &x.name).collect::<Vec<_>>(),
        }));
    }
    let mut tools = crate::server::mcp::tools::agent_tools(&state, tenant, &agent).await?;
    tools.extend(crate::server::mcp::discovery::tools());
    Ok(Json(json!({
        K::ONE: agent,
        "systemPrompt": sections.join("\n\n"),
        "skills": skills,
        "tools": tools,
    })))
}
