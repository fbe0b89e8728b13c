//! Agents and runners (seed 001), and everything an agent has: its skills
//! (seed 003, seed 004's attachments), its skillsets, its remote MCP
//! servers, and calling them.
mod attachments;
mod crud;
mod invoke;
mod mcp_servers;
mod skills;
mod skillsets;

use crate::services::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crud::router())
        .merge(skills::router())
        .merge(attachments::router())
        .merge(invoke::router())
        .merge(mcp_servers::router())
        .merge(skillsets::router())
}
