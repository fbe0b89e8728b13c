//! Seed 001's tasks: what agents asked for (`skill_request`,
//! `connector_request`), for an admin to approve or deny. Approving a skill
//! request assigns the skill to the agent. An agent's `skills:read` token
//! can ask but never decide.
use crate::server::auth::Principal;
use crate::server::error::{ApiError, QueryParams};
use crate::services::AppState;
use crate::store::{AssignmentRow, StoreError, TaskRow};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/tasks", get(list))
        .route("/api/tasks/{id}/approve", post(approve))
        .route("/api/tasks/{id}/deny", post(deny))
}

#[derive(Deserialize)]
struct TaskParams {
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    note: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<TaskParams>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "tasks": tasks, "total": tasks.len() })))
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

fn body(bytes: &[u8]) -> Result<Decision, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Decision::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
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
) -> Result<Json<Value>, ApiError> {
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
    let task = state.store.task(&principal.tenant_id, &task.id).await?;
    Ok(Json(json!({ "task": task })))
}

async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let decision = body(&raw)?;
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

async fn deny(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let decision = body(&raw)?;
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
