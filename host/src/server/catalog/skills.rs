//! The skills catalog (seed 001 shapes): install a component, list, get,
//! approve its capabilities, and assign it to agents.
use crate::capability::{
    Grant, InjectBinding, LimitRequest, Narrowing, NetworkPattern, Policy, SecretBinding,
};
use crate::server::auth::{AgentRoute, Principal};
use crate::server::catalog::view::{SkillView, parse_grant, redacted, view};
use crate::server::cursor;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams, Success};
use crate::server::lookup::find_agent;
use crate::server::lookup::find_skill;
use crate::services::AppState;
use crate::store::SkillStatus;
use crate::store::{ApprovalRecord, AssignmentRow, SkillFilter, SkillRow, StoreError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(categories))
        .routes(routes!(fetch, update, uninstall))
        .routes(routes!(skill_agents))
        .routes(routes!(update_assignment))
        .routes(routes!(approve))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        // Seed 001's skills of one agent: a token bound to it may list them.
        .routes(routes!(agent_skills).layer(Extension(AgentRoute)))
}

const SKILLS: &str = "skills";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only skills of this category.
    category: Option<String>,
    /// `active` (the default), `pending`, `disabled`, `archived`, or `all`.
    #[param(pattern = "^(active|pending|disabled|archived|all)$")]
    status: Option<String>,
    /// `custom` (every component), a source kind, or how a component was
    /// installed (`upload`, `url`, `path`).
    #[param(pattern = "^(custom|skill_md|openapi_action|mcp_registry|code|upload|url|path)$")]
    source: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1-1000 (100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// A page of the tenant's skills.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SkillPage {
    skills: Vec<SkillView>,
    /// How many match, over all pages.
    total: i64,
    /// `null` on the last page.
    next_cursor: Option<String>,
}

/// Lists the tenant's installed skills, a page at a time.
#[utoipa::path(get, path = "/api/skills", tag = SKILLS,
    params(ListQuery),
    responses(
        (status = 200, description = "A page of skills, by name", body = SkillPage),
        (status = 400, description = "An unknown `status` or `source`, a `limit` out of range, or a `cursor` that is not a `nextCursor`", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<SkillPage>, ApiError> {
    principal.require("skills:read")?;
    let status = match query.status.as_deref() {
        None => Some("active".to_owned()),
        Some("all") => None,
        Some(s @ ("active" | "pending" | "disabled" | "archived")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                format!("status `{other}` is not one of active, pending, disabled, archived, all"),
            ));
        }
    };
    // Seed 001's `source` is `custom` for every tenant-installed skill; the
    // origins below narrow it.
    let (source, kind) = match query.source.as_deref() {
        None => (None, None),
        // Seed 001's and 004's `custom`: every component.
        Some("custom") => (None, Some("custom".to_owned())),
        Some(s @ ("upload" | "url" | "path")) => (Some(s.to_owned()), None),
        Some(s) if crate::sources::SourceKind::parse(s).is_some() => (None, Some(s.to_owned())),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_source",
                format!(
                    "source `{other}` is not one of custom, skill_md, openapi_action, mcp_registry, upload, url, path"
                ),
            ));
        }
    };

    let limit = cursor::page_limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(cursor::decode::<3>)
        .transpose()?
        .map(|[name, time, id]| (name, time, id));
    let (mut skills, total) = state
        .store
        .list_skills(
            &principal.tenant_id,
            &SkillFilter {
                category: query.category,
                status,
                source,
                kind,
                after,
                limit: Some(limit + 1),
            },
        )
        .await?;

    let next = if skills.len() as i64 > limit {
        skills.truncate(limit as usize);
        skills
            .last()
            .map(|s| cursor::encode(&[&s.manifest.name, &s.created_at, &s.id]))
    } else {
        None
    };
    let mut out = Vec::new();
    for skill in &skills {
        out.push(view(skill, state.store.assignment_count(&skill.id).await?));
    }
    Ok(Json(SkillPage {
        skills: out,
        total,
        next_cursor: next,
    }))
}

#[derive(Serialize, ToSchema)]
struct Categories {
    /// Sorted, without duplicates.
    categories: Vec<String>,
}

/// The categories the tenant's skills use.
#[utoipa::path(get, path = "/api/skills/categories", tag = SKILLS,
    responses((status = 200, description = "The categories in use", body = Categories)),
    security(("bearer" = ["skills:read"])))]
async fn categories(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Categories>, ApiError> {
    principal.require("skills:read")?;
    let (skills, _) = state
        .store
        .list_skills(&principal.tenant_id, &SkillFilter::default())
        .await?;
    let mut categories: Vec<String> = skills
        .into_iter()
        .filter_map(|s| s.manifest.category)
        .collect();
    categories.sort();
    categories.dedup();
    Ok(Json(Categories { categories }))
}

/// Checks that every secret a grant names exists in the tenant.
async fn check_grant_secrets(
    state: &AppState,
    tenant_id: &str,
    grant: &Grant,
) -> Result<(), ApiError> {
    let ids = grant
        .secrets
        .values()
        .map(|b| &b.secret_id)
        .chain(grant.inject.iter().map(|b| &b.secret_id));
    for id in ids {
        if state.store.secret(tenant_id, id).await?.is_none() {
            return Err(ApiError::Unprocessable {
                code: "invalid_grant",
                message: format!(
                    "secret `{id}` does not exist in this tenant; create it with POST /api/v1/secret/create"
                ),
            });
        }
    }
    Ok(())
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

/// A skill with the agents it is assigned to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SkillDetail {
    skill: SkillView,
    assigned_agents: Vec<AssignedAgent>,
}

/// One skill.
#[derive(Serialize, ToSchema)]
struct OneSkill {
    skill: SkillView,
}

/// One agent a skill is assigned to (seed 001).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AssignedAgent {
    /// The assignment's id.
    id: String,
    agent_id: String,
    agent_name: String,
    /// Always `active` (seed 001).
    agent_status: &'static str,
    enabled: bool,
    /// The assignment's configuration.
    config: Value,
    priority: i64,
    assigned_at: String,
    /// The id of the token that assigned it.
    assigned_by: String,
    /// What this assignment takes away from the approved grant.
    capabilities: Narrowing,
}

const SKILL_ID: &str = "The skill's id, or its name (the current version)";
const AGENT_KEY: &str = "The agent's id or name";

/// Shows one skill and the agents it is assigned to.
#[utoipa::path(get, path = "/api/skills/{id}", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    responses((status = 200, description = "The skill", body = SkillDetail)),
    security(("bearer" = ["skills:read"])))]
async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SkillDetail>, ApiError> {
    principal.require("skills:read")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agents = assigned_agents(&state, &principal, &skill).await?;
    Ok(Json(SkillDetail {
        skill: view(&skill, agents.len() as i64),
        assigned_agents: agents,
    }))
}

/// Seed 001's view of a skill's agents, highest priority first.
async fn assigned_agents(
    state: &AppState,
    principal: &Principal,
    skill: &SkillRow,
) -> Result<Vec<AssignedAgent>, ApiError> {
    let mut agents = Vec::new();
    for a in state
        .store
        .skill_assignments(&principal.tenant_id, &skill.id)
        .await?
    {
        let Some(agent) = state.store.agent(&principal.tenant_id, &a.agent_id).await? else {
            continue;
        };
        agents.push(AssignedAgent {
            id: a.id,
            agent_id: agent.id,
            agent_name: agent.name,
            agent_status: "active",
            enabled: a.enabled,
            config: a.config,
            priority: a.priority,
            assigned_at: a.assigned_at,
            assigned_by: a.assigned_by,
            capabilities: a.narrowing,
        });
    }
    Ok(agents)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SkillPatch {
    /// `active` (only for a skill already approved), `archived` or `disabled`.
    #[schema(pattern = "^(active|archived|disabled)$")]
    status: Option<String>,
    /// 1-1024 characters, not all blank.
    #[schema(min_length = 1, max_length = 1024, pattern = "\\S")]
    description: Option<String>,
    /// A slug like `data`, at most 64 characters.
    #[schema(value_type = Option<String>, max_length = 64, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    category: Option<Option<String>>,
}

/// Changes a skill's status, description or category.
#[utoipa::path(patch, path = "/api/skills/{id}", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    request_body = SkillPatch,
    responses(
        (status = 200, description = "The skill as changed", body = OneSkill),
        (status = 409, description = "`active` asked of a pending skill: it becomes active through an approval", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SkillPatch>,
) -> Result<Json<OneSkill>, ApiError> {
    principal.require("skills:write")?;
    let mut skill = find_skill(&state, &principal, &id).await?;
    let before = skill.status;
    if let Some(status) = body.status {
        match SkillStatus::parse(&status) {
            // A pending skill (new code behind a proposed grant included)
            // becomes active only through an admin's approval.
            Some(SkillStatus::Active)
                if skill.status != SkillStatus::Active
                    && (skill.grant.is_none()
                        || skill.status == SkillStatus::Pending
                        || skill.review.is_some()) =>
            {
                return Err(ApiError::Conflict {
                    code: "approval_required",
                    message: "a pending skill becomes active through POST /api/skills/{id}/approve"
                        .into(),
                });
            }
            Some(
                status @ (SkillStatus::Active | SkillStatus::Archived | SkillStatus::Disabled),
            ) => skill.status = status,
            _ => {
                let other = status;
                return Err(ApiError::bad_request(
                    "invalid_status",
                    format!("status `{other}` is not one of active, archived, disabled"),
                ));
            }
        }
    }
    if let Some(description) = body.description {
        let description = description.trim();
        // Characters, as the message says, not bytes.
        if description.is_empty() || description.chars().count() > 1024 {
            return Err(ApiError::bad_request(
                "invalid_description",
                "description must be 1-1024 characters",
            ));
        }
        skill.manifest.description = description.to_owned();
    }
    if let Some(category) = body.category {
        if let Some(c) = &category
            && !crate::manifest::is_slug(c, 64)
        {
            return Err(ApiError::bad_request(
                "invalid_category",
                format!("category `{c}` must be a slug like `data`"),
            ));
        }
        skill.manifest.category = category;
    }
    state.store.update_skill(&skill).await?;
    if before != skill.status {
        let mut record = ApprovalRecord::new(
            &principal.tenant_id,
            &principal.token_id,
            "skill",
            &skill.id,
            "status_changed",
        );
        record.digest = Some(skill.digest.clone());
        record.detail = json!({ "from": before, "to": skill.status });
        crate::server::decisions::record(&state, record).await?;
    }
    let skill = find_skill(&state, &principal, &skill.id).await?;
    let assigned = state.store.assignment_count(&skill.id).await?;
    Ok(Json(OneSkill {
        skill: view(&skill, assigned),
    }))
}

/// Seed 001's answer to an uninstall.
#[derive(Serialize, ToSchema)]
struct Uninstalled {
    /// Always `true`.
    success: bool,
    /// `Skill '<name>' deleted`.
    message: String,
}

/// Uninstalls a skill version, with its assignments.
#[utoipa::path(delete, path = "/api/skills/{id}", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    responses((status = 200, description = "Uninstalled", body = Uninstalled)),
    security(("bearer" = ["skills:write"])))]
async fn uninstall(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Uninstalled>, ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    state
        .store
        .delete_skill(&principal.tenant_id, &skill.id)
        .await?;
    tracing::info!(skill_id = %skill.id, "skill uninstalled");
    Ok(Json(Uninstalled {
        success: true,
        message: format!("Skill '{}' deleted", skill.manifest.name),
    }))
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

// Shape of parse_approval's JSON; Schemathesis checks it. The body is read
// by hand (the grant's fields beside `digest` or `version`, or no body at
// all), so this type only describes it.
/// An approval: the grant (every field optional; none at all approves the
/// held or proposed grant, or the declaration as it stands), with the
/// `digest` or the `version` the admin reviewed.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApprovalBody {
    /// The digest reviewed; `409` when the skill has changed since. Give
    /// `digest` or `version`, not both.
    #[serde(default)]
    #[schema(min_length = 1)]
    digest: String,
    /// The version reviewed (instead of `digest`).
    #[serde(default)]
    #[schema(min_length = 1)]
    version: String,
    /// Only these patterns, each within a declared one; absent or `null`:
    /// all declared.
    #[serde(default)]
    network: Option<Vec<NetworkPattern>>,
    /// Lets allowed names resolve to private addresses (the tenant must be allowed).
    #[serde(default)]
    allow_private_network: bool,
    /// Declared guest path (such as `/data`) → the volume mounted there.
    #[serde(default)]
    mounts: BTreeMap<String, MountRequest>,
    /// Values for declared environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Declared secret name → the tenant secret that supplies it.
    #[serde(default)]
    secrets: BTreeMap<String, SecretBinding>,
    /// Tenant secrets sent as headers to one granted origin.
    #[serde(default)]
    inject: Vec<InjectBinding>,
    /// Configuration the skill reads with `config(key)`.
    #[serde(default)]
    config: BTreeMap<String, String>,
    /// Limits within the operator's maxima.
    #[serde(default)]
    limits: LimitRequest,
}

/// An operator volume and a directory in it, as a grant mounts it.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct MountRequest {
    /// The volume's name, as the operator configured it.
    #[schema(min_length = 1)]
    volume: String,
    /// A relative directory inside the volume; absent: its root.
    #[serde(default)]
    path: String,
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

/// Approves a skill's capabilities (admin): it becomes active.
#[utoipa::path(post, path = "/api/skills/{id}/approve", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    request_body(content = ApprovalBody, description = "The grant; an empty body approves as declared (or the proposed grant)"),
    responses(
        (status = 200, description = "Approved", body = OneSkill),
        (status = 400, description = "The body is malformed, or names both `digest` and `version`", body = ErrorBody),
        (status = 403, description = "The token is not an admin's, or the tenant may not approve private networks", body = ErrorBody),
        (status = 409, description = "The skill changed since the `digest` or `version` reviewed", body = ErrorBody),
        (status = 422, description = "The grant widens the declaration, exceeds a limit, mounts an unknown volume, or names a secret the tenant lacks", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<OneSkill>, ApiError> {
    principal.require("admin")?;
    let body = body.map_err(crate::server::catalog::installing::body_error)?;
    let skill = find_skill(&state, &principal, &id).await?;
    let (reviewed, grant) = parse_approval(&body)?;
    // A source skill's synced content waiting for approval is what the
    // grant is for.
    let pending = skill.pending_source.as_ref();
    let manifest = pending.map_or(&skill.manifest, |p| &p.manifest);
    let digest = pending.map_or(&skill.digest, |p| &p.digest);
    if let Some(reviewed) = &reviewed {
        reviewed.matches(digest, &manifest.version.to_string())?;
    }
    // No grant in the body approves the grant the skill holds or was
    // proposed (a new version, a synced update): that is what was reviewed.
    let grant = match grant {
        Some(grant) => grant,
        None if skill.review.is_some() || pending.is_some() => {
            skill.grant.clone().unwrap_or_default()
        }
        None => Grant::default(),
    };
    if grant.allow_private_network {
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    check_grant_secrets(&state, &principal.tenant_id, &grant).await?;
    Policy::resolve(manifest, &grant, state.loader.runtime().limits())
        .and_then(|p| p.verify_mounts(state.loader.runtime().volumes()))
        .map_err(|e| ApiError::Unprocessable {
            code: "invalid_grant",
            message: e.to_string(),
        })?;
    state
        .store
        .approve_skill(&principal.tenant_id, &skill.id, &grant, pending)
        .await?;
    let mut record = ApprovalRecord::new(
        &principal.tenant_id,
        &principal.token_id,
        "skill",
        &skill.id,
        "approved",
    );
    record.digest = Some(digest.clone());
    record.reviewed = reviewed.is_some();
    record.detail = json!({ "version": manifest.version.to_string(), "grant": redacted(&grant) });
    crate::server::decisions::record(&state, record).await?;
    tracing::info!(skill_id = %skill.id, %digest, reviewed = reviewed.is_some(), "skill approved");
    let skill = find_skill(&state, &principal, &skill.id).await?;
    crate::server::catalog::installing::promote_if_current(&state, &principal, &skill).await?;
    let assigned = state.store.assignment_count(&skill.id).await?;
    Ok(Json(OneSkill {
        skill: view(&skill, assigned),
    }))
}

/// What the admin says they reviewed: the digest or the version.
enum Reviewed {
    Digest(String),
    Version(String),
}

impl Reviewed {
    /// 409 when the skill is no longer what the admin reviewed.
    fn matches(&self, digest: &str, version: &str) -> Result<(), ApiError> {
        let (named, current, what) = match self {
            Reviewed::Digest(d) => (d.as_str(), digest, "digest"),
            Reviewed::Version(v) => (v.as_str(), version, "version"),
        };
        if named == current {
            return Ok(());
        }
        Err(ApiError::Conflict {
            code: "review_outdated",
            message: format!(
                "the skill changed since it was reviewed: its {what} is now `{current}`, not `{named}`; review it again (GET /api/skills/{{id}}) and approve that"
            ),
        })
    }
}

/// An approval body: the grant's fields (none: the held or proposed
/// grant, or the declaration as it stands) with the `digest` or `version`
/// the admin reviewed.
fn parse_approval(body: &[u8]) -> Result<(Option<Reviewed>, Option<Grant>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, None));
    }
    let mut fields: serde_json::Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid grant: {e}")))?;
    let text = |value: Value, name: &str| match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::bad_request(
            "invalid_body",
            format!("`{name}` must be the non-empty {name} you reviewed"),
        )),
    };
    let reviewed = match (fields.remove("digest"), fields.remove("version")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "name either the `digest` or the `version` you reviewed, not both",
            ));
        }
        (Some(d), None) => Some(Reviewed::Digest(text(d, "digest")?)),
        (None, Some(v)) => Some(Reviewed::Version(text(v, "version")?)),
        (None, None) => None,
    };
    let grant = if fields.is_empty() {
        None
    } else {
        Some(parse_grant(Value::Object(fields).to_string().as_bytes())?)
    };
    Ok((reviewed, grant))
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
