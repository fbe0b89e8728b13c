//! Audit records in bulk, for the tests and benches that load the audit
//! writer: `writers` concurrent tasks each record `each` invocations of
//! text-tools' `slugify` in `tenant`, as REST calls would.
use serde_json::json;
use skillhost::store::{InvocationRow, Store};

/// Records `writers * each` invocation rows and returns once all are
/// committed.
pub async fn pour_invocations(store: &Store, tenant: &str, writers: usize, each: usize) {
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, tenant) = (store.clone(), tenant.to_owned());
        tasks.push(tokio::spawn(async move {
            for _ in 0..each {
                store.record_invocation(invocation(&tenant)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

fn invocation(tenant: &str) -> InvocationRow {
    InvocationRow {
        id: skillhost::store::new_id(),
        tenant_id: tenant.to_owned(),
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
    }
}
