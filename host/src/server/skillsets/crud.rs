//! Skillsets and their abilities in seed 002's paths and shapes, and the
//! one place an ability runs ([`run`]).

use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, JsonBody, QueryParams};
use crate::server::fields::{check_meta, check_text, nullable};
use crate::server::lookup::find_skillset;
use crate::services::AppState;
use crate::store::SkillsetRow;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/v1/skillset/create", post(create))
        .route("/api/v1/skillset/list", get(list))
        .route("/api/v1/skillset/{id}/fetch", get(fetch))
        .route("/api/v1/skillset/{id}/update", post(update))
        .route("/api/v1/skillset/{id}/delete", post(delete))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewSkillset {
    name: String,
    description: String,
    #[serde(default)]
    blueprint_id: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SkillsetChanges {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    blueprint_id: Option<Option<String>>,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkillsetListParams {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    blueprint_id: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewSkillset>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    check_text("name", &body.name, 128)?;
    check_text("description", &body.description, 4096)?;
    check_meta(body.meta.as_ref())?;
    let skillset = state
        .store
        .create_skillset(
            &principal.tenant_id,
            &body.name,
            &body.description,
            body.blueprint_id.as_deref(),
            &body.meta.unwrap_or_else(|| json!({})),
        )
        .await?;
    tracing::info!(skillset_id = %skillset.id, "skillset created");
    Ok(Json(json!({ "id": skillset.id })))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<SkillsetListParams>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let page = params
        .list
        .page(&state, "skillsets", &principal.tenant_id)
        .await?;
    let items = state
        .store
        .list_skillsets(&principal.tenant_id, params.blueprint_id.as_deref(), &page)
        .await?;
    Ok(Json(json!({ "items": items })))
}

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SkillsetRow>, ApiError> {
    principal.require("skills:read")?;
    Ok(Json(
        find_skillset(&state, &principal.tenant_id, &id).await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SkillsetChanges>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let mut skillset = find_skillset(&state, &principal.tenant_id, &id).await?;
    if let Some(name) = body.name {
        check_text("name", &name, 128)?;
        skillset.name = name;
    }
    if let Some(description) = body.description {
        check_text("description", &description, 4096)?;
        skillset.description = description;
    }
    if let Some(blueprint) = body.blueprint_id {
        skillset.blueprint_id = blueprint;
    }
    check_meta(body.meta.as_ref())?;
    if let Some(meta) = body.meta {
        skillset.meta = meta;
    }
    state.store.update_skillset(&skillset).await?;
    Ok(Json(json!({ "id": skillset.id })))
}

async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    if !state
        .store
        .delete_skillset(&principal.tenant_id, &id)
        .await?
    {
        return Err(ApiError::NotFound("skillset"));
    }
    tracing::info!(skillset_id = %id, "skillset deleted");
    Ok(Json(json!({ "id": id })))
}
