//! Durable state through sqlx. The embedded default is SQLite (WAL) in the
//! data directory; queries use `$N` placeholders and portable types so a
//! PostgreSQL pool can be added behind the same functions.
mod audit;
mod cache;
mod records;
mod sessions;
mod skills;

pub use audit::{AuditQuery, InvocationRow};
pub use records::{Agent, Tenant, TokenRecord};
pub use skills::{AssignmentRow, SkillFilter, SkillRow, new_skill};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// A storage failure. Constraint violations are told apart so the API can
/// answer 409 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint failed (duplicate name, token, assignment).
    #[error("already exists")]
    Conflict,
    /// Anything else; logged by the caller, never shown to clients.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The audit writer could not commit a record.
    #[error("audit writer: {0}")]
    Audit(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(error),
        }
    }
}

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    cache: Arc<ReadCache>,
    audit: audit::AuditWriter,
}

/// The cached rows of the invoke path; see [`cache`].
#[derive(Default)]
struct ReadCache {
    generation: cache::Generation,
    tokens: cache::Memo<String, TokenRecord>,
    agents: cache::Memo<(String, String), Agent>,
    skills: cache::Memo<(String, String), Arc<SkillRow>>,
    assignments: cache::Memo<(String, String, String), AssignmentRow>,
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The current time as stored: RFC 3339, UTC, with a fixed six-digit
/// fraction so that text order is time order (audit paging relies on it).
pub fn now() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .expect("the timestamp formats")
}

/// Parses an RFC 3339 time into the stored format, or `None`.
pub fn normalize_time(text: &str) -> Option<String> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    t.to_offset(time::UtcOffset::UTC).format(&format).ok()
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Store {
    /// Opens (creating if needed) `data_dir/skillhost.db` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let url = format!("sqlite://{}", data_dir.join("skillhost.db").display());
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across application crashes and keeps
            // writes fast; only an OS crash can lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(Store {
            audit: audit::AuditWriter::start(pool.clone()),
            pool,
            cache: Arc::default(),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Called after every committed write to a cached table.
    fn changed(&self) {
        self.cache.generation.bump();
    }

    /// Number of rows in `tenants`, for bootstrap.
    pub async fn operator_token_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM api_tokens WHERE operator = 1 AND revoked_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
