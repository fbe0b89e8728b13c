//! Tenants: the operator creates them (each new tenant gets a first admin
//! token, shown once) and decides which may approve private networks.
//! Tenant admins may read the operator's volumes by name.
use crate::capability::Review;
use crate::manifest::is_slug;
use crate::server::auth::{Principal, hash_token, new_secret};
use crate::server::error::{ApiError, ErrorBody, JsonBody};
use crate::services::AppState;
use crate::store::{ApprovalRecord, StoreError, Tenant};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(volumes))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TenantPatch {
    /// Whether the tenant's admins may approve private networks; absent
    /// changes nothing.
    allow_private_network: Option<bool>,
}

/// A tenant after a change.
#[derive(Serialize, ToSchema)]
struct Changed {
    tenant: Tenant,
    /// Grants put back to waiting for an admin because they have private
    /// networks the tenant may no longer approve.
    held: u64,
}

#[derive(Serialize, ToSchema)]
struct Tenants {
    tenants: Vec<Tenant>,
    total: usize,
}

/// A new tenant and its first admin token.
#[derive(Serialize, ToSchema)]
struct Created {
    tenant: Tenant,
    token: FirstToken,
}

/// The new tenant's first admin token: its secret appears here and
/// never again.
#[derive(Serialize, ToSchema)]
struct FirstToken {
    id: String,
    scopes: Vec<String>,
    /// The bearer secret.
    secret: String,
}

/// One of the operator's volumes, as a grant names it.
#[derive(Serialize, ToSchema)]
struct Volume {
    name: String,
    /// Whether a grant may mount it for writing.
    writable: bool,
}

#[derive(Serialize, ToSchema)]
struct Volumes {
    volumes: Vec<Volume>,
}

/// Lets a tenant's admins approve private networks, or withdraws it.
///
/// The operator's. When withdrawn, every grant of the tenant that has
/// private networks waits for an admin again.
#[utoipa::path(patch, path = "/api/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "The tenant's id or name")),
    request_body = TenantPatch,
    responses(
        (status = 200, description = "The tenant as changed, and how many grants wait again", body = Changed),
        (status = 403, description = "Not the operator's token", body = ErrorBody),
        (status = 422, description = "The operator's own tenant keeps private networks (`operator_tenant`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TenantPatch>,
) -> Result<Json<Changed>, ApiError> {
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
        return Ok(Json(Changed { tenant, held: 0 }));
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
    Ok(Json(Changed { tenant, held }))
}

/// The operator's volumes by name and mode, for admins writing a grant.
///
/// Host paths stay the operator's.
#[utoipa::path(get, path = "/api/volumes", tag = "tenants",
    responses((status = 200, description = "The volumes grants may name", body = Volumes)),
    security(("bearer" = ["admin"])))]
async fn volumes(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Volumes>, ApiError> {
    principal.require("admin")?;
    let volumes = state
        .loader
        .runtime()
        .volumes()
        .list()
        .map(|(name, writable)| Volume {
            name: name.to_owned(),
            writable,
        })
        .collect();
    Ok(Json(Volumes { volumes }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    /// 1-64 lowercase letters, digits and single hyphens.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: String,
}

/// Creates a tenant, with a first admin token shown once.
///
/// The operator's.
#[utoipa::path(post, path = "/api/tenants", tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 403, description = "Not the operator's token", body = ErrorBody),
        (status = 409, description = "A tenant of this name exists (`tenant_exists`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTenant>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
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
    let token = FirstToken {
        id: token.id,
        scopes: token.scopes,
        secret,
    };
    Ok((StatusCode::CREATED, Json(Created { tenant, token })))
}

/// Lists the tenants.
///
/// The operator's.
#[utoipa::path(get, path = "/api/tenants", tag = "tenants",
    responses(
        (status = 200, description = "Every tenant", body = Tenants),
        (status = 403, description = "Not the operator's token", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Tenants>, ApiError> {
    principal.require_operator()?;
    let tenants = state.store.list_tenants().await?;
    let total = tenants.len();
    Ok(Json(Tenants { tenants, total }))
}
