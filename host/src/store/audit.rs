//! Invocation records: written by one task that commits whatever has
//! queued up in a single transaction (group commit), so a busy server pays
//! one database write per batch instead of one per call. A caller's
//! [`Store::record_invocation`] still returns only once its record is
//! committed: nothing is acknowledged that could be lost.
use super::audit_writer::InvocationRow;
use super::database::Store;
use super::error::StoreError;
use super::values::decode;
use sqlx::Row;
use tokio::sync::oneshot;

/// Filters and page of an audit query. Times are in the stored format.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Agent id or name.
    pub agent: Option<String>,
    /// Skill id or name.
    pub skill: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Inclusive lower time bound.
    pub since: Option<String>,
    /// Exclusive upper time bound.
    pub until: Option<String>,
    /// Only records strictly before this (created_at, id): the cursor.
    pub before: Option<(String, String)>,
    /// Page size.
    pub limit: i64,
}

impl Store {
    /// Records an invocation; returns once it is committed.
    pub async fn record_invocation(&self, row: InvocationRow) -> Result<(), StoreError> {
        let (reply, committed) = oneshot::channel();
        self.audit
            .queue
            .send((row, reply))
            .await
            .map_err(|_| StoreError::Audit("the audit writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Audit("the audit writer has stopped".into()))?
            .map_err(StoreError::Audit)
    }

    /// A tenant's invocation records, newest first, filtered, one page.
    pub async fn list_invocations(
        &self,
        tenant_id: &str,
        q: &AuditQuery,
    ) -> Result<Vec<InvocationRow>, StoreError> {
        let (after_time, after_id) = match &q.before {
            Some((t, id)) => (Some(t.as_str()), Some(id.as_str())),
            None => (None, None),
        };
        let rows = sqlx::query(
            "SELECT * FROM invocations WHERE tenant_id = $1 \
             AND ($2 IS NULL OR agent_id = $2 OR agent_name = $2) \
             AND ($3 IS NULL OR skill_id = $3 OR skill_name = $3) \
             AND ($4 IS NULL OR outcome = $4) \
             AND ($5 IS NULL OR created_at >= $5) \
             AND ($6 IS NULL OR created_at < $6) \
             AND ($7 IS NULL OR created_at < $7 OR (created_at = $7 AND id < $8)) \
             ORDER BY created_at DESC, id DESC LIMIT $9",
        )
        .bind(tenant_id)
        .bind(&q.agent)
        .bind(&q.skill)
        .bind(&q.outcome)
        .bind(&q.since)
        .bind(&q.until)
        .bind(after_time)
        .bind(after_id)
        .bind(q.limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let denials: String = r.try_get("denials")?;
                let requests: String = r.try_get("requests")?;
                Ok(InvocationRow {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    agent_id: r.try_get("agent_id")?,
                    agent_name: r.try_get("agent_name")?,
                    skill_id: r.try_get("skill_id")?,
                    skill_name: r.try_get("skill_name")?,
                    ability: r.try_get("ability")?,
                    outcome: r.try_get("outcome")?,
                    duration_us: r.try_get("duration_us")?,
                    peak_memory_bytes: r.try_get("peak_memory_bytes")?,
                    output_bytes: r.try_get("output_bytes")?,
                    denials: decode(&denials)?,
                    requests: decode(&requests)?,
                    input: r
                        .try_get::<Option<String>, _>("input")?
                        .as_deref()
                        .map(decode)
                        .transpose()?,
                    request_id: r.try_get("request_id")?,
                    surface: r.try_get("surface")?,
                    integration_id: r.try_get("integration_id")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
