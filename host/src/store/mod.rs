//! Durable state through sqlx, on one of two backends behind the same
//! functions: the embedded default, SQLite (WAL) in the data directory, or
//! PostgreSQL (`--database-url postgres://…`) for several replicas.
//! Queries use `$N` placeholders and portable types (TEXT ids and times,
//! BIGINT/INTEGER numbers and booleans, bytes); only the migrations differ
//! where the types must (`migrations/sqlite`, `migrations/postgres`).
mod agent_links;
mod audit;
mod cache;
mod integrations;
mod invalidation;
mod page;
mod records;
mod secrets;
mod sessions;
mod skills;
mod skillsets;
mod tasks;

pub use agent_links::McpServerRow;
pub use audit::{AuditQuery, InvocationRow};
pub use integrations::{IntegrationRow, NewIntegration};
pub use page::{Order, Page};
pub use records::{Agent, Tenant, TokenRecord};
pub use secrets::{NewSecret, SecretKind, SecretRow, reference_name};
pub use skills::{AssignmentRow, PendingSource, SkillFilter, SkillRow, new_skill};
pub use skillsets::{AbilityDeclaration, AbilityRow, SkillsetRow};
pub use tasks::TaskRow;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded file in the data directory.
    Sqlite,
    /// A PostgreSQL server shared by every replica.
    Postgres,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `postgres://…` (with `sslmode` and the rest in the URL); `None` for
    /// SQLite in the data directory.
    pub database_url: Option<String>,
    /// Connections kept at most.
    pub max_connections: u32,
    /// PostgreSQL only: statements running longer than this are cancelled
    /// by the server.
    pub statement_timeout: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            database_url: None,
            // Two cores serve well under ten concurrent queries; PostgreSQL's
            // default limit of 100 connections then holds about ten replicas.
            max_connections: 8,
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    cache: Arc<ReadCache>,
    audit: audit::AuditWriter,
}

/// The cached rows of the invoke path; see [`cache`].
struct ReadCache {
    generation: Arc<cache::Generation>,
    tokens: cache::Memo<String, TokenRecord>,
    agents: cache::Memo<(String, String), Agent>,
    skills: cache::Memo<(String, String), Arc<SkillRow>>,
    assignments: cache::Memo<(String, String, String), AssignmentRow>,
    secrets: cache::Memo<(String, String), SecretRow>,
    skillsets: cache::Memo<(String, String), SkillsetRow>,
    abilities: cache::Memo<(String, String, String), AbilityRow>,
    integrations: cache::Memo<(String, String), IntegrationRow>,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            generation: Arc::default(),
            tokens: cache::Memo::named("tokens"),
            agents: cache::Memo::named("agents"),
            skills: cache::Memo::named("skills"),
            assignments: cache::Memo::named("assignments"),
            secrets: cache::Memo::named("secrets"),
            skillsets: cache::Memo::named("skillsets"),
            abilities: cache::Memo::named("abilities"),
            integrations: cache::Memo::named("integrations"),
        }
    }
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

/// The migrations of `backend`, embedded in the binary.
fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Store {
    /// Opens (creating if needed) `data_dir/skillhost.db` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::connect(data_dir, &StoreConfig::default()).await
    }

    /// Connects to the configured database (SQLite in `data_dir` unless a
    /// URL is given) and migrates it. Migrations run under the database's
    /// lock, so replicas started together migrate once.
    pub async fn connect(data_dir: &Path, config: &StoreConfig) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = match &config.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (Backend::Postgres, url.clone())
            }
            Some(_) => {
                return Err(StoreError::Database(sqlx::Error::Configuration(
                    "the database URL must start with postgres:// (leave it unset for SQLite in the data directory)".into(),
                )));
            }
            None => {
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                let path = data_dir.join("skillhost.db");
                (
                    Backend::Sqlite,
                    format!("sqlite://{}?mode=rwc", path.display()),
                )
            }
        };
        let statement_timeout = config.statement_timeout.as_millis();
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    let setup = match backend {
                        // WAL + NORMAL is durable across application crashes
                        // and keeps writes fast; only an OS crash can lose the
                        // last transactions.
                        Backend::Sqlite => {
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
                                .to_owned()
                        }
                        Backend::Postgres => format!("SET statement_timeout = {statement_timeout}"),
                    };
                    conn.execute(setup.as_str()).await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        migrator(backend)
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        let cache: Arc<ReadCache> = Arc::default();
        if backend == Backend::Postgres {
            invalidation::start(url, pool.clone(), cache.generation.clone());
        }
        Ok(Store {
            audit: audit::AuditWriter::start(pool.clone(), backend),
            pool,
            backend,
            cache,
        })
    }

    /// A number that changes whenever a cached table may have changed, on
    /// this node or (on PostgreSQL, by notification) any other: a cheap
    /// signal to look again.
    pub fn change_generation(&self) -> u64 {
        self.cache.generation.current()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Database connections in use and idle, for metrics.
    pub fn pool_connections(&self) -> (u32, u32) {
        let idle = self.pool.num_idle() as u32;
        (self.pool.size().saturating_sub(idle), idle)
    }

    /// Audit records waiting for the writer, for metrics.
    pub fn audit_queue_depth(&self) -> usize {
        self.audit.depth()
    }

    /// Ready to serve: the database answers and has every migration this
    /// build knows.
    pub async fn ready(&self) -> Result<(), &'static str> {
        let latest = migrator(self.backend)
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let row = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .map_err(|_| "database unreachable")?;
        let applied: Option<i64> = row.try_get("v").map_err(|_| "database unreachable")?;
        if applied.unwrap_or(0) < latest {
            return Err("database migrations have not run");
        }
        Ok(())
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// `memo`'s entry for `key`, else what `load` reads (kept unless a
    /// write happened meanwhile; misses are not kept).
    async fn cached<K, V, F>(
        &self,
        memo: impl Fn(&ReadCache) -> &cache::Memo<K, V>,
        key: K,
        load: F,
    ) -> Result<Option<V>, StoreError>
    where
        K: Eq + std::hash::Hash,
        V: Clone,
        F: std::future::Future<Output = Result<Option<V>, StoreError>>,
    {
        let cache = &*self.cache;
        let read_at = cache.generation.current();
        if let Some(hit) = memo(cache).get(read_at, &key) {
            return Ok(Some(hit));
        }
        let found = load.await?;
        memo(cache).remember(&cache.generation, read_at, key, found.as_ref());
        Ok(found)
    }

    /// Called after every committed write to a cached table: this node's
    /// cache forgets at once; on PostgreSQL every other node is told, and
    /// the caller's answer waits until the notification is sent.
    async fn changed(&self) {
        self.cache.generation.bump();
        metrics::counter!("skillhost_cache_invalidations_total", "source" => "local").increment(1);
        if self.backend == Backend::Postgres
            && let Err(error) = invalidation::notify(&self.pool, "write").await
        {
            // The write is committed; other nodes may serve the old row
            // until their next invalidation. Say so loudly.
            tracing::error!(%error, "could not tell the other nodes about a write");
        }
    }

    /// The sort key `(created_at, id)` of a tenant's row `id` in `table`,
    /// for turning a seed 002 cursor (the last id seen) into a page bound.
    pub async fn sort_key(
        &self,
        table: &'static str,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT created_at, id FROM {table} WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("created_at")?, row.try_get("id")?)),
            None => None,
        })
    }

    /// Live operator tokens, and operator tokens ever created (revoked
    /// ones included), for bootstrap.
    pub async fn operator_token_counts(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END), 0) AS live \
             FROM api_tokens WHERE operator = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("live")?, row.try_get("total")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_connections_run_in_wal_with_normal_sync_and_foreign_keys() {
        let dir =
            std::env::temp_dir().join(format!("skillhost-store-pragmas-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        for (pragma, expected) in [
            ("journal_mode", "wal"),
            ("synchronous", "1"),
            ("foreign_keys", "1"),
            ("busy_timeout", "5000"),
        ] {
            let row = sqlx::query(&format!("PRAGMA {pragma}"))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let value: String = row
                .try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
                .unwrap();
            assert_eq!(value, expected, "{pragma}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
