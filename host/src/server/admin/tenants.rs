//! Tenants: the operator creates them; each new tenant gets a first admin
//! token, shown once.
use crate::manifest::is_slug;
use crate::server::auth::{Principal, hash_token, new_secret};
use crate::server::error::{ApiError, JsonBody};
use crate::services::AppState;
use crate::store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/tenants", get(list).post(create))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTenant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require_operator()?;
    if !is_slug(&body.name, 64) {
        return Err(ApiError::bad_request(
            "invalid_name",
            "tenant name must be 1-64 lowercase letters, digits and single hyphens",
        ));
    }
    let tenant = state
        .store
        .create_tenant(&body.name)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::Conflict {
                code: "tenant_exists",
                message: format!("tenant `{}` already exists", body.name),
            },
            other => other.into(),
        })?;
    let secret = new_secret();
    let token = state
        .store
        .create_token(
            &tenant.id,
            "initial admin",
            &["admin".to_owned()],
            &hash_token(&secret),
            false,
        )
        .await?;
    tracing::info!(tenant_id = %tenant.id, "tenant created");
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "tenant": tenant, "token": { "id": token.id, "scopes": token.scopes, "secret": secret } }),
        ),
    ))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require_operator()?;
    let tenants = state.store.list_tenants().await?;
    Ok(Json(json!({ "tenants": tenants, "total": tenants.len() })))
}
