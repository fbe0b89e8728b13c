//! `GET /api/approvals`: one read of everything in the tenant waiting for
//! an admin — skills and versions installed by writers, new source
//! content, instruction and skill abilities, agents' MCP servers, and
//! agents' requests (seed 001's tasks) — each as its own API shows it, so
//! that the decision (`…/approve`, `/api/tasks/{id}/approve|deny`) is made
//! where it always is.
use crate::capability::{Capabilities, LimitRequest};
use crate::server::agents::{AwaitingServer, mcp_servers_awaiting_approval};
use crate::server::auth::Principal;
use crate::server::catalog::view::{SkillView, view};
use crate::server::error::ApiError;
use crate::server::skillsets::{AbilityView, abilities_awaiting_approval};
use crate::services::AppState;
use crate::store::{SkillRow, SkillStatus, TaskRow};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(awaiting))
}

/// Everything waiting for an admin, oldest first in each list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Awaiting {
    /// Skills and versions installed and `pending`, and approved skills
    /// with new source content waiting (`pendingUpdate`), with what each
    /// asks beyond its approved grant (`capabilityDiff`, `review`).
    skills: Vec<AwaitingSkill>,
    /// Skillset abilities `pending` approval.
    abilities: Vec<AbilityView>,
    /// Agents' remote MCP servers whose origin awaits approval.
    mcp_servers: Vec<AwaitingServer>,
    /// Agents' requests for a skill or connector.
    tasks: Vec<TaskRow>,
    /// How many items in all.
    total: usize,
}

/// Everything in the tenant waiting for an admin's decision.
#[utoipa::path(get, path = "/api/approvals", tag = "tasks",
    responses((status = 200, description = "What waits, by kind", body = Awaiting)),
    security(("bearer" = ["skills:read"])))]
async fn awaiting(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Awaiting>, ApiError> {
    principal.require("skills:read")?;
    let tenant = &principal.tenant_id;
    let mut skills = Vec::new();
    for row in state.store.skills_awaiting_approval(tenant).await? {
        let assigned = state.store.assignment_count(&row.id).await?;
        let change = change(&state, tenant, &row).await?;
        skills.push(AwaitingSkill {
            skill: view(&row, assigned),
            change,
        });
    }
    let abilities = abilities_awaiting_approval(&state, tenant).await?;
    let mcp_servers = mcp_servers_awaiting_approval(&state, tenant).await?;
    let mut tasks = state.store.list_tasks(tenant, Some("pending")).await?;
    tasks.reverse();
    let total = skills.len() + abilities.len() + mcp_servers.len() + tasks.len();
    Ok(Json(Awaiting {
        skills,
        abilities,
        mcp_servers,
        tasks,
        total,
    }))
}

/// A skill waiting, with what the decision is about.
#[derive(Serialize, ToSchema)]
struct AwaitingSkill {
    #[serde(flatten)]
    skill: SkillView,
    change: Change,
}

/// What approving a skill would let run, against what runs now: the
/// version and code under review, what they ask, and what differs from
/// the approved version of the same name.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Change {
    /// The version under review (a source skill's new content included).
    version: String,
    /// sha256 of the code under review.
    digest: String,
    /// What it declares.
    capabilities: Capabilities,
    limits: LimitRequest,
    /// The approved version it would replace; `null` for a new skill.
    approved: Option<ApprovedVersion>,
    /// What it asks that the approved version does not (for a new skill:
    /// everything it declares).
    added: Capabilities,
    /// What the approved version asked that this one no longer does.
    removed: Capabilities,
    /// Whether the code differs from the approved version's.
    code_changed: bool,
}

/// The approved version a change is compared with.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ApprovedVersion {
    id: String,
    version: String,
    digest: String,
    capabilities: Capabilities,
    limits: LimitRequest,
}

async fn change(state: &AppState, tenant: &str, row: &SkillRow) -> Result<Change, ApiError> {
    // New source content is compared with the content it would replace;
    // a new version with the active version of its name.
    let current;
    let (manifest, digest, approved) = match &row.pending_source {
        Some(pending) => (&pending.manifest, &pending.digest, Some(row)),
        None => {
            current = state.store.skill(tenant, &row.manifest.name).await?;
            let approved = current.as_ref().filter(|c| {
                c.id != row.id && c.grant.is_some() && c.status != SkillStatus::Pending
            });
            (&row.manifest, &row.digest, approved)
        }
    };
    let asked = &manifest.capabilities;
    let (added, removed) = match approved {
        Some(old) => (
            row.capability_diff
                .clone()
                .unwrap_or_else(|| asked.without(&old.manifest.capabilities)),
            old.manifest.capabilities.without(asked),
        ),
        None => (asked.clone(), Capabilities::default()),
    };
    Ok(Change {
        version: manifest.version.to_string(),
        digest: digest.clone(),
        capabilities: asked.clone(),
        limits: manifest.limits,
        code_changed: approved.is_some_and(|old| old.digest != *digest),
        approved: approved.map(|old| ApprovedVersion {
            id: old.id.clone(),
            version: old.manifest.version.to_string(),
            digest: old.digest.clone(),
            capabilities: old.manifest.capabilities.clone(),
            limits: old.manifest.limits,
        }),
        added,
        removed,
    })
}
