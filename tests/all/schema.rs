//! The two backends' migrations must describe the same tables and columns
//! (types differ where they must: bytes, integer widths). Both are applied
//! to a real database — a SQLite file and a PostgreSQL database — and the
//! resulting catalogs compared.
use skillhost::store::{Store, StoreConfig};
use skillhost_tests::backend;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;

type Schema = BTreeMap<String, Vec<String>>;

#[tokio::test]
async fn sqlite_and_postgres_migrations_give_the_same_tables_and_columns() {
    let Some(_) = backend::postgres_url() else {
        panic!(
            "this test compares against PostgreSQL: run `bash .ci/test` (it starts one), \
             or set {} to a PostgreSQL server",
            backend::DATABASE_URL_VAR
        );
    };
    let dir = skillhost_tests::work_dir("schema");

    Store::connect(&dir, &StoreConfig::default()).await.unwrap();
    let mut sqlite = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.join("skillhost.db").display()
    ))
    .await
    .unwrap();
    let mut lite = Schema::new();
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut sqlite)
    .await
    .unwrap();
    for table in tables {
        let name: String = table.get("name");
        let columns = sqlx::query(&format!("SELECT name FROM pragma_table_info('{name}')"))
            .fetch_all(&mut sqlite)
            .await
            .unwrap();
        let mut columns: Vec<String> = columns.iter().map(|c| c.get("name")).collect();
        columns.sort();
        lite.insert(name, columns);
    }

    backend::fresh_database(&dir).await;
    let config = backend::store_config(&dir);
    Store::connect(&dir, &config).await.unwrap();
    let mut pg = sqlx::PgConnection::connect(config.database_url.as_deref().unwrap())
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' ORDER BY 1, 2",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    let mut postgres = Schema::new();
    for row in rows {
        postgres.entry(row.get("t")).or_default().push(row.get("c"));
    }
    assert!(lite.len() >= 7, "{lite:?}");
    assert_eq!(lite, postgres);
    let _ = std::fs::remove_dir_all(&dir);
}
