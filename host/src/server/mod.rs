//! The HTTP service: one module per API surface, each with its own
//! `router()`, merged in [`app`]. `app` is separate from [`serve`] so tests
//! can drive it, and `serve` takes its listener and shutdown signal so tests
//! bind port 0.
mod agent_mcp;
mod agent_skills;
mod agents;
mod attachments;
mod audit;
mod auth;
mod bootstrap;
mod cursor;
mod error;
mod health;
mod install;
mod integrations;
mod invoke;
mod mcp;
mod metrics;
mod preload;
mod request;
mod secrets;
mod skills;
mod skillserver;
mod skillsets;
mod sources;
mod tasks;
mod tenants;
mod tokens;

pub use crate::jwt::{Claims, JwtVerifier};
pub use crate::runtime::Loader;
pub use crate::services::{AppState, ServiceOptions, Services};
pub use auth::{Principal, hash_token, new_secret};
pub use bootstrap::{DEFAULT_TENANT, bootstrap};
pub use error::ApiError;
pub use preload::preload;
pub use request::MAX_BODY_BYTES;
pub use secrets::prepare_secrets;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use std::future::Future;
use tower_http::request_id::{PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router with every surface and the middleware.
pub fn app(state: AppState) -> Router {
    crate::telemetry::recorder();
    let routes = Router::new()
        .merge(mcp::router(state.clone()))
        .merge(health::router())
        .merge(tenants::router())
        .merge(tokens::router())
        .merge(agents::router())
        .merge(skills::router())
        .merge(install::router())
        .merge(sources::router())
        .merge(invoke::router())
        .merge(agent_skills::router())
        .merge(agent_mcp::router())
        .merge(attachments::router())
        .merge(audit::router())
        .merge(secrets::router())
        .merge(skillsets::router())
        .merge(integrations::router())
        .merge(tasks::router())
        .merge(skillserver::router())
        .merge(metrics::router())
        // A route layer: the request series are labelled by matched route.
        .route_layer(metrics::Track)
        .fallback(|| async { ApiError::NotFound("route") })
        .with_state(state);
    // Around the whole router, once: `Router::layer` wraps every route and
    // method separately, and each wrapper is cloned and boxed again on
    // every request.
    let middleware = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestId))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new().fallback_service(middleware.service(routes))
}

/// Request ids in the UUID format without a system call per request.
#[derive(Clone, Copy)]
struct MakeRequestId;

impl tower_http::request_id::MakeRequestId for MakeRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = crate::runtime::unique_id();
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(RequestId::new)
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests
/// in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
