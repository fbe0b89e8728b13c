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

/// The console's files under `/console/`, by name: the content type
/// follows from the extension.
macro_rules! assets {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("assets/", $file)))),*]
    };
}
const ASSETS: &[(&str, &str)] = assets![
    "console.css",
    "favicon.svg",
    "main.js",
    "session.js",
    "dom.js",
    "words.js",
    "views/approvals.js",
    "views/agents.js",
    "views/audit.js",
    "views/secrets.js",
    "views/skills.js",
    "views/skillsets.js",
    "views/tenants.js",
    "views/tokens.js",
];
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
    let Some((_, body)) = ASSETS.iter().find(|(file, _)| *file == name) else {
        return ApiError::NotFound("console file").into_response();
    };
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    asset(body, content_type)
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
