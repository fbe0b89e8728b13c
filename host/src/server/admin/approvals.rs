//! `GET /api/approvals`: one read of everything in the tenant waiting for
//! an admin — skills and versions installed by writers, new source
//! content, instruction and skill abilities, agents' MCP servers, and
//! agents' requests (seed 001's tasks) — each as its own API shows it, so
//! that the decision (`…/approve`, `/api/tasks/{id}/approve|deny`) is made
//! where it always is.
use crate::server::agents::{AwaitingServer, mcp_servers_awaiting_approval};
use crate::server::auth::Principal;
use crate::server::catalog::view::{SkillView, view};
use crate::server::error::ApiError;
use crate::server::skillsets::{AbilityView, abilities_awaiting_approval};
use crate::services::AppState;
use crate::store::TaskRow;
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
    skills: Vec<SkillView>,
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
        skills.push(view(&row, assigned));
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
