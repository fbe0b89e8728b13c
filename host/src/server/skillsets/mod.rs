//! Skillsets (seed 002): their abilities, and the integrations that serve
//! them (skill servers, MCP server integrations).
mod abilities;
pub(crate) mod access;
mod approval;
mod crud;
mod integrations;
pub(crate) mod interface;

use crate::services::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crud::router())
        .merge(abilities::router())
        .merge(approval::router())
        .merge(integrations::router())
}

pub(crate) use abilities::{AbilityView, awaiting as abilities_awaiting_approval};
