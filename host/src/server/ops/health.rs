//! Liveness and readiness.
use crate::services::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
struct Alive {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

/// Whether the process can serve, and if not why.
#[derive(Serialize, ToSchema)]
struct Readiness {
    status: ReadyStatus,
    /// Why it cannot serve (only when `unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ReadyStatus {
    Ready,
    Unavailable,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Up", body = Alive)))]
async fn healthz() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// The process can serve: the database answers and is migrated.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready: `status` is `ready`", body = Readiness),
        (status = 503, description = "Not ready: `status` is `unavailable`, `error` says why", body = Readiness),
    ))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    match state.store.ready().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                status: ReadyStatus::Ready,
                error: None,
            }),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                status: ReadyStatus::Unavailable,
                error: Some(reason),
            }),
        ),
    }
}
