//! Seed 004's attach/detach of skills to agents, with `promptOverride` and
//! `credentialId`. Seed 003 already owns `/api/agents/{agent}/skills`, so
//! these shapes live at `/api/agents/{agent}/attached-skills`; both surfaces
//! read and write the same assignments.
use super::AppState;
use super::agents::find_agent;
use super::auth::Principal;
use super::error::{ApiError, JsonBody};
use super::skills::find_skill;
use crate::store::{AssignmentRow, SkillRow, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/agents/{agent}/attached-skills",
        get(list).post(attach).delete(detach),
    )
}

/// Seed 004's Skill object.
fn skill_object(skill: &SkillRow) -> Value {
    json!({
        "id": skill.id,
        "name": skill.manifest.name,
        "slug": skill.manifest.name,
        "description": skill.manifest.description,
        "iconUrl": null,
        "author": null,
        "version": skill.manifest.version.to_string(),
        "source": "custom",
        "sourceUrl": skill.public_source_url(),
        "category": skill.manifest.category,
        "tags": [],
        "authType": null,
        "status": skill.status,
        "lastSyncedAt": skill.synced_at,
        "createdAt": skill.created_at,
    })
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

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
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

async fn attach(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<Attach>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let skill = find_skill(&state, &principal, &body.skill_id).await?;
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
                    "skill `{}` is already attached to agent `{}`",
                    skill.manifest.name, agent.name
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

async fn detach(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<Detach>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
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
