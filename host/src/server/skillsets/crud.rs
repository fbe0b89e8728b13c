//! Skillsets and their abilities in seed 002's paths and shapes, and the
//! one place an ability runs ([`run`]).

use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::fields::{check_meta, check_text, nullable};
use crate::server::lookup::find_skillset;
use crate::services::AppState;
use crate::store::SkillsetRow;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewSkillset {
    /// 1-128 characters, not all blank.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    name: String,
    /// What it is for: 1-4096 characters, not all blank.
    #[schema(min_length = 1, max_length = 4096, pattern = r"\S")]
    description: String,
    /// A blueprint grouping, free text.
    #[serde(default)]
    blueprint_id: Option<String>,
    /// Free metadata: an object (`{}` when absent).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// What to change; a field left out is kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SkillsetChanges {
    /// 1-128 characters, not all blank.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    name: Option<String>,
    /// 1-4096 characters, not all blank.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4096, pattern = r"\S")]
    description: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    blueprint_id: Option<Option<String>>,
    /// Replaces the metadata: an object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// Seed 002's list parameters (see [`ListParams`]), and a blueprint filter.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct SkillsetListParams {
    #[serde(flatten)]
    #[param(ignore)]
    list: ListParams,
    /// Only the skillsets of this blueprint.
    #[serde(default)]
    blueprint_id: Option<String>,
}

/// The id of the skillset created, changed or deleted.
#[derive(Serialize, ToSchema)]
struct SkillsetId {
    id: String,
}

/// A page of skillsets.
#[derive(Serialize, ToSchema)]
struct SkillsetList {
    items: Vec<SkillsetRow>,
}

/// Creates a skillset.
#[utoipa::path(post, path = "/api/v1/skillset/create", tag = "skillsets",
    request_body = NewSkillset,
    responses((status = 200, description = "Created", body = SkillsetId)),
    security(("bearer" = ["skills:write"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewSkillset>,
) -> Result<Json<SkillsetId>, ApiError> {
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
    Ok(Json(SkillsetId { id: skillset.id }))
}

/// Lists the tenant's skillsets, a page at a time.
#[utoipa::path(get, path = "/api/v1/skillset/list", tag = "skillsets",
    params(ListParams, SkillsetListParams),
    responses(
        (status = 200, description = "A page of skillsets", body = SkillsetList),
        (status = 400, description = "`take` or `order` is out of range, or `cursor` is not the id of a listed skillset", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<SkillsetListParams>,
) -> Result<Json<SkillsetList>, ApiError> {
    principal.require("skills:read")?;
    let page = params
        .list
        .page(&state, "skillsets", &principal.tenant_id)
        .await?;
    let items = state
        .store
        .list_skillsets(&principal.tenant_id, params.blueprint_id.as_deref(), &page)
        .await?;
    Ok(Json(SkillsetList { items }))
}

/// Fetches a skillset.
#[utoipa::path(get, path = "/api/v1/skillset/{id}/fetch", tag = "skillsets",
    params(("id" = String, Path, description = "The skillset's id")),
    responses((status = 200, description = "The skillset", body = SkillsetRow)),
    security(("bearer" = ["skills:read"])))]
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

/// Changes a skillset's name, description, blueprint or metadata.
#[utoipa::path(post, path = "/api/v1/skillset/{id}/update", tag = "skillsets",
    params(("id" = String, Path, description = "The skillset's id")),
    request_body = SkillsetChanges,
    responses((status = 200, description = "Changed", body = SkillsetId)),
    security(("bearer" = ["skills:write"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SkillsetChanges>,
) -> Result<Json<SkillsetId>, ApiError> {
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
    Ok(Json(SkillsetId { id: skillset.id }))
}

/// Deletes a skillset with its abilities and integrations.
#[utoipa::path(post, path = "/api/v1/skillset/{id}/delete", tag = "skillsets",
    params(("id" = String, Path, description = "The skillset's id")),
    responses((status = 200, description = "Deleted", body = SkillsetId)),
    security(("bearer" = ["skills:write"])))]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SkillsetId>, ApiError> {
    principal.require("skills:write")?;
    if !state
        .store
        .delete_skillset(&principal.tenant_id, &id)
        .await?
    {
        return Err(ApiError::NotFound("skillset"));
    }
    tracing::info!(skillset_id = %id, "skillset deleted");
    Ok(Json(SkillsetId { id }))
}
