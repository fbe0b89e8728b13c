//! What installing a component takes, for every route that installs one
//! (`POST /api/skills`, seed 003's agent skills, syncs): the component
//! from the body (`application/wasm`, a multipart upload, or a JSON body
//! naming an http(s) URL with an optional sha256 pin, or for operators a
//! server-side path under the configured install root), read, checked and
//! stored; a new version carries the approval over only when it asks for
//! nothing new.
use crate::capability::Policy;
use crate::error::LoadError;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, JsonBody};
use crate::services::AppState;
use crate::sources::fetch::FetchPolicy;
use crate::sources::make::SourceError;
use crate::store::SkillStatus;
use crate::store::StoredKind;
use crate::store::{SkillRow, StoreError, new_skill};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use serde::Deserialize;

/// Where an installed component came from.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    /// upload, url or path.
    pub source: &'static str,
    /// The URL or path.
    pub location: Option<String>,
    /// The sha256 pin of a URL install.
    pub pin: Option<String>,
    /// Replaces the manifest's description.
    pub description: Option<String>,
}

impl Origin {
    pub(crate) fn upload() -> Self {
        Origin {
            source: "upload",
            ..Origin::default()
        }
    }
}

/// A JSON install: a source instead of the component itself. Seed 004's
/// `sourceUrl` is accepted, and `url` as a shorter alias.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = ComponentSource)]
pub(crate) struct SourceSpec {
    /// The packaged component's http(s) URL (`url` is accepted too).
    #[serde(default, alias = "url")]
    #[schema(
        pattern = r"^https?://[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,20}){0,2}(/[A-Za-z0-9._~-]*)*$"
    )]
    source_url: Option<String>,
    /// Pins a URL install: the sha256 (hex) the fetched bytes must have.
    #[serde(default)]
    #[schema(pattern = "^(sha256:)?[0-9a-fA-F]{64}$")]
    sha256: Option<String>,
    /// For operators: a file under the server's install root.
    #[serde(default)]
    path: Option<String>,
    /// Seed 004's source kind; only `url` (or `custom`) and `path` apply.
    #[serde(default)]
    #[schema(pattern = "^(url|custom|path)$")]
    source: Option<String>,
    /// Replaces the manifest's description.
    #[serde(default)]
    description: Option<String>,
}

/// The component and its origin from an install request, whatever form it
/// took.
pub(crate) async fn component_from_request(
    state: &AppState,
    principal: &Principal,
    request: Request,
) -> Result<(Vec<u8>, Origin), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/wasm") {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        Ok((bytes.to_vec(), Origin::upload()))
    } else if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        Ok((uploaded_file(multipart).await?, Origin::upload()))
    } else if content_type.starts_with("application/json") {
        let JsonBody(spec) = JsonBody::<SourceSpec>::from_request(request, state).await?;
        component_from_source(state, principal, spec).await
    } else {
        Err(ApiError::bad_request(
            "unsupported_content_type",
            "send the packaged skill as the body with `Content-Type: application/wasm`, \
             as a multipart/form-data file field, or name its source in a JSON body \
             ({\"sourceUrl\": \"https://...\", \"sha256\": \"...\"})",
        ))
    }
}

/// A body that could not be read, in the API's error shape.
pub(crate) fn body_error(rejection: axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES)
    } else {
        ApiError::bad_request("invalid_body", rejection.body_text())
    }
}

/// The one file of a multipart upload (the field named `file`, or the only
/// field that carries a file name).
async fn uploaded_file(mut multipart: Multipart) -> Result<Vec<u8>, ApiError> {
    let mut found: Option<Vec<u8>> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES)
        } else {
            ApiError::bad_request("invalid_multipart", e.body_text())
        }
    })? {
        let is_file = field.name() == Some("file") || field.file_name().is_some();
        if !is_file {
            continue;
        }
        if found.is_some() {
            return Err(ApiError::bad_request(
                "invalid_multipart",
                "send one component per request: the upload has more than one file",
            ));
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        found = Some(bytes.to_vec());
    }
    found.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_multipart",
            "the multipart body has no file: send the component in a field named `file`",
        )
    })
}

pub(crate) async fn component_from_source(
    state: &AppState,
    principal: &Principal,
    spec: SourceSpec,
) -> Result<(Vec<u8>, Origin), ApiError> {
    if let Some(kind) = spec.source.as_deref()
        && !matches!(kind, "url" | "custom" | "path")
    {
        return Err(ApiError::Unprocessable {
            code: "unsupported_source",
            message: format!(
                "source `{kind}` is not supported: give `skill_md`, `openapi_action` or \
                 `mcp_registry` (seed 004), or a packaged component's `sourceUrl` (http or https) \
                 or, as an operator, its `path`"
            ),
        });
    }
    match (spec.source_url, spec.path) {
        (Some(url), None) => {
            let (bytes, mut origin) = fetch_url(state, &url, spec.sha256.as_deref()).await?;
            origin.description = spec.description;
            Ok((bytes, origin))
        }
        (None, Some(path)) => {
            if spec.sha256.is_some() {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "`sha256` pins URL sources; a path install reads the file as it is",
                ));
            }
            let bytes = read_under_root(state, principal, &path).await?;
            Ok((
                bytes,
                Origin {
                    source: "path",
                    location: Some(path),
                    pin: None,
                    description: spec.description,
                },
            ))
        }
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "invalid_body",
            "give either `sourceUrl` or `path`, not both",
        )),
        (None, None) => Err(ApiError::bad_request(
            "invalid_body",
            "name the source: `sourceUrl` (http or https, optionally with `sha256`) or, \
             for operators, `path`",
        )),
    }
}

/// Fetches a URL source, checking the optional sha256 pin.
pub(crate) async fn fetch_url(
    state: &AppState,
    url: &str,
    sha256: Option<&str>,
) -> Result<(Vec<u8>, Origin), ApiError> {
    let pin = sha256
        .map(crate::sources::fetch::parse_pin)
        .transpose()
        .map_err(|m| ApiError::bad_request("invalid_sha256", m))?;
    let url = crate::sources::fetch::parse(url).map_err(SourceError::from)?;
    let fetched = crate::sources::fetch::fetch(
        state.loader.outbound(),
        &url,
        pin.as_deref(),
        fetch_policy(state),
    )
    .await
    .map_err(SourceError::from)?;
    let origin = Origin {
        source: "url",
        location: Some(url.to_string()),
        pin,
        description: None,
    };
    Ok((fetched.bytes, origin))
}

/// Reads a component's embedded manifest, or says why it is not a skill.
pub(crate) fn read_package(bytes: &[u8]) -> Result<crate::package::Package, ApiError> {
    crate::package::read(bytes).map_err(|e| ApiError::Unprocessable {
        code: "invalid_component",
        message: e.to_string(),
    })
}

pub(crate) fn fetch_policy(state: &AppState) -> FetchPolicy {
    FetchPolicy {
        allow_private: state.options.allow_private_sources,
        max_bytes: crate::server::request::MAX_BODY_BYTES,
    }
}

/// Reads a server-side file for an operator, confined to the install root.
async fn read_under_root(
    state: &AppState,
    principal: &Principal,
    path: &str,
) -> Result<Vec<u8>, ApiError> {
    principal.require_operator()?;
    let Some(root) = &state.options.install_root else {
        return Err(ApiError::Conflict {
            code: "path_installs_disabled",
            message: "server-side path installs are off; start the server with \
                      --install-root DIR to allow installs from files under DIR"
                .into(),
        });
    };
    let not_found = || ApiError::Unprocessable {
        code: "invalid_path",
        message: format!("no readable file `{path}` under the install root"),
    };
    let root = root.canonicalize().map_err(|e| {
        tracing::error!(root = %root.display(), error = %e, "install root is not usable");
        ApiError::Internal
    })?;
    // Relative paths are taken from the root; either way the resolved file
    // (symlinks followed) must lie inside it.
    let file = root.join(path).canonicalize().map_err(|_| not_found())?;
    if !file.starts_with(&root) {
        return Err(ApiError::Unprocessable {
            code: "invalid_path",
            message: format!("`{path}` is outside the install root"),
        });
    }
    let meta = tokio::fs::metadata(&file).await.map_err(|_| not_found())?;
    if !meta.is_file() {
        return Err(not_found());
    }
    if meta.len() > crate::server::request::MAX_BODY_BYTES as u64 {
        return Err(ApiError::TooLarge(crate::server::request::MAX_BODY_BYTES));
    }
    tokio::fs::read(&file).await.map_err(|_| not_found())
}

/// Validates, compiles and stores a component as a new skill (pending, or
/// active when it is a new version asking for nothing more than the
/// approved one); agents move to it when it becomes the active version.
pub(crate) async fn install_component(
    state: &AppState,
    principal: &Principal,
    bytes: Vec<u8>,
    origin: Origin,
) -> Result<SkillRow, ApiError> {
    let package = read_package(&bytes)?;
    // A source skill's name is not a component's to take a new version of.
    if let Some(existing) = state
        .store
        .skill(&principal.tenant_id, &package.manifest.name)
        .await?
        && existing.manifest.name == package.manifest.name
        && !existing.is_component()
    {
        return Err(ApiError::Conflict {
            code: "SKILL_ALREADY_INSTALLED",
            message: format!(
                "`{}` is the name of a {} skill installed from a source; uninstall it or rename the component",
                existing.manifest.name, existing.kind
            ),
        });
    }
    // Compile and link now, so a component that cannot run is refused at
    // install with wasmtime's reason rather than at the first call.
    state
        .loader
        .load_bytes(bytes.clone())
        .await
        .map_err(|e| match e {
            LoadError::Host(_) => {
                tracing::error!(digest = %package.digest, error = %e, "install could not load the component");
                ApiError::Internal
            }
            e => ApiError::Unprocessable {
                code: "invalid_component",
                message: e.to_string(),
            },
        })?;
    state
        .store
        .put_component(&principal.tenant_id, &package.digest, &bytes)
        .await?;
    let mut manifest = package.manifest;
    if let Some(description) = origin.description {
        manifest.description = description;
    }
    let mut row = new_skill(
        &principal.tenant_id,
        manifest,
        StoredKind::Component(package.kind),
        &package.digest,
        origin.source,
    );
    row.source_url = origin.location;
    row.source_sha256 = origin.pin;
    if row.source == "url" {
        row.synced_at = Some(row.created_at.clone());
    }
    carry_over_approval(state, principal, &mut row).await?;
    state.store.create_skill(&row).await.map_err(|e| match e {
        StoreError::Conflict => ApiError::Conflict {
            code: "skill_exists",
            message: format!(
                "{}@{} is already installed",
                row.manifest.name, row.manifest.version
            ),
        },
        other => other.into(),
    })?;
    tracing::info!(skill_id = %row.id, name = %row.manifest.name, digest = %row.digest, source = row.source, status = %row.status, "skill installed");
    if row.status == SkillStatus::Active {
        promote_if_current(state, principal, &row).await?;
    }
    Ok(row)
}

/// When `skill` is now its name's current version (the newest active
/// one), the agents of its other versions move to it.
pub(crate) async fn promote_if_current(
    state: &AppState,
    principal: &Principal,
    skill: &SkillRow,
) -> Result<(), ApiError> {
    let current = state
        .store
        .skill_shared(&principal.tenant_id, &skill.manifest.name)
        .await?;
    if current.is_some_and(|c| c.id == skill.id) {
        let moved = state
            .store
            .promote_assignments(&principal.tenant_id, &skill.manifest.name, &skill.id)
            .await?;
        if moved > 0 {
            tracing::info!(skill_id = %skill.id, agents = moved, "agents moved to the new version");
        }
    }
    Ok(())
}

/// A new version of an approved skill keeps the approval when it asks for
/// nothing more and either an admin uploads it or the grant hands it
/// nothing sensitive; otherwise it waits, showing what it adds and what it
/// would inherit.
async fn carry_over_approval(
    state: &AppState,
    principal: &Principal,
    row: &mut SkillRow,
) -> Result<(), ApiError> {
    let Some(previous) = state
        .store
        .skill(&principal.tenant_id, &row.manifest.name)
        .await?
    else {
        return Ok(());
    };
    let Some(grant) = previous.grant.clone() else {
        return Ok(());
    };
    let limits = state.loader.runtime().limits();
    let Ok(approved) = Policy::resolve(&previous.manifest, &grant, limits) else {
        return Ok(());
    };
    let diff = row
        .manifest
        .capabilities
        .beyond(&previous.manifest.capabilities, &approved);
    if diff.is_empty() && Policy::resolve(&row.manifest, &grant, limits).is_ok() {
        match super::review::before_inheriting(principal, &grant) {
            None => row.status = SkillStatus::Active,
            // The grant is proposed, not given: the version stays pending
            // until an admin approves it (an empty approval takes it).
            Some(review) => {
                row.review = Some(review);
                row.capability_diff = Some(diff);
            }
        }
        row.grant = Some(grant);
    } else {
        row.capability_diff = Some(diff);
    }
    Ok(())
}
