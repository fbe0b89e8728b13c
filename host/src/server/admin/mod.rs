//! Tenant administration: tenants (the operator's), tokens, secrets,
//! agents' requests (seed 001's tasks) and the audit trail.
mod approvals;
mod audit;
mod me;
mod secrets;
mod tasks;
mod tenants;
mod tokens;

pub use secrets::prepare_secrets;

use crate::services::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::router())
        .merge(tokens::router())
        .merge(me::router())
        .merge(approvals::router())
        .merge(secrets::router())
        .merge(tasks::router())
        .merge(audit::router())
}
