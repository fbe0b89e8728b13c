//! The [`Store`] handle: the connection pool, the read cache and the audit
//! writer; connecting, migrating, readiness and the cache's bookkeeping.
//! The queries of each table are in their own files.
use super::audit_writer::AuditWriter;
use super::backend::{Backend, StoreConfig, migrator};
use super::cache;
use super::cached_rows::{
    AbilityRow, Agent, AssignmentRow, IntegrationRow, SecretRow, SkillRow, SkillsetRow, TokenRecord,
};
use super::error::StoreError;
use super::invalidation;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
    pub(super) cache: Arc<ReadCache>,
    pub(super) audit: AuditWriter,
}

/// The cached rows of the invoke path; see [`super::cache`].
pub(super) struct ReadCache {
    pub(super) generation: Arc<cache::Generation>,
    pub(super) tokens: cache::Memo<String, TokenRecord>,
    pub(super) agents: cache::Memo<(String, String), Agent>,
    pub(super) skills: cache::Memo<(String, String), Arc<SkillRow>>,
    pub(super) assignments: cache::Memo<(String, String, String), AssignmentRow>,
    pub(super) secrets: cache::Memo<(String, String), SecretRow>,
    pub(super) skillsets: cache::Memo<(String, String), SkillsetRow>,
    pub(super) abilities: cache::Memo<(String, String, String), AbilityRow>,
    pub(super) integrations: cache::Memo<(String, String), IntegrationRow>,
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
            audit: AuditWriter::start(pool.clone(), backend),
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
    pub(super) async fn cached<K, V, F>(
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
    pub(super) async fn changed(&self) {
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
