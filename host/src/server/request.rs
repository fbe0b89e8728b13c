//! What every handler reads from a request besides its body: the size
//! limit, where the caller reached us, the request id.
use axum::http::HeaderMap;

/// Largest request body accepted. Skill components are the largest bodies;
/// 32 MiB fits any reasonable one.
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// Where the caller reached us (scheme from `X-Forwarded-Proto` behind a
/// proxy), for URLs the service writes into its answers.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
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

/// The base URL clients use: the operator's `--public-url`, else the
/// request's own (`Host`, `X-Forwarded-Proto`). Without a trailing slash.
pub(crate) fn public_base(state: &crate::services::AppState, headers: &HeaderMap) -> String {
    match &state.options.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => base_url(headers),
    }
}

/// The request id the middleware set (or the caller sent).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
