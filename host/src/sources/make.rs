//! Turning seed 004's `{source, sourceUrl, sourceRef}` into what a skill
//! row holds — a manifest the host writes, a [`SourceDetail`] and a digest
//! — for installs and syncs alike. Every fetch goes through the outbound
//! guard with the source rules (public addresses unless the operator
//! allows private sources). A failure is a [`SourceError`]: a code and a
//! message, which the HTTP layer maps to its statuses.
use super::fetch::{self, FetchError, FetchPolicy};
use super::github::{FolderSource, GithubConfig, folder_source};
use super::registry::{self, RegistryError};
use super::skill_md::{self, BundleError};
use super::{SourceBody, SourceDetail, SourceKind, code, openapi};
use crate::capability::{NetworkPattern, Redactor};
use crate::manifest::{AbilitySpec, Manifest};
use crate::outbound::Outbound;
use crate::outbound::mcp_client::{self, McpEndpoint};
use http::{HeaderName, HeaderValue};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Seed 004's install body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceSpec {
    /// `skill_md`, `openapi_action` or `mcp_registry`.
    #[schema(pattern = "^(skill_md|openapi_action|mcp_registry)$")]
    pub source: String,
    /// The repository, document or registry.
    #[schema(
        pattern = r"^https?://[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,20}){0,2}(/[A-Za-z0-9._~-]*)*$"
    )]
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
    /// Where `credential_id` may be sent. A sync sets it to the origin an
    /// admin approved: when the registry has moved the server elsewhere,
    /// its tools are listed without the credential.
    #[serde(skip)]
    pub credential_origin: Option<NetworkPattern>,
}

/// What a source gave.
pub struct Made {
    /// The manifest the host writes for it.
    pub manifest: Manifest,
    /// What runs it.
    pub detail: SourceDetail,
    /// sha256 of the detail as stored: a sync compares it.
    pub digest: String,
    /// A bundle's files, `(sha256 hex, bytes)`, for the store's
    /// `skill_files` (empty for other kinds).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Made {
    /// What a source gave, with the digest a sync compares; a bundle's
    /// file contents move out of the detail, which is kept in caches.
    fn new(manifest: Manifest, mut detail: SourceDetail) -> Made {
        let files = match &mut detail.body {
            SourceBody::SkillMd { bundle } => std::mem::take(&mut bundle.contents),
            _ => Vec::new(),
        };
        let digest = digest_of(&detail);
        Made {
            manifest,
            detail,
            digest,
            files,
        }
    }
}

/// Why a source gave no skill: a machine-readable code (seed 004's, such
/// as `SOURCE_UNREACHABLE`, or the install's, such as `invalid_source_url`)
/// and a message that says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The request names the source wrongly (its URL, reference or name).
    #[error("{message}")]
    Invalid {
        /// Machine-readable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The registry has no such server.
    #[error("{message}")]
    NotFound {
        /// Machine-readable code.
        code: &'static str,
        /// What is absent, and where it was looked for.
        message: String,
    },
    /// The source may not be fetched, or what it gave cannot be made into
    /// a skill.
    #[error("{message}")]
    Unusable {
        /// Machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The source, or the server it names, could not be reached or read.
    #[error("{message}")]
    Unreachable {
        /// Machine-readable code.
        code: &'static str,
        /// What failed.
        message: String,
    },
    /// A failure of ours; the detail went to the log.
    #[error("internal error")]
    Internal,
}

fn unusable(code: &'static str, message: impl Into<String>) -> SourceError {
    SourceError::Unusable {
        code,
        message: message.into(),
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> SourceError {
    SourceError::Invalid {
        code,
        message: message.into(),
    }
}

/// How a fetch failure reads, for sources and URL installs alike.
impl From<FetchError> for SourceError {
    fn from(error: FetchError) -> Self {
        let message = error.to_string();
        match error {
            FetchError::InvalidUrl(_) => invalid("invalid_source_url", message),
            FetchError::Refused(_) => unusable("source_refused", message),
            FetchError::DigestMismatch { .. } => unusable("digest_mismatch", message),
            FetchError::Failed { .. } | FetchError::Status { .. } => SourceError::Unreachable {
                code: "fetch_failed",
                message,
            },
        }
    }
}

impl From<BundleError> for SourceError {
    fn from(error: BundleError) -> Self {
        let code = match &error {
            BundleError::Archive(_) => "INVALID_ARCHIVE",
            _ => "INVALID_SKILL_MD",
        };
        unusable(code, error.to_string())
    }
}

impl From<RegistryError> for SourceError {
    fn from(error: RegistryError) -> Self {
        let message = error.to_string();
        match error {
            RegistryError::NotFound { .. } => SourceError::NotFound {
                code: "REGISTRY_SERVER_NOT_FOUND",
                message,
            },
            RegistryError::StdioOnly(_) => unusable("STDIO_TRANSPORT_UNSUPPORTED", message),
            RegistryError::SseOnly(_) => unusable("TRANSPORT_UNSUPPORTED", message),
            RegistryError::Variable { .. } => unusable("REGISTRY_VARIABLE_REQUIRED", message),
            RegistryError::Invalid { .. } => unusable("INVALID_REGISTRY_SERVER", message),
            RegistryError::BadName(_) => invalid("invalid_source_ref", message),
            RegistryError::Fetch(e) => e.into(),
            RegistryError::Unreadable { .. } => SourceError::Unreachable {
                code: "fetch_failed",
                message,
            },
        }
    }
}

/// A credential header and the redactor that hides its value.
pub type OpenedCredential = (Option<(HeaderName, HeaderValue)>, Redactor);

/// Opens the tenant secret a registry install lists its server's tools
/// with (the install's `credentialId`). The caller's: secrets are above
/// the sources.
pub trait Credentials {
    /// The secret `secret_id` as the header `header` (`Authorization` when
    /// unset) for the server named `server`, or why it cannot be used
    /// (said to the caller).
    fn open(
        &self,
        server: &str,
        secret_id: &str,
        header: Option<&str>,
    ) -> impl Future<Output = Result<Result<OpenedCredential, String>, SourceError>> + Send;
}

/// What making a source takes from the service.
pub struct Context<'a, C> {
    /// The guard every fetch, and the registry server's listing, go through.
    pub outbound: &'a Outbound,
    /// The source rules: private addresses, the size limit.
    pub policy: FetchPolicy,
    /// Where GitHub's archives are.
    pub github: &'a GithubConfig,
    /// The tenant's secrets, for a registry server's listing.
    pub credentials: C,
}

/// The name a source skill gets: the caller's, else the source's own.
fn skill_name(spec: &SourceSpec, own: Option<String>) -> Result<String, SourceError> {
    if let Some(name) = &spec.name {
        if !crate::manifest::is_slug(name, 64) {
            return Err(invalid(
                "invalid_name",
                format!("name `{name}` must be 1-64 lowercase letters, digits and single hyphens"),
            ));
        }
        return Ok(name.clone());
    }
    own.ok_or_else(|| {
        invalid(
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

/// A code skill's manifest, detail and digest (seed 003): the digest
/// covers what runs and what it may use, so a change to either is new
/// content to approve.
pub fn code_skill(
    spec: code::CodeSpec,
    language: code::Language,
    version: semver::Version,
) -> Result<Made, SourceError> {
    let (manifest, body) = code::manifest(spec, language, version)?;
    manifest.check().map_err(|e| {
        // Seed 003's own example is `my_custom_skill`: say what to send.
        let hint = match super::slug(&manifest.name) {
            Some(slug) if slug != manifest.name && e.message.starts_with("name") => {
                format!(" (send `{slug}`)")
            }
            _ => String::new(),
        };
        invalid("invalid_skill", format!("{}{hint}", e.message))
    })?;
    let detail = SourceDetail {
        source_ref: None,
        author: None,
        version: None,
        tags: Vec::new(),
        icon_url: None,
        body: SourceBody::Code(body),
    };
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&manifest.capabilities).expect("JSON"));
    hasher.update(serde_json::to_vec(&manifest.limits).expect("JSON"));
    hasher.update(serde_json::to_vec(&manifest.abilities).expect("JSON"));
    hasher.update(serde_json::to_vec(&detail).expect("JSON"));
    Ok(Made {
        manifest,
        detail,
        digest: hex::encode(hasher.finalize()),
        files: Vec::new(),
    })
}

impl From<code::CodeError> for SourceError {
    fn from(error: code::CodeError) -> Self {
        let (code, message) = (error.code, error.message);
        if error.unusable {
            SourceError::Unusable { code, message }
        } else {
            SourceError::Invalid { code, message }
        }
    }
}

fn digest_of(detail: &SourceDetail) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(detail).expect("a detail serialises"),
    ))
}

async fn get<C>(ctx: &Context<'_, C>, url: &str, accept: &str) -> Result<Vec<u8>, SourceError> {
    let url = fetch::parse(url)?;
    let fetched = fetch::fetch_as(ctx.outbound, &url, accept, ctx.policy).await?;
    Ok(fetched.bytes)
}

/// Fetches and reads a source.
pub async fn make<C: Credentials>(
    ctx: &Context<'_, C>,
    kind: SourceKind,
    spec: &SourceSpec,
) -> Result<Made, SourceError> {
    let made = match kind {
        SourceKind::SkillMd => skill_md_source(ctx, spec).await?,
        SourceKind::OpenapiAction => openapi_source(ctx, spec).await?,
        SourceKind::McpRegistry => registry_source(ctx, spec).await?,
        SourceKind::Code => {
            return Err(invalid(
                "invalid_source",
                "a code skill has no source to fetch: create it with POST /api/agents/{agent}/skills {name, description, code, language}, and change its code with PUT",
            ));
        }
    };
    Ok(made)
}

async fn skill_md_source<C>(ctx: &Context<'_, C>, spec: &SourceSpec) -> Result<Made, SourceError> {
    let github = ctx.github;
    let source = folder_source(&spec.source_url, spec.source_ref.as_deref(), github)
        .map_err(|m| invalid("invalid_source_url", m))?;
    let (bundle, source_ref, author) = match &source {
        FolderSource::Github(folder) => {
            let bytes = get(ctx, &folder.archive_url(github), "*/*").await?;
            let kind = crate::sources::archive::ArchiveKind::TarGz;
            let bundle = tokio::task::spawn_blocking({
                let path = folder.path.clone();
                move || skill_md::from_archive(&bytes, kind, &path)
            })
            .await
            .map_err(|_| SourceError::Internal)??;
            (
                bundle,
                Some(folder.source_ref()),
                Some(folder.owner.clone()),
            )
        }
        FolderSource::SkillMd(url) => {
            let bytes = get(ctx, url.as_str(), "text/markdown, text/plain, */*").await?;
            let text = String::from_utf8(bytes).map_err(|_| {
                unusable(
                    "INVALID_SKILL_MD",
                    "the SKILL.md at `sourceUrl` is not UTF-8 text",
                )
            })?;
            (
                skill_md::from_skill_md(&text)?,
                spec.source_ref.clone(),
                None,
            )
        }
        FolderSource::Archive(url, kind) => {
            let bytes = get(ctx, url.as_str(), "*/*").await?;
            let folder = spec.source_ref.clone().unwrap_or_default();
            let kind = *kind;
            let bundle = tokio::task::spawn_blocking({
                let folder = folder.clone();
                move || skill_md::from_archive(&bytes, kind, &folder)
            })
            .await
            .map_err(|_| SourceError::Internal)??;
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
    Ok(Made::new(manifest, detail))
}

async fn openapi_source<C>(ctx: &Context<'_, C>, spec: &SourceSpec) -> Result<Made, SourceError> {
    let url = fetch::parse(&spec.source_url)?;
    let bytes = get(
        ctx,
        url.as_str(),
        "application/json, application/yaml, text/yaml, */*",
    )
    .await?;
    let api = tokio::task::spawn_blocking({
        let url = url.clone();
        move || openapi::parse(&bytes, &url)
    })
    .await
    .map_err(|_| SourceError::Internal)?
    .map_err(|e| unusable("INVALID_OPENAPI", e.to_string()))?;
    let origin = crate::outbound::origin_pattern(&api.base_url)
        .map_err(|e| unusable("INVALID_OPENAPI", format!("the API's server URL: {e}")))?;
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
    Ok(Made::new(manifest, detail))
}

async fn registry_source<C: Credentials>(
    ctx: &Context<'_, C>,
    spec: &SourceSpec,
) -> Result<Made, SourceError> {
    let base = fetch::parse(&spec.source_url)?;
    let Some(server_name) = spec
        .source_ref
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(invalid(
            "source_ref_required",
            "`sourceRef` names the registry server (namespace/name, e.g. io.github.owner/server)",
        ));
    };
    let server = registry::server(ctx.outbound, ctx.policy, &base, server_name).await?;
    let mut remote = registry::choose_remote(&server, &spec.variables)?;
    let origin = url::Url::parse(&remote.url)
        .ok()
        .and_then(|u| crate::outbound::origin_pattern(&u).ok())
        .ok_or(SourceError::Internal)?;
    // The tools, listed now through the remote MCP client; a server that
    // wants a credential to list them gets the install's, at the origin
    // it was approved for only.
    let approved = spec
        .credential_origin
        .as_ref()
        .is_none_or(|approved| origin.is_within(approved));
    if spec.credential_id.is_some() && !approved {
        tracing::warn!(server = %server.name, %origin, "registry server moved: listing without the credential");
    }
    let credential = spec.credential_id.as_deref().filter(|_| approved);
    let tools = list_tools(ctx, &server.name, &remote, credential)
        .await?
        .map_err(|message| SourceError::Unreachable {
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
    Ok(Made::new(manifest, detail))
}

/// The server's tools now (MCP `Tool` objects, the credential redacted),
/// or why they could not be listed, redacted.
async fn list_tools<C: Credentials>(
    ctx: &Context<'_, C>,
    name: &str,
    remote: &registry::Remote,
    secret_id: Option<&str>,
) -> Result<Result<Vec<serde_json::Value>, String>, SourceError> {
    let (credential, redactor) = match secret_id {
        None => (None, Redactor::default()),
        Some(id) => match ctx
            .credentials
            .open(name, id, remote.secret_header.as_deref())
            .await?
        {
            Ok(opened) => opened,
            Err(message) => return Ok(Err(message)),
        },
    };
    let endpoint = McpEndpoint {
        name,
        url: &remote.url,
        headers: &remote.headers,
        credential,
        allow_private_network: ctx.policy.allow_private,
    };
    let listed = mcp_client::list_tools(ctx.outbound, &endpoint, &redactor).await;
    Ok(listed.map_err(|e| e.shown()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(code: &str, secrets: &[&str]) -> code::CodeSpec {
        serde_json::from_value(json!({
            "name": "echo", "description": "Echoes", "code": code, "language": "python",
            "secrets": secrets,
        }))
        .unwrap()
    }

    fn made(code: &str, secrets: &[&str]) -> Result<Made, SourceError> {
        let version = semver::Version::new(1, 0, 0);
        code_skill(spec(code, secrets), code::Language::Python, version)
    }

    #[test]
    fn a_code_skills_digest_follows_its_code_and_its_needs() {
        let a = made("print(1)", &[]).unwrap();
        assert_eq!(a.digest, made("print(1)", &[]).unwrap().digest);
        assert_ne!(a.digest, made("print(2)", &[]).unwrap().digest);
        assert_ne!(a.digest, made("print(1)", &["TOKEN"]).unwrap().digest);
        let mut bad = spec("print(1)", &[]);
        bad.name = "my_custom_skill".into();
        let error = code_skill(bad, code::Language::Python, semver::Version::new(1, 0, 0));
        let message = error.err().unwrap().to_string();
        assert!(message.contains("(send `my-custom-skill`)"), "{message}");
    }
}
