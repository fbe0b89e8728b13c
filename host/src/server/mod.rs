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
mod loader;
mod mcp;
mod metrics;
mod preload;
mod secrets;
mod skills;
mod skillserver;
mod skillsets;
mod sources;
mod tasks;
mod tenants;
mod tokens;

pub use auth::{Claims, JwtVerifier, Principal, hash_token, new_secret};
pub use bootstrap::{DEFAULT_TENANT, bootstrap};
pub use error::ApiError;
pub use loader::Loader;
pub use preload::preload;
pub use secrets::prepare_secrets;

use crate::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::request_id::{PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Largest request body accepted. Skill components are the largest bodies;
/// 32 MiB fits any reasonable one.
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// Shared state of the service. One `Arc`: axum clones the state for
/// every request (the router's handler service, each `State` extractor),
/// and a clone per field was a dozen contended atomic counts per clone.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The state over `services`.
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the handlers share.
pub struct Services {
    /// The database.
    pub store: Store,
    /// The sandbox runtime and this node's loaded skills.
    pub loader: Loader,
    /// Verifies HS256 JWTs, when a signing secret is configured.
    pub jwt: Option<JwtVerifier>,
    /// Seals and opens tenant secrets.
    pub vault: crate::vault::Vault,
    /// Operator switches.
    pub options: Arc<ServiceOptions>,
}

/// Operator switches of the service; all off by default.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// Server-side directory that operators may install skills from by
    /// path (`{"path": ...}`); `None` disables path installs.
    pub install_root: Option<PathBuf>,
    /// Let URL installs and syncs fetch from loopback and private addresses.
    pub allow_private_sources: bool,
    /// Keep each invocation's input in its audit record.
    pub record_inputs: bool,
    /// Bearer token `GET /metrics` requires; `None` leaves it open (the
    /// listener is loopback by default).
    pub metrics_token: Option<String>,
    /// `Host` names MCP requests may carry (DNS-rebinding guard); empty is
    /// loopback only, `*` any.
    pub mcp_allowed_hosts: Vec<String>,
    /// `Origin`s allowed to call MCP endpoints (browser clients); a request
    /// with any other `Origin` is refused.
    pub mcp_allowed_origins: Vec<String>,
    /// Where GitHub repositories of SKILL.md skills are fetched from.
    pub github: crate::sources::github::GithubConfig,
    /// MCP registries `GET /api/skills/browse` searches.
    pub mcp_registries: Vec<url::Url>,
    /// Repositories of SKILL.md folders `GET /api/skills/browse` lists.
    pub skill_repos: Vec<String>,
}

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

/// Where the caller reached us (scheme from `X-Forwarded-Proto` behind a
/// proxy), for URLs the service writes into its answers.
pub(crate) fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
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
