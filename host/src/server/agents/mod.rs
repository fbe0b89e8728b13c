//! Agents and runners (seed 001), and everything an agent has: its skills
//! (seed 003, seed 004's attachments), its skillsets, its remote MCP
//! servers, and calling them.
mod attachments;
mod code;
mod crud;
mod invoke;
mod mcp_servers;
mod skills;
mod skillsets;

use crate::server::auth::AgentRoute;
use crate::services::AppState;
use axum::Extension;
use utoipa_axum::router::OpenApiRouter;

/// Every route here acts as the agent or runner its path names (or lists
/// the ones the caller may act as), so a token bound to one may reach them.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crud::router())
        .merge(skills::router())
        .merge(attachments::router())
        .merge(invoke::router())
        .merge(mcp_servers::router())
        .merge(skillsets::router())
        .route_layer(Extension(AgentRoute))
}

pub(crate) use mcp_servers::{AwaitingServer, awaiting as mcp_servers_awaiting_approval};
