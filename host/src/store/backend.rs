//! Which database the store talks to, how to reach it, and its migrations.
use std::time::Duration;

/// Which database a [`crate::store::Store`] talks to.
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

/// The migrations of `backend`, embedded in the binary.
pub(super) fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}
