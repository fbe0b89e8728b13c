//! Seed 004's sources surface: installing and syncing skills made from a
//! SKILL.md folder, an OpenAPI document or a registry's MCP server
//! (`POST /api/skills {source, …}` and `POST /api/skills/{id}/sync` route
//! here). Browsing is [`crate::server::browse`]; calling their abilities is the
//! invocation path's.

use crate::capability::{Grant, Policy};
use crate::server::auth::Principal;
use crate::server::catalog::installing::fetch_policy;
use crate::server::catalog::view::{SkillView, view};
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::sources::SourceKind;
use crate::sources::make::{
    self, Context, Credentials, Made, OpenedCredential, SourceError, SourceSpec,
};
use crate::store::SkillStatus;
use crate::store::StoredKind;
use crate::store::{PendingSource, SkillFilter, SkillRow, StoreError, new_skill, now};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;

/// `POST /api/skills` with a seed 004 source: fetched, read and stored as
/// a skill. An admin's install is approved as declared (its one origin,
/// no private addresses); anyone else's waits for an admin.
pub(crate) async fn install(
    state: &AppState,
    principal: &Principal,
    body: Value,
) -> Result<SkillRow, ApiError> {
    let spec: SourceSpec = serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(
            "invalid_body",
            format!(
                "{e}; a source install is {{source, sourceUrl, sourceRef?, name?, description?, credentialId?, variables?}}"
            ),
        )
    })?;
    let kind = SourceKind::parse(&spec.source).ok_or(ApiError::Internal)?;
    let tenant = &principal.tenant_id;
    check_credential(state, principal, spec.credential_id.as_deref()).await?;
    let made = make::make(&context(state, tenant), kind, &spec).await?;
    let name = made.manifest.name.clone();
    if let Some(existing) = state.store.skill(tenant, &name).await?
        && existing.manifest.name == name
    {
        return Err(already_installed(&name));
    }
    // Before the skill that lists them: a file is never listed unstored.
    state.store.put_skill_files(tenant, &made.files).await?;
    let mut row = new_skill(
        tenant,
        made.manifest,
        StoredKind::Source(kind),
        &made.digest,
        "url",
    );
    row.source_url = Some(spec.source_url.clone());
    row.detail = Some(Arc::new(made.detail));
    row.synced_at = Some(row.created_at.clone());
    if principal.require("admin").is_ok() {
        row.grant = Some(Grant::default());
        row.status = SkillStatus::Active;
    }
    state.store.create_skill(&row).await.map_err(|e| match e {
        StoreError::Conflict => already_installed(&name),
        other => other.into(),
    })?;
    tracing::info!(skill_id = %row.id, name = %name, source = kind.as_str(), status = %row.status, "source skill installed");
    Ok(row)
}

/// What making a source takes: the guard, the source rules, GitHub, and
/// `tenant`'s secrets for a registry server's listing.
fn context<'a>(state: &'a AppState, tenant: &'a str) -> Context<'a, TenantSecrets<'a>> {
    Context {
        outbound: state.loader.outbound(),
        policy: fetch_policy(state),
        github: &state.options.github,
        credentials: TenantSecrets { state, tenant },
    }
}

/// A tenant's secrets, opened for a registry server's listing.
struct TenantSecrets<'a> {
    state: &'a AppState,
    tenant: &'a str,
}

impl Credentials for TenantSecrets<'_> {
    async fn open(
        &self,
        server: &str,
        secret_id: &str,
        header: Option<&str>,
    ) -> Result<Result<OpenedCredential, String>, SourceError> {
        let opened = crate::invocation::mcp_credential(
            self.state,
            self.tenant,
            server,
            Some(secret_id),
            header,
        )
        .await
        .map_err(|_| SourceError::Internal)?;
        Ok(opened.map_err(|failure| failure.message))
    }
}

/// The one mapping of a source's failure (and a URL install's fetch
/// failure) to the HTTP answer.
impl From<SourceError> for ApiError {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::Invalid { code, message } => ApiError::BadRequest { code, message },
            SourceError::NotFound { code, message } => ApiError::NotFoundWith { code, message },
            SourceError::Unusable { code, message } => ApiError::Unprocessable { code, message },
            SourceError::Unreachable { code, message } => ApiError::BadGateway { code, message },
            SourceError::Internal => ApiError::Internal,
        }
    }
}

fn already_installed(name: &str) -> ApiError {
    ApiError::Conflict {
        code: "SKILL_ALREADY_INSTALLED",
        message: format!(
            "a skill named `{name}` is already installed: sync it (POST /api/skills/{{id}}/sync), uninstall it, or install under another `name`"
        ),
    }
}

/// A credential may be named only by an admin: it sends a tenant secret to
/// the skill's origin.
pub(crate) async fn check_credential(
    state: &AppState,
    principal: &Principal,
    credential_id: Option<&str>,
) -> Result<(), ApiError> {
    let Some(id) = credential_id else {
        return Ok(());
    };
    principal.require("admin")?;
    if state
        .store
        .secret(&principal.tenant_id, id)
        .await?
        .is_none()
    {
        return Err(ApiError::Unprocessable {
            code: "secret_not_found",
            message: format!(
                "secret `{id}` does not exist in this tenant: create it at /api/v1/secret/create first"
            ),
        });
    }
    Ok(())
}

/// `POST /api/skills/{id}/sync` for a source skill: fetched and read again.
/// Content that asks for nothing more than was approved replaces the old
/// at once; content that adds an origin waits, with `capabilityDiff`,
/// until an admin approves it (the skill keeps serving meanwhile). A
/// failure is 502 `SYNC_FAILED`, kept in `syncError` (status `error`).
pub(crate) async fn sync(
    state: &AppState,
    principal: &Principal,
    skill: SkillRow,
) -> Result<Synced, ApiError> {
    let detail = skill.detail.clone().ok_or(ApiError::Internal)?;
    let kind = detail.kind();
    let remote = match &detail.body {
        crate::sources::SourceBody::McpRegistry { remote } => Some(remote),
        _ => None,
    };
    let spec = SourceSpec {
        source: kind.as_str().to_owned(),
        source_url: skill.source_url.clone().unwrap_or_default(),
        source_ref: detail.source_ref.clone(),
        // The skill keeps its name and any description it was given.
        name: Some(skill.manifest.name.clone()),
        description: Some(skill.manifest.description.clone()),
        // A registry server is reached as its install said.
        credential_id: remote.and_then(|r| r.list_credential_id.clone()),
        variables: remote.map(|r| r.variables.clone()).unwrap_or_default(),
        // The credential goes only where the approved content pointed.
        credential_origin: skill.manifest.capabilities.network.first().cloned(),
    };
    let tenant = &principal.tenant_id;
    let made = match make::make(&context(state, tenant), kind, &spec).await {
        Ok(made) => made,
        Err(error) => {
            // The skill keeps working; the reason is kept in `syncError`.
            let message = error.to_string();
            tracing::warn!(skill_id = %skill.id, error = %message, "sync failed");
            state
                .store
                .record_sync(tenant, &skill.id, Err(&message))
                .await?;
            return Err(ApiError::BadGateway {
                code: "SYNC_FAILED",
                message: format!("syncing `{}` failed: {message}", skill.manifest.name),
            });
        }
    };
    let synced_at = now();
    let changed = made.digest != skill.digest;
    let waiting = if changed {
        replace_content(state, principal, &skill, made, &synced_at).await?
    } else {
        state
            .store
            .record_sync(tenant, &skill.id, Ok(&synced_at))
            .await?;
        false
    };
    let skill = state
        .store
        .skill(tenant, &skill.id)
        .await?
        .ok_or(ApiError::NotFound("skill"))?;
    let assigned = state.store.assignment_count(&skill.id).await?;
    Ok(Synced {
        ok: true,
        synced_at,
        changed,
        pending_approval: Some(waiting),
        skill: view(&skill, assigned),
    })
}

/// The tenant's installed source skills of `kind`, by their `sourceRef`.
pub(crate) async fn installed_refs(
    state: &AppState,
    tenant: &str,
    kind: SourceKind,
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let filter = SkillFilter {
        kind: Some(kind.as_str().to_owned()),
        ..SkillFilter::default()
    };
    let (skills, _) = state.store.list_skills(tenant, &filter).await?;
    Ok(skills
        .into_iter()
        .filter_map(|s| {
            let reference = s.detail.as_ref()?.source_ref.clone()?;
            Some((reference, s.id))
        })
        .collect())
}

/// New content for a source or code skill (a sync's, a `PUT` of new
/// code): it replaces the old at once when the skill was never approved,
/// or asks for nothing more and hands no sensitive grant to a writer's
/// change; otherwise it waits, with `capabilityDiff` and `review`, for an
/// admin's approval while the approved content keeps serving. `true` when
/// it waits.
pub(crate) async fn replace_content(
    state: &AppState,
    principal: &Principal,
    skill: &SkillRow,
    made: Made,
    at: &str,
) -> Result<bool, ApiError> {
    state
        .store
        .put_skill_files(&skill.tenant_id, &made.files)
        .await?;
    let limits = state.loader.runtime().limits();
    let grant = skill.grant.clone().unwrap_or_default();
    let approved = Policy::resolve(&skill.manifest, &grant, limits).ok();
    let diff = match &approved {
        Some(approved) => made
            .manifest
            .capabilities
            .beyond(&skill.manifest.capabilities, approved),
        None => made.manifest.capabilities.clone(),
    };
    let mut row = skill.clone();
    row.manifest = made.manifest.clone();
    row.detail = Some(Arc::new(made.detail.clone()));
    row.digest = made.digest.clone();
    // A writer's change does not hand new content a sensitive grant.
    let review =
        (skill.grant.as_ref()).and_then(|grant| super::review::before_inheriting(principal, grant));
    // New limits are checked against the grant like new capabilities.
    let fits = Policy::resolve(&made.manifest, &grant, limits).is_ok();
    if skill.grant.is_none() || (diff.is_empty() && review.is_none() && fits) {
        state.store.sync_source(&row, None, at).await?;
        return Ok(false);
    }
    let pending = PendingSource {
        manifest: made.manifest,
        detail: made.detail,
        digest: made.digest,
    };
    state
        .store
        .sync_source(&row, Some((&pending, &diff, review.as_ref())), at)
        .await?;
    Ok(true)
}

/// What a sync answers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Synced {
    /// Always `true`.
    pub ok: bool,
    pub synced_at: String,
    /// Whether the source served something new.
    pub changed: bool,
    /// A source skill's: the new content asks for more than was approved
    /// and waits for an admin (the approved content keeps serving).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_approval: Option<bool>,
    /// The skill as it is now (a component's new version, when it changed).
    pub skill: SkillView,
}
