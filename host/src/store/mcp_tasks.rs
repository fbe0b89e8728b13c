//! MCP's tasks (`mcp_tasks`): long tool calls a client polls. Not seed
//! 001's admin requests (`tasks`, in tasks.rs).
//!
//! Every read and change names the task's caller (tenant, agent, owner):
//! another caller's task is the same as no task. Status changes are
//! conditional on `working`, so a finish, a cancellation and a replica
//! that fails an abandoned task cannot overwrite one another.
use super::database::Store;
use super::error::StoreError;
use super::values::now;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One MCP task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpTaskRow {
    /// The task id: random, unguessable.
    pub id: String,
    /// The caller's tenant.
    pub tenant_id: String,
    /// The agent whose endpoint started it.
    pub agent_id: String,
    /// The token (or token subject) that started it.
    pub owner: String,
    /// The tool called.
    pub tool: String,
    /// `working`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// Why it failed or was cancelled.
    pub status_message: Option<String>,
    /// `completed`: the tool's result; `failed`: the error (JSON).
    pub result: Option<String>,
    /// A cancellation was asked for (the running replica stops the call).
    pub cancel_requested: bool,
    /// The replica running it.
    pub node: String,
    /// Until when the running replica vouches for it.
    pub lease_until: String,
    /// Its lifetime from creation, in milliseconds.
    pub ttl_ms: i64,
    /// When it was created.
    pub created_at: String,
    /// When its status last changed.
    pub updated_at: String,
    /// When it is deleted (creation plus `ttl_ms`).
    pub expires_at: String,
}

/// The caller a task belongs to.
#[derive(Debug, Clone, Copy)]
pub struct TaskOwner<'a> {
    /// Tenant.
    pub tenant_id: &'a str,
    /// Agent.
    pub agent_id: &'a str,
    /// Token id or subject.
    pub owner: &'a str,
}

const COLUMNS: &str = "id, tenant_id, agent_id, owner, tool, status, status_message, result, \
    cancel_requested, node, lease_until, ttl_ms, created_at, updated_at, expires_at";

fn task(row: &AnyRow) -> Result<McpTaskRow, sqlx::Error> {
    Ok(McpTaskRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        agent_id: row.try_get("agent_id")?,
        owner: row.try_get("owner")?,
        tool: row.try_get("tool")?,
        status: row.try_get("status")?,
        status_message: row.try_get("status_message")?,
        result: row.try_get("result")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        node: row.try_get("node")?,
        lease_until: row.try_get("lease_until")?,
        ttl_ms: row.try_get("ttl_ms")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    /// Records a new task, before the client hears of it.
    pub async fn create_mcp_task(&self, row: &McpTaskRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO mcp_tasks ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.agent_id)
        .bind(&row.owner)
        .bind(&row.tool)
        .bind(&row.status)
        .bind(&row.status_message)
        .bind(&row.result)
        .bind(i64::from(row.cancel_requested))
        .bind(&row.node)
        .bind(&row.lease_until)
        .bind(row.ttl_ms)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .bind(&row.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The caller's task `id`, unless it has expired.
    pub async fn mcp_task(
        &self,
        owner: TaskOwner<'_>,
        id: &str,
    ) -> Result<Option<McpTaskRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM mcp_tasks WHERE id = $1 AND tenant_id = $2 AND agent_id = $3 \
             AND owner = $4 AND expires_at > $5"
        ))
        .bind(id)
        .bind(owner.tenant_id)
        .bind(owner.agent_id)
        .bind(owner.owner)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(task).transpose()?)
    }

    /// Asks the caller's working task to stop; the task as it now is
    /// (`None`: no such task).
    pub async fn cancel_mcp_task(
        &self,
        owner: TaskOwner<'_>,
        id: &str,
    ) -> Result<Option<McpTaskRow>, StoreError> {
        sqlx::query(
            "UPDATE mcp_tasks SET cancel_requested = 1 WHERE id = $1 AND tenant_id = $2 \
             AND agent_id = $3 AND owner = $4 AND status = 'working'",
        )
        .bind(id)
        .bind(owner.tenant_id)
        .bind(owner.agent_id)
        .bind(owner.owner)
        .execute(self.pool())
        .await?;
        self.mcp_task(owner, id).await
    }

    /// Ends a working task with `status`; `false` when it had already
    /// ended (failed by another replica, say).
    pub async fn finish_mcp_task(
        &self,
        id: &str,
        status: &str,
        message: Option<&str>,
        result: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE mcp_tasks SET status = $1, status_message = $2, result = $3, updated_at = $4 \
             WHERE id = $5 AND status = 'working'",
        )
        .bind(status)
        .bind(message)
        .bind(result)
        .bind(now())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends the lease of a working task this node runs; whether a
    /// cancellation has been asked for (`None`: it is no longer working).
    pub async fn renew_mcp_task(
        &self,
        id: &str,
        node: &str,
        lease_until: &str,
    ) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query(
            "UPDATE mcp_tasks SET lease_until = $1 WHERE id = $2 AND node = $3 \
             AND status = 'working' RETURNING cancel_requested",
        )
        .bind(lease_until)
        .bind(id)
        .bind(node)
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("cancel_requested"))
            .transpose()?
            .map(|c| c != 0))
    }

    /// Fails the working tasks whose lease has passed (their replica
    /// stopped) and deletes the expired ones: how many of each.
    pub async fn sweep_mcp_tasks(&self, message: &str) -> Result<(u64, u64), StoreError> {
        let at = now();
        let failed = sqlx::query(
            "UPDATE mcp_tasks SET status = 'failed', status_message = $1, result = $2, \
             updated_at = $3 WHERE status = 'working' AND lease_until < $3",
        )
        .bind(message)
        .bind(serde_json::json!({"code": -32603, "message": message}).to_string())
        .bind(&at)
        .execute(self.pool())
        .await?;
        let deleted = sqlx::query("DELETE FROM mcp_tasks WHERE expires_at <= $1")
            .bind(&at)
            .execute(self.pool())
            .await?;
        Ok((failed.rows_affected(), deleted.rows_affected()))
    }
}
