//! Running the service: health and readiness, metrics, the first start's
//! bootstrap and `--preload`.
mod bootstrap;
mod health;
pub(crate) mod metrics;
mod preload;
mod upgrade;

pub use bootstrap::{DEFAULT_TENANT, bootstrap};
pub use preload::preload;
pub use upgrade::{Upgraded, upgrade_grants};

use crate::services::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(metrics::router())
}
