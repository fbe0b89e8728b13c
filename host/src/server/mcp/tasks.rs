//! MCP's tasks extension (`io.modelcontextprotocol/tasks`, a 2026-07-28
//! extension) on an agent's endpoint: a long tool call is answered with a
//! task, stored before the reply, that the client polls with `tasks/get`
//! and may stop with `tasks/cancel`. A client that did not declare the
//! extension on its request, and every 2025-11-25 client, gets the plain
//! result as before.
//!
//! A call is long when the ability's time limit is over the operator's
//! threshold ([`crate::services::McpTaskSettings::after`]), and for any
//! remote MCP server's tool. The call runs through the one invocation
//! path, on the replica that got the request; that replica renews the
//! task's lease while it runs and watches for a cancellation asked on any
//! replica. Every replica answers `tasks/get` from the store, and fails a
//! task whose lease has passed (its replica stopped), so no task stays
//! `working` for ever. A task is its caller's alone: another token, agent
//! or tenant asking for it is told it does not exist.
use super::admission::McpCaller;
use super::tools::internal;
use crate::invocation::{Request, Target, effective_policy};
use crate::services::AppState;
use crate::store::{McpTaskRow, TaskOwner, stamp};
use rmcp::model::{
    CallToolResult, CreateTaskResult, DetailedTask, GetTaskResult, JsonObject, Task, TaskPayload,
    TaskStatus,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// How often a client is asked to poll.
const POLL_INTERVAL_MS: u64 = 500;

/// How often the running replica renews a task's lease and looks for a
/// cancellation asked elsewhere, at most.
const RENEW_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// Whether this request's client declared the extension (in the request's
/// own `_meta`, as 2026-07-28 asks: an earlier declaration does not count).
pub(super) fn declared(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.meta
        .client_capabilities()
        .is_some_and(|c| c.supports_tasks())
}

/// Whether a call to `target` is long enough to become a task.
pub(super) fn is_long(state: &AppState, target: &Target) -> bool {
    match target {
        Target::ServerTool { .. } | Target::RemoteTool { .. } => true,
        Target::Assigned {
            skill, assignment, ..
        } => {
            let limits = state.loader.runtime().limits();
            matches!(
                effective_policy(limits, skill, assignment),
                Some(Ok(policy)) if policy.limits.timeout > state.options.mcp_tasks.after
            )
        }
        _ => false,
    }
}

fn owner(caller: &McpCaller) -> TaskOwner<'_> {
    TaskOwner {
        tenant_id: &caller.tenant_id,
        agent_id: &caller.agent.id,
        owner: &caller.owner,
    }
}

/// Starts `request` (a call of `tool`) as a task: stored first, then run
/// here in the background.
pub(super) async fn start(
    state: &AppState,
    caller: &McpCaller,
    tool: &str,
    request: Request,
) -> Result<CreateTaskResult, McpError> {
    let settings = state.options.mcp_tasks;
    let created = OffsetDateTime::now_utc();
    let row = McpTaskRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: caller.tenant_id.clone(),
        agent_id: caller.agent.id.clone(),
        owner: caller.owner.clone(),
        tool: tool.to_owned(),
        status: "working".to_owned(),
        status_message: None,
        result: None,
        cancel_requested: false,
        node: state.tasks.node.clone(),
        lease_until: stamp(created + settings.lease),
        ttl_ms: settings.ttl.as_millis() as i64,
        created_at: stamp(created),
        updated_at: stamp(created),
        expires_at: stamp(created + settings.ttl),
    };
    state.store.create_mcp_task(&row).await.map_err(internal)?;
    let stop = state.tasks.started(&row.id);
    tracing::info!(task_id = %row.id, tool, agent_id = %row.agent_id, "mcp task started");
    tokio::spawn(run(
        state.clone(),
        row.id.clone(),
        tool.to_owned(),
        request,
        stop,
    ));
    Ok(CreateTaskResult::new(task_of(&row)))
}

/// Runs the call, renewing the lease, until it ends or is stopped; then
/// records how it ended.
async fn run(state: AppState, id: String, tool: String, request: Request, stop: CancellationToken) {
    let lease = state.options.mcp_tasks.lease;
    let renew = async {
        let every = (lease / 3).min(RENEW_AT_MOST_EVERY);
        loop {
            tokio::time::sleep(every).await;
            let until = stamp(OffsetDateTime::now_utc() + lease);
            match state
                .store
                .renew_mcp_task(&id, &state.tasks.node, &until)
                .await
            {
                Ok(Some(false)) => {}
                // Cancelled on some replica, or no longer ours to run (failed
                // after a lapsed lease, or expired).
                Ok(Some(true) | None) => return,
                Err(error) => {
                    tracing::warn!(task_id = %id, %error, "renewing an mcp task's lease failed")
                }
            }
        }
    };
    // Dropping the call stops it: the guest yields at every epoch tick.
    let ended = tokio::select! {
        result = super::tools::run_call(&state, &tool, request) => Some(result),
        _ = stop.cancelled() => None,
        _ = renew => None,
    };
    let (status, message, result) = match ended {
        Some(Ok(result)) => ("completed", None, Some(completed(result))),
        Some(Err(error)) => {
            let message = error.message.to_string();
            let error = json!({"code": error.code.0, "message": message});
            ("failed", Some(message), Some(error))
        }
        None => (
            "cancelled",
            Some("cancelled at the caller's request".to_owned()),
            None,
        ),
    };
    let result = result.map(|r| r.to_string());
    match state
        .store
        .finish_mcp_task(&id, status, message.as_deref(), result.as_deref())
        .await
    {
        Ok(true) => tracing::info!(task_id = %id, status, "mcp task ended"),
        Ok(false) => tracing::info!(task_id = %id, "mcp task had already ended elsewhere"),
        Err(error) => tracing::error!(task_id = %id, %error, "recording an mcp task's end failed"),
    }
    state.tasks.ended(&id);
}

/// A tool result as a task keeps it: a complete result, as the extension's
/// clients check.
fn completed(result: CallToolResult) -> Value {
    let mut value = serde_json::to_value(result).unwrap_or_else(|_| json!({}));
    if let Value::Object(fields) = &mut value {
        fields.insert("resultType".into(), json!("complete"));
    }
    value
}

fn not_found(id: &str) -> McpError {
    McpError::invalid_params(
        format!(
            "no task `{id}` for this caller: it never existed, is another caller's, or has expired"
        ),
        None,
    )
}

/// The caller's task `id`.
async fn find(state: &AppState, caller: &McpCaller, id: &str) -> Result<McpTaskRow, McpError> {
    state
        .store
        .mcp_task(owner(caller), id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found(id))
}

/// `tasks/get`.
pub(super) async fn get(
    state: &AppState,
    caller: &McpCaller,
    id: &str,
) -> Result<GetTaskResult, McpError> {
    Ok(GetTaskResult::new(detailed(
        &find(state, caller, id).await?,
    )))
}

/// `tasks/cancel`: asks the call to stop. The replica running it stops it
/// at once if it is this one, else at its next renewal.
pub(super) async fn cancel(state: &AppState, caller: &McpCaller, id: &str) -> Result<(), McpError> {
    let row = state
        .store
        .cancel_mcp_task(owner(caller), id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found(id))?;
    if row.status == "working" {
        state.tasks.stop(id);
        tracing::info!(task_id = %id, "mcp task cancellation asked");
    }
    Ok(())
}

/// `tasks/update`: no ability asks for input, so no response is ever
/// outstanding; as the extension says of such keys, they are ignored.
pub(super) async fn update(state: &AppState, caller: &McpCaller, id: &str) -> Result<(), McpError> {
    find(state, caller, id).await.map(|_| ())
}

fn status_of(row: &McpTaskRow) -> TaskStatus {
    match row.status.as_str() {
        "completed" => TaskStatus::Completed,
        "failed" => TaskStatus::Failed,
        "cancelled" => TaskStatus::Cancelled,
        _ => TaskStatus::Working,
    }
}

fn task_of(row: &McpTaskRow) -> Task {
    let task = Task::new(
        row.id.clone(),
        status_of(row),
        row.created_at.clone(),
        row.updated_at.clone(),
    )
    .with_ttl_ms(row.ttl_ms.max(0) as u64)
    .with_poll_interval_ms(POLL_INTERVAL_MS);
    match &row.status_message {
        Some(message) => task.with_status_message(message.clone()),
        None => task,
    }
}

fn detailed(row: &McpTaskRow) -> DetailedTask {
    let stored = || -> JsonObject {
        match row.result.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Object(fields))) => fields,
            _ => JsonObject::new(),
        }
    };
    let payload = match status_of(row) {
        TaskStatus::Completed => TaskPayload::Completed { result: stored() },
        TaskStatus::Failed => TaskPayload::Failed { error: stored() },
        TaskStatus::Cancelled => TaskPayload::Cancelled,
        _ => TaskPayload::Working,
    };
    DetailedTask::new(task_of(row), payload)
}

/// Fails the tasks of replicas that stopped and deletes expired ones, on
/// every replica, until the server stops.
pub(crate) async fn sweep(state: AppState) {
    let every = (state.options.mcp_tasks.lease / 3)
        .clamp(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        tokio::time::sleep(every).await;
        match state
            .store
            .sweep_mcp_tasks("the replica running this task stopped before it ended")
            .await
        {
            Ok((0, 0)) => {}
            Ok((failed, deleted)) => tracing::info!(failed, deleted, "mcp tasks swept"),
            Err(error) => tracing::warn!(%error, "sweeping mcp tasks failed"),
        }
    }
}
