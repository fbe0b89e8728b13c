//! The catalog: installed skills (seed 001), installing and syncing them,
//! seed 004's sources and browsing what can be installed.
mod approval;
mod assignments;
mod browse;
mod install;
pub(crate) mod installing;
mod review;
mod skills;
pub(crate) mod sources;
pub(crate) mod view;

use crate::services::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(skills::router())
        .merge(approval::router())
        .merge(assignments::router())
        .merge(install::router())
        .routes(routes!(browse::browse))
}
