//! Abilities of a skillset (seed 002): create, list, export, fetch,
//! update, delete, and the admin's approval of what an instruction reaches.
use crate::ability::instruction::Instruction;
use crate::capability::Grant;
use crate::server::auth::Principal;
use crate::server::cursor::ListParams;
use crate::server::error::{ApiError, JsonBody, QueryParams};
use crate::server::fields::{check_meta, check_text, nullable};
use crate::server::lookup::find_skillset;
use crate::services::AppState;
use crate::store::AbilityStatus;
use crate::store::{AbilityDeclaration, AbilityRow, ApprovalRecord, StoreError, new_id, now};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    let base = "/api/v1/skillset/{skillset}/ability";
    OpenApiRouter::new()
        .route(&format!("{base}/create"), post(create))
        .route(&format!("{base}/list"), get(list))
        .route(&format!("{base}/export"), get(list))
        .route(&format!("{base}/{{id}}/fetch"), get(fetch))
        .route(&format!("{base}/{{id}}/update"), post(update))
        .route(&format!("{base}/{{id}}/delete"), post(delete))
        .route(&format!("{base}/{{id}}/approve"), post(approve))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewAbility {
    name: String,
    description: String,
    #[serde(default)]
    instruction: Option<String>,
    #[serde(default)]
    skill_id: Option<String>,
    #[serde(default)]
    ability: Option<String>,
    #[serde(default)]
    secret_id: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    blueprint_id: Option<String>,
    #[serde(default)]
    meta: Option<Value>,
}

/// `null` clears a link; leaving it out keeps it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AbilityChanges {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    instruction: Option<String>,
    #[serde(default)]
    skill_id: Option<String>,
    #[serde(default)]
    ability: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    secret_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    file_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    bot_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    blueprint_id: Option<Option<String>>,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AbilityListParams {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    blueprint_id: Option<String>,
}

/// Seed 002's ability object, plus what the host adds: the name agents
/// call it by, its kind, declaration, approval status and input schema.
fn view(a: &AbilityRow) -> Value {
    let mut v = serde_json::to_value(a).expect("JSON");
    v["kind"] = json!(if a.instruction.is_some() {
        "instruction"
    } else {
        "skill"
    });
    if let Some(text) = &a.instruction
        && let Ok(parsed) = Instruction::parse(text)
    {
        v["inputSchema"] = parsed.input_schema();
        v["allowPrivateNetwork"] = json!(a.grant.as_ref().is_some_and(|g| g.allow_private_network));
    }
    v
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

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(skillset): Path<String>,
    JsonBody(body): JsonBody<NewAbility>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": row.id })))
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(skillset): Path<String>,
    QueryParams(params): QueryParams<AbilityListParams>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let tenant = &principal.tenant_id;
    let skillset = find_skillset(&state, tenant, &skillset).await?;
    let page = params.list.page(&state, "abilities", tenant).await?;
    let items = state
        .store
        .list_abilities(tenant, &skillset.id, params.blueprint_id.as_deref(), &page)
        .await?;
    Ok(Json(
        json!({ "items": items.iter().map(view).collect::<Vec<_>>() }),
    ))
}

async fn find(
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

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    Ok(Json(view(&find(&state, &principal, &skillset, &id).await?)))
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<AbilityChanges>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": row.id })))
}

async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:write")?;
    let row = find(&state, &principal, &skillset, &id).await?;
    state
        .store
        .delete_ability(&principal.tenant_id, &row.skillset_id, &row.id)
        .await?;
    tracing::info!(ability_id = %row.id, "ability deleted");
    Ok(Json(json!({ "id": row.id })))
}

/// Approves what an instruction reaches, with the grant body a skill's
/// approval takes (camelCase; the old snake_case accepted). Only its
/// origin can be granted, with or without private networks.
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let mut row = find(&state, &principal, &skillset, &id).await?;
    let Some(origin) = row.declaration.origin.clone() else {
        return Err(ApiError::Conflict {
            code: "not_an_instruction",
            message: "this ability runs an installed skill under that skill's approval; approve the skill".into(),
        });
    };
    let grant = crate::server::catalog::view::parse_grant(&body)?;
    let invalid = |message: String| ApiError::Unprocessable {
        code: "invalid_grant",
        message,
    };
    if !grant.mounts.is_empty()
        || !grant.env.is_empty()
        || !grant.secrets.is_empty()
        || !grant.inject.is_empty()
    {
        return Err(invalid(
            "an instruction declares no mounts, env, secret bindings or injections: it names its secrets in the template".into(),
        ));
    }
    if let Some(network) = &grant.network {
        let declared =
            crate::capability::NetworkPattern::parse(&origin).map_err(|_| ApiError::Internal)?;
        if let Some(p) = network.iter().find(|p| !p.is_within(&declared)) {
            return Err(invalid(format!(
                "network pattern `{p}` is not this ability's origin {origin}"
            )));
        }
    }
    let max = state.loader.runtime().limits().max;
    if grant
        .limits
        .timeout_ms
        .is_some_and(|t| t > max.timeout.as_millis() as u64)
    {
        return Err(invalid(format!(
            "limit timeoutMs exceeds the maximum of {}",
            max.timeout.as_millis()
        )));
    }
    if grant
        .limits
        .output_kb
        .is_some_and(|kb| kb > (max.output_bytes >> 10) as u64)
    {
        return Err(invalid(format!(
            "limit outputKb exceeds the maximum of {}",
            max.output_bytes >> 10
        )));
    }
    if grant.allow_private_network {
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    let mut record = ApprovalRecord::new(
        &principal.tenant_id,
        &principal.token_id,
        "ability",
        &row.id,
        "approved",
    );
    record.detail = json!({
        "origin": origin,
        "grant": crate::server::catalog::view::redacted(&grant),
    });
    row.status = AbilityStatus::Active;
    row.grant = Some(grant);
    row.updated_at = now();
    state.store.update_ability(&row).await?;
    crate::server::decisions::record(&state, record).await?;
    tracing::info!(ability_id = %row.id, "ability approved");
    Ok(Json(view(&row)))
}
