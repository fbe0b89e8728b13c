//! Seed 001's tasks: requests from agents that an admin decides.
use super::database::Store;
use super::error::StoreError;
use super::values::{new_id, now};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A task.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// `skill_request` or `connector_request`.
    pub kind: String,
    /// The agent that asked.
    pub agent_id: String,
    /// The skill's id, or the connector's id.
    pub subject: String,
    /// Why the agent asked.
    pub reason: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// When it was asked.
    pub created_at: String,
    /// When it was decided.
    pub decided_at: Option<String>,
    /// The token that decided it.
    pub decided_by: Option<String>,
    /// The admin's note.
    pub note: Option<String>,
}

const COLUMNS: &str = "id, tenant_id, kind, agent_id, subject, reason, status, created_at, decided_at, decided_by, note";

fn task(row: &AnyRow) -> Result<TaskRow, sqlx::Error> {
    Ok(TaskRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        kind: row.try_get("kind")?,
        agent_id: row.try_get("agent_id")?,
        subject: row.try_get("subject")?,
        reason: row.try_get("reason")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
        decided_by: row.try_get("decided_by")?,
        note: row.try_get("note")?,
    })
}

impl Store {
    /// A pending task for the request, new or (for an identical pending
    /// request) the existing one; the flag says whether it is new.
    pub async fn request_task(
        &self,
        tenant_id: &str,
        kind: &str,
        agent_id: &str,
        subject: &str,
        reason: &str,
    ) -> Result<(TaskRow, bool), StoreError> {
        let find = || async {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM tasks WHERE tenant_id = $1 AND kind = $2 AND agent_id = $3 \
                 AND subject = $4 AND status = 'pending'"
            ))
            .bind(tenant_id)
            .bind(kind)
            .bind(agent_id)
            .bind(subject)
            .fetch_optional(self.pool())
            .await?;
            Ok::<_, StoreError>(row.as_ref().map(task).transpose()?)
        };
        if let Some(existing) = find().await? {
            return Ok((existing, false));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO tasks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, NULL, NULL, NULL) \
             RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(tenant_id)
        .bind(kind)
        .bind(agent_id)
        .bind(subject)
        .bind(reason)
        .bind(now())
        .fetch_one(self.pool())
        .await;
        match inserted {
            Ok(row) => Ok((task(&row)?, true)),
            // The same request raced in from elsewhere: that one stands.
            Err(e) => match StoreError::from(e) {
                StoreError::Conflict => Ok((find().await?.ok_or(StoreError::Conflict)?, false)),
                other => Err(other),
            },
        }
    }

    /// A tenant's tasks, newest first, optionally of one status.
    pub async fn list_tasks(
        &self,
        tenant_id: &str,
        status: Option<&str>,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT 500"
        ))
        .bind(tenant_id)
        .bind(status)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(task).collect::<Result<_, _>>()?)
    }

    /// A tenant's task.
    pub async fn task(&self, tenant_id: &str, id: &str) -> Result<Option<TaskRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(task).transpose()?)
    }

    /// Decides a pending task; false when it was no longer pending (another
    /// admin decided first).
    pub async fn decide_task(
        &self,
        tenant_id: &str,
        id: &str,
        status: &str,
        decided_by: &str,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tasks SET status = $1, decided_at = $2, decided_by = $3, note = $4 \
             WHERE tenant_id = $5 AND id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(now())
        .bind(decided_by)
        .bind(note)
        .bind(tenant_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
