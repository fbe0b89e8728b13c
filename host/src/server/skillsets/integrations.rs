//! Integrations (seed 000): a skillset exposed behind a static access
//! token, as a skill server (`/api/v1/integration/skillserver/…`) or an MCP
//! server (`/api/v1/integration/mcpserver/…`). Both kinds share these
//! management endpoints; their runtimes live with their surfaces.
use crate::server::auth::{Principal, hash_token};
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::fields::nullable;
use crate::server::lookup::find_skillset;
use crate::server::skillsets::access::Kind;
use crate::services::AppState;
use crate::store::{IntegrationRow, NewIntegration};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The management endpoints of every kind.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(skillserver::create))
        .routes(routes!(skillserver::list))
        .routes(routes!(skillserver::fetch))
        .routes(routes!(skillserver::update))
        .routes(routes!(skillserver::delete))
        .routes(routes!(mcpserver::create))
        .routes(routes!(mcpserver::list))
        .routes(routes!(mcpserver::fetch))
        .routes(routes!(mcpserver::update))
        .routes(routes!(mcpserver::delete))
}

/// One kind's management endpoints: each handler passes its kind to the
/// shared one below, and carries the description of its own path (an
/// OpenAPI operation has one path, so the two kinds cannot share handlers).
macro_rules! kind_endpoints {
    ($module:ident, $kind:expr, $segment:literal, $noun:literal) => {
        mod $module {
            use crate::server::skillsets::integrations::*;

            const KIND: Kind = $kind;

            #[utoipa::path(post, path = concat!("/api/v1/integration/", $segment, "/create"),
                tag = "integrations", operation_id = concat!($segment, "_create"),
                summary = concat!("Creates ", $noun, " integration of a skillset; its access token is returned"),
                request_body = NewIntegrationBody,
                responses(
                    (status = 200, description = "Created, with the access token", body = IntegrationCreated),
                    (status = 404, description = "`skillsetId` names no skillset of this tenant", body = ErrorBody),
                ),
                security(("bearer" = ["skills:write"])))]
            pub(super) async fn create(
                state: State<AppState>,
                principal: Principal,
                body: JsonBody<NewIntegrationBody>,
            ) -> Result<Json<IntegrationCreated>, ApiError> {
                crate::server::skillsets::integrations::create(KIND, state, principal, body).await
            }

            #[utoipa::path(get, path = concat!("/api/v1/integration/", $segment, "/list"),
                tag = "integrations", operation_id = concat!($segment, "_list"),
                summary = concat!("Lists the tenant's ", $noun, " integrations, a page at a time"),
                params(ListParams, IntegrationListParams),
                responses(
                    (status = 200, description = "A page of integrations", body = IntegrationList),
                    (status = 400, description = "`take` or `order` is out of range, `cursor` is not the id of a listed integration, or `meta` is not a JSON object", body = ErrorBody),
                ),
                security(("bearer" = ["skills:read"])))]
            pub(super) async fn list(
                state: State<AppState>,
                principal: Principal,
                params: QueryParams<IntegrationListParams>,
            ) -> Result<Json<IntegrationList>, ApiError> {
                crate::server::skillsets::integrations::list(KIND, state, principal, params).await
            }

            #[utoipa::path(get, path = concat!("/api/v1/integration/", $segment, "/{id}/fetch"),
                tag = "integrations", operation_id = concat!($segment, "_fetch"),
                summary = concat!("Fetches ", $noun, " integration; admins also get its access token"),
                params(("id" = String, Path, description = "The integration's id")),
                responses((status = 200, description = "The integration", body = IntegrationView)),
                security(("bearer" = ["skills:read"])))]
            pub(super) async fn fetch(
                state: State<AppState>,
                principal: Principal,
                id: Path<String>,
            ) -> Result<Json<IntegrationView>, ApiError> {
                crate::server::skillsets::integrations::fetch(KIND, state, principal, id).await
            }

            #[utoipa::path(post, path = concat!("/api/v1/integration/", $segment, "/{id}/update"),
                tag = "integrations", operation_id = concat!($segment, "_update"),
                summary = concat!("Changes ", $noun, " integration; its access token stays"),
                params(("id" = String, Path, description = "The integration's id")),
                request_body = IntegrationChanges,
                responses(
                    (status = 200, description = "Changed", body = IntegrationId),
                    (status = 404, description = "Absent, or another tenant's; or `skillsetId` names no skillset of this tenant", body = ErrorBody),
                ),
                security(("bearer" = ["skills:write"])))]
            pub(super) async fn update(
                state: State<AppState>,
                principal: Principal,
                id: Path<String>,
                body: JsonBody<IntegrationChanges>,
            ) -> Result<Json<IntegrationId>, ApiError> {
                crate::server::skillsets::integrations::update(KIND, state, principal, id, body).await
            }

            #[utoipa::path(post, path = concat!("/api/v1/integration/", $segment, "/{id}/delete"),
                tag = "integrations", operation_id = concat!($segment, "_delete"),
                summary = concat!("Deletes ", $noun, " integration; its access token stops working"),
                params(("id" = String, Path, description = "The integration's id")),
                responses((status = 200, description = "Deleted", body = IntegrationId)),
                security(("bearer" = ["skills:write"])))]
            pub(super) async fn delete(
                state: State<AppState>,
                principal: Principal,
                id: Path<String>,
            ) -> Result<Json<IntegrationId>, ApiError> {
                crate::server::skillsets::integrations::delete(KIND, state, principal, id).await
            }
        }
    };
}

kind_endpoints!(
    skillserver,
    Kind::SkillServer,
    "skillserver",
    "a skill server"
);
kind_endpoints!(mcpserver, Kind::McpServer, "mcpserver", "an MCP server");

/// A new access token: `sks_` and 256 random bits.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("sks_{}", hex::encode(bytes))
}

/// A new integration of a skillset.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewIntegrationBody {
    /// The skillset it exposes.
    skillset_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// A blueprint grouping, free text.
    #[serde(default)]
    blueprint_id: Option<String>,
    /// Free metadata: an object (`{}` when absent).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// What to change: leaving a field out keeps it, `null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IntegrationChanges {
    /// Another skillset of the tenant to expose.
    #[serde(default)]
    skillset_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    blueprint_id: Option<Option<String>>,
    /// Replaces the metadata: an object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// Seed 002's list parameters (see [`ListParams`]) and two filters.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct IntegrationListParams {
    #[serde(flatten)]
    #[param(ignore)]
    list: ListParams,
    /// Only the integrations of this blueprint.
    #[serde(default)]
    blueprint_id: Option<String>,
    /// A JSON object every listed integration's meta contains, e.g.
    /// `{"team":"support"}`.
    #[serde(default)]
    meta: Option<String>,
}

/// A created integration and its access token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct IntegrationCreated {
    id: String,
    /// The bearer token (`sks_…`) of the integration's runtime URL.
    access_token: String,
}

/// The id of the integration changed or deleted.
#[derive(Serialize, ToSchema)]
struct IntegrationId {
    id: String,
}

/// A page of integrations.
#[derive(Serialize, ToSchema)]
struct IntegrationList {
    items: Vec<IntegrationRow>,
}

/// An integration; for admins, with its access token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct IntegrationView {
    #[serde(flatten)]
    row: IntegrationRow,
    /// The access token; only admins see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    access_token: Option<String>,
}

async fn create(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewIntegrationBody>,
) -> Result<Json<IntegrationCreated>, ApiError> {
    principal.require("skills:write")?;
    let tenant = &principal.tenant_id;
    let skillset = find_skillset(&state, tenant, &body.skillset_id).await?;
    crate::server::fields::check_meta(body.meta.as_ref())?;
    let token = new_token();
    let meta = body.meta.unwrap_or_else(|| json!({}));
    let integration = state
        .store
        .create_integration(
            &state.vault,
            tenant,
            &NewIntegration {
                kind: kind.as_str(),
                skillset_id: &skillset.id,
                name: body.name.as_deref(),
                description: body.description.as_deref(),
                blueprint_id: body.blueprint_id.as_deref(),
                meta: &meta,
                token: &token,
                token_hash: &hash_token(&token),
            },
        )
        .await?;
    tracing::info!(integration_id = %integration.id, kind = kind.as_str(), "integration created");
    Ok(Json(IntegrationCreated {
        id: integration.id,
        access_token: token,
    }))
}

/// Whether `meta` contains every entry of `wanted`.
fn meta_matches(meta: &Value, wanted: &serde_json::Map<String, Value>) -> bool {
    wanted.iter().all(|(k, v)| meta.get(k) == Some(v))
}

async fn list(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<IntegrationListParams>,
) -> Result<Json<IntegrationList>, ApiError> {
    principal.require("skills:read")?;
    let tenant = &principal.tenant_id;
    let wanted = match params.meta.as_deref() {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_meta",
                    "`meta` filters with a JSON object, e.g. meta={\"team\":\"support\"}",
                ));
            }
        },
    };
    let mut page = params.list.page(&state, "integrations", tenant).await?;
    let take = page.take as usize;
    let mut items: Vec<IntegrationRow> = Vec::new();
    // A metadata filter reads on until a page is full: the cursor stays
    // the last id returned.
    loop {
        let batch = state
            .store
            .list_integrations(tenant, kind.as_str(), params.blueprint_id.as_deref(), &page)
            .await?;
        let exhausted = (batch.len() as i64) < page.take;
        if let Some(last) = batch.last() {
            page.after = Some((last.created_at.clone(), last.id.clone()));
        }
        items.extend(
            batch
                .into_iter()
                .filter(|i| wanted.as_ref().is_none_or(|w| meta_matches(&i.meta, w))),
        );
        if items.len() >= take || exhausted || wanted.is_none() {
            break;
        }
        page.take = 100;
    }
    items.truncate(take);
    Ok(Json(IntegrationList { items }))
}

async fn find(
    kind: Kind,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<IntegrationRow, ApiError> {
    state
        .store
        .integration(&principal.tenant_id, kind.as_str(), id)
        .await?
        .ok_or(ApiError::NotFound(kind.noun()))
}

/// The integration; admins also get its access token.
async fn fetch(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    principal.require("skills:read")?;
    let integration = find(kind, &state, &principal, &id).await?;
    let access_token = if principal.require("admin").is_ok() {
        Some(
            state
                .vault
                .open_sealed(&integration.tenant_id, &integration.id, &integration.token)
                .map_err(|e| {
                    tracing::error!(error = %e, integration_id = %integration.id, "access token does not open");
                    ApiError::Internal
                })?,
        )
    } else {
        None
    };
    Ok(Json(IntegrationView {
        row: integration,
        access_token,
    }))
}

async fn update(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<IntegrationChanges>,
) -> Result<Json<IntegrationId>, ApiError> {
    principal.require("skills:write")?;
    let mut integration = find(kind, &state, &principal, &id).await?;
    if let Some(skillset_id) = body.skillset_id {
        integration.skillset_id = find_skillset(&state, &principal.tenant_id, &skillset_id)
            .await?
            .id;
    }
    if let Some(name) = body.name {
        integration.name = name;
    }
    if let Some(description) = body.description {
        integration.description = description;
    }
    if let Some(blueprint_id) = body.blueprint_id {
        integration.blueprint_id = blueprint_id;
    }
    crate::server::fields::check_meta(body.meta.as_ref())?;
    if let Some(meta) = body.meta {
        integration.meta = meta;
    }
    state.store.update_integration(&integration).await?;
    Ok(Json(IntegrationId { id: integration.id }))
}

async fn delete(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<IntegrationId>, ApiError> {
    principal.require("skills:write")?;
    if !state
        .store
        .delete_integration(&principal.tenant_id, kind.as_str(), &id)
        .await?
    {
        return Err(ApiError::NotFound(kind.noun()));
    }
    tracing::info!(integration_id = %id, kind = kind.as_str(), "integration deleted");
    Ok(Json(IntegrationId { id }))
}
