//! Skillsets and their abilities in seed 002's paths and shapes, and the
//! one place an ability runs ([`run`]).
mod abilities;
mod agents;

use crate::services::AppState;
use super::auth::Principal;
use super::cursor::ListParams;
use super::error::{ApiError, JsonBody, QueryParams};
use crate::store::SkillsetRow;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/skillset/create", post(create))
        .route("/api/v1/skillset/list", get(list))
        .route("/api/v1/skillset/{id}/fetch", get(fetch))
        .route("/api/v1/skillset/{id}/update", post(update))
        .route("/api/v1/skillset/{id}/delete", post(delete))
        .merge(abilities::router())
        .merge(agents::router())
}

/// A tenant's skillset, or 404.
pub(crate) async fn find_skillset(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<SkillsetRow, ApiError> {
    state
        .store
        .skillset(tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("skillset"))
}

/// What callers see of an ability: its input schema and, for an
/// instruction, the guidance around the template. `None` for the schema
/// when the skill behind a skill ability is gone.
pub(crate) async fn ability_interface(
    state: &AppState,
    tenant_id: &str,
    ability: &crate::store::AbilityRow,
) -> Result<(Option<Value>, String), ApiError> {
    if let Some(text) = &ability.instruction {
        // The runner's parse cache: an instruction is parsed once, not
        // once for its interface and again for the call.
        return Ok(match crate::invocation::parsed_instruction(ability, text) {
            Ok(parsed) => (Some(parsed.input_schema()), parsed.guidance.clone()),
            Err(_) => (None, String::new()),
        });
    }
    let Some(skill_id) = &ability.skill_id else {
        return Ok((None, String::new()));
    };
    let schema = state
        .store
        .skill_shared(tenant_id, skill_id)
        .await?
        .and_then(|skill| {
            let name = ability.ability.as_deref().unwrap_or_default();
            skill
                .manifest
                .abilities
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.input_schema.clone())
        });
    Ok((schema, String::new()))
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is
/// `None` (keep), `null` is `Some(None)` (clear).
pub(super) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `meta` must be an object when given.
pub(crate) fn check_meta(meta: Option<&Value>) -> Result<(), ApiError> {
    match meta {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "invalid_meta",
            "`meta` must be an object",
        )),
    }
}

/// A required text field: 1 to `max` characters.
pub(super) fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("`{field}` must be 1-{max} characters"),
        ));
    }
    Ok(())
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
