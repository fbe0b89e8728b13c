//! Tenant secrets in seed 002's style of paths: create, list, fetch,
//! update, delete. Values are write-only: no response carries one.
//! Only admins manage them.
use crate::capability::MIN_REDACTED_LEN;
use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::fields::check_meta;
use crate::services::AppState;
use crate::store::{NewSecret, SecretKind, SecretRow, Store, StoreError, reference_name};
use crate::vault::Vault;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(fetch))
        .routes(routes!(update))
        .routes(routes!(delete))
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

// The schemas below state `check_name` and `check_value`'s rules, so that
// what the document calls valid is accepted. A value's limit is in bytes
// (UTF-8), which JSON Schema cannot count: `maxLength` is the ASCII case.

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewSecretBody {
    /// 1-128 characters, at least one an ASCII letter or digit.
    #[schema(min_length = 1, max_length = 128, pattern = "[A-Za-z0-9]")]
    name: String,
    /// 4 to 16384 bytes, no control characters; `user:password` for `basic`.
    #[schema(
        min_length = 4,
        max_length = 16384,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    value: String,
    /// How the value is rendered where it is used; `plain` when absent.
    #[serde(default, rename = "type")]
    kind: Option<SecretKind>,
    #[serde(default)]
    description: Option<String>,
    /// Free metadata.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecretChanges {
    /// 1-128 characters, at least one an ASCII letter or digit.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = "[A-Za-z0-9]")]
    name: Option<String>,
    /// 4 to 16384 bytes, no control characters; `user:password` for `basic`.
    #[serde(default)]
    #[schema(
        min_length = 4,
        max_length = 16384,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    value: Option<String>,
    /// A new rendering; `basic` needs a `user:password` value.
    #[serde(default, rename = "type")]
    kind: Option<SecretKind>,
    #[serde(default)]
    description: Option<String>,
    /// Free metadata, replacing the old.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// The secret a change was made to.
#[derive(Serialize, ToSchema)]
struct SecretId {
    id: String,
}

/// A page of the tenant's secrets, without their values.
#[derive(Serialize, ToSchema)]
struct Secrets {
    items: Vec<SecretRow>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    // Characters, as the message (and the schema's `maxLength`) say.
    let length = name.chars().count();
    if length == 0 || length > 128 || reference_name(name).is_empty() {
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

/// Creates a tenant secret; its value is never shown again.
#[utoipa::path(post, path = "/api/v1/secret/create", tag = "secrets",
    request_body = NewSecretBody,
    responses(
        (status = 200, description = "Created", body = SecretId),
        (status = 400, description = "A body that is not JSON of this shape (`invalid_body`), or a name, value or `meta` the schema describes but the body breaks (`invalid_name`, `invalid_value` — a `basic` value without a colon, or over 16384 bytes — `invalid_meta`)", body = ErrorBody),
        (status = 409, description = "A secret with the same `${SECRET_…}` reference exists: names that differ only in case or punctuation collide (`secret_exists`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewSecretBody>,
) -> Result<Json<SecretId>, ApiError> {
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
    Ok(Json(SecretId { id: secret.id }))
}

/// Lists the tenant's secrets, without their values.
#[utoipa::path(get, path = "/api/v1/secret/list", tag = "secrets",
    params(
        ("cursor" = Option<String>, Query, description = "The id of the last secret of the previous page"),
        ("take" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, 50 when absent"),
        ("order" = Option<String>, Query, pattern = "^(asc|desc)$", description = "By creation: `desc` (the default) or `asc`"),
    ),
    responses(
        (status = 200, description = "One page", body = Secrets),
        (status = 400, description = "`take` out of range (`invalid_take`), an unknown `order` (`invalid_order`), or a `cursor` that is not the id of one of the tenant's secrets (`invalid_cursor`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<Secrets>, ApiError> {
    principal.require("admin")?;
    let page = params.page(&state, "secrets", &principal.tenant_id).await?;
    let items = state
        .store
        .list_secrets(&principal.tenant_id, &page)
        .await?;
    Ok(Json(Secrets { items }))
}

async fn find(state: &AppState, principal: &Principal, id: &str) -> Result<SecretRow, ApiError> {
    state
        .store
        .secret(&principal.tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("secret"))
}

/// A secret's name, reference, type and metadata; never its value.
#[utoipa::path(get, path = "/api/v1/secret/{id}/fetch", tag = "secrets",
    params(("id" = String, Path, description = "The secret's id")),
    responses((status = 200, description = "The secret, without its value", body = SecretRow)),
    security(("bearer" = ["admin"])))]
async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SecretRow>, ApiError> {
    principal.require("admin")?;
    Ok(Json(find(&state, &principal, &id).await?))
}

/// Changes a secret's name, value, type, description or metadata.
#[utoipa::path(post, path = "/api/v1/secret/{id}/update", tag = "secrets",
    params(("id" = String, Path, description = "The secret's id")),
    request_body = SecretChanges,
    responses(
        (status = 200, description = "Changed", body = SecretId),
        (status = 400, description = "A body that is not JSON of this shape (`invalid_body`), or a name, value or `meta` the body breaks the rules of (`invalid_name`, `invalid_value` — also `type: basic` when the value, new or stored, has no colon — `invalid_meta`)", body = ErrorBody),
        (status = 409, description = "Another secret has the same `${SECRET_…}` reference (`secret_exists`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SecretChanges>,
) -> Result<Json<SecretId>, ApiError> {
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
    Ok(Json(SecretId { id: secret.id }))
}

/// Deletes a secret.
#[utoipa::path(post, path = "/api/v1/secret/{id}/delete", tag = "secrets",
    params(("id" = String, Path, description = "The secret's id")),
    responses((status = 200, description = "Deleted", body = SecretId)),
    security(("bearer" = ["admin"])))]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SecretId>, ApiError> {
    principal.require("admin")?;
    if !state.store.delete_secret(&principal.tenant_id, &id).await? {
        return Err(ApiError::NotFound("secret"));
    }
    tracing::info!(secret_id = %id, "secret deleted");
    Ok(Json(SecretId { id }))
}
