//! Seed 003's per-agent skills surface: what an agent has, with the
//! `needs_*` flags derived from the effective policy (declared ∩ approved ∩
//! assignment), a usage example, and the source (manifest and the WIT the
//! skill implements).
use super::AppState;
use super::agents::find_agent;
use super::auth::Principal;
use super::error::ApiError;
use super::skills::effective_policy;
use crate::manifest::AbilitySpec;
use crate::store::{AssignmentRow, SkillRow};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

/// The WIT package every SDK skill implements.
const SKILL_WIT: &str = include_str!("../../../wit/skill.wit");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/agents/{agent}/skills", get(list))
        .route("/api/agents/{agent}/skills/{skill}", get(detail))
        .route("/api/agents/{agent}/skills/{skill}/source", get(source))
}

/// The flags of seed 003, from what the approved grant actually allows
/// (a declared mount the operator did not map is not a need met).
fn needs(state: &AppState, skill: &SkillRow, assignment: &AssignmentRow) -> Value {
    let policy = effective_policy(state, skill, assignment).and_then(Result::ok);
    let (network, read, write, env) = match &policy {
        Some(p) => (
            !p.network.is_empty(),
            p.mounts.iter().any(|m| !m.writable),
            p.mounts.iter().any(|m| m.writable),
            !p.env.is_empty() || !p.secrets.is_empty(),
        ),
        None => (false, false, false, false),
    };
    json!({ "needs_network": network, "needs_fs_read": read, "needs_fs_write": write, "needs_env": env })
}

fn summary(state: &AppState, skill: &SkillRow, assignment: &AssignmentRow) -> Value {
    let mut v = json!({
        "name": skill.manifest.name,
        "description": skill.manifest.description,
        "version": skill.manifest.version.to_string(),
        "status": skill.status,
        "enabled": assignment.enabled,
    });
    merge(&mut v, needs(state, skill, assignment));
    v
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

/// A placeholder input built from an ability's schema: required properties
/// with a value of their type, or an array of one string.
fn example_args(ability: &AbilitySpec) -> Value {
    let schema = &ability.input_schema;
    if schema["type"] == "array" {
        return json!(["..."]);
    }
    let mut args = Map::new();
    if let (Some(required), Some(props)) = (
        schema["required"].as_array(),
        schema["properties"].as_object(),
    ) {
        for name in required.iter().filter_map(Value::as_str) {
            let value = match props.get(name).map(|p| &p["type"]) {
                Some(Value::String(t)) if t == "integer" || t == "number" => json!(0),
                Some(Value::String(t)) if t == "boolean" => json!(false),
                Some(Value::String(t)) if t == "array" => json!([]),
                Some(Value::String(t)) if t == "object" => json!({}),
                _ => json!("..."),
            };
            args.insert(name.to_owned(), value);
        }
    }
    Value::Object(args)
}

async fn assigned(
    state: &AppState,
    principal: &Principal,
    agent: &str,
    skill: &str,
) -> Result<(String, SkillRow, AssignmentRow), ApiError> {
    let agent = find_agent(state, principal, agent).await?;
    let skill = super::skills::find_skill(state, principal, skill).await?;
    let assignment = state
        .store
        .assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
        .ok_or(ApiError::NotFound("skill assignment for this agent"))?;
    Ok((agent.name, skill, assignment))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut skills = Vec::new();
    for (a, skill) in state
        .store
        .agent_skills(&principal.tenant_id, &agent.id)
        .await?
    {
        skills.push(summary(&state, &skill, &a));
    }
    Ok(Json(json!({ "skills": skills })))
}

async fn detail(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let (agent, skill, assignment) = assigned(&state, &principal, &agent, &skill).await?;
    let mut v = summary(&state, &skill, &assignment);
    let first = skill.manifest.abilities.first();
    let usage = first.map(|a| {
        let body = json!({ "ability": a.name, "args": example_args(a) });
        format!(
            "POST /api/agents/{agent}/skills/{}/invoke {body}",
            skill.manifest.name
        )
    });
    merge(
        &mut v,
        json!({
            "kind": skill.kind,
            "category": skill.manifest.category,
            "capabilities": skill.manifest.capabilities,
            "abilities": skill.manifest.abilities,
            "usage_example": usage,
        }),
    );
    Ok(Json(v))
}

async fn source(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let (_, skill, _) = assigned(&state, &principal, &agent, &skill).await?;
    // The manifest as its author wrote it: an SDK skill's abilities come from
    // its code (their schemas may hold JSON nulls, which TOML cannot), so
    // they are returned beside it as JSON.
    let mut authored = skill.manifest.clone();
    if skill.kind == "sdk" {
        authored.abilities.clear();
    }
    let manifest = toml::to_string(&authored)
        .unwrap_or_else(|_| serde_json::to_string_pretty(&authored).expect("JSON"));
    Ok(Json(json!({
        "manifest": manifest,
        "abilities": skill.manifest.abilities,
        "wit": SKILL_WIT,
        "kind": skill.kind,
        "digest": skill.digest,
    })))
}
