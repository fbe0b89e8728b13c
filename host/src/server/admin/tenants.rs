//! Tenants: the operator creates them (each new tenant gets a first admin
//! token, shown once) and decides which may approve private networks.
//! Tenant admins may read the operator's volumes by name.
use crate::capability::Review;
use crate::manifest::is_slug;
use crate::server::auth::{Principal, hash_token, new_secret};
use crate::server::error::{ApiError, JsonBody};
use crate::services::AppState;
use crate::store::{ApprovalRecord, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/tenants", get(list).post(create))
        .route("/api/tenants/{id}", patch(update))
        .route("/api/volumes", get(volumes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TenantPatch {
    allow_private_network: Option<bool>,
}

/// The operator lets a tenant's admins approve private networks, or
/// withdraws it: then every grant of the tenant that has them waits for
/// an admin again.
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TenantPatch>,
) -> Result<Json<Value>, ApiError> {
    principal.require_operator()?;
    let tenant = match state.store.tenant(&id).await? {
        Some(t) => t,
        None => state
            .store
            .tenant_by_name(&id)
            .await?
            .ok_or(ApiError::NotFound("tenant"))?,
    };
    let Some(allow) = body.allow_private_network else {
        return Ok(Json(json!({ "tenant": tenant, "held": 0 })));
    };
    if !allow && tenant.id == principal.tenant_id {
        return Err(ApiError::Unprocessable {
            code: "operator_tenant",
            message: "the operator's own tenant always may approve private networks".into(),
        });
    }
    let review = Review {
        reason: Some("the operator withdrew this tenant's private networks".into()),
        ..Review::default()
    };
    let held = state
        .store
        .set_tenant_private_network(&tenant.id, allow, &review)
        .await?;
    let mut record = ApprovalRecord::new(
        &tenant.id,
        &principal.token_id,
        "tenant",
        &tenant.id,
        "private_network",
    );
    record.detail = json!({ "allowPrivateNetwork": allow, "held": held });
    crate::server::decisions::record(&state, record).await?;
    tracing::info!(tenant_id = %tenant.id, allow, held, "tenant private networks changed");
    let tenant = state
        .store
        .tenant(&tenant.id)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    Ok(Json(json!({ "tenant": tenant, "held": held })))
}

/// The operator's volumes by name and mode, for admins writing a grant;
/// host paths stay the operator's.
async fn volumes(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let volumes: Vec<Value> = state
        .loader
        .runtime()
        .volumes()
        .list()
        .map(|(name, writable)| json!({ "name": name, "writable": writable }))
        .collect();
    Ok(Json(json!({ "volumes": volumes })))
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
