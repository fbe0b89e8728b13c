//! First start: the default tenant and the operator's token.
use crate::capability::Review;
use crate::server::auth::{hash_token, new_secret};
use crate::store::{Store, StoreError};

/// The tenant the operator's token administers.
pub const DEFAULT_TENANT: &str = "default";

/// Ensures the default tenant and an operator token exist. With
/// `admin_token` (from `SKILLHOST_ADMIN_TOKEN`) that token is registered if
/// it is not yet; without it, a token is generated when none exists and
/// returned so the caller prints it once. Only hashes are stored.
///
/// Replicas starting together on an empty database may all run this at
/// once: every step tolerates another replica having done it first, and
/// the generated token's id is agreed in advance (`operator-N`, N being the
/// operator tokens ever created), so exactly one replica creates and
/// prints it.
pub async fn bootstrap(
    store: &Store,
    admin_token: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let tenant = match store.tenant_by_name(DEFAULT_TENANT).await? {
        Some(t) => t,
        None => match store.create_tenant(DEFAULT_TENANT).await {
            Ok(t) => t,
            Err(StoreError::Conflict) => store
                .tenant_by_name(DEFAULT_TENANT)
                .await?
                .ok_or(StoreError::Conflict)?,
            Err(e) => return Err(e),
        },
    };
    // The operator's own tenant always may approve private networks.
    if !tenant.allow_private_network {
        store
            .set_tenant_private_network(&tenant.id, true, &Review::default())
            .await?;
    }
    let admin = ["admin".to_owned()];
    if let Some(secret) = admin_token {
        let hash = hash_token(secret);
        if store.token_by_hash(&hash).await?.is_none() {
            let created = store
                .create_token(
                    &tenant.id,
                    "operator (SKILLHOST_ADMIN_TOKEN)",
                    &admin,
                    &hash,
                    true,
                )
                .await;
            match created {
                // Another replica registered the same token first.
                Ok(_) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(None);
    }
    let (live, ever) = store.operator_token_counts().await?;
    if live > 0 {
        return Ok(None);
    }
    let secret = new_secret();
    let created = store
        .create_token_with_id(
            &format!("operator-{ever}"),
            &tenant.id,
            "operator (generated)",
            &admin,
            &hash_token(&secret),
            true,
        )
        .await;
    match created {
        Ok(_) => Ok(Some(secret)),
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}
