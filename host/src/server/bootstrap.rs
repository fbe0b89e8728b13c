//! First start: the default tenant and the operator's token.
use super::auth::{hash_token, new_secret};
use crate::store::{Store, StoreError};

/// The tenant the operator's token administers.
pub const DEFAULT_TENANT: &str = "default";

/// Ensures the default tenant and an operator token exist. With
/// `admin_token` (from `SKILLHOST_ADMIN_TOKEN`) that token is registered if
/// it is not yet; without it, a token is generated when none exists and
/// returned so the caller prints it once. Only hashes are stored.
pub async fn bootstrap(
    store: &Store,
    admin_token: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let tenant = match store.tenant_by_name(DEFAULT_TENANT).await? {
        Some(t) => t,
        None => store.create_tenant(DEFAULT_TENANT).await?,
    };
    let admin = ["admin".to_owned()];
    if let Some(secret) = admin_token {
        let hash = hash_token(secret);
        if store.token_by_hash(&hash).await?.is_none() {
            store
                .create_token(
                    &tenant.id,
                    "operator (SKILLHOST_ADMIN_TOKEN)",
                    &admin,
                    &hash,
                    true,
                )
                .await?;
        }
        return Ok(None);
    }
    if store.operator_token_count().await? > 0 {
        return Ok(None);
    }
    let secret = new_secret();
    store
        .create_token(
            &tenant.id,
            "operator (generated)",
            &admin,
            &hash_token(&secret),
            true,
        )
        .await?;
    Ok(Some(secret))
}
