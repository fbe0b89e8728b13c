//! Integrations (seed 000): a skillset exposed behind a static access
//! token, as a skill server (`/api/v1/integration/skillserver/…`) or an MCP
//! server (`/api/v1/integration/mcpserver/…`). Both kinds share these
//! management endpoints; their runtimes live with their surfaces.
use crate::server::auth::{Principal, hash_token};
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, JsonBody, QueryParams};
use crate::server::fields::nullable;
use crate::server::lookup::find_skillset;
use crate::server::skillsets::access::Kind;
use crate::services::AppState;
use crate::store::{IntegrationRow, NewIntegration};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

/// The management endpoints of every kind.
pub fn router() -> OpenApiRouter<AppState> {
    [Kind::SkillServer, Kind::McpServer]
        .into_iter()
        .fold(OpenApiRouter::new(), |router, kind| {
            let base = format!("/api/v1/integration/{}", kind.as_str());
            router
                .route(
                    &format!("{base}/create"),
                    post(move |s, p, b| create(kind, s, p, b)),
                )
                .route(
                    &format!("{base}/list"),
                    get(move |s, p, q| list(kind, s, p, q)),
                )
                .route(
                    &format!("{base}/{{id}}/fetch"),
                    get(move |s, p, i| fetch(kind, s, p, i)),
                )
                .route(
                    &format!("{base}/{{id}}/update"),
                    post(move |s, p, i, b| update(kind, s, p, i, b)),
                )
                .route(
                    &format!("{base}/{{id}}/delete"),
                    post(move |s, p, i| delete(kind, s, p, i)),
                )
        })
}

/// A new access token: `sks_` and 256 random bits.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("sks_{}", hex::encode(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewIntegrationBody {
    skillset_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    blueprint_id: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IntegrationChanges {
    #[serde(default)]
    skillset_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    blueprint_id: Option<Option<String>>,
    #[serde(default)]
    meta: Option<Value>,
}

/// `meta` in a list query: a JSON object every listed item's meta contains.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntegrationListParams {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    blueprint_id: Option<String>,
    #[serde(default)]
    meta: Option<String>,
}

async fn create(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewIntegrationBody>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": integration.id, "accessToken": token })))
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
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "items": items })))
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
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let integration = find(kind, &state, &principal, &id).await?;
    let mut view = serde_json::to_value(&integration).expect("JSON");
    if principal.require("admin").is_ok() {
        let token = state
            .vault
            .open_sealed(&integration.tenant_id, &integration.id, &integration.token)
            .map_err(|e| {
                tracing::error!(error = %e, integration_id = %integration.id, "access token does not open");
                ApiError::Internal
            })?;
        view["accessToken"] = Value::String(token);
    }
    Ok(Json(view))
}

async fn update(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<IntegrationChanges>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": integration.id })))
}

async fn delete(
    kind: Kind,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    if !state
        .store
        .delete_integration(&principal.tenant_id, kind.as_str(), &id)
        .await?
    {
        return Err(ApiError::NotFound(kind.noun()));
    }
    tracing::info!(integration_id = %id, kind = kind.as_str(), "integration deleted");
    Ok(Json(json!({ "id": id })))
}
