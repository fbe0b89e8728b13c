//! `serve --preload DIR`: the operator installs every packaged skill in a
//! server-side directory into the default tenant, approved with the grant
//! its declaration asks for (no mounts, no private network), and assigned
//! to an agent named `demo`. Meant for demos and single-tenant setups.
use super::bootstrap::DEFAULT_TENANT;
use crate::capability::Grant;
use crate::store::{ApprovalRecord, AssignmentRow, Store, StoreError, new_skill};
use std::path::Path;

/// Installs what is not installed yet; returns the names of the skills.
pub async fn preload(
    store: &Store,
    loader: &crate::server::Loader,
    dir: &Path,
) -> Result<Vec<String>, String> {
    let tenant = store
        .tenant_by_name(DEFAULT_TENANT)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the default tenant does not exist")?;
    let agent = match store
        .agent(&tenant.id, "demo")
        .await
        .map_err(|e| e.to_string())?
    {
        Some(a) => a,
        None => store
            .create_agent(&tenant.id, "demo", "agent")
            .await
            .map_err(|e| e.to_string())?,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    entries.sort();
    let mut names = Vec::new();
    for path in entries {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let package =
            crate::package::read(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        loader
            .load_bytes(bytes.clone())
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let kind = crate::store::StoredKind::Component(package.kind);
        store
            .put_component(&tenant.id, &package.digest, &bytes)
            .await
            .map_err(|e| e.to_string())?;
        let mut row = new_skill(&tenant.id, package.manifest, kind, &package.digest, "path");
        row.source_url = Some(path.display().to_string());
        match store.create_skill(&row).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                names.push(row.manifest.name.clone());
                continue;
            }
            Err(e) => return Err(e.to_string()),
        }
        store
            .approve_skill(&tenant.id, &row.id, &Grant::default(), None)
            .await
            .map_err(|e| e.to_string())?;
        // Approved without a review, and recorded as such.
        let mut record = ApprovalRecord::new(&tenant.id, "preload", "skill", &row.id, "approved");
        record.digest = Some(row.digest.clone());
        record.detail =
            serde_json::json!({ "version": row.manifest.version.to_string(), "grant": {} });
        store
            .record_approval(&record)
            .await
            .map_err(|e| e.to_string())?;
        let assignment = AssignmentRow::new(&tenant.id, &row.id, &agent.id, "preload");
        store
            .create_assignment(&assignment)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(skill = %row.manifest.name, path = %path.display(), "preloaded");
        names.push(row.manifest.name.clone());
    }
    Ok(names)
}
