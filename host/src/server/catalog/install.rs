//! Installing a skill (`POST /api/skills`: an upload, a URL, a server path
//! or one of seed 004's sources) and syncing it from where it came from.
use crate::server::auth::Principal;
use crate::server::catalog::installing::{
    Origin, SourceSpec, component_from_request, component_from_source, fetch_policy,
    install_component,
};
use crate::server::catalog::sources::Synced;
use crate::server::catalog::view::{SkillView, view};
use crate::server::error::{ApiError, ErrorBody, JsonBody};
use crate::server::lookup::find_skill;
use crate::services::AppState;
use crate::store::now;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(install))
        .routes(routes!(sync))
}

// The install handler reads the JSON body as a `Value` and dispatches on
// `source`; these types describe the bodies it accepts.
/// A JSON install: one of seed 004's sources, or a packaged component's
/// URL (or, for operators, its path under the install root).
#[derive(serde::Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum InstallSource {
    /// Seed 004: a SKILL.md folder, an OpenAPI document or a registry's MCP server.
    Source(crate::sources::make::SourceSpec),
    /// A packaged component fetched from a URL, or read from a server path.
    Component(SourceSpec),
}

/// A packaged component (a WebAssembly component with its manifest).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(value_type = String, format = Binary)]
struct ComponentBytes(Vec<u8>);

/// A multipart upload of a packaged component.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ComponentUpload {
    /// The component (or any one field with a file name).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// What an install answers: seed 001's `{skill}` for a component, seed
/// 004's Skill object itself for a source.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum Installed {
    /// A component (seed 001).
    Component { skill: Box<SkillView> },
    /// A source skill (seed 004).
    Source(Box<SkillView>),
}

/// Installs a skill: a packaged component (its bytes, an upload, its URL
/// or an operator's server path) or one of seed 004's sources.
///
/// A writer's install waits for an admin's approval (`pending`); an
/// admin's source install is active at once.
#[utoipa::path(post, path = "/api/skills", tag = "skills",
    request_body(
        description = "The component itself, or where to get it",
        content(
            (InstallSource = "application/json"),
            (ComponentBytes = "application/wasm"),
            (ComponentUpload = "multipart/form-data"),
        )
    ),
    responses(
        (status = 201, description = "Installed", body = Installed),
        (status = 400, description = "The body is malformed, its content type is not one of these, or the source is invalid (`error` says what to fix)", body = ErrorBody),
        (status = 403, description = "The token lacks the scope; a `path` install is the operator's, a `credentialId` an admin's", body = ErrorBody),
        (status = 404, description = "The source names something its origin does not have (a registry server)", body = ErrorBody),
        (status = 409, description = "That name and version is installed already, the name is a source skill's, or path installs are off", body = ErrorBody),
        (status = 422, description = "Not a usable skill: an invalid or unloadable component, an unsupported source, a path outside the install root, an unknown credential", body = ErrorBody),
        (status = 502, description = "The source could not be fetched", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn install(
    State(state): State<AppState>,
    principal: Principal,
    request: Request,
) -> Result<(StatusCode, Json<Installed>), ApiError> {
    principal.require("skills:write")?;
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    let (bytes, origin) = if is_json {
        let JsonBody(body) = JsonBody::<Value>::from_request(request, &state).await?;
        // Seed 004's sources are skills of their own kind; its answer is
        // the Skill object itself.
        if body
            .get("source")
            .and_then(Value::as_str)
            .and_then(crate::sources::SourceKind::parse)
            .is_some()
        {
            let row = crate::server::catalog::sources::install(&state, &principal, body).await?;
            return Ok((
                StatusCode::CREATED,
                Json(Installed::Source(Box::new(view(&row, 0)))),
            ));
        }
        let spec: SourceSpec = serde_json::from_value(body)
            .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        component_from_source(&state, &principal, spec).await?
    } else {
        component_from_request(&state, &principal, request).await?
    };
    let row = install_component(&state, &principal, bytes, origin).await?;
    Ok((
        StatusCode::CREATED,
        Json(Installed::Component {
            skill: Box::new(view(&row, 0)),
        }),
    ))
}

/// Fetches a URL-installed or source skill again; new content becomes a
/// new version, or waits for approval when it asks for more.
#[utoipa::path(post, path = "/api/skills/{id}/sync", tag = "skills",
    params(("id" = String, Path, description = "The skill's id, or its name (the current version)")),
    responses(
        (status = 200, description = "Synced", body = Synced),
        (status = 409, description = "The skill was uploaded or installed from a path: only URL and source skills sync", body = ErrorBody),
        (status = 502, description = "The source failed, or served something that cannot replace the skill; kept in `syncError`", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn sync(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Synced>, ApiError> {
    principal.require("skills:write")?;
    let skill = find_skill(&state, &principal, &id).await?;
    if !skill.is_component() {
        return Ok(Json(
            crate::server::catalog::sources::sync(&state, &principal, skill).await?,
        ));
    }
    let (Some(location), "url") = (&skill.source_url, skill.source.as_str()) else {
        return Err(ApiError::Conflict {
            code: "not_syncable",
            message: format!(
                "skill `{}` was installed from {}; only URL-installed skills can be synced",
                skill.manifest.name,
                if skill.source == "path" {
                    "a server-side path"
                } else {
                    "an upload"
                }
            ),
        });
    };
    let tenant = &principal.tenant_id;
    let failed = |message: String| ApiError::BadGateway {
        code: "sync_failed",
        message,
    };
    let fetched = match crate::sources::fetch::parse(location) {
        Ok(url) => {
            crate::sources::fetch::fetch(
                state.loader.outbound(),
                &url,
                skill.source_sha256.as_deref(),
                fetch_policy(&state),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(skill_id = %skill.id, error = %message, "sync failed");
            state
                .store
                .record_sync(tenant, &skill.id, Err(&message))
                .await?;
            return Err(failed(message));
        }
    };
    let synced_at = now();
    if fetched.sha256 == skill.digest {
        state
            .store
            .record_sync(tenant, &skill.id, Ok(&synced_at))
            .await?;
        let skill = find_skill(&state, &principal, &skill.id).await?;
        let assigned = state.store.assignment_count(&skill.id).await?;
        return Ok(Json(Synced {
            ok: true,
            synced_at,
            changed: false,
            pending_approval: None,
            skill: view(&skill, assigned),
        }));
    }
    // New bytes: they must be a new version of the same skill.
    let package = crate::package::read(&fetched.bytes);
    let refusal = match &package {
        Err(e) => Some(format!("the source now serves an invalid component: {e}")),
        Ok(p) if p.manifest.name != skill.manifest.name => Some(format!(
            "the source now serves skill `{}`, not `{}`",
            p.manifest.name, skill.manifest.name
        )),
        Ok(p) if p.manifest.version == skill.manifest.version => Some(format!(
            "the source serves different bytes under the same version {}; a changed \
             component needs a new version number",
            skill.manifest.version
        )),
        Ok(_) => None,
    };
    if let Some(why) = refusal {
        state
            .store
            .record_sync(tenant, &skill.id, Err(&why))
            .await?;
        return Err(failed(why));
    }
    let origin = Origin {
        source: "url",
        location: Some(location.clone()),
        pin: None,
        description: None,
    };
    // The source may serve a version that is already here (synced through
    // another version's entry): that is no change.
    let version = package
        .as_ref()
        .map(|p| p.manifest.version.to_string())
        .unwrap_or_default();
    if let Some(known) = state
        .store
        .skill_version(tenant, &skill.manifest.name, &version)
        .await?
        && known.digest == fetched.sha256
    {
        state
            .store
            .record_sync(tenant, &skill.id, Ok(&synced_at))
            .await?;
        let assigned = state.store.assignment_count(&known.id).await?;
        return Ok(Json(Synced {
            ok: true,
            synced_at,
            changed: false,
            pending_approval: None,
            skill: view(&known, assigned),
        }));
    }
    let new = match install_component(&state, &principal, fetched.bytes, origin).await {
        Ok(new) => new,
        Err(e @ (ApiError::Conflict { .. } | ApiError::Unprocessable { .. })) => {
            let why = format!("the new version cannot be installed: {e}");
            state
                .store
                .record_sync(tenant, &skill.id, Err(&why))
                .await?;
            return Err(failed(why));
        }
        Err(e) => return Err(e),
    };
    state
        .store
        .record_sync(tenant, &skill.id, Ok(&synced_at))
        .await?;
    let assigned = state.store.assignment_count(&new.id).await?;
    Ok(Json(Synced {
        ok: true,
        synced_at,
        changed: true,
        pending_approval: None,
        skill: view(&new, assigned),
    }))
}
