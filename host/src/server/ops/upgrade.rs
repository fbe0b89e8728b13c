//! What an upgrade does to grants approved under older rules, at every
//! start (each step finds nothing the second time):
//! - a mount that names a host path inside an operator volume is rewritten
//!   to that volume; one outside every volume sends its skill back to an
//!   admin (pending, with the reason in `review`);
//! - private networks approved in a tenant the operator has not allowed
//!   send their skills, abilities and MCP servers back to an admin.
use crate::capability::{MountSource, Review, Volumes};
use crate::store::{ApprovalRecord, SkillStatus, Store, StoreError};
use serde_json::json;

/// What the upgrade changed, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upgraded {
    /// Grants whose host-path mounts now name a volume.
    pub remapped: usize,
    /// Grants sent back to an admin.
    pub held: u64,
}

/// Brings stored grants under the operator's volumes and private-network
/// allowances.
pub async fn upgrade_grants(store: &Store, volumes: &Volumes) -> Result<Upgraded, StoreError> {
    let mut done = Upgraded::default();
    let withdrawn = Review {
        reason: Some(
            "approved before the operator decided which tenants may open private networks; this tenant may not".into(),
        ),
        ..Review::default()
    };
    for tenant in store.list_tenants().await? {
        if !tenant.allow_private_network {
            done.held += store
                .set_tenant_private_network(&tenant.id, false, &withdrawn)
                .await?;
        }
    }
    for skill in store.skills_with_grants().await? {
        let Some(mut grant) = skill.grant.clone() else {
            continue;
        };
        let mut outside = Vec::new();
        let mut remapped = false;
        for (guest, source) in grant.mounts.iter_mut() {
            if let MountSource::HostPath(host) = source {
                match volumes.locate(host) {
                    Some(volume) => {
                        *source = MountSource::Volume(volume);
                        remapped = true;
                    }
                    None => outside.push(guest.to_string()),
                }
            }
        }
        if outside.is_empty() && !remapped {
            continue;
        }
        let hold = (!outside.is_empty()).then(|| Review {
            reason: Some(format!(
                "mount {} named a host directory outside the operator's volumes: approve it again with a volume (GET /api/volumes)",
                outside.join(", ")
            )),
            ..Review::default()
        });
        store
            .upgrade_grant(&skill.tenant_id, &skill.id, &grant, hold.as_ref())
            .await?;
        let mut record = ApprovalRecord::new(
            &skill.tenant_id,
            "upgrade",
            "skill",
            &skill.id,
            if hold.is_some() {
                "pending"
            } else {
                "approved"
            },
        );
        record.digest = Some(skill.digest.clone());
        record.detail = json!({ "mountsOutsideVolumes": outside, "remapped": remapped });
        store.record_approval(&record).await?;
        if hold.is_some() && skill.status == SkillStatus::Active {
            done.held += 1;
        }
        if remapped {
            done.remapped += 1;
        }
    }
    Ok(done)
}
