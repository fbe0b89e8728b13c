//! Which database the test servers use. Unset, each gets its own SQLite
//! file in its data directory. With `SKILLHOST_TEST_DATABASE_URL` set to a
//! PostgreSQL server (`postgres://user@host:port/postgres`; `.ci/test`
//! starts a throwaway one), each gets its own database on that server,
//! named after its data directory. A URL that cannot be reached fails the
//! test: nothing falls back to SQLite silently.
use skillhost::store::StoreConfig;
use sqlx::Connection;
use std::path::Path;

/// The variable that selects PostgreSQL.
pub const DATABASE_URL_VAR: &str = "SKILLHOST_TEST_DATABASE_URL";

/// The server URL, when the tests run on PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
}

/// The database of the server whose data directory is `data_dir`.
fn database_name(data_dir: &Path) -> String {
    let name: String = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // PostgreSQL truncates identifiers at 63 bytes.
    name.chars().take(63).collect()
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a valid PostgreSQL URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// On PostgreSQL, drops and creates the database of `data_dir`; on SQLite
/// nothing (the data directory is fresh).
pub async fn fresh_database(data_dir: &Path) {
    if let Some(url) = postgres_url() {
        fresh_database_on(&url, data_dir).await;
    }
}

/// Drops and creates the database of `data_dir` on the PostgreSQL server
/// at `url`, and returns the store settings that use it.
pub async fn fresh_database_on(url: &str, data_dir: &Path) -> StoreConfig {
    let name = database_name(data_dir);
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!("{DATABASE_URL_VAR} is set but PostgreSQL cannot be reached: {e}")
    });
    sqlx::Executor::execute(
        &mut admin,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
    )
    .await
    .expect("dropping the test database");
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("creating the test database");
    StoreConfig {
        database_url: Some(with_database(url, &name)),
        ..StoreConfig::default()
    }
}

/// The store settings of the server whose data directory is `data_dir`.
pub fn store_config(data_dir: &Path) -> StoreConfig {
    StoreConfig {
        database_url: postgres_url().map(|url| with_database(&url, &database_name(data_dir))),
        // Many test servers share one PostgreSQL at once.
        max_connections: 4,
        ..StoreConfig::default()
    }
}

/// A plain connection to the database of the server whose data directory
/// is `data_dir`, for tests that look beneath the API (what is stored at
/// rest, a row as an older release wrote it).
pub async fn raw_connection(data_dir: &Path) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let url = match store_config(data_dir).database_url {
        Some(url) => url,
        None => format!("sqlite://{}", data_dir.join("skillhost.db").display()),
    };
    sqlx::AnyConnection::connect(&url)
        .await
        .expect("the test database opens")
}
