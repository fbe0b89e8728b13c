//! Seed 003's per-agent skills surface: what an agent has, with the
//! `needs_*` flags derived from the effective policy (declared ∩ approved ∩
//! assignment), a usage example, and the source (manifest and the WIT the
//! skill implements). Writes: create (upload a component for this agent),
//! update (metadata, or a new version), install from a URL, and delete
//! (which takes the skill away from this agent; the catalog keeps it).
use super::code;
use crate::invocation::effective_policy;
use crate::manifest::AbilitySpec;
use crate::server::auth::Principal;
use crate::server::catalog::installing::{
    component_from_request, fetch_url, install_component, read_package,
};
use crate::server::error::ApiError;
use crate::server::error::JsonBody;
use crate::server::lookup::find_agent;
use crate::services::AppState;
use crate::store::StoredKind;
use crate::store::{Agent, StoreError};
use crate::store::{AssignmentRow, SkillRow};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The WIT package every SDK skill implements.
const SKILL_WIT: &str = include_str!("../../../../wit/skill.wit");

/// Why a token bound to an agent may not create, install or update here:
/// the skill lands in the tenant's catalog, and a new version that asks
/// for nothing more moves every agent of the skill to it, not only this one.
const CATALOG_WRITE: &str =
    "install or change catalog skills, which every agent of the tenant shares";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/agents/{agent}/skills", get(list).post(create))
        .route("/api/agents/{agent}/skills/install", post(install_from_url))
        .route(
            "/api/agents/{agent}/skills/{skill}",
            get(detail).put(update).delete(remove),
        )
        .route("/api/agents/{agent}/skills/{skill}/source", get(source))
}

/// The flags of seed 003, from what the approved grant actually allows
/// (a declared mount the operator did not map is not a need met).
fn needs(state: &AppState, skill: &SkillRow, assignment: &AssignmentRow) -> Value {
    let policy =
        effective_policy(state.loader.runtime().limits(), skill, assignment).and_then(Result::ok);
    // Granted secrets count as environment: values the guest is handed.
    let secrets = skill.grant.as_ref().is_some_and(|g| !g.secrets.is_empty());
    let (network, read, write, env) = match &policy {
        Some(p) => (
            !p.network.is_empty(),
            p.mounts.iter().any(|m| !m.writable),
            p.mounts.iter().any(|m| m.writable),
            !p.env.is_empty() || secrets,
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

/// The agent, its current version of `skill` and the assignment; 404 when
/// the agent does not have the skill.
async fn assigned(
    state: &AppState,
    principal: &Principal,
    agent: &str,
    skill: &str,
) -> Result<(Agent, SkillRow, AssignmentRow), ApiError> {
    let agent = find_agent(state, principal, agent).await?;
    let skill = crate::server::lookup::find_skill(state, principal, skill).await?;
    let assignment = state
        .store
        .assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?
        .ok_or(ApiError::NotFound("skill assignment for this agent"))?;
    Ok((agent, skill, assignment))
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
    let agent = agent.name;
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
    if skill.kind == StoredKind::Component(crate::manifest::SkillKind::Sdk) {
        authored.abilities.clear();
    }
    let manifest = toml::to_string(&authored)
        .unwrap_or_else(|_| serde_json::to_string_pretty(&authored).expect("JSON"));
    if let Some(crate::sources::SourceBody::Code(body)) = skill.detail.as_ref().map(|d| &d.body) {
        // Seed 003's shape: the manifest and the code. A change waiting for
        // approval is shown beside what runs.
        let waiting = skill
            .pending_source
            .as_ref()
            .and_then(|p| match &p.detail.body {
                crate::sources::SourceBody::Code(b) => {
                    Some(json!({"code": b.code, "language": b.language}))
                }
                _ => None,
            });
        return Ok(Json(json!({
            "manifest": manifest,
            "code": body.code,
            "language": body.language,
            "kind": skill.kind,
            "digest": skill.digest,
            "pending": waiting,
        })));
    }
    Ok(Json(json!({
        "manifest": manifest,
        "abilities": skill.manifest.abilities,
        "wit": SKILL_WIT,
        "kind": skill.kind,
        "digest": skill.digest,
    })))
}

fn is_code_skill(skill: &SkillRow) -> bool {
    skill.kind == StoredKind::Source(crate::sources::SourceKind::Code)
}

/// What seed 003's write endpoints return about a skill.
fn written(skill: &SkillRow) -> Value {
    json!({
        "name": skill.manifest.name,
        "description": skill.manifest.description,
        "version": skill.manifest.version.to_string(),
        "status": skill.status,
        "capabilityDiff": skill.capability_diff,
        "created_at": skill.created_at,
        "installed_at": skill.created_at,
    })
}

/// Gives `skill` to `agent` unless it already has it.
async fn give(
    state: &AppState,
    principal: &Principal,
    agent: &Agent,
    skill: &SkillRow,
) -> Result<(), ApiError> {
    let row = AssignmentRow::new(
        &principal.tenant_id,
        &skill.id,
        &agent.id,
        &principal.token_id,
    );
    match state.store.create_assignment(&row).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Installs a component and gives it to `agent`: seed 003's create and
/// install-from-URL.
async fn install_for(
    state: &AppState,
    principal: &Principal,
    agent: &Agent,
    bytes: Vec<u8>,
    origin: crate::server::catalog::installing::Origin,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let skill = install_component(state, principal, bytes, origin).await?;
    give(state, principal, agent, &skill).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "skill": written(&skill) })),
    ))
}

/// Create: the body is the component (`application/wasm` or multipart), a
/// JSON source as for `POST /api/skills`, or a code skill's
/// `{name, description, code, language}`. The skill is installed (pending
/// approval, unless it is a new version asking for nothing more, or an
/// admin's code skill that binds nothing) and given to this agent.
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound(CATALOG_WRITE)?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let (bytes, origin) = match json_body(request).await? {
        Body::Json(value) if code::is_code(&value) => {
            let skill = code::create(&state, &principal, value).await?;
            give(&state, &principal, &agent, &skill).await?;
            return Ok((
                StatusCode::CREATED,
                Json(json!({ "success": true, "skill": written(&skill) })),
            ));
        }
        Body::Json(value) => {
            component_from_request(&state, &principal, json_request(&value)).await?
        }
        Body::Other(request) => component_from_request(&state, &principal, *request).await?,
    };
    install_for(&state, &principal, &agent, bytes, origin).await
}

/// A request's body: parsed when it is JSON, untouched otherwise.
enum Body {
    Json(Value),
    Other(Box<Request>),
}

async fn json_body(request: Request) -> Result<Body, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return Ok(Body::Other(Box::new(request)));
    }
    let bytes = axum::body::to_bytes(request.into_body(), crate::server::request::MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES))?;
    let value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("invalid JSON body: {e}")))?;
    Ok(Body::Json(value))
}

/// A JSON request again, for the component paths that read one.
fn json_request(value: &Value) -> Request {
    Request::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(value.to_string()))
        .expect("a request from parts that were valid")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstallFromUrl {
    url: String,
    /// When given, the installed skill must have this name.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
}

async fn install_from_url(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<InstallFromUrl>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound(CATALOG_WRITE)?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let (bytes, origin) = fetch_url(&state, &body.url, body.sha256.as_deref()).await?;
    if let Some(expected) = &body.name {
        let package = read_package(&bytes)?;
        if &package.manifest.name != expected {
            return Err(ApiError::Unprocessable {
                code: "name_mismatch",
                message: format!(
                    "the URL serves skill `{}`, not `{expected}`",
                    package.manifest.name
                ),
            });
        }
    }
    install_for(&state, &principal, &agent, bytes, origin).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

/// Update: a JSON body changes the description or category; a component
/// body (`application/wasm` or multipart) installs a new version of the
/// same skill, which this agent moves to once it is approved.
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound(CATALOG_WRITE)?;
    let (_, mut current, _) = assigned(&state, &principal, &agent, &skill).await?;
    // A new version comes as the body or as a JSON source; a code skill
    // takes new code; any other JSON body changes metadata.
    let (bytes, origin) = match json_body(request).await? {
        Body::Json(value) if code::is_code(&value) || is_code_skill(&current) => {
            let updated = code::update(&state, &principal, current, value).await?;
            return Ok(Json(json!({
                "success": true,
                "pendingApproval": updated.pending,
                "skill": written(&updated.skill),
            })));
        }
        Body::Json(value)
            if ["sourceUrl", "url", "path"]
                .iter()
                .any(|k| value.get(k).is_some()) =>
        {
            component_from_request(&state, &principal, json_request(&value)).await?
        }
        Body::Json(value) => {
            let meta: Metadata = serde_json::from_value(value)
                .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid body: {e}")))?;
            if meta.description.is_none() && meta.category.is_none() {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "nothing to update: give `description` or `category`, or send a new \
                     version of the component",
                ));
            }
            if let Some(d) = meta.description {
                current.manifest.description = d;
            }
            if let Some(c) = meta.category {
                current.manifest.category = Some(c).filter(|c| !c.is_empty());
            }
            state.store.update_skill(&current).await?;
            let current =
                crate::server::lookup::find_skill(&state, &principal, &current.id).await?;
            return Ok(Json(json!({ "success": true, "skill": written(&current) })));
        }
        Body::Other(request) => component_from_request(&state, &principal, *request).await?,
    };
    let package = read_package(&bytes)?;
    if package.manifest.name != current.manifest.name {
        return Err(ApiError::Unprocessable {
            code: "name_mismatch",
            message: format!(
                "the component is skill `{}`; an update of `{}` must keep its name",
                package.manifest.name, current.manifest.name
            ),
        });
    }
    let new = install_component(&state, &principal, bytes, origin).await?;
    // A pending version waits for approval; this agent moves to it then.
    Ok(Json(json!({ "success": true, "skill": written(&new) })))
}

/// Delete: the skill is taken away from this agent. The catalog keeps it
/// for other agents; `DELETE /api/skills/{id}` uninstalls it.
async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let (agent, skill, _) = assigned(&state, &principal, &agent, &skill).await?;
    state
        .store
        .delete_assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?;
    Ok(Json(json!({
        "success": true,
        "message": format!("Skill '{}' deleted from agent '{}'", skill.manifest.name, agent.name),
    })))
}
