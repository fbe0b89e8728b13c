//! Abilities of a skillset (seed 002): create, list, export, fetch,
//! update and delete (the admin's approval of what an instruction reaches
//! is beside it).
use crate::ability::instruction::Instruction;
use crate::capability::Grant;
use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::fields::{check_meta, check_text, nullable};
use crate::server::lookup::find_skillset;
use crate::services::AppState;
use crate::store::AbilityStatus;
use crate::store::{AbilityDeclaration, AbilityRow, StoreError, new_id, now};
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
        .routes(routes!(export))
        .routes(routes!(fetch))
        .routes(routes!(update))
        .routes(routes!(delete))
}

/// The name agents call an ability by: the name itself when it is already
/// an identifier (`^[a-zA-Z][\w]*$`), else its snake_case; at most 64
/// characters.
pub(crate) fn tool_name(name: &str) -> String {
    let identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = if identifier {
        name.to_owned()
    } else {
        let mut snake = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                snake.push(c.to_ascii_lowercase());
            } else if !snake.ends_with('_') {
                snake.push('_');
            }
        }
        let snake = snake.trim_matches('_').to_owned();
        match snake.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => snake,
            Some(_) => format!("a_{snake}"),
            None => "ability".to_owned(),
        }
    };
    out.truncate(64);
    out
}

/// An ability: either an `instruction` (a template the host runs) or
/// `skillId` and `ability` (an installed skill's ability), not both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewAbility {
    /// 1-128 characters, not all blank; agents call it by its identifier
    /// form (`toolName`), unique in the skillset.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    name: String,
    /// When to use it: 1-4096 characters, not all blank.
    #[schema(min_length = 1, max_length = 4096, pattern = r"\S")]
    description: String,
    /// The template the host runs (at most 65536 characters).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 65536, pattern = r"\S")]
    instruction: Option<String>,
    /// An installed skill's id.
    #[serde(default)]
    skill_id: Option<String>,
    /// That skill's ability; may be left out when the skill has one.
    #[serde(default)]
    ability: Option<String>,
    /// A tenant secret: what `${SECRET_DEFAULT}` stands for, or the
    /// credential a skill ability's calls send (binding it takes `admin`).
    #[serde(default)]
    secret_id: Option<String>,
    /// Seed 002's file link (kept, not used by the host).
    #[serde(default)]
    file_id: Option<String>,
    /// An agent of the tenant the ability is dedicated to.
    #[serde(default)]
    bot_id: Option<String>,
    /// A blueprint grouping, free text.
    #[serde(default)]
    blueprint_id: Option<String>,
    /// Free metadata: an object (`{}` when absent).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
}

/// What to change: leaving a field out keeps it, `null` clears a link.
/// `instruction` and `skillId` switch the ability's kind (not both).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AbilityChanges {
    /// 1-128 characters, not all blank.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    name: Option<String>,
    /// 1-4096 characters, not all blank.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4096, pattern = r"\S")]
    description: Option<String>,
    /// A new template; makes it an instruction ability.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 65536, pattern = r"\S")]
    instruction: Option<String>,
    /// An installed skill's id; makes it a skill ability.
    #[serde(default)]
    skill_id: Option<String>,
    /// The skill's ability.
    #[serde(default)]
    ability: Option<String>,
    /// A tenant secret; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    secret_id: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    file_id: Option<Option<String>>,
    /// An agent of the tenant; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    bot_id: Option<Option<String>>,
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
struct AbilityListParams {
    #[serde(flatten)]
    #[param(ignore)]
    list: ListParams,
    /// Only the abilities of this blueprint.
    #[serde(default)]
    blueprint_id: Option<String>,
}

/// What an ability runs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum AbilityKind {
    /// A template the host runs.
    Instruction,
    /// An installed skill's ability.
    Skill,
}

/// Seed 002's ability object, plus what the host adds: the name agents
/// call it by, its kind, declaration, approval status and input schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AbilityView {
    #[serde(flatten)]
    row: AbilityRow,
    kind: AbilityKind,
    /// An instruction's input schema (JSON Schema); absent for skill
    /// abilities and for a template that no longer parses.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    input_schema: Option<Value>,
    /// Whether an instruction's approval lets it reach private networks;
    /// present when `inputSchema` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    allow_private_network: Option<bool>,
}

/// The tenant's abilities awaiting an admin's approval, as the API shows
/// them (for the one queue of everything waiting).
pub(crate) async fn awaiting(
    state: &AppState,
    tenant_id: &str,
) -> Result<Vec<AbilityView>, ApiError> {
    let rows = state.store.abilities_awaiting_approval(tenant_id).await?;
    Ok(rows.into_iter().map(view).collect())
}

pub(super) fn view(row: AbilityRow) -> AbilityView {
    let parsed = row
        .instruction
        .as_deref()
        .and_then(|text| Instruction::parse(text).ok());
    AbilityView {
        kind: if row.instruction.is_some() {
            AbilityKind::Instruction
        } else {
            AbilityKind::Skill
        },
        input_schema: parsed.as_ref().map(|p| p.input_schema()),
        allow_private_network: parsed
            .map(|_| row.grant.as_ref().is_some_and(|g| g.allow_private_network)),
        row,
    }
}

/// The id of the ability created, changed or deleted.
#[derive(Serialize, ToSchema)]
struct AbilityId {
    id: String,
}

/// A page of a skillset's abilities.
#[derive(Serialize, ToSchema)]
struct AbilityList {
    items: Vec<AbilityView>,
}

/// What an instruction declares with `secret_id` as its default secret, or
/// a 422 naming the line and column.
fn declare(text: &str, secret_id: Option<&str>) -> Result<AbilityDeclaration, ApiError> {
    check_text("instruction", text, 64 << 10)?;
    let parsed = Instruction::parse(text).map_err(|e| ApiError::Unprocessable {
        code: "invalid_instruction",
        message: e.to_string(),
    })?;
    let default_secret_id = parsed
        .secrets
        .contains("DEFAULT")
        .then(|| secret_id.map(str::to_owned))
        .flatten();
    Ok(AbilityDeclaration {
        origin: Some(parsed.origin.to_string()),
        secrets: parsed.secrets.into_iter().collect(),
        default_secret_id,
    })
}

/// Checks that a skill ability names an installed skill and one of its
/// abilities; returns the ability name.
async fn check_skill_ability(
    state: &AppState,
    tenant_id: &str,
    skill_id: &str,
    ability: Option<&str>,
) -> Result<String, ApiError> {
    let skill = state
        .store
        .skill_shared(tenant_id, skill_id)
        .await?
        .ok_or_else(|| ApiError::Unprocessable {
            code: "invalid_skill",
            message: format!("skill `{skill_id}` is not installed in this tenant"),
        })?;
    let names = skill.manifest.ability_names();
    match (ability, names.as_slice()) {
        (Some(name), _) if names.contains(&name) => Ok(name.to_owned()),
        (None, [only]) => Ok((*only).to_owned()),
        (given, _) => Err(ApiError::Unprocessable {
            code: "invalid_skill",
            message: format!(
                "{} skill `{}` has these abilities: {}",
                match given {
                    Some(name) => format!("`{name}` is not an ability of;"),
                    None => "name one in `ability`;".to_owned(),
                },
                skill.manifest.name,
                names.join(", ")
            ),
        }),
    }
}

async fn check_links(
    state: &AppState,
    tenant_id: &str,
    secret_id: Option<&str>,
    bot_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = secret_id
        && state.store.secret(tenant_id, id).await?.is_none()
    {
        return Err(ApiError::Unprocessable {
            code: "invalid_secret",
            message: format!("secret `{id}` does not exist in this tenant"),
        });
    }
    if let Some(id) = bot_id
        && state.store.agent(tenant_id, id).await?.is_none()
    {
        return Err(ApiError::Unprocessable {
            code: "invalid_bot",
            message: format!("agent `{id}` does not exist in this tenant"),
        });
    }
    Ok(())
}

/// A skill ability's `secretId` is the credential its skill's calls send
/// to the skill's origin: binding a secret to a destination is an admin's
/// decision. An instruction's secrets wait for an admin's approval instead.
fn check_credential_binding(
    principal: &Principal,
    before: Option<&AbilityRow>,
    after_skill: Option<&str>,
    after_secret: Option<&str>,
) -> Result<(), ApiError> {
    let (Some(_), Some(secret)) = (after_skill, after_secret) else {
        return Ok(());
    };
    let unchanged = before.is_some_and(|b| {
        b.skill_id.as_deref() == after_skill && b.secret_id.as_deref() == Some(secret)
    });
    if unchanged || principal.require("admin").is_ok() {
        return Ok(());
    }
    Err(ApiError::Call {
        status: axum::http::StatusCode::FORBIDDEN,
        code: "forbidden",
        message: "this token lacks the `admin` scope: a `secretId` on a skill ability is the credential its calls send, and binding a secret to a destination is an admin's decision".into(),
    })
}

fn name_taken(tool: &str) -> ApiError {
    ApiError::Conflict {
        code: "ability_exists",
        message: format!("this skillset already has an ability called `{tool}`"),
    }
}

/// An admin's instruction is approved as declared, never with private
/// networks; anyone else's waits for an admin.
fn approval(principal: &Principal) -> (AbilityStatus, Option<Grant>) {
    if principal.require("admin").is_ok() {
        (AbilityStatus::Active, Some(Grant::default()))
    } else {
        (AbilityStatus::Pending, None)
    }
}

/// Adds an ability to a skillset: an instruction (pending until an admin
/// approves it, unless an admin creates it) or an installed skill's ability.
#[utoipa::path(post, path = "/api/v1/skillset/{skillset}/ability/create", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id")),
    request_body = NewAbility,
    responses(
        (status = 200, description = "Created", body = AbilityId),
        (status = 400, description = "The body is malformed, or gives both or neither of `instruction` and `skillId`", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or binds a `secretId` to a skill ability without `admin`", body = ErrorBody),
        (status = 409, description = "The skillset already has an ability called this (`ability_exists`)", body = ErrorBody),
        (status = 422, description = "The instruction does not parse, or `skillId`/`ability`, `secretId` or `botId` names nothing of this tenant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(skillset): Path<String>,
    JsonBody(body): JsonBody<NewAbility>,
) -> Result<Json<AbilityId>, ApiError> {
    principal.require("skills:write")?;
    let tenant = &principal.tenant_id;
    let skillset = find_skillset(&state, tenant, &skillset).await?;
    check_text("name", &body.name, 128)?;
    check_text("description", &body.description, 4096)?;
    check_meta(body.meta.as_ref())?;
    check_links(
        &state,
        tenant,
        body.secret_id.as_deref(),
        body.bot_id.as_deref(),
    )
    .await?;
    let (instruction, skill_id, ability, declaration, status, grant) = match (
        &body.instruction,
        &body.skill_id,
    ) {
        (Some(text), None) => {
            let declaration = declare(text, body.secret_id.as_deref())?;
            let (status, grant) = approval(&principal);
            (Some(text.clone()), None, None, declaration, status, grant)
        }
        (None, Some(skill_id)) => {
            check_credential_binding(&principal, None, Some(skill_id), body.secret_id.as_deref())?;
            let ability =
                check_skill_ability(&state, tenant, skill_id, body.ability.as_deref()).await?;
            (
                None,
                Some(skill_id.clone()),
                Some(ability),
                AbilityDeclaration::default(),
                AbilityStatus::Active,
                None,
            )
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "give either `instruction` (a template the host runs) or `skillId` and `ability` (an installed skill's ability), not both",
            ));
        }
    };
    let time = now();
    let row = AbilityRow {
        id: new_id(),
        tenant_id: tenant.clone(),
        skillset_id: skillset.id.clone(),
        tool_name: tool_name(&body.name),
        name: body.name,
        description: body.description,
        instruction,
        skill_id,
        ability,
        secret_id: body.secret_id,
        file_id: body.file_id,
        bot_id: body.bot_id,
        blueprint_id: body.blueprint_id,
        meta: body.meta.unwrap_or_else(|| json!({})),
        declaration,
        status,
        grant,
        created_at: time.clone(),
        updated_at: time,
    };
    state
        .store
        .create_ability(&row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => name_taken(&row.tool_name),
            other => other.into(),
        })?;
    tracing::info!(ability_id = %row.id, status = %row.status, "ability created");
    Ok(Json(AbilityId { id: row.id }))
}

/// Lists a skillset's abilities, a page at a time.
#[utoipa::path(get, path = "/api/v1/skillset/{skillset}/ability/list", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id"), ListParams, AbilityListParams),
    responses(
        (status = 200, description = "A page of abilities", body = AbilityList),
        (status = 400, description = "`take` or `order` is out of range, or `cursor` is not the id of a listed ability", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(skillset): Path<String>,
    QueryParams(params): QueryParams<AbilityListParams>,
) -> Result<Json<AbilityList>, ApiError> {
    principal.require("skills:read")?;
    let tenant = &principal.tenant_id;
    let skillset = find_skillset(&state, tenant, &skillset).await?;
    let page = params.list.page(&state, "abilities", tenant).await?;
    let items = state
        .store
        .list_abilities(tenant, &skillset.id, params.blueprint_id.as_deref(), &page)
        .await?;
    Ok(Json(AbilityList {
        items: items.into_iter().map(view).collect(),
    }))
}

/// Seed 002's export of a skillset's abilities: the same page as `list`.
#[utoipa::path(get, path = "/api/v1/skillset/{skillset}/ability/export", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id"), ListParams, AbilityListParams),
    responses(
        (status = 200, description = "A page of abilities", body = AbilityList),
        (status = 400, description = "`take` or `order` is out of range, or `cursor` is not the id of a listed ability", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn export(
    state: State<AppState>,
    principal: Principal,
    skillset: Path<String>,
    params: QueryParams<AbilityListParams>,
) -> Result<Json<AbilityList>, ApiError> {
    list(state, principal, skillset, params).await
}

pub(super) async fn find(
    state: &AppState,
    principal: &Principal,
    skillset: &str,
    id: &str,
) -> Result<AbilityRow, ApiError> {
    let skillset = find_skillset(state, &principal.tenant_id, skillset).await?;
    state
        .store
        .ability(&principal.tenant_id, &skillset.id, id)
        .await?
        .ok_or(ApiError::NotFound("ability"))
}

/// Fetches an ability, with its kind, declaration, status and input schema.
#[utoipa::path(get, path = "/api/v1/skillset/{skillset}/ability/{id}/fetch", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id"), ("id" = String, Path, description = "The ability's id")),
    responses((status = 200, description = "The ability", body = AbilityView)),
    security(("bearer" = ["skills:read"])))]
async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
) -> Result<Json<AbilityView>, ApiError> {
    principal.require("skills:read")?;
    Ok(Json(view(find(&state, &principal, &skillset, &id).await?)))
}

/// Changes an ability; a change to what an instruction reaches waits for
/// an admin's approval again.
#[utoipa::path(post, path = "/api/v1/skillset/{skillset}/ability/{id}/update", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id"), ("id" = String, Path, description = "The ability's id")),
    request_body = AbilityChanges,
    responses(
        (status = 200, description = "Changed", body = AbilityId),
        (status = 400, description = "The body is malformed, or gives both `instruction` and `skillId`", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or binds a `secretId` to a skill ability without `admin`", body = ErrorBody),
        (status = 409, description = "The skillset already has an ability called this (`ability_exists`)", body = ErrorBody),
        (status = 422, description = "The instruction does not parse, or `skillId`/`ability`, `secretId` or `botId` names nothing of this tenant", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<AbilityChanges>,
) -> Result<Json<AbilityId>, ApiError> {
    principal.require("skills:write")?;
    let tenant = principal.tenant_id.clone();
    let mut row = find(&state, &principal, &skillset, &id).await?;
    let before = row.clone();
    if let Some(name) = body.name {
        check_text("name", &name, 128)?;
        row.tool_name = tool_name(&name);
        row.name = name;
    }
    if let Some(description) = body.description {
        check_text("description", &description, 4096)?;
        row.description = description;
    }
    check_meta(body.meta.as_ref())?;
    if let Some(meta) = body.meta {
        row.meta = meta;
    }
    if let Some(secret_id) = body.secret_id {
        row.secret_id = secret_id;
    }
    if let Some(file_id) = body.file_id {
        row.file_id = file_id;
    }
    if let Some(bot_id) = body.bot_id {
        row.bot_id = bot_id;
    }
    if let Some(blueprint_id) = body.blueprint_id {
        row.blueprint_id = blueprint_id;
    }
    check_links(
        &state,
        &tenant,
        row.secret_id.as_deref(),
        row.bot_id.as_deref(),
    )
    .await?;
    match (body.instruction, body.skill_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "give either `instruction` or `skillId`, not both",
            ));
        }
        (Some(text), None) => {
            if row.instruction.is_none() {
                row.declaration = AbilityDeclaration::default();
            }
            row.instruction = Some(text);
            row.skill_id = None;
            row.ability = None;
        }
        (None, Some(skill_id)) => {
            row.ability = Some(
                check_skill_ability(&state, &tenant, &skill_id, body.ability.as_deref()).await?,
            );
            row.skill_id = Some(skill_id);
            row.instruction = None;
            row.declaration = AbilityDeclaration::default();
            row.status = AbilityStatus::Active;
            row.grant = None;
        }
        (None, None) => {
            if let (Some(name), Some(skill_id)) = (body.ability, &row.skill_id) {
                row.ability =
                    Some(check_skill_ability(&state, &tenant, skill_id, Some(&name)).await?);
            }
        }
    }
    check_credential_binding(
        &principal,
        Some(&before),
        row.skill_id.as_deref(),
        row.secret_id.as_deref(),
    )?;
    // A new origin, new secrets or another default secret need a new
    // approval, whichever field changed them.
    if let Some(text) = &row.instruction {
        let declaration = declare(text, row.secret_id.as_deref())?;
        if declaration != row.declaration {
            (row.status, row.grant) = approval(&principal);
            row.declaration = declaration;
        }
    }
    row.updated_at = now();
    state
        .store
        .update_ability(&row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => name_taken(&row.tool_name),
            other => other.into(),
        })?;
    tracing::info!(ability_id = %row.id, status = %row.status, "ability updated");
    Ok(Json(AbilityId { id: row.id }))
}

/// Deletes an ability.
#[utoipa::path(post, path = "/api/v1/skillset/{skillset}/ability/{id}/delete", tag = "abilities",
    params(("skillset" = String, Path, description = "The skillset's id"), ("id" = String, Path, description = "The ability's id")),
    responses((status = 200, description = "Deleted", body = AbilityId)),
    security(("bearer" = ["skills:write"])))]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
) -> Result<Json<AbilityId>, ApiError> {
    principal.require("skills:write")?;
    let row = find(&state, &principal, &skillset, &id).await?;
    state
        .store
        .delete_ability(&principal.tenant_id, &row.skillset_id, &row.id)
        .await?;
    tracing::info!(ability_id = %row.id, "ability deleted");
    Ok(Json(AbilityId { id: row.id }))
}
