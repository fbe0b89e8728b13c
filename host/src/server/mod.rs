//! The HTTP service: handlers only, a folder per surface (`catalog/`,
//! `agents/`, `skillsets/`, `skillserver/`, `mcp/`, `admin/`, `ops/`), each
//! with its own `router()`, merged in [`app`]. Calls go through
//! [`crate::invocation`]; the shared pieces are leaves every surface may
//! use: `error`, `auth`, `request`, `cursor`, `fields`, `lookup`. `openapi`
//! completes the contract the surfaces' routers collect from their handlers. `app` is separate from [`serve`] so tests
//! can drive it, and `serve` takes its listener and shutdown signal so tests
//! bind port 0.
mod admin;
mod agents;
mod auth;
mod catalog;
mod console;
mod cursor;
mod decisions;
mod error;
mod fields;
mod lookup;
mod mcp;
mod openapi;
mod ops;
mod request;
mod skillserver;
mod skillsets;

pub use crate::jwt::{Claims, JwtVerifier};
pub use crate::runtime::Loader;
pub use crate::services::{AppState, ServiceOptions, Services};
pub use admin::prepare_secrets;
pub use auth::{Principal, hash_token, new_secret};
#[doc(hidden)]
pub use cursor::fuzz_decode as fuzz_decode_cursor;
pub use error::ApiError;
pub use ops::{DEFAULT_TENANT, Upgraded, bootstrap, preload, upgrade_grants};
pub use request::MAX_BODY_BYTES;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use std::future::Future;
use tower_http::request_id::{PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service: every surface's routes inside the middleware.
pub fn app(
    state: AppState,
) -> impl tower::Service<
    Request<axum::body::Body>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    crate::telemetry::recorder();
    let (rest, document) = OpenApiRouter::with_openapi(openapi::base())
        .merge(ops::router())
        .merge(admin::router())
        .merge(agents::router())
        .merge(catalog::router())
        .merge(skillsets::router())
        .merge(skillserver::router())
        .split_for_parts();
    let document = axum::body::Bytes::from(openapi::render(&openapi::finish(document)));
    let routes = Router::new()
        .merge(mcp::router(state.clone()))
        .merge(console::router())
        .merge(rest)
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(CONTENT_TYPE, "application/json")], document) }
            }),
        )
        // A route layer: the request series are labelled by matched route.
        .route_layer(ops::metrics::Track)
        .fallback(|| async { ApiError::NotFound("route") })
        .with_state(state);
    // Around the whole router, once, and served as it is: `Router::layer`
    // wraps every route and method separately (each wrapper cloned and
    // boxed again on every request), and a router around the middleware
    // boxes the middleware's future and copies it once more per request.
    tower::ServiceBuilder::new()
        .map_response(|response: http::Response<_>| response.map(axum::body::Body::new))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestId))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .service(routes)
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
    // Every replica sweeps MCP tasks: whichever outlives a stopped one
    // fails its tasks.
    let sweeper = tokio::spawn(mcp::sweep_tasks(state.clone()));
    let served = axum::serve(listener, tower::make::Shared::new(app(state)))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served
}
