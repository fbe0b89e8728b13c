//! The operator console at `/console`: plain ES modules and CSS built into
//! the binary (no CDN, no build step, nothing fetched from elsewhere), a
//! client of the public API like any other. The pages carry a strict
//! Content-Security-Policy: scripts only from these files, no inline
//! script or style, requests only to this server, no framing.
use crate::server::error::ApiError;
use crate::services::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &str = include_str!("assets/index.html");

/// The console's files under `/console/`: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("console.css", CSS, include_str!("assets/console.css")),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("assets/favicon.svg"),
    ),
    ("main.js", JS, include_str!("assets/main.js")),
    ("session.js", JS, include_str!("assets/session.js")),
    ("dom.js", JS, include_str!("assets/dom.js")),
    ("words.js", JS, include_str!("assets/words.js")),
    (
        "views/approvals.js",
        JS,
        include_str!("assets/views/approvals.js"),
    ),
    (
        "views/agents.js",
        JS,
        include_str!("assets/views/agents.js"),
    ),
    ("views/audit.js", JS, include_str!("assets/views/audit.js")),
    (
        "views/secrets.js",
        JS,
        include_str!("assets/views/secrets.js"),
    ),
    (
        "views/skills.js",
        JS,
        include_str!("assets/views/skills.js"),
    ),
    (
        "views/skillsets.js",
        JS,
        include_str!("assets/views/skillsets.js"),
    ),
    (
        "views/tenants.js",
        JS,
        include_str!("assets/views/tenants.js"),
    ),
    (
        "views/tokens.js",
        JS,
        include_str!("assets/views/tokens.js"),
    ),
];
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// What the console's pages may load and do.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The console's pages: `/console` and its assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { asset(INDEX, HTML) }))
        .route("/console/", get(|| async { asset(INDEX, HTML) }))
        .route("/console/{*file}", get(file))
}

async fn file(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => asset(body, content_type),
        None => ApiError::NotFound("console file").into_response(),
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_SECURITY_POLICY, POLICY),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (REFERRER_POLICY, "no-referrer"),
            (X_FRAME_OPTIONS, "DENY"),
            // A new binary serves new pages: nothing stale from a cache.
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
