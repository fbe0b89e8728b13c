//! Turning seed 004's `{source, sourceUrl, sourceRef}` into what a skill
//! row holds — a manifest the host writes, a [`SourceDetail`] and a digest
//! — for installs and syncs alike. Every fetch goes through the outbound
//! guard with the source rules (public addresses unless the operator
//! allows private sources).
use crate::invocation::{Listing, list_remote_tools};
use crate::manifest::{AbilitySpec, Manifest};
use crate::server::catalog::installing::{fetch_error, fetch_policy};
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::sources::github::{FolderSource, folder_source};
use crate::sources::registry::{self, RegistryError};
use crate::sources::skill_md::{self, BundleError};
use crate::sources::{SourceBody, SourceDetail, SourceKind, openapi};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Seed 004's install body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SourceSpec {
    /// `skill_md`, `openapi_action` or `mcp_registry`.
    pub source: String,
    /// The repository, document or registry.
    pub source_url: String,
    /// `owner/repo/path`, or a registry server name.
    #[serde(default)]
    pub source_ref: Option<String>,
    /// Replaces the source's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Replaces the source's description.
    #[serde(default)]
    pub description: Option<String>,
    /// A tenant secret used to list a registry server's tools (admins only).
    #[serde(default)]
    pub credential_id: Option<String>,
    /// Values for a registry remote's URL variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// What a source gave.
pub(crate) struct Made {
    /// The manifest the host writes for it.
    pub manifest: Manifest,
    /// What runs it.
    pub detail: SourceDetail,
    /// sha256 of the detail as stored: a sync compares it.
    pub digest: String,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code,
        message: message.into(),
    }
}

fn bundle_error(error: BundleError) -> ApiError {
    let code = match &error {
        BundleError::Archive(_) => "INVALID_ARCHIVE",
        _ => "INVALID_SKILL_MD",
    };
    unprocessable(code, error.to_string())
}

fn registry_error(error: RegistryError) -> ApiError {
    let message = error.to_string();
    match error {
        RegistryError::NotFound { .. } => ApiError::NotFoundWith {
            code: "REGISTRY_SERVER_NOT_FOUND",
            message,
        },
        RegistryError::StdioOnly(_) => unprocessable("STDIO_TRANSPORT_UNSUPPORTED", message),
        RegistryError::SseOnly(_) => unprocessable("TRANSPORT_UNSUPPORTED", message),
        RegistryError::Variable { .. } => unprocessable("REGISTRY_VARIABLE_REQUIRED", message),
        RegistryError::Invalid { .. } => unprocessable("INVALID_REGISTRY_SERVER", message),
        RegistryError::BadName(_) => ApiError::bad_request("invalid_source_ref", message),
        RegistryError::Fetch(e) => fetch_error(e),
        RegistryError::Unreadable { .. } => ApiError::BadGateway {
            code: "fetch_failed",
            message,
        },
    }
}

/// The name a source skill gets: the caller's, else the source's own.
fn skill_name(spec: &SourceSpec, own: Option<String>) -> Result<String, ApiError> {
    if let Some(name) = &spec.name {
        if !crate::manifest::is_slug(name, 64) {
            return Err(ApiError::bad_request(
                "invalid_name",
                format!("name `{name}` must be 1-64 lowercase letters, digits and single hyphens"),
            ));
        }
        return Ok(name.clone());
    }
    own.ok_or_else(|| {
        ApiError::bad_request(
            "name_required",
            "the source gives no usable name: pass `name` (lowercase letters, digits and single hyphens)",
        )
    })
}

fn description(spec: &SourceSpec, own: Option<&str>, fallback: String) -> String {
    let text = spec
        .description
        .as_deref()
        .or(own)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .unwrap_or(fallback);
    text.chars().take(1024).collect()
}

fn digest_of(detail: &SourceDetail) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(detail).expect("a detail serialises"),
    ))
}

async fn fetch(state: &AppState, url: &str, accept: &str) -> Result<Vec<u8>, ApiError> {
    let url = crate::sources::fetch::parse(url).map_err(fetch_error)?;
    crate::sources::fetch::fetch_as(state.loader.outbound(), &url, accept, fetch_policy(state))
        .await
        .map(|f| f.bytes)
        .map_err(fetch_error)
}

/// Fetches and reads a source. `tenant` owns the install credential.
pub(crate) async fn make(
    state: &AppState,
    tenant: &str,
    kind: SourceKind,
    spec: &SourceSpec,
) -> Result<Made, ApiError> {
    let made = match kind {
        SourceKind::SkillMd => skill_md_source(state, spec).await?,
        SourceKind::OpenapiAction => openapi_source(state, spec).await?,
        SourceKind::McpRegistry => registry_source(state, tenant, spec).await?,
    };
    Ok(made)
}

async fn skill_md_source(state: &AppState, spec: &SourceSpec) -> Result<Made, ApiError> {
    let github = &state.options.github;
    let source = folder_source(&spec.source_url, spec.source_ref.as_deref(), github)
        .map_err(|m| ApiError::bad_request("invalid_source_url", m))?;
    let (bundle, source_ref, author) = match &source {
        FolderSource::Github(folder) => {
            let bytes = fetch(state, &folder.archive_url(github), "*/*").await?;
            let kind = crate::sources::archive::ArchiveKind::TarGz;
            let bundle = tokio::task::spawn_blocking({
                let path = folder.path.clone();
                move || skill_md::from_archive(&bytes, kind, &path)
            })
            .await
            .map_err(|_| ApiError::Internal)?
            .map_err(bundle_error)?;
            (
                bundle,
                Some(folder.source_ref()),
                Some(folder.owner.clone()),
            )
        }
        FolderSource::SkillMd(url) => {
            let bytes = fetch(state, url.as_str(), "text/markdown, text/plain, */*").await?;
            let text = String::from_utf8(bytes).map_err(|_| {
                unprocessable(
                    "INVALID_SKILL_MD",
                    "the SKILL.md at `sourceUrl` is not UTF-8 text",
                )
            })?;
            (
                skill_md::from_skill_md(&text).map_err(bundle_error)?,
                spec.source_ref.clone(),
                None,
            )
        }
        FolderSource::Archive(url, kind) => {
            let bytes = fetch(state, url.as_str(), "*/*").await?;
            let folder = spec.source_ref.clone().unwrap_or_default();
            let kind = *kind;
            let bundle = tokio::task::spawn_blocking({
                let folder = folder.clone();
                move || skill_md::from_archive(&bytes, kind, &folder)
            })
            .await
            .map_err(|_| ApiError::Internal)?
            .map_err(bundle_error)?;
            (bundle, spec.source_ref.clone(), None)
        }
    };
    let front = &bundle.frontmatter;
    let name = skill_name(spec, Some(front.name.clone()))?;
    let version = front.metadata.get("version").cloned();
    let author = front.metadata.get("author").cloned().or(author);
    let tags = front
        .metadata
        .get("tags")
        .map(|t| {
            t.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let description = description(spec, Some(&front.description), front.name.clone());
    let manifest = crate::sources::manifest(
        name,
        crate::sources::semver_of(version.as_deref()),
        description,
        None,
        Vec::new(),
    );
    let detail = SourceDetail {
        source_ref,
        author,
        version,
        tags,
        icon_url: None,
        body: SourceBody::SkillMd { bundle },
    };
    let digest = digest_of(&detail);
    Ok(Made {
        manifest,
        detail,
        digest,
    })
}

async fn openapi_source(state: &AppState, spec: &SourceSpec) -> Result<Made, ApiError> {
    let url = crate::sources::fetch::parse(&spec.source_url).map_err(fetch_error)?;
    let bytes = fetch(
        state,
        url.as_str(),
        "application/json, application/yaml, text/yaml, */*",
    )
    .await?;
    let api = tokio::task::spawn_blocking({
        let url = url.clone();
        move || openapi::parse(&bytes, &url)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(|e| unprocessable("INVALID_OPENAPI", e.to_string()))?;
    let origin = crate::outbound::origin_pattern(&api.base_url)
        .map_err(|e| unprocessable("INVALID_OPENAPI", format!("the API's server URL: {e}")))?;
    let name = skill_name(spec, crate::sources::slug(&api.title))?;
    let abilities = api
        .operations
        .iter()
        .map(|op| AbilitySpec {
            name: op.name.clone(),
            description: op.description.clone(),
            input_schema: op.input_schema.clone(),
        })
        .collect();
    let description = description(
        spec,
        api.description.as_deref(),
        format!("{} ({} operations)", api.title, api.operations.len()),
    );
    let manifest = crate::sources::manifest(
        name,
        crate::sources::semver_of(Some(&api.version)),
        description,
        Some(origin),
        abilities,
    );
    let detail = SourceDetail {
        source_ref: spec.source_ref.clone(),
        author: None,
        version: Some(api.version.clone()),
        tags: Vec::new(),
        icon_url: None,
        body: SourceBody::OpenapiAction { spec: api },
    };
    let digest = digest_of(&detail);
    Ok(Made {
        manifest,
        detail,
        digest,
    })
}

async fn registry_source(
    state: &AppState,
    tenant: &str,
    spec: &SourceSpec,
) -> Result<Made, ApiError> {
    let base = crate::sources::fetch::parse(&spec.source_url).map_err(fetch_error)?;
    let Some(server_name) = spec
        .source_ref
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(ApiError::bad_request(
            "source_ref_required",
            "`sourceRef` names the registry server (namespace/name, e.g. io.github.owner/server)",
        ));
    };
    let outbound = state.loader.outbound();
    let server = registry::server(outbound, fetch_policy(state), &base, server_name)
        .await
        .map_err(registry_error)?;
    let mut remote = registry::choose_remote(&server, &spec.variables).map_err(registry_error)?;
    // The tools, listed now through the remote MCP client; a server that
    // wants a credential to list them gets the install's.
    let listing = Listing {
        tenant_id: tenant,
        name: &server.name,
        url: &remote.url,
        headers: &remote.headers,
        secret_id: spec.credential_id.as_deref(),
        secret_header: remote.secret_header.as_deref(),
        allow_private_network: state.options.allow_private_sources,
    };
    let tools = list_remote_tools(state, listing)
        .await?
        .map_err(|message| ApiError::BadGateway {
            code: "SOURCE_UNREACHABLE",
            message: format!("listing the tools of `{}` failed: {message}", server.name),
        })?;
    let abilities = tools
        .iter()
        .filter_map(|tool| {
            Some(AbilitySpec {
                name: tool.get("name")?.as_str()?.to_owned(),
                description: tool
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                input_schema: tool
                    .get("inputSchema")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "object"})),
            })
        })
        .collect();
    remote.tools = tools;
    remote.list_credential_id = spec.credential_id.clone();
    let origin = url::Url::parse(&remote.url)
        .ok()
        .and_then(|u| crate::outbound::origin_pattern(&u).ok())
        .ok_or(ApiError::Internal)?;
    let short = server.name.rsplit('/').next().unwrap_or(&server.name);
    let name = skill_name(spec, crate::sources::slug(short))?;
    let description = description(
        spec,
        server.description.as_deref(),
        format!("MCP server {}", server.name),
    );
    let manifest = crate::sources::manifest(
        name,
        crate::sources::semver_of(server.version.as_deref()),
        description,
        Some(origin),
        abilities,
    );
    let author = server.name.split('/').next().map(str::to_owned);
    let detail = SourceDetail {
        source_ref: Some(server.name.clone()),
        author,
        version: server.version.clone(),
        tags: Vec::new(),
        icon_url: server.icons.first().map(|i| i.src.clone()),
        body: SourceBody::McpRegistry { remote },
    };
    let digest = digest_of(&detail);
    Ok(Made {
        manifest,
        detail,
        digest,
    })
}

/// A fetch failure as a sync reports it (the skill keeps working).
pub(crate) fn failure_text(error: &ApiError) -> String {
    match error {
        ApiError::Unprocessable { message, .. }
        | ApiError::BadGateway { message, .. }
        | ApiError::BadRequest { message, .. }
        | ApiError::NotFoundWith { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
