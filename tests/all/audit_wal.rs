//! SQLite's audit log under constant writes: a checkpoint beside the writer
//! folds most of the WAL in, then the writer folds the rest between two
//! batches, so the WAL starts over instead of growing with every commit
//! (each commit appends the pages it changed again, so an unchecked WAL
//! outgrows the database it belongs to: with only the checkpoint beside
//! the writer, and half this test's records, it reached 400 MB against a
//! 22 MB database). Every record is still there afterwards.
use skillhost::store::{Store, StoreConfig};
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_small_while_audit_records_pour_in() {
    const WRITERS: usize = 32;
    const RECORDS: usize = 4000;
    let dir = skillhost_tests::work_dir("audit-wal");
    let store = Store::connect(&dir, &StoreConfig::default()).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap().id;
    skillhost_tests::audit::pour_invocations(&store, &tenant, WRITERS, RECORDS).await;
    let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    let (wal, db) = (size("skillhost.db-wal"), size("skillhost.db"));
    assert!(
        wal < db,
        "the WAL ({wal} bytes) should have started over: the database is {db} bytes"
    );
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.join("skillhost.db").display()
    ))
    .await
    .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invocations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count as usize, WRITERS * RECORDS);
}
