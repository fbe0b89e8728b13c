//! The skills catalog (seed 001 shapes): install a component, list, get,
//! approve its capabilities, and assign it to agents.
use crate::capability::{Grant, Narrowing, Policy};
use crate::server::auth::{AgentRoute, Principal};
use crate::server::catalog::view::{parse_grant, redacted, view};
use crate::server::cursor;
use crate::server::error::{ApiError, JsonBody};
use crate::server::lookup::find_agent;
use crate::server::lookup::find_skill;
use crate::services::AppState;
use crate::store::SkillStatus;
use crate::store::{ApprovalRecord, AssignmentRow, SkillFilter, SkillRow, StoreError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/skills", get(list))
        .route("/api/skills/categories", get(categories))
        .route(
            "/api/skills/{id}",
            get(fetch).patch(update).delete(uninstall),
        )
        .route("/api/skills/{id}/agents", get(skill_agents))
        .route(
            "/api/skills/{id}/assignments/{agent}",
            patch(update_assignment),
        )
        .route("/api/skills/{id}/approve", post(approve))
        .route("/api/skills/{id}/assign", post(assign))
        .route("/api/skills/{id}/unassign/{agent}", delete(unassign))
        // Seed 001's skills of one agent: a token bound to it may list them.
        .route(
            "/api/skills/agent/{agent}",
            get(agent_skills).layer(Extension(AgentRoute)),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    category: Option<String>,
    status: Option<String>,
    source: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({ "skills": out, "total": total, "nextCursor": next }),
    ))
}

async fn categories(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "categories": categories })))
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

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agents = assigned_agents(&state, &principal, &skill).await?;
    Ok(Json(
        json!({ "skill": view(&skill, agents.len() as i64), "assignedAgents": agents }),
    ))
}

/// Seed 001's view of a skill's agents, highest priority first.
async fn assigned_agents(
    state: &AppState,
    principal: &Principal,
    skill: &SkillRow,
) -> Result<Vec<Value>, ApiError> {
    let mut agents = Vec::new();
    for a in state
        .store
        .skill_assignments(&principal.tenant_id, &skill.id)
        .await?
    {
        let Some(agent) = state.store.agent(&principal.tenant_id, &a.agent_id).await? else {
            continue;
        };
        agents.push(json!({
            "id": a.id, "agentId": agent.id, "agentName": agent.name, "agentStatus": "active", "enabled": a.enabled,
            "config": a.config, "priority": a.priority, "assignedAt": a.assigned_at, "assignedBy": a.assigned_by,
        }));
    }
    Ok(agents)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillPatch {
    status: Option<String>,
    description: Option<String>,
    category: Option<Option<String>>,
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SkillPatch>,
) -> Result<Json<Value>, ApiError> {
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
        if description.is_empty() || description.len() > 1024 {
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
    Ok(Json(json!({ "skill": view(&skill, assigned) })))
}

async fn uninstall(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    state
        .store
        .delete_skill(&principal.tenant_id, &skill.id)
        .await?;
    tracing::info!(skill_id = %skill.id, "skill uninstalled");
    Ok(Json(
        json!({ "success": true, "message": format!("Skill '{}' deleted", skill.manifest.name) }),
    ))
}

async fn skill_agents(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let skill = find_skill(&state, &principal, &id).await?;
    let agents = assigned_agents(&state, &principal, &skill).await?;
    Ok(Json(json!({ "agents": agents })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentPatch {
    enabled: Option<bool>,
    config: Option<serde_json::Map<String, Value>>,
    priority: Option<i64>,
    capabilities: Option<Narrowing>,
}

async fn update_assignment(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, agent)): Path<(String, String)>,
    JsonBody(body): JsonBody<AssignmentPatch>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "success": true })))
}

async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
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
    Ok(Json(json!({ "skill": view(&skill, assigned) })))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Assign {
    agent_id: String,
    #[serde(default)]
    config: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    priority: Option<i64>,
    /// Narrows the approved grant for this agent only.
    #[serde(default)]
    capabilities: Option<Narrowing>,
}

async fn assign(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Assign>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok((
        StatusCode::CREATED,
        Json(json!({ "assignment": {
            "id": row.id, "tenantId": row.tenant_id, "skillId": row.skill_id, "agentId": row.agent_id,
            "skillVersion": skill.manifest.version.to_string(), "listingRef": null, "enabled": row.enabled,
            "config": row.config, "priority": row.priority, "assignedAt": row.assigned_at, "assignedBy": row.assigned_by,
            "capabilities": row.narrowing,
        }})),
    ))
}

async fn unassign(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, agent)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "success": true })))
}

async fn agent_skills(
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
        skills.push(json!({
            "assignmentId": a.id, "skillId": skill.id, "name": skill.manifest.name, "slug": skill.manifest.name,
            "description": skill.manifest.description, "category": skill.manifest.category, "listingRef": null,
            "enabled": a.enabled, "config": a.config, "priority": a.priority, "assignedAt": a.assigned_at,
        }));
    }
    Ok(Json(json!({ "skills": skills })))
}
