//! Scoped API tokens: minted and revoked by a tenant's admins. The secret
//! is returned once, at creation, and never again. A token may be bound to
//! one agent or runner (`agentId`): it then acts only as that principal
//! (see `crate::server::auth`).
use crate::server::auth::{Principal, SCOPES, hash_token, new_secret};
use crate::server::error::{ApiError, ErrorBody, JsonBody, Success};
use crate::services::AppState;
use crate::store::TokenRecord;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct NewToken {
    /// A label, 1-128 characters.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    name: String,
    /// One or more of `skills:read`, `skills:write`, `admin`.
    #[schema(min_items = 1, value_type = Vec<ScopeName>)]
    scopes: Vec<String>,
    /// Id or name of the agent or runner the token is bound to.
    #[serde(default)]
    agent_id: Option<String>,
}

/// A scope, as the schema of a new token's `scopes` lists them (the
/// handler checks against `SCOPES` itself, to name the valid ones).
#[derive(ToSchema)]
#[allow(dead_code)]
enum ScopeName {
    #[schema(rename = "skills:read")]
    SkillsRead,
    #[schema(rename = "skills:write")]
    SkillsWrite,
    #[schema(rename = "admin")]
    Admin,
}

/// A token as minted: its secret appears here and never again.
#[derive(Serialize, ToSchema)]
struct Minted {
    token: MintedToken,
}

#[derive(Serialize, ToSchema)]
struct MintedToken {
    #[serde(flatten)]
    record: TokenRecord,
    /// The bearer secret (`sk_…`).
    secret: String,
}

#[derive(Serialize, ToSchema)]
struct Tokens {
    tokens: Vec<TokenRecord>,
    total: usize,
}

/// Mints a token of the caller's tenant.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Minted", body = Minted),
        (status = 404, description = "`agentId` names no agent or runner of this tenant", body = ErrorBody),
        (status = 422, description = "An agent-bound token asked for `admin`", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<Minted>), ApiError> {
    principal.require("admin")?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 128 {
        return Err(ApiError::bad_request(
            "invalid_name",
            "token name must be 1-128 characters",
        ));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_scopes",
            format!("give at least one scope of: {}", SCOPES.join(", ")),
        ));
    }
    if let Some(bad) = body.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ApiError::bad_request(
            "invalid_scopes",
            format!("unknown scope `{bad}`; scopes are: {}", SCOPES.join(", ")),
        ));
    }
    let mut scopes = body.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let agent = match &body.agent_id {
        None => None,
        // An admin token manages the whole tenant; bound, it would still
        // mint unbound tokens and act as every agent through them.
        Some(_) if scopes.iter().any(|s| s == "admin") => {
            return Err(ApiError::Unprocessable {
                code: "bound_admin_token",
                message: "a token bound to an agent cannot have the `admin` scope: give it \
                          `skills:read` and/or `skills:write`, or leave out `agentId`"
                    .into(),
            });
        }
        Some(key) => Some(
            state
                .store
                .agent(&principal.tenant_id, key)
                .await?
                .ok_or_else(|| ApiError::NotFoundWith {
                    code: "agent_not_found",
                    message: format!(
                        "`agentId` names no agent or runner of this tenant: `{key}` \
                         (give the id or name of one listed by GET /api/agents or /api/runners)"
                    ),
                })?,
        ),
    };
    let secret = new_secret();
    let record = state
        .store
        .create_agent_token(
            &principal.tenant_id,
            name,
            &scopes,
            &hash_token(&secret),
            agent.as_ref().map(|a| a.id.as_str()),
        )
        .await?;
    tracing::info!(
        token_id = %record.id,
        tenant_id = %record.tenant_id,
        agent_id = record.agent_id.as_deref().unwrap_or("-"),
        "token created"
    );
    let token = MintedToken { record, secret };
    Ok((StatusCode::CREATED, Json(Minted { token })))
}

/// Lists the tenant's tokens, without their secrets.
#[utoipa::path(get, path = "/api/tokens", tag = "tokens",
    responses((status = 200, description = "The tenant's tokens", body = Tokens)),
    security(("bearer" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Tokens>, ApiError> {
    principal.require("admin")?;
    let tokens = state.store.list_tokens(&principal.tenant_id).await?;
    let total = tokens.len();
    Ok(Json(Tokens { tokens, total }))
}

/// Revokes a token; it stops working at once.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked", body = Success),
        (status = 409, description = "The operator's token, which only a restart replaces", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Success>, ApiError> {
    principal.require("admin")?;
    // Revoked, the operator's token would lock the operator out of every
    // tenant until a restart; it is replaced by restarting with a new one.
    let tokens = state.store.list_tokens(&principal.tenant_id).await?;
    if tokens.iter().any(|t| t.id == id && t.operator) {
        return Err(ApiError::Conflict {
            code: "operator_token",
            message: "the operator's token cannot be revoked through the API: restart \
                      the server with a new --admin-token to replace it"
                .into(),
        });
    }
    if !state.store.revoke_token(&principal.tenant_id, &id).await? {
        return Err(ApiError::NotFound("token"));
    }
    tracing::info!(token_id = %id, "token revoked");
    Ok(Json(Success::TRUE))
}
