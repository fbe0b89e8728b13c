//! Seed 001's tasks: what agents asked for (`skill_request`,
//! `connector_request`), for an admin to approve or deny. Approving a skill
//! request assigns the skill to the agent. An agent's `skills:read` token
//! can ask but never decide.
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody, QueryParams};
use crate::server::request::MAX_BODY_BYTES;
use crate::services::AppState;
use crate::store::{AssignmentRow, StoreError, TaskRow};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(approve))
        .routes(routes!(deny))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskParams {
    /// Only tasks in this state.
    #[serde(default)]
    #[param(pattern = "^(pending|approved|denied)$")]
    status: Option<String>,
}

/// An admin's decision; the body may also be empty.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Decision {
    /// Why, for the agent and the audit.
    #[serde(default)]
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Tasks {
    tasks: Vec<TaskRow>,
    total: usize,
}

/// The task as decided.
#[derive(Serialize, ToSchema)]
struct Decided {
    task: TaskRow,
}

/// Lists what the tenant's agents asked for.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks",
    params(TaskParams),
    responses(
        (status = 200, description = "The tasks, in the state asked for", body = Tasks),
        (status = 400, description = "`status` is not pending, approved or denied (`invalid_status`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<TaskParams>,
) -> Result<Json<Tasks>, ApiError> {
    principal.require("admin")?;
    if let Some(s) = params.status.as_deref()
        && !["pending", "approved", "denied"].contains(&s)
    {
        return Err(ApiError::bad_request(
            "invalid_status",
            "`status` is pending, approved or denied",
        ));
    }
    let tasks = state
        .store
        .list_tasks(&principal.tenant_id, params.status.as_deref())
        .await?;
    let total = tasks.len();
    Ok(Json(Tasks { tasks, total }))
}

async fn pending(state: &AppState, principal: &Principal, id: &str) -> Result<TaskRow, ApiError> {
    let task = state
        .store
        .task(&principal.tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    if task.status != "pending" {
        return Err(ApiError::Conflict {
            code: "task_decided",
            message: format!("this task was already {}", task.status),
        });
    }
    Ok(task)
}

/// The decision in a body that may be empty. Read as bytes rather than
/// with `JsonBody` because an empty body, without a content type, is the
/// common case.
fn body(raw: Result<Bytes, BytesRejection>) -> Result<Decision, ApiError> {
    // axum's own rejection would answer in plain text, not `{error, code}`.
    let bytes = raw.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(MAX_BODY_BYTES)
        } else {
            ApiError::bad_request("invalid_body", rejection.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Decision::default());
    }
    // `null` says "no note" as well as an empty body does.
    serde_json::from_slice::<Option<Decision>>(&bytes)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("expected {{\"note\"?: string}}: {e}"),
            )
        })
}

async fn decide(
    state: &AppState,
    principal: &Principal,
    task: &TaskRow,
    status: &str,
    note: Option<&str>,
) -> Result<Json<Decided>, ApiError> {
    if !state
        .store
        .decide_task(
            &principal.tenant_id,
            &task.id,
            status,
            &principal.token_id,
            note,
        )
        .await?
    {
        return Err(ApiError::Conflict {
            code: "task_decided",
            message: "another admin decided this task first".into(),
        });
    }
    tracing::info!(task_id = %task.id, status, "task decided");
    // Gone only if its agent was deleted meanwhile (tasks go with it).
    let task = state
        .store
        .task(&principal.tenant_id, &task.id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    Ok(Json(Decided { task }))
}

/// Approves a task: a skill request assigns the skill to the agent.
#[utoipa::path(post, path = "/api/tasks/{id}/approve", tag = "tasks",
    params(("id" = String, Path, description = "The task's id")),
    request_body = Option<Decision>,
    responses(
        (status = 200, description = "Approved", body = Decided),
        (status = 404, description = "No such task, or the skill a skill request names is gone", body = ErrorBody),
        (status = 409, description = "The task was already decided (`task_decided`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Decided>, ApiError> {
    principal.require("admin")?;
    let decision = body(raw)?;
    let task = pending(&state, &principal, &id).await?;
    if task.kind == "skill_request" {
        let skill = state
            .store
            .skill(&principal.tenant_id, &task.subject)
            .await?
            .ok_or(ApiError::NotFound("skill"))?;
        let row = AssignmentRow::new(
            &principal.tenant_id,
            &skill.id,
            &task.agent_id,
            &principal.token_id,
        );
        match state.store.create_assignment(&row).await {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    decide(
        &state,
        &principal,
        &task,
        "approved",
        decision.note.as_deref(),
    )
    .await
}

/// Denies a task.
#[utoipa::path(post, path = "/api/tasks/{id}/deny", tag = "tasks",
    params(("id" = String, Path, description = "The task's id")),
    request_body = Option<Decision>,
    responses(
        (status = 200, description = "Denied", body = Decided),
        (status = 409, description = "The task was already decided (`task_decided`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn deny(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Decided>, ApiError> {
    principal.require("admin")?;
    let decision = body(raw)?;
    let task = pending(&state, &principal, &id).await?;
    decide(
        &state,
        &principal,
        &task,
        "denied",
        decision.note.as_deref(),
    )
    .await
}
