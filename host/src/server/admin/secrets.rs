//! Tenant secrets in seed 002's style of paths: create, list, fetch,
//! update, delete. Values are write-only: no response carries one.
//! Only admins manage them.
use crate::capability::MIN_REDACTED_LEN;
use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, JsonBody, QueryParams};
use crate::server::fields::check_meta;
use crate::services::AppState;
use crate::store::{NewSecret, SecretKind, SecretRow, Store, StoreError, reference_name};
use crate::vault::Vault;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/v1/secret/create", post(create))
        .route("/api/v1/secret/list", get(list))
        .route("/api/v1/secret/{id}/fetch", get(fetch))
        .route("/api/v1/secret/{id}/update", post(update))
        .route("/api/v1/secret/{id}/delete", post(delete))
}

/// Moves the first release's inline grant values into tenant secrets and
/// re-seals rows still under the previous key. Run at start, before the
/// service reads any grant.
pub async fn prepare_secrets(store: &Store, vault: &Vault) -> Result<(), StoreError> {
    let moved = store.move_grant_secrets(vault).await?;
    if moved > 0 {
        tracing::warn!(
            skills = moved,
            "moved secret values out of grants into tenant secrets"
        );
    }
    let resealed = store.reseal_secrets(vault).await?;
    if resealed > 0 {
        tracing::info!(
            secrets = resealed,
            "re-sealed secrets under the current key"
        );
    }
    for key_id in store.secrets_under_unknown_keys(vault).await? {
        tracing::error!(
            key_id,
            "some secrets are sealed under a key this server does not have: set SKILLHOST_SECRET_KEY (and SKILLHOST_SECRET_KEY_PREVIOUS while rotating) to the keys the other replicas use"
        );
    }
    Ok(())
}

/// Longest value accepted: credentials, not documents.
const MAX_VALUE_BYTES: usize = 16 << 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewSecretBody {
    name: String,
    value: String,
    #[serde(default, rename = "type")]
    kind: Option<SecretKind>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecretChanges {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<SecretKind>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 128 || reference_name(name).is_empty() {
        return Err(ApiError::bad_request(
            "invalid_name",
            "a secret name is 1-128 characters with at least one letter or digit",
        ));
    }
    Ok(())
}

/// Checks a value without ever putting it in a message.
fn check_value(kind: SecretKind, value: &str) -> Result<(), ApiError> {
    if value.len() < MIN_REDACTED_LEN || value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::bad_request(
            "invalid_value",
            format!(
                "a secret value is {MIN_REDACTED_LEN} to {MAX_VALUE_BYTES} bytes (shorter values could not be told apart from ordinary output to redact them)"
            ),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(
            "invalid_value",
            "a secret value may not contain control characters (newlines included): it is sent in headers",
        ));
    }
    if kind == SecretKind::Basic && !value.contains(':') {
        return Err(ApiError::bad_request(
            "invalid_value",
            "a `basic` secret's value is `user:password`",
        ));
    }
    Ok(())
}

fn name_taken(name: &str) -> ApiError {
    ApiError::Conflict {
        code: "secret_exists",
        message: format!(
            "a secret named `{name}` (referenced as ${{SECRET_{}}}) already exists",
            reference_name(name)
        ),
    }
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewSecretBody>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    check_name(&body.name)?;
    let kind = body.kind.unwrap_or(SecretKind::Plain);
    check_value(kind, &body.value)?;
    check_meta(body.meta.as_ref())?;
    let meta = body.meta.unwrap_or_else(|| json!({}));
    let new = NewSecret {
        name: &body.name,
        kind,
        description: body.description.as_deref(),
        meta: &meta,
        value: &body.value,
    };
    let secret = state
        .store
        .create_secret(&state.vault, &principal.tenant_id, &new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => name_taken(&body.name),
            other => other.into(),
        })?;
    tracing::info!(secret_id = %secret.id, "secret created");
    Ok(Json(json!({ "id": secret.id })))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let page = params.page(&state, "secrets", &principal.tenant_id).await?;
    let items = state
        .store
        .list_secrets(&principal.tenant_id, &page)
        .await?;
    Ok(Json(json!({ "items": items })))
}

async fn find(state: &AppState, principal: &Principal, id: &str) -> Result<SecretRow, ApiError> {
    state
        .store
        .secret(&principal.tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("secret"))
}

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SecretRow>, ApiError> {
    principal.require("admin")?;
    Ok(Json(find(&state, &principal, &id).await?))
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SecretChanges>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let mut secret = find(&state, &principal, &id).await?;
    if let Some(name) = body.name {
        check_name(&name)?;
        secret.name = name;
    }
    if let Some(kind) = body.kind {
        secret.kind = kind;
    }
    match &body.value {
        Some(value) => check_value(secret.kind, value)?,
        // A new kind must suit the stored value: `basic` needs a colon.
        None if body.kind == Some(SecretKind::Basic) => {
            check_value(SecretKind::Basic, &state.open_value(&secret)?)?;
        }
        None => {}
    }
    if let Some(description) = body.description {
        secret.description = Some(description);
    }
    check_meta(body.meta.as_ref())?;
    if let Some(meta) = body.meta {
        secret.meta = meta;
    }
    let name = secret.name.clone();
    let secret = state
        .store
        .update_secret(&state.vault, &secret, body.value.as_deref())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => name_taken(&name),
            other => other.into(),
        })?;
    tracing::info!(secret_id = %secret.id, "secret updated");
    Ok(Json(json!({ "id": secret.id })))
}

async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    if !state.store.delete_secret(&principal.tenant_id, &id).await? {
        return Err(ApiError::NotFound("secret"));
    }
    tracing::info!(secret_id = %id, "secret deleted");
    Ok(Json(json!({ "id": id })))
}
