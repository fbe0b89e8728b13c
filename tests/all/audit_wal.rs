//! SQLite's audit log under constant writes: the writer checkpoints the
//! WAL itself between batches, so the WAL starts over instead of growing
//! with every commit (each commit appends the pages it changed again, so an
//! unchecked WAL outgrows the database it belongs to). Every record is
//! still there afterwards.
use serde_json::json;
use skillhost::store::{InvocationRow, Store, StoreConfig};
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_small_while_audit_records_pour_in() {
    const WRITERS: usize = 32;
    const RECORDS: usize = 2000;
    let dir = skillhost_tests::work_dir("audit-wal");
    let store = Store::connect(&dir, &StoreConfig::default()).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap().id;
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (store, tenant) = (store.clone(), tenant.clone());
        writers.push(tokio::spawn(async move {
            for _ in 0..RECORDS {
                store
                    .record_invocation(InvocationRow {
                        id: skillhost::store::new_id(),
                        tenant_id: tenant.clone(),
                        agent_id: None,
                        agent_name: Some("bot".into()),
                        skill_id: None,
                        skill_name: "text-tools".into(),
                        ability: "slugify".into(),
                        outcome: "success".into(),
                        duration_us: 12,
                        peak_memory_bytes: 1 << 20,
                        output_bytes: 14,
                        denials: json!([]),
                        requests: json!([]),
                        input: None,
                        request_id: None,
                        surface: Some("rest".into()),
                        integration_id: None,
                        created_at: skillhost::store::now(),
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    let (wal, db) = (size("skillhost.db-wal"), size("skillhost.db"));
    assert!(
        wal < db / 2,
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
