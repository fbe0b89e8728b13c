//! Seed 003's code skills over HTTP: `POST /api/agents/{agent}/skills`
//! with `{name, description, code, language}` (and optionally what the code
//! needs) creates one, `PUT …/{skill}` with new `code` changes it. The
//! source is compiled by its interpreter before anything is stored, so a
//! syntax error is a 422 with the interpreter's message. An admin's skill
//! that binds nothing (no secrets, no mounts) is approved as declared; a
//! writer's waits for an admin, and so does a writer's new code behind a
//! sensitive grant.
use crate::ability::code::{self as interpreter, Checked};
use crate::capability::{Grant, GuestPath, LimitRequest, NetworkPattern, Policy};
use crate::server::auth::Principal;
use crate::server::catalog::sources::replace_content;
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::sources::SourceBody;
use crate::sources::SourceKind;
use crate::sources::code::{CodeBody, CodeSpec, Language};
use crate::sources::make::{self, Made, SourceError};
use crate::store::{SkillRow, SkillStatus, StoreError, StoredKind, new_skill, now};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// The shape of a create body, for error messages.
const CREATE_SHAPE: &str = "a code skill is {name, description, code, language} with optional network, fs_read, fs_write, env, secrets, limits, category and input_schema";

/// Whether a JSON body creates or changes a code skill.
pub(super) fn is_code(body: &Value) -> bool {
    body.get("code").is_some() || body.get("language").is_some()
}

/// Creates the code skill `body` describes; the caller gives it to the agent.
pub(super) async fn create(
    state: &AppState,
    principal: &Principal,
    body: Value,
) -> Result<SkillRow, ApiError> {
    let spec: CodeSpec = serde_json::from_value(body)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("{e}; {CREATE_SHAPE}")))?;
    let language = Language::parse(&spec.language).map_err(SourceError::from)?;
    let tenant = &principal.tenant_id;
    if let Some(existing) = state.store.skill(tenant, &spec.name).await?
        && existing.manifest.name == spec.name
    {
        return Err(exists(&spec.name));
    }
    let made = make::code_skill(spec, language, semver::Version::new(1, 0, 0))?;
    compiles(state, &made).await?;
    let mut row = new_skill(
        tenant,
        made.manifest,
        StoredKind::Source(SourceKind::Code),
        &made.digest,
        "code",
    );
    row.detail = Some(Arc::new(made.detail));
    if principal.require("admin").is_ok() && binds_nothing(&row) {
        let grant = Grant::default();
        if Policy::resolve(&row.manifest, &grant, state.loader.runtime().limits()).is_ok() {
            row.grant = Some(grant);
            row.status = SkillStatus::Active;
        }
    }
    state.store.create_skill(&row).await.map_err(|e| match e {
        StoreError::Conflict => exists(&row.manifest.name),
        other => other.into(),
    })?;
    tracing::info!(skill_id = %row.id, name = %row.manifest.name, language = language.as_str(), status = %row.status, "code skill created");
    Ok(row)
}

/// Nothing in the declaration needs an admin to bind it to the tenant's
/// secrets or the operator's volumes.
fn binds_nothing(row: &SkillRow) -> bool {
    let caps = &row.manifest.capabilities;
    caps.secrets.is_empty() && caps.fs_read.is_empty() && caps.fs_write.is_empty()
}

fn exists(name: &str) -> ApiError {
    ApiError::Conflict {
        code: "skill_exists",
        message: format!(
            "a skill named `{name}` already exists: change its code with PUT /api/agents/{{agent}}/skills/{name}, or choose another name"
        ),
    }
}

/// A `PUT` body for a code skill: what it changes; the rest is kept. The
/// schema says what the manifest's check accepts, as for a create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeUpdate {
    #[serde(default)]
    #[schema(max_length = 262144, pattern = r"\S")]
    code: Option<String>,
    /// `python` or `javascript` (`py`, `python3` and `js` too, in any case).
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([Pp][Yy][Tt][Hh][Oo][Nn]3?|[Pp][Yy]|[Jj][Aa][Vv][Aa][Ss][Cc][Rr][Ii][Pp][Tt]|[Jj][Ss])\s*$"
    )]
    language: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1024, pattern = r"\S")]
    description: Option<String>,
    /// A slug, or blank for none.
    #[serde(default)]
    #[schema(pattern = r"^([a-z0-9]+(-[a-z0-9]+)*|\s*)$")]
    category: Option<String>,
    #[serde(default)]
    network: Option<Vec<NetworkPattern>>,
    #[serde(default)]
    fs_read: Option<Vec<GuestPath>>,
    #[serde(default)]
    fs_write: Option<Vec<GuestPath>>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    secrets: Option<Vec<String>>,
    #[serde(default)]
    limits: Option<LimitRequest>,
    /// A JSON Schema object (`inputSchema` too).
    #[serde(default, alias = "inputSchema")]
    #[schema(value_type = Option<Object>)]
    input_schema: Option<Value>,
}

/// What `PUT` did to a code skill.
pub(super) struct Updated {
    /// The skill as it is now.
    pub skill: SkillRow,
    /// The new code waits for an admin's approval.
    pub pending: bool,
}

/// Changes the code skill `current` as `body` says: a new version, which
/// waits for approval when it asks for more than was approved or a writer
/// changes code behind a sensitive grant.
pub(super) async fn update(
    state: &AppState,
    principal: &Principal,
    current: SkillRow,
    body: Value,
) -> Result<Updated, ApiError> {
    let Some(SourceBody::Code(old)) = current.detail.as_ref().map(|d| &d.body) else {
        return Err(ApiError::Unprocessable {
            code: "not_a_code_skill",
            message: format!(
                "`{}` is not a code skill (its kind is `{}`): send a new version of its component, or change its description",
                current.manifest.name, current.kind
            ),
        });
    };
    let change: CodeUpdate = serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(
            "invalid_body",
            format!("{e}; a code skill's update names what changes: code, language, description, category, network, fs_read, fs_write, env, secrets, limits, input_schema"),
        )
    })?;
    let language = match &change.language {
        Some(text) => Language::parse(text).map_err(SourceError::from)?,
        None => old.language,
    };
    let manifest = &current.manifest;
    let caps = &manifest.capabilities;
    let ability = manifest.abilities.first();
    let spec = CodeSpec {
        name: manifest.name.clone(),
        description: change
            .description
            .unwrap_or_else(|| manifest.description.clone()),
        code: change.code.unwrap_or_else(|| old.code.clone()),
        language: language.as_str().to_owned(),
        category: change.category.or_else(|| manifest.category.clone()),
        network: change.network.unwrap_or_else(|| caps.network.clone()),
        fs_read: change.fs_read.unwrap_or_else(|| caps.fs_read.clone()),
        fs_write: change.fs_write.unwrap_or_else(|| caps.fs_write.clone()),
        env: change.env.unwrap_or_else(|| caps.env.clone()),
        secrets: change.secrets.unwrap_or_else(|| caps.secrets.clone()),
        limits: change.limits.unwrap_or(manifest.limits),
        input_schema: change
            .input_schema
            .or_else(|| ability.map(|a| a.input_schema.clone())),
    };
    let mut version = manifest.version.clone();
    version.patch += 1;
    let made = make::code_skill(spec, language, version)?;
    if made.digest == current.digest {
        return Ok(Updated {
            skill: current,
            pending: false,
        });
    }
    compiles(state, &made).await?;
    let pending = replace_content(state, principal, &current, made, &now()).await?;
    let skill = state
        .store
        .skill(&principal.tenant_id, &current.id)
        .await?
        .ok_or(ApiError::NotFound("skill"))?;
    tracing::info!(skill_id = %skill.id, version = %skill.manifest.version, pending, "code skill changed");
    Ok(Updated { skill, pending })
}

/// The source compiles in its interpreter: a syntax error is refused with
/// the interpreter's own message.
async fn compiles(state: &AppState, made: &Made) -> Result<(), ApiError> {
    let SourceBody::Code(CodeBody { language, code }) = &made.detail.body else {
        return Err(ApiError::Internal);
    };
    let runner = state
        .interpreters
        .get(*language)
        .map_err(|message| ApiError::Unprocessable {
            code: "language_unavailable",
            message,
        })?;
    match interpreter::check(&state.loader, runner, code).await {
        Ok(Checked::Compiles) => Ok(()),
        Ok(Checked::SyntaxError(message)) => Err(ApiError::Unprocessable {
            code: "syntax_error",
            message: format!("the {} code does not compile: {message}", language.as_str()),
        }),
        Err(error) => {
            tracing::error!(%error, language = language.as_str(), "an interpreter's check failed");
            Err(ApiError::Internal)
        }
    }
}
