//! `GET /api/me`: what the calling token is — its tenant, scopes, whether
//! it is the operator's, and the agent it is bound to — so that a client
//! (the console) shows only what the token may do.
use crate::server::auth::{AgentRoute, Principal};
use crate::server::error::ApiError;
use crate::services::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    // Any valid token may ask, one bound to an agent included: it learns
    // nothing but what it is.
    OpenApiRouter::new().routes(routes!(me).layer(Extension(AgentRoute)))
}

/// The calling token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Me {
    /// Its tenant.
    tenant: Named,
    /// The token's id (an OAuth token's: `oauth:<subject>@<issuer>`).
    token_id: String,
    /// Its scopes.
    scopes: Vec<String>,
    /// Whether it is the operator's token (which also manages tenants).
    operator: bool,
    /// The agent or runner it is bound to, if any: it acts only as it.
    agent: Option<Named>,
}

#[derive(Serialize, ToSchema)]
struct Named {
    id: String,
    name: String,
}

/// What the calling token is.
#[utoipa::path(get, path = "/api/me", tag = "tokens",
    responses((status = 200, description = "The calling token", body = Me)),
    security(("bearer" = [])))]
async fn me(State(state): State<AppState>, principal: Principal) -> Result<Json<Me>, ApiError> {
    let tenant = state
        .store
        .tenant(&principal.tenant_id)
        .await?
        .ok_or(ApiError::Internal)?;
    let agent = match &principal.agent_id {
        Some(id) => state
            .store
            .agent(&principal.tenant_id, id)
            .await?
            .map(|a| Named {
                id: a.id,
                name: a.name,
            }),
        None => None,
    };
    Ok(Json(Me {
        tenant: Named {
            id: tenant.id,
            name: tenant.name,
        },
        token_id: principal.token_id,
        scopes: principal.scopes,
        operator: principal.operator,
        agent,
    }))
}
