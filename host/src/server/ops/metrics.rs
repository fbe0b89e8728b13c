//! `GET /metrics` in the Prometheus text format, and the request
//! middleware that feeds it. Metrics are recorded with the `metrics`
//! facade wherever they happen (runtime, store, loader) and rendered by
//! `metrics-exporter-prometheus`, which opens no listener of its own.
//!
//! Series: `skillhost_http_requests_total{route,method,status}` and
//! `skillhost_http_request_duration_seconds{route,method}`;
//! `skillhost_invocations_total{kind,outcome,surface}`;
//! `skillhost_sandbox_instantiate_seconds`, `skillhost_sandbox_call_seconds`;
//! `skillhost_audit_queue_depth`, `skillhost_audit_batch_size`;
//! `skillhost_cache_lookups_total{table,result}`,
//! `skillhost_cache_invalidations_total{source}`;
//! `skillhost_loaded_skills`; `skillhost_db_connections{state}`.
//!
//! Every label has a fixed set of values, never a name a tenant chose
//! (the reader of `/metrics` is the operator, not each tenant, and a
//! tenant's names would grow the series without bound): `route` is the
//! router's pattern (or `unmatched`), `method` one of seven or `OTHER`,
//! `status` a code the handlers answer with; `kind`, `outcome` and
//! `surface` come from enums (see `invocation::audit`).
use crate::server::error::{ApiError, ErrorBody};
use crate::services::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use std::future::Future;
use std::pin::Pin;
use std::sync::{OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(render))
}

/// The Prometheus exposition's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The server's metrics, in the Prometheus text format.
///
/// Open, unless the server was started with `--metrics-token`: then that
/// token (not an API token) is needed as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses(
        (status = 200, description = "The series, in the Prometheus text format 0.0.4",
            body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 401, description = "The server has a metrics token and the request does not carry it", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
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
    let body = crate::telemetry::recorder().render();
    Ok(([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], body).into_response())
}

/// Counts and times every request by its route pattern (never the raw
/// path: ids would make a series per object). A plain tower layer rather
/// than `middleware::from_fn`, which boxes and clones the inner service on
/// every request.
#[derive(Clone, Copy)]
pub struct Track;

impl<S> tower::Layer<S> for Track {
    type Service = Tracked<S>;

    fn layer(&self, inner: S) -> Tracked<S> {
        Tracked { inner }
    }
}

/// A route's service, counted and timed.
#[derive(Clone)]
pub struct Tracked<S> {
    inner: S,
}

impl<S> tower::Service<Request> for Tracked<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // A client may send any method; only the standard ones get a series.
        let method = match *request.method() {
            Method::GET
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::HEAD
            | Method::OPTIONS => request.method().clone(),
            _ => Method::from_bytes(b"OTHER").expect("a valid method token"),
        };
        TrackedFuture {
            route: request.extensions().get::<MatchedPath>().cloned(),
            method,
            started: Instant::now(),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a tracked route, recorded when it is ready.
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
        method: Method,
        started: Instant,
    }
}

impl<F, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
            RequestSeries::record(
                route,
                this.method,
                response.status(),
                this.started.elapsed().as_secs_f64(),
            );
        }
        Poll::Ready(result)
    }
}

/// The request series' handles, registered once per route, method and
/// status: building a labelled key for every request cost the service
/// about 5 % of its throughput. They are found by route, then method and
/// status in short lists, and used under the read lock (no handle is
/// cloned per request).
struct RequestSeries;

/// A route's series: per method, its histogram and its counters by status.
type RouteSeries = Vec<(Method, Histogram, Vec<(StatusCode, Counter)>)>;

type SeriesByRoute = foldhash::HashMap<Box<str>, RouteSeries>;

impl RequestSeries {
    /// Counts one response and records its duration.
    fn record(route: &str, method: &Method, status: StatusCode, seconds: f64) {
        static SERIES: OnceLock<RwLock<SeriesByRoute>> = OnceLock::new();
        let series = SERIES.get_or_init(Default::default);
        if !Self::record_known(
            &series.read().expect("metrics series"),
            route,
            method,
            status,
            seconds,
        ) {
            let mut series = series.write().expect("metrics series");
            Self::register(&mut series, route, method, status);
            Self::record_known(&series, route, method, status, seconds);
        }
    }

    /// Records into the series if they are registered; false if not.
    fn record_known(
        series: &SeriesByRoute,
        route: &str,
        method: &Method,
        status: StatusCode,
        seconds: f64,
    ) -> bool {
        let Some((_, histogram, statuses)) = series
            .get(route)
            .and_then(|methods| methods.iter().find(|(m, ..)| m == method))
        else {
            return false;
        };
        let Some((_, counter)) = statuses.iter().find(|(s, _)| *s == status) else {
            return false;
        };
        counter.increment(1);
        histogram.record(seconds);
        true
    }

    /// Registers the histogram of (route, method) and the counter of
    /// (route, method, status), whichever is missing.
    fn register(series: &mut SeriesByRoute, route: &str, method: &Method, status: StatusCode) {
        let methods = series.entry(route.into()).or_default();
        if !methods.iter().any(|(m, ..)| m == method) {
            let histogram = metrics::histogram!("skillhost_http_request_duration_seconds",
                "route" => route.to_owned(), "method" => method.as_str().to_owned());
            methods.push((method.clone(), histogram, Vec::new()));
        }
        let (_, _, statuses) = methods
            .iter_mut()
            .find(|(m, ..)| m == method)
            .expect("registered above");
        if !statuses.iter().any(|(s, _)| *s == status) {
            let counter = metrics::counter!("skillhost_http_requests_total",
                "route" => route.to_owned(), "method" => method.as_str().to_owned(),
                "status" => status.as_str().to_owned());
            statuses.push((status, counter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_is_counted_from_the_first_one_on() {
        let recorder = crate::telemetry::recorder();
        let route = "/unit/{series}";
        for status in [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::NOT_FOUND,
            StatusCode::OK,
        ] {
            RequestSeries::record(route, &Method::GET, status, 0.001);
        }
        RequestSeries::record(route, &Method::POST, StatusCode::OK, 0.001);
        let text = recorder.render();
        for line in [
            "skillhost_http_requests_total{route=\"/unit/{series}\",method=\"GET\",status=\"200\"} 3",
            "skillhost_http_requests_total{route=\"/unit/{series}\",method=\"GET\",status=\"404\"} 1",
            "skillhost_http_requests_total{route=\"/unit/{series}\",method=\"POST\",status=\"200\"} 1",
            "skillhost_http_request_duration_seconds_count{route=\"/unit/{series}\",method=\"GET\"} 4",
            "skillhost_http_request_duration_seconds_count{route=\"/unit/{series}\",method=\"POST\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
    }
}
