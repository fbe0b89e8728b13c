//! A skill as the API shows it (seed 001's object, with seed 004's fields
//! for sources), and a grant as an approval body gives it.
use crate::capability::{Grant, MountSource};
use crate::server::error::ApiError;
use crate::store::SkillRow;
use serde_json::{Value, json};

/// A grant as shown to clients: secret and env values and host paths are
/// operator detail and never leave the server.
pub(crate) fn redacted(grant: &Grant) -> Value {
    json!({
        "network": grant.network,
        "allowPrivateNetwork": grant.allow_private_network,
        "mounts": grant.mounts.iter().map(|(guest, source)| match source {
            MountSource::Volume(v) => (guest.to_string(), json!(v)),
            // A stored host path waits for re-approval; the path itself is
            // the operator's.
            MountSource::HostPath(_) => (guest.to_string(), json!({ "needsApproval": true })),
        }).collect::<serde_json::Map<_, _>>(),
        "env": grant.env.keys().collect::<Vec<_>>(),
        "secrets": grant.secrets,
        "inject": grant.inject,
        "limits": grant.limits,
    })
}

/// Seed 001's skill object plus what a sandbox adds.
pub(crate) fn view(skill: &SkillRow, assigned: i64) -> Value {
    let m = &skill.manifest;
    let mut v = json!({
        "id": skill.id,
        "name": m.name,
        "slug": m.name,
        "description": m.description,
        "category": m.category,
        "toolIds": m.abilities.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "config": {},
        "listingRef": null,
        "listingVersion": null,
        "locked": false,
        "currentVersion": m.version.to_string(),
        "status": skill.status,
        "createdAt": skill.created_at,
        "updatedAt": skill.updated_at,
        "source": "custom",
        "origin": skill.source,
        "sourceUrl": skill.public_source_url(),
        "sha256": skill.source_sha256,
        "lastSyncedAt": skill.synced_at,
        "syncError": skill.sync_error,
        "kind": skill.kind,
        "digest": skill.digest,
        "capabilities": m.capabilities,
        "limits": m.limits,
        "abilities": m.abilities,
        "grant": skill.grant.as_ref().map(redacted),
        "capabilityDiff": skill.capability_diff,
        "review": skill.review,
        "assignedAgentsCount": assigned,
    });
    // Seed 004's fields (`source` is the kind of source; a component's is
    // seed 001's `custom`).
    if let (Value::Object(into), Value::Object(seed)) = (&mut v, seed_fields(skill)) {
        into.extend(seed);
    }
    v
}

/// A grant body (camelCase; the first release's snake_case accepted). An
/// empty body grants the declaration as it stands.
pub(crate) fn parse_grant(body: &[u8]) -> Result<Grant, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Grant::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid grant: {e}")))
}

/// Seed 004's fields of a skill, for any kind (a component's `source` is
/// `custom`). A source skill whose last sync failed shows `error`, while
/// it keeps serving what it had.
pub(crate) fn seed_fields(skill: &SkillRow) -> Value {
    let detail = skill.detail.as_deref();
    let status = match skill.status.as_str() {
        "active" if detail.is_some() && skill.sync_error.is_some() => "error",
        other => other,
    };
    json!({
        "source": detail.map_or("custom", |d| d.kind().as_str()),
        "sourceUrl": skill.public_source_url(),
        "sourceRef": detail.and_then(|d| d.source_ref.clone()),
        "author": detail.and_then(|d| d.author.clone()),
        "version": detail.map_or_else(
            || Some(skill.manifest.version.to_string()),
            |d| d.version.clone(),
        ),
        "tags": detail.map(|d| d.tags.clone()).unwrap_or_default(),
        "iconUrl": detail.and_then(|d| d.icon_url.clone()),
        "authType": detail.map(|d| d.auth_type()),
        "status": status,
        "lastSyncedAt": skill.synced_at,
    })
}
