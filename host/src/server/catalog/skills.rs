//! The skills catalog (seed 001 shapes): list, get, change and uninstall
//! installed skills (approval and assignments are beside it).
use crate::capability::Narrowing;
use crate::server::auth::Principal;
use crate::server::catalog::view::{SkillView, view};
use crate::server::cursor;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::lookup::find_skill;
use crate::services::AppState;
use crate::store::SkillStatus;
use crate::store::{ApprovalRecord, SkillFilter, SkillRow};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(categories))
        .routes(routes!(fetch, update, uninstall))
}

pub(super) const SKILLS: &str = "skills";

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

/// A skill with the agents it is assigned to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SkillDetail {
    skill: SkillView,
    assigned_agents: Vec<AssignedAgent>,
}

/// One skill.
#[derive(Serialize, ToSchema)]
pub(super) struct OneSkill {
    pub(super) skill: SkillView,
}

/// One agent a skill is assigned to (seed 001).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssignedAgent {
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

pub(super) const SKILL_ID: &str = "The skill's id, or its name (the current version)";
pub(super) const AGENT_KEY: &str = "The agent's id or name";

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
pub(super) async fn assigned_agents(
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
