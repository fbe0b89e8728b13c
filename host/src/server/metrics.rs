//! `GET /metrics` in the Prometheus text format, and the request
//! middleware that feeds it. Metrics are recorded with the `metrics`
//! facade wherever they happen (runtime, store, loader) and rendered by
//! `metrics-exporter-prometheus`, which opens no listener of its own.
//!
//! Series: `skillhost_http_requests_total{route,method,status}` and
//! `skillhost_http_request_duration_seconds{route,method}`;
//! `skillhost_invocations_total{skill,outcome,surface}`;
//! `skillhost_sandbox_instantiate_seconds`, `skillhost_sandbox_call_seconds`;
//! `skillhost_audit_queue_depth`, `skillhost_audit_batch_size`;
//! `skillhost_cache_lookups_total{table,result}`,
//! `skillhost_cache_invalidations_total{source}`;
//! `skillhost_loaded_skills`; `skillhost_db_connections{state}`.
use super::{ApiError, AppState};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Latency buckets, in seconds: from a cached invoke (~0.1 ms) to the
/// longest call a skill may make (60 s).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// The process-wide recorder (one per process, whatever the number of
/// services in it, as in the tests).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program);
        // then ours renders nothing but the scrape-time gauges.
        let _ = metrics::set_global_recorder(recorder);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let upkeep = handle.clone();
            runtime.spawn(async move {
                // Histograms keep raw samples until upkeep folds them.
                let mut tick = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(expected) = &state.options.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Constant time, so the token cannot be guessed byte by byte from
        // response times.
        let matches = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())));
        if !matches {
            return Err(ApiError::Unauthorized(
                "this endpoint needs the metrics token (--metrics-token) as a bearer token",
            ));
        }
    }
    metrics::gauge!("skillhost_loaded_skills").set(state.loader.loaded_count() as f64);
    let (in_use, idle) = state.store.pool_connections();
    metrics::gauge!("skillhost_db_connections", "state" => "in_use").set(in_use as f64);
    metrics::gauge!("skillhost_db_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("skillhost_audit_queue_depth").set(state.store.audit_queue_depth() as f64);
    let body = handle().render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

/// Counts and times every request by its route pattern (never the raw
/// path: ids would make a series per object).
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("skillhost_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("skillhost_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}
