//! Approving an installed skill's capabilities (seed 001's approve): the
//! admin's grant, checked against the declaration, the operator's limits
//! and the tenant's secrets, with the digest or version they reviewed.
use super::skills::{OneSkill, SKILL_ID, SKILLS};
use crate::capability::{
    Grant, InjectBinding, LimitRequest, NetworkPattern, Policy, SecretBinding,
};
use crate::server::auth::Principal;
use crate::server::catalog::view::{parse_grant, redacted, view};
use crate::server::error::{ApiError, ErrorBody};
use crate::server::lookup::find_skill;
use crate::services::AppState;
use crate::store::ApprovalRecord;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(approve))
}

// Shape of parse_approval's JSON; Schemathesis checks it. The body is read
// by hand (the grant's fields beside `digest` or `version`, or no body at
// all), so this type only describes it.
/// An approval: the grant (every field optional; none at all approves the
/// held or proposed grant, or the declaration as it stands), with the
/// `digest` or the `version` the admin reviewed.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApprovalBody {
    /// The digest reviewed; `409` when the skill has changed since. Give
    /// `digest` or `version`, not both.
    #[serde(default)]
    #[schema(min_length = 1)]
    digest: String,
    /// The version reviewed (instead of `digest`).
    #[serde(default)]
    #[schema(min_length = 1)]
    version: String,
    /// Only these patterns, each within a declared one; absent or `null`:
    /// all declared.
    #[serde(default)]
    network: Option<Vec<NetworkPattern>>,
    /// Lets allowed names resolve to private addresses (the tenant must be allowed).
    #[serde(default)]
    allow_private_network: bool,
    /// Declared guest path (such as `/data`) → the volume mounted there.
    #[serde(default)]
    mounts: BTreeMap<String, MountRequest>,
    /// Values for declared environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Declared secret name → the tenant secret that supplies it.
    #[serde(default)]
    secrets: BTreeMap<String, SecretBinding>,
    /// Tenant secrets sent as headers to one granted origin.
    #[serde(default)]
    inject: Vec<InjectBinding>,
    /// Configuration the skill reads with `config(key)`.
    #[serde(default)]
    config: BTreeMap<String, String>,
    /// Limits within the operator's maxima.
    #[serde(default)]
    limits: LimitRequest,
}

/// An operator volume and a directory in it, as a grant mounts it.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct MountRequest {
    /// The volume's name, as the operator configured it.
    #[schema(min_length = 1)]
    volume: String,
    /// A relative directory inside the volume; absent: its root.
    #[serde(default)]
    path: String,
}

/// Approves a skill's capabilities (admin): it becomes active.
#[utoipa::path(post, path = "/api/skills/{id}/approve", tag = SKILLS,
    params(("id" = String, Path, description = SKILL_ID)),
    request_body(content = ApprovalBody, description = "The grant; an empty body approves as declared (or the proposed grant)"),
    responses(
        (status = 200, description = "Approved", body = OneSkill),
        (status = 400, description = "The body is malformed, or names both `digest` and `version`", body = ErrorBody),
        (status = 403, description = "The token is not an admin's, or the tenant may not approve private networks", body = ErrorBody),
        (status = 409, description = "The skill changed since the `digest` or `version` reviewed", body = ErrorBody),
        (status = 422, description = "The grant widens the declaration, exceeds a limit, mounts an unknown volume, or names a secret the tenant lacks", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<OneSkill>, ApiError> {
    principal.require("admin")?;
    let body = body.map_err(crate::server::catalog::installing::body_error)?;
    let skill = find_skill(&state, &principal, &id).await?;
    let (reviewed, grant) = parse_approval(&body)?;
    // A source skill's synced content waiting for approval is what the
    // grant is for.
    let pending = skill.pending_source.as_ref();
    let manifest = pending.map_or(&skill.manifest, |p| &p.manifest);
    let digest = pending.map_or(&skill.digest, |p| &p.digest);
    if let Some(reviewed) = &reviewed {
        reviewed.matches(digest, &manifest.version.to_string())?;
    }
    // No grant in the body approves the grant the skill holds or was
    // proposed (a new version, a synced update): that is what was reviewed.
    let grant = match grant {
        Some(grant) => grant,
        None if skill.review.is_some() || pending.is_some() => {
            skill.grant.clone().unwrap_or_default()
        }
        None => Grant::default(),
    };
    if grant.allow_private_network {
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    check_grant_secrets(&state, &principal.tenant_id, &grant).await?;
    Policy::resolve(manifest, &grant, state.loader.runtime().limits())
        .and_then(|p| p.verify_mounts(state.loader.runtime().volumes()))
        .map_err(|e| ApiError::Unprocessable {
            code: "invalid_grant",
            message: e.to_string(),
        })?;
    state
        .store
        .approve_skill(&principal.tenant_id, &skill.id, &grant, pending)
        .await?;
    let mut record = ApprovalRecord::new(
        &principal.tenant_id,
        &principal.token_id,
        "skill",
        &skill.id,
        "approved",
    );
    record.digest = Some(digest.clone());
    record.reviewed = reviewed.is_some();
    record.detail = json!({ "version": manifest.version.to_string(), "grant": redacted(&grant) });
    crate::server::decisions::record(&state, record).await?;
    tracing::info!(skill_id = %skill.id, %digest, reviewed = reviewed.is_some(), "skill approved");
    let skill = find_skill(&state, &principal, &skill.id).await?;
    crate::server::catalog::installing::promote_if_current(&state, &principal, &skill).await?;
    let assigned = state.store.assignment_count(&skill.id).await?;
    Ok(Json(OneSkill {
        skill: view(&skill, assigned),
    }))
}

/// What the admin says they reviewed: the digest or the version.
enum Reviewed {
    Digest(String),
    Version(String),
}

impl Reviewed {
    /// 409 when the skill is no longer what the admin reviewed.
    fn matches(&self, digest: &str, version: &str) -> Result<(), ApiError> {
        let (named, current, what) = match self {
            Reviewed::Digest(d) => (d.as_str(), digest, "digest"),
            Reviewed::Version(v) => (v.as_str(), version, "version"),
        };
        if named == current {
            return Ok(());
        }
        Err(ApiError::Conflict {
            code: "review_outdated",
            message: format!(
                "the skill changed since it was reviewed: its {what} is now `{current}`, not `{named}`; review it again (GET /api/skills/{{id}}) and approve that"
            ),
        })
    }
}

/// An approval body: the grant's fields (none: the held or proposed
/// grant, or the declaration as it stands) with the `digest` or `version`
/// the admin reviewed.
fn parse_approval(body: &[u8]) -> Result<(Option<Reviewed>, Option<Grant>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, None));
    }
    let mut fields: serde_json::Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid grant: {e}")))?;
    let text = |value: Value, name: &str| match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::bad_request(
            "invalid_body",
            format!("`{name}` must be the non-empty {name} you reviewed"),
        )),
    };
    let reviewed = match (fields.remove("digest"), fields.remove("version")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "name either the `digest` or the `version` you reviewed, not both",
            ));
        }
        (Some(d), None) => Some(Reviewed::Digest(text(d, "digest")?)),
        (None, Some(v)) => Some(Reviewed::Version(text(v, "version")?)),
        (None, None) => None,
    };
    let grant = if fields.is_empty() {
        None
    } else {
        Some(parse_grant(Value::Object(fields).to_string().as_bytes())?)
    };
    Ok((reviewed, grant))
}

/// Checks that every secret a grant names exists in the tenant.
async fn check_grant_secrets(
    state: &AppState,
    tenant_id: &str,
    grant: &Grant,
) -> Result<(), ApiError> {
    let ids = grant
        .secrets
        .values()
        .map(|b| &b.secret_id)
        .chain(grant.inject.iter().map(|b| &b.secret_id));
    for id in ids {
        if state.store.secret(tenant_id, id).await?.is_none() {
            return Err(ApiError::Unprocessable {
                code: "invalid_grant",
                message: format!(
                    "secret `{id}` does not exist in this tenant; create it with POST /api/v1/secret/create"
                ),
            });
        }
    }
    Ok(())
}
