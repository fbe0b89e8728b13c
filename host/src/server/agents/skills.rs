//! Seed 003's per-agent skills surface: what an agent has, with the
//! `needs_*` flags derived from the effective policy (declared ∩ approved ∩
//! assignment), a usage example, and the source (manifest and the WIT the
//! skill implements). Writes: create (upload a component for this agent),
//! update (metadata, or a new version), install from a URL, and delete
//! (which takes the skill away from this agent; the catalog keeps it).
use super::code;
use super::crud::Deleted;
use crate::capability::Capabilities;
use crate::invocation::effective_policy;
use crate::manifest::AbilitySpec;
use crate::server::auth::Principal;
use crate::server::catalog::installing::{
    SourceSpec, component_from_request, fetch_url, install_component, read_package,
};
use crate::server::error::{ApiError, ErrorBody, JsonBody};
use crate::server::lookup::find_agent;
use crate::services::AppState;
use crate::sources::code::{CodeSpec, Language};
use crate::store::{Agent, StoreError};
use crate::store::{AssignmentRow, SkillRow};
use crate::store::{SkillStatus, StoredKind};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{ObjectBuilder, RefOr, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The WIT package every SDK skill implements.
const SKILL_WIT: &str = include_str!("../../../../wit/skill.wit");

/// Why a token bound to an agent may not create, install or update here:
/// the skill lands in the tenant's catalog, and a new version that asks
/// for nothing more moves every agent of the skill to it, not only this one.
const CATALOG_WRITE: &str =
    "install or change catalog skills, which every agent of the tenant shares";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(install_from_url))
        .routes(routes!(detail, update, remove))
        .routes(routes!(source))
}

/// The flags of seed 003, from what the approved grant actually allows.
#[derive(Serialize, ToSchema)]
struct SkillNeeds {
    needs_network: bool,
    needs_fs_read: bool,
    needs_fs_write: bool,
    needs_env: bool,
}

/// The flags of seed 003, from what the approved grant actually allows
/// (a declared mount the operator did not map is not a need met).
fn needs(state: &AppState, skill: &SkillRow, assignment: &AssignmentRow) -> SkillNeeds {
    let policy =
        effective_policy(state.loader.runtime().limits(), skill, assignment).and_then(Result::ok);
    // Granted secrets count as environment: values the guest is handed.
    let secrets = skill.grant.as_ref().is_some_and(|g| !g.secrets.is_empty());
    let (needs_network, needs_fs_read, needs_fs_write, needs_env) = match &policy {
        Some(p) => (
            !p.network.is_empty(),
            p.mounts.iter().any(|m| !m.writable),
            p.mounts.iter().any(|m| m.writable),
            !p.env.is_empty() || secrets,
        ),
        None => (false, false, false, false),
    };
    SkillNeeds {
        needs_network,
        needs_fs_read,
        needs_fs_write,
        needs_env,
    }
}

/// One of an agent's skills (seed 003).
#[derive(Serialize, ToSchema)]
struct SkillSummary {
    name: String,
    description: String,
    version: String,
    status: SkillStatus,
    /// Whether this agent may use it.
    enabled: bool,
    #[serde(flatten)]
    needs: SkillNeeds,
}

fn summary(state: &AppState, skill: &SkillRow, assignment: &AssignmentRow) -> SkillSummary {
    SkillSummary {
        name: skill.manifest.name.clone(),
        description: skill.manifest.description.clone(),
        version: skill.manifest.version.to_string(),
        status: skill.status,
        enabled: assignment.enabled,
        needs: needs(state, skill, assignment),
    }
}

/// An agent's skills.
#[derive(Serialize, ToSchema)]
struct SkillList {
    skills: Vec<SkillSummary>,
}

/// One of an agent's skills in full, with an example call.
#[derive(Serialize, ToSchema)]
struct SkillDetail {
    #[serde(flatten)]
    summary: SkillSummary,
    /// `sdk`, `command`, `code`, or a source's kind.
    #[schema(value_type = String)]
    kind: StoredKind,
    category: Option<String>,
    /// What the skill declares it needs.
    capabilities: Capabilities,
    abilities: Vec<AbilitySpec>,
    /// A `POST …/invoke` line for the first ability; null without one.
    usage_example: Option<String>,
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

/// Lists an agent's skills (seed 003).
#[utoipa::path(get, operation_id = "list_skills", path = "/api/agents/{agent}/skills", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The agent's skills", body = SkillList)),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<SkillList>, ApiError> {
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
    Ok(Json(SkillList { skills }))
}

/// One of an agent's skills in full, with an example call (seed 003).
#[utoipa::path(get, operation_id = "skill_detail", path = "/api/agents/{agent}/skills/{skill}", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skill" = String, Path, description = "The skill's id or name"),
    ),
    responses(
        (status = 200, description = "The skill", body = SkillDetail),
        (status = 404, description = "No such agent or skill, or the agent does not have the skill", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn detail(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<SkillDetail>, ApiError> {
    principal.require("skills:read")?;
    let (agent, skill, assignment) = assigned(&state, &principal, &agent, &skill).await?;
    let agent = agent.name;
    let usage_example = skill.manifest.abilities.first().map(|a| {
        let body = json!({ "ability": a.name, "args": example_args(a) });
        format!(
            "POST /api/agents/{agent}/skills/{}/invoke {body}",
            skill.manifest.name
        )
    });
    Ok(Json(SkillDetail {
        summary: summary(&state, &skill, &assignment),
        kind: skill.kind,
        category: skill.manifest.category.clone(),
        capabilities: skill.manifest.capabilities.clone(),
        abilities: skill.manifest.abilities.clone(),
        usage_example,
    }))
}

/// A skill's source: a code skill's code, or a component's manifest and
/// the WIT it implements.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum SkillSource {
    Code(CodeSource),
    Component(ComponentSource),
}

/// Seed 003's shape for a code skill: the manifest and the code.
#[derive(Serialize, ToSchema)]
struct CodeSource {
    /// The manifest, as TOML.
    manifest: String,
    code: String,
    language: Language,
    #[schema(value_type = String)]
    kind: StoredKind,
    digest: String,
    /// New code waiting for an admin's approval, beside what runs.
    pending: Option<PendingCode>,
}

/// Code waiting for approval.
#[derive(Serialize, ToSchema)]
struct PendingCode {
    code: String,
    language: Language,
}

/// A component's manifest, its abilities and the WIT it implements.
#[derive(Serialize, ToSchema)]
struct ComponentSource {
    /// The manifest as its author wrote it, as TOML (an SDK skill's
    /// abilities come from its code, and are given beside it).
    manifest: String,
    abilities: Vec<AbilitySpec>,
    /// The WIT package every SDK skill implements.
    wit: &'static str,
    #[schema(value_type = String)]
    kind: StoredKind,
    digest: String,
}

/// One of an agent's skills' source (seed 003).
#[utoipa::path(get, operation_id = "skill_source", path = "/api/agents/{agent}/skills/{skill}/source", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skill" = String, Path, description = "The skill's id or name"),
    ),
    responses(
        (status = 200, description = "The source", body = SkillSource),
        (status = 404, description = "No such agent or skill, or the agent does not have the skill", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn source(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<SkillSource>, ApiError> {
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
        let pending = skill
            .pending_source
            .as_ref()
            .and_then(|p| match &p.detail.body {
                crate::sources::SourceBody::Code(b) => Some(PendingCode {
                    code: b.code.clone(),
                    language: b.language,
                }),
                _ => None,
            });
        return Ok(Json(SkillSource::Code(CodeSource {
            manifest,
            code: body.code.clone(),
            language: body.language,
            kind: skill.kind,
            digest: skill.digest.clone(),
            pending,
        })));
    }
    Ok(Json(SkillSource::Component(ComponentSource {
        manifest,
        abilities: skill.manifest.abilities.clone(),
        wit: SKILL_WIT,
        kind: skill.kind,
        digest: skill.digest.clone(),
    })))
}

fn is_code_skill(skill: &SkillRow) -> bool {
    skill.kind == StoredKind::Source(crate::sources::SourceKind::Code)
}

/// What seed 003's write endpoints return about a skill.
#[derive(Serialize, ToSchema)]
struct WrittenSkillInfo {
    name: String,
    description: String,
    version: String,
    status: SkillStatus,
    /// For a pending update: what it asks beyond the approved grant.
    #[serde(rename = "capabilityDiff")]
    capability_diff: Option<Capabilities>,
    created_at: String,
    /// The same as `created_at`.
    installed_at: String,
}

impl WrittenSkillInfo {
    fn of(skill: &SkillRow) -> WrittenSkillInfo {
        WrittenSkillInfo {
            name: skill.manifest.name.clone(),
            description: skill.manifest.description.clone(),
            version: skill.manifest.version.to_string(),
            status: skill.status,
            capability_diff: skill.capability_diff.clone(),
            created_at: skill.created_at.clone(),
            installed_at: skill.created_at.clone(),
        }
    }
}

/// A skill created, installed or changed.
#[derive(Serialize, ToSchema)]
struct WrittenSkill {
    /// Always `true`.
    success: bool,
    /// Only when new code was sent: whether it waits for an admin's
    /// approval (what ran before keeps running until then).
    #[serde(rename = "pendingApproval", skip_serializing_if = "Option::is_none")]
    pending_approval: Option<bool>,
    skill: WrittenSkillInfo,
}

impl WrittenSkill {
    fn of(skill: &SkillRow) -> WrittenSkill {
        WrittenSkill {
            success: true,
            pending_approval: None,
            skill: WrittenSkillInfo::of(skill),
        }
    }
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
) -> Result<(StatusCode, Json<WrittenSkill>), ApiError> {
    let skill = install_component(state, principal, bytes, origin).await?;
    give(state, principal, agent, &skill).await?;
    Ok((StatusCode::CREATED, Json(WrittenSkill::of(&skill))))
}

/// A JSON body is one of several shapes the handler tells apart by their
/// fields; several may fit one body (`{"description": …}`), so the schema
/// is `anyOf`, which utoipa's derive does not write.
fn any_of<const N: usize>(names: [String; N]) -> RefOr<Schema> {
    names
        .into_iter()
        .fold(AnyOfBuilder::new(), |any, name| {
            any.item(utoipa::openapi::Ref::from_schema_name(name))
        })
        .into()
}

/// Seed 003's JSON create body: a code skill, or the source of a
/// component (as for `POST /api/skills`).
struct NewSkillJson;

impl PartialSchema for NewSkillJson {
    fn schema() -> RefOr<Schema> {
        any_of([CodeSpec::name().into(), SourceSpec::name().into()])
    }
}

impl ToSchema for NewSkillJson {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CodeSpec::name().into(), CodeSpec::schema()));
        <CodeSpec as ToSchema>::schemas(schemas);
        schemas.push((SourceSpec::name().into(), SourceSpec::schema()));
        <SourceSpec as ToSchema>::schemas(schemas);
    }
}

/// A packaged skill component as the body.
struct ComponentBytes;

impl PartialSchema for ComponentBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/wasm")
            .description(Some("The packaged skill component"))
            .into()
    }
}

impl ToSchema for ComponentBytes {}

/// A packaged skill component as a multipart upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ComponentUpload {
    /// The packaged skill component.
    #[schema(value_type = String, content_media_type = "application/wasm")]
    file: Vec<u8>,
}

/// Creates a skill for an agent (seed 003): a code skill, or a component.
///
/// The body is the component (`application/wasm` or multipart), a JSON
/// source as for `POST /api/skills`, or a code skill's
/// `{name, description, code, language}`. The skill is installed (pending
/// approval, unless it is a new version asking for nothing more, or an
/// admin's code skill that binds nothing) and given to this agent.
#[utoipa::path(post, operation_id = "create_skill", path = "/api/agents/{agent}/skills", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body(content(
        (NewSkillJson = "application/json"),
        (ComponentBytes = "application/wasm"),
        (ComponentUpload = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Installed and given to the agent", body = WrittenSkill),
        (status = 400, description = "The body is malformed, or a code skill's declaration is not valid; `error` says what to fix", body = ErrorBody),
        (status = 409, description = "A skill of that name exists (code), is a source skill (component), or path installs are off", body = ErrorBody),
        (status = 422, description = "The component is not a valid skill, the code does not compile, its language is unavailable or unsupported, or the source is not a component's", body = ErrorBody),
        (status = 502, description = "The `sourceUrl` could not be fetched", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<WrittenSkill>), ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound(CATALOG_WRITE)?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let (bytes, origin) = match json_body(request).await? {
        Body::Json(value) if code::is_code(&value) => {
            let skill = code::create(&state, &principal, value).await?;
            give(&state, &principal, &agent, &skill).await?;
            return Ok((StatusCode::CREATED, Json(WrittenSkill::of(&skill))));
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InstallFromUrl {
    /// Where the packaged component is served (http or https).
    #[schema(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#]\S*)?$")]
    url: String,
    /// When given, the installed skill must have this name.
    #[serde(default)]
    name: Option<String>,
    /// The component's sha256, hex: the install fails if what is served
    /// differs.
    #[serde(default)]
    #[schema(pattern = r"^(sha256:)?[0-9a-fA-F]{64}$")]
    sha256: Option<String>,
}

/// Installs a component from a URL and gives it to an agent (seed 003).
#[utoipa::path(post, operation_id = "install_skill_from_url", path = "/api/agents/{agent}/skills/install", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body = InstallFromUrl,
    responses(
        (status = 201, description = "Installed and given to the agent", body = WrittenSkill),
        (status = 400, description = "The body is malformed, or `url` or `sha256` is not valid", body = ErrorBody),
        (status = 409, description = "A source skill has the component's name", body = ErrorBody),
        (status = 422, description = "The URL's host is not public (`source_refused`), or what it serves is not a valid skill component, or not the skill `name` says", body = ErrorBody),
        (status = 502, description = "The URL could not be fetched, or served something else than `sha256` pins", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn install_from_url(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<InstallFromUrl>,
) -> Result<(StatusCode, Json<WrittenSkill>), ApiError> {
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

/// A JSON update of a skill that is not a code skill: its metadata.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
struct SkillMetadata {
    #[serde(default)]
    description: Option<String>,
    /// A slug, or empty for none.
    #[serde(default)]
    category: Option<String>,
}

/// Seed 003's JSON update body: a code skill's change, a component's new
/// source, or metadata.
struct SkillUpdateJson;

impl PartialSchema for SkillUpdateJson {
    fn schema() -> RefOr<Schema> {
        any_of([
            code::CodeUpdate::name().into(),
            SourceSpec::name().into(),
            SkillMetadata::name().into(),
        ])
    }
}

impl ToSchema for SkillUpdateJson {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((code::CodeUpdate::name().into(), code::CodeUpdate::schema()));
        <code::CodeUpdate as ToSchema>::schemas(schemas);
        schemas.push((SourceSpec::name().into(), SourceSpec::schema()));
        <SourceSpec as ToSchema>::schemas(schemas);
        schemas.push((SkillMetadata::name().into(), SkillMetadata::schema()));
    }
}

/// Changes one of an agent's skills (seed 003): new code, a new component
/// version, or its metadata.
///
/// A JSON body changes the description or category; a component body
/// (`application/wasm`, multipart, or a JSON source) installs a new
/// version of the same skill, which this agent moves to once it is
/// approved; a code skill takes new code.
#[utoipa::path(put, operation_id = "update_skill", path = "/api/agents/{agent}/skills/{skill}", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skill" = String, Path, description = "The skill's id or name"),
    ),
    request_body(content(
        (SkillUpdateJson = "application/json"),
        (ComponentBytes = "application/wasm"),
        (ComponentUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Changed (or waiting for approval)", body = WrittenSkill),
        (status = 400, description = "The body is malformed, names nothing to change, or a code skill's declaration is not valid", body = ErrorBody),
        (status = 404, description = "No such agent or skill, or the agent does not have the skill", body = ErrorBody),
        (status = 409, description = "Path installs are off, or the component's name is a source skill's", body = ErrorBody),
        (status = 422, description = "Code sent for a skill that is not a code skill, code that does not compile, or a component that is not valid or is another skill", body = ErrorBody),
        (status = 502, description = "The `sourceUrl` could not be fetched", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
    request: Request,
) -> Result<Json<WrittenSkill>, ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound(CATALOG_WRITE)?;
    let (_, mut current, _) = assigned(&state, &principal, &agent, &skill).await?;
    // A new version comes as the body or as a JSON source; a code skill
    // takes new code; any other JSON body changes metadata.
    let (bytes, origin) = match json_body(request).await? {
        Body::Json(value) if code::is_code(&value) || is_code_skill(&current) => {
            let updated = code::update(&state, &principal, current, value).await?;
            return Ok(Json(WrittenSkill {
                pending_approval: Some(updated.pending),
                ..WrittenSkill::of(&updated.skill)
            }));
        }
        Body::Json(value)
            if ["sourceUrl", "url", "path"]
                .iter()
                .any(|k| value.get(k).is_some()) =>
        {
            component_from_request(&state, &principal, json_request(&value)).await?
        }
        Body::Json(value) => {
            let meta: SkillMetadata = serde_json::from_value(value)
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
            return Ok(Json(WrittenSkill::of(&current)));
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
    Ok(Json(WrittenSkill::of(&new)))
}

/// Takes a skill away from an agent (seed 003); the catalog keeps it.
///
/// `DELETE /api/skills/{id}` uninstalls it.
#[utoipa::path(delete, operation_id = "remove_skill", path = "/api/agents/{agent}/skills/{skill}", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skill" = String, Path, description = "The skill's id or name"),
    ),
    responses(
        (status = 200, description = "Taken away", body = Deleted),
        (status = 404, description = "No such agent or skill, or the agent does not have the skill", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, skill)): Path<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    principal.require("skills:write")?;
    let (agent, skill, _) = assigned(&state, &principal, &agent, &skill).await?;
    state
        .store
        .delete_assignment(&principal.tenant_id, &skill.id, &agent.id)
        .await?;
    Ok(Json(Deleted {
        success: true,
        message: format!(
            "Skill '{}' deleted from agent '{}'",
            skill.manifest.name, agent.name
        ),
    }))
}
