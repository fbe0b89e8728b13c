//! The audit writer: one task that commits whatever invocation records have
//! queued up in a single transaction (group commit), so a busy server pays
//! one database write per batch instead of one per call.
use super::backend::Backend;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Row};
use std::borrow::Cow;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// One audit record.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvocationRow {
    /// Invocation id.
    pub id: String,
    /// Tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// Agent id.
    pub agent_id: Option<String>,
    /// Agent name.
    pub agent_name: Option<String>,
    /// Skill id.
    pub skill_id: Option<String>,
    /// Skill name.
    pub skill_name: String,
    /// Ability.
    pub ability: String,
    /// `success` or an error category.
    pub outcome: String,
    /// Wall time.
    pub duration_us: i64,
    /// Peak linear memory.
    pub peak_memory_bytes: i64,
    /// Output size.
    pub output_bytes: i64,
    /// What the sandbox refused.
    pub denials: serde_json::Value,
    /// The outbound requests the call made (origin, status, bytes, time,
    /// refusal).
    pub requests: serde_json::Value,
    /// The call's input, when the operator records inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    /// The HTTP request id.
    pub request_id: Option<String>,
    /// The surface the call came through: `rest`, `skillserver`, `mcp`.
    pub surface: Option<String>,
    /// The integration that made the call, for skill server calls.
    pub integration_id: Option<String>,
    /// When.
    pub created_at: String,
}

/// Records per transaction at most; SQLite allows 32766 bound parameters,
/// PostgreSQL 65535, and a record binds [`COLUMNS`].
const BATCH: usize = 512;
/// Values bound per record.
const COLUMNS: usize = 18;

/// How often the WAL is folded into the database (SQLite), in two steps
/// so that commits do not wait for the bulk of it. First a checkpoint on a
/// connection of its own, beside the writer, copies the frames that exist
/// when it starts; the writer goes on committing meanwhile. Once it is done,
/// the writer itself checkpoints between two batches, which leaves only the
/// frames appended during the first step to copy: with no frame appended
/// meanwhile it completes, and the next batch starts the WAL over from its
/// beginning. Under full load (about 12 000 frames a second, each batch
/// rewriting the same index pages) the writer's own checkpoint, done alone
/// every 25 ms, took about 2 ms, and the calls waiting for the next batch
/// waited that long: 1.5 ms on the invoke's p99. A checkpoint only beside
/// the writer never completes under constant writes (the WAL never starts
/// over), and truncating the WAL every second instead stalled every call
/// for 10 ms and more (wrk's p99 12 ms against a p50 of 1.8 ms).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);
/// The WAL file is cut back to this size when it restarts larger (after a
/// reader held an old snapshot through several checkpoints); below it the
/// file is reused, never truncated (a truncation discards blocks, which is
/// slow on some file systems).
const WAL_SIZE_LIMIT: i64 = 64 << 20;

type Reply = oneshot::Sender<Result<(), String>>;

/// `skillhost_audit_batch_size`.
static BATCH_SIZE: crate::telemetry::StaticHistogram =
    crate::telemetry::StaticHistogram::new("skillhost_audit_batch_size");

/// The sending side of the audit writer task.
#[derive(Clone)]
pub(super) struct AuditWriter {
    pub(super) queue: mpsc::Sender<(InvocationRow, Reply)>,
}

impl AuditWriter {
    /// Records waiting for the writer.
    pub(super) fn depth(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }
}

impl AuditWriter {
    /// Starts the writer task on the current tokio runtime; it ends when the
    /// last [`Store`] clone is dropped, after writing what was queued.
    pub(super) fn start(pool: AnyPool, backend: Backend) -> AuditWriter {
        let (queue, mut incoming) = mpsc::channel::<(InvocationRow, Reply)>(4 * BATCH);
        tokio::spawn(async move {
            // One connection kept for the writer: its page cache stays warm,
            // where a connection from the pool would re-read the pages that
            // the previous batch, on another connection, wrote.
            let mut connection = None;
            let mut checkpoints = Checkpoints::new();
            let sql = InsertSql::new(backend);
            let mut batch = Vec::with_capacity(BATCH);
            while incoming.recv_many(&mut batch, BATCH).await > 0 {
                // Let the calls that are finishing right now join this batch:
                // a commit costs the same for one record as for fifty.
                tokio::task::yield_now().await;
                while batch.len() < BATCH {
                    match incoming.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let rows: Vec<&InvocationRow> = batch.iter().map(|(row, _)| row).collect();
                BATCH_SIZE.record(rows.len() as f64);
                let result = insert(&pool, backend, &mut connection, &sql, &rows).await.map_err(|e| {
                    tracing::error!(error = %e, records = rows.len(), "writing invocation records failed");
                    e.to_string()
                });
                for (_, reply) in batch.drain(..) {
                    // The caller may have gone away (client disconnected).
                    let _ = reply.send(result.clone());
                }
                if backend == Backend::Sqlite
                    && let Some(conn) = connection.as_mut()
                {
                    checkpoints.between_batches(&pool, conn).await;
                }
            }
        });
        AuditWriter { queue }
    }
}

/// The two steps of [`CHECKPOINT_EVERY`]; SQLite only.
struct Checkpoints {
    last: Instant,
    /// The first step, running beside the writer.
    beside: Option<JoinHandle<()>>,
}

impl Checkpoints {
    fn new() -> Checkpoints {
        Checkpoints {
            last: Instant::now(),
            beside: None,
        }
    }

    /// Called by the writer after each batch, on its own connection.
    async fn between_batches(&mut self, pool: &AnyPool, writer: &mut PoolConnection<Any>) {
        match &self.beside {
            Some(step) if step.is_finished() => {
                self.beside = None;
                self.last = Instant::now();
                checkpoint(writer, Step::Writer).await;
            }
            Some(_) => {}
            None if self.last.elapsed() >= CHECKPOINT_EVERY => {
                let pool = pool.clone();
                self.beside = Some(tokio::spawn(async move {
                    match pool.acquire().await {
                        Ok(mut conn) => checkpoint(&mut conn, Step::Beside).await,
                        Err(e) => tracing::warn!(error = %e, "no connection for a WAL checkpoint"),
                    }
                }));
            }
            None => {}
        }
    }
}

#[derive(PartialEq)]
enum Step {
    /// Beside the writer: frames appended meanwhile stay for the next step.
    Beside,
    /// On the writer's connection, between two batches.
    Writer,
}

/// Folds the WAL into the database. A reader on an older snapshot keeps
/// the frames it reads; they are folded in by a later checkpoint.
async fn checkpoint(conn: &mut PoolConnection<Any>, step: Step) {
    match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut **conn)
        .await
    {
        Ok(row) => {
            let (frames, folded) = (
                row.try_get::<i64, _>(1).unwrap_or(0),
                row.try_get::<i64, _>(2).unwrap_or(0),
            );
            if folded < frames && step == Step::Writer {
                tracing::debug!(frames, folded, "a reader holds WAL frames back");
            }
        }
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
    }
}

async fn insert(
    pool: &AnyPool,
    backend: Backend,
    connection: &mut Option<PoolConnection<Any>>,
    sql: &InsertSql,
    rows: &[&InvocationRow],
) -> Result<(), sqlx::Error> {
    let conn = match connection {
        Some(conn) => conn,
        None => {
            let mut conn = pool.acquire().await?;
            if backend == Backend::Sqlite {
                // This connection's commits never checkpoint on their own:
                // the writer does, on a schedule (`checkpoint`).
                sqlx::query("PRAGMA wal_autocheckpoint = 0")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(&format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"))
                    .execute(&mut *conn)
                    .await?;
            }
            connection.insert(conn)
        }
    };
    // The JSON columns' text, kept here so the query borrows it rather
    // than taking (and copying again) a string per column.
    let json: Vec<_> = rows
        .iter()
        .map(|row| {
            (
                json_text(&row.denials),
                json_text(&row.requests),
                row.input.as_ref().map(|v| v.to_string()),
            )
        })
        .collect();
    let mut query = sqlx::query(sql.rows(rows.len()));
    for (row, (denials, requests, input)) in rows.iter().zip(&json) {
        query = query
            .bind(&row.id)
            .bind(&row.tenant_id)
            .bind(&row.agent_id)
            .bind(&row.agent_name)
            .bind(&row.skill_id)
            .bind(&row.skill_name)
            .bind(&row.ability)
            .bind(&row.outcome)
            .bind(row.duration_us)
            .bind(row.peak_memory_bytes)
            .bind(row.output_bytes)
            .bind(&**denials)
            .bind(&row.request_id)
            .bind(&row.created_at)
            .bind(input.as_deref())
            .bind(&**requests)
            .bind(&row.surface)
            .bind(&row.integration_id);
    }
    if let Err(e) = query.execute(&mut **conn).await {
        // Start from a fresh connection next time.
        *connection = None;
        return Err(e);
    }
    Ok(())
}

/// A JSON column's text; the usual empty list is a constant rather than a
/// string serialised (and then copied again by the driver) per record.
fn json_text(value: &serde_json::Value) -> Cow<'static, str> {
    match value {
        serde_json::Value::Array(items) if items.is_empty() => Cow::Borrowed("[]"),
        other => Cow::Owned(other.to_string()),
    }
}

/// The multi-row INSERT, built once per writer for [`BATCH`] records: the
/// statement for fewer records is a prefix of it (placeholders are numbered
/// in order), so a batch slices it rather than building its SQL again.
/// SQLite gets positional `?` (binding `$N` by name costs a scan of the
/// statement's parameter list per parameter: quadratic in the batch);
/// PostgreSQL only reads `$N`.
struct InsertSql {
    text: String,
    /// Where the statement for `k + 1` records ends.
    ends: Vec<usize>,
}

impl InsertSql {
    fn new(backend: Backend) -> InsertSql {
        let mut text = String::from(
            "INSERT INTO invocations (id, tenant_id, agent_id, agent_name, skill_id, skill_name, ability, outcome, \
             duration_us, peak_memory_bytes, output_bytes, denials, request_id, created_at, input, requests, surface, integration_id) VALUES ",
        );
        let mut ends = Vec::with_capacity(BATCH);
        let mut n = 0;
        for r in 0..BATCH {
            text.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..COLUMNS {
                if c > 0 {
                    text.push_str(", ");
                }
                n += 1;
                match backend {
                    Backend::Sqlite => text.push('?'),
                    Backend::Postgres => {
                        text.push('$');
                        text.push_str(&n.to_string());
                    }
                }
            }
            text.push(')');
            ends.push(text.len());
        }
        InsertSql { text, ends }
    }

    /// The statement for `records` (1 to [`BATCH`]) records.
    fn rows(&self, records: usize) -> &str {
        &self.text[..self.ends[records - 1]]
    }
}
