//! `GET /api/skills/browse`: one catalog across the sources the operator
//! configured — MCP registries (`--mcp-registry`) and repositories of
//! SKILL.md folders (`--skill-repo`) — in seed 004's entry shape, with the
//! id of what the tenant already installed. Remote answers are kept for a
//! minute; a source that fails leaves the others answering, with a
//! warning.
use crate::server::auth::Principal;
use crate::server::catalog::installing::fetch_policy;
use crate::server::catalog::sources::installed_refs;
use crate::server::error::{ApiError, ErrorBody, QueryParams};
use crate::services::AppState;
use crate::sources::SourceKind;
use crate::sources::archive::ArchiveKind;
use crate::sources::github::{FolderSource, folder_source};
use crate::sources::registry::{self, ServerDetail};
use crate::sources::skill_md::{self, Frontmatter};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use utoipa::{IntoParams, ToSchema};

/// How long a remote answer is reused: browsing is interactive, and a
/// minute keeps a registry from being asked on every keystroke while a
/// new entry still shows up soon.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Answers kept at most (distinct sources, queries and cursors).
const CACHE_ENTRIES: usize = 256;
/// Seed 004's default and largest `limit`, per source.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct BrowseQuery {
    /// Words to look for in names and descriptions.
    #[serde(default)]
    q: Option<String>,
    /// Only this kind of source.
    #[serde(default)]
    #[param(pattern = "^(skill_md|openapi_action|mcp_registry|code)$")]
    source: Option<String>,
    /// Entries per source, 1-50 (20 when absent).
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    limit: Option<usize>,
    /// `nextCursor` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

/// One page of the catalog across the configured sources.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct BrowsePage {
    skills: Vec<BrowseEntry>,
    /// `null` when every registry is done.
    next_cursor: Option<String>,
    /// Sources that failed; the others still answered.
    warnings: Vec<BrowseWarning>,
}

/// Something that can be installed (seed 004's entry).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BrowseEntry {
    /// `<source>:<sourceRef>`.
    key: String,
    name: String,
    description: Option<String>,
    /// `mcp_registry` or `skill_md`.
    source: &'static str,
    source_url: String,
    source_ref: String,
    icon_url: Option<String>,
    author: Option<String>,
    version: Option<String>,
    /// Always `null`.
    category: Option<String>,
    tags: Vec<String>,
    /// `api_key` when a registry server needs a secret header; else `null`.
    auth_type: Option<&'static str>,
    /// The id of the tenant's skill installed from it, if any.
    installed_id: Option<String>,
    /// Whether an install can take it (a registry server needs a streamable HTTP remote).
    installable: bool,
}

/// A source that could not be browsed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BrowseWarning {
    source: &'static str,
    source_url: String,
    message: String,
}

#[derive(Clone)]
enum Cached {
    Registry(Arc<(Vec<ServerDetail>, Option<String>)>),
    Repo(Arc<Vec<(String, Frontmatter)>>),
}

fn cache() -> &'static Mutex<HashMap<String, (Instant, Cached)>> {
    static CACHE: OnceLock<Mutex<HashMap<String, (Instant, Cached)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cached(key: &str) -> Option<Cached> {
    let map = cache().lock().expect("browse cache");
    map.get(key)
        .filter(|(at, _)| at.elapsed() < CACHE_TTL)
        .map(|(_, v)| v.clone())
}

fn keep(key: String, value: Cached) {
    let mut map = cache().lock().expect("browse cache");
    if map.len() >= CACHE_ENTRIES {
        map.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
    }
    map.insert(key, (Instant::now(), value));
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request(
        "invalid_cursor",
        "`cursor` must be a nextCursor value from an earlier browse",
    )
}

/// The registries' cursors, one per configured registry (`""`: done).
fn decode_cursor(text: &str, registries: usize) -> Result<Vec<String>, ApiError> {
    let bytes = hex::decode(text).map_err(|_| bad_cursor())?;
    let cursors: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if cursors.len() != registries {
        return Err(bad_cursor());
    }
    Ok(cursors)
}

/// Browses what can be installed from the operator's registries and repositories.
#[utoipa::path(get, path = "/api/skills/browse", tag = "skills",
    params(BrowseQuery),
    responses(
        (status = 200, description = "A page of entries, with a warning per source that failed", body = BrowsePage),
        (status = 400, description = "An unknown `source`, a `limit` out of range, or a `cursor` that is not a `nextCursor`", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
pub(super) async fn browse(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(query): QueryParams<BrowseQuery>,
) -> Result<Json<BrowsePage>, ApiError> {
    principal.require("skills:read")?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let only = match query.source.as_deref() {
        None => None,
        Some(s) => Some(SourceKind::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_source",
                format!("source `{s}` is not one of skill_md, openapi_action, mcp_registry"),
            )
        })?),
    };
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let registries = &state.options.mcp_registries;
    let cursors = match &query.cursor {
        Some(c) => Some(decode_cursor(c, registries.len())?),
        None => None,
    };
    let tenant = &principal.tenant_id;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut next = vec![String::new(); registries.len()];
    if only.is_none_or(|k| k == SourceKind::McpRegistry) {
        let installed = installed_refs(&state, tenant, SourceKind::McpRegistry).await?;
        for (i, base) in registries.iter().enumerate() {
            let cursor = cursors.as_ref().map(|c| c[i].as_str());
            if cursor == Some("") {
                continue;
            }
            match registry_page(&state, base, q, cursor, limit).await {
                Ok(page) => {
                    for server in &page.0 {
                        entries.push(registry_entry(base, server, &installed));
                    }
                    next[i] = page.1.clone().unwrap_or_default();
                }
                Err(message) => warnings.push(BrowseWarning {
                    source: "mcp_registry",
                    source_url: base.to_string(),
                    message,
                }),
            }
        }
    }
    // Repositories are listed whole on the first page.
    if cursors.is_none() && only.is_none_or(|k| k == SourceKind::SkillMd) {
        let installed = installed_refs(&state, tenant, SourceKind::SkillMd).await?;
        for repo in &state.options.skill_repos {
            match repo_listing(&state, repo).await {
                Ok((listing, folder_of)) => {
                    let needle = q.map(str::to_lowercase);
                    let found = listing
                        .iter()
                        .filter(|(_, f)| {
                            needle.as_ref().is_none_or(|n| {
                                f.name.to_lowercase().contains(n)
                                    || f.description.to_lowercase().contains(n)
                            })
                        })
                        .take(limit);
                    for (folder, front) in found {
                        let (url, reference) = folder_of(folder);
                        entries.push(skill_md_entry(url, reference, front, &installed));
                    }
                }
                Err(message) => warnings.push(BrowseWarning {
                    source: "skill_md",
                    source_url: repo.clone(),
                    message,
                }),
            }
        }
    }
    let next_cursor = next
        .iter()
        .any(|c| !c.is_empty())
        .then(|| hex::encode(serde_json::to_vec(&next).expect("JSON")));
    Ok(Json(BrowsePage {
        skills: entries,
        next_cursor,
        warnings,
    }))
}

async fn registry_page(
    state: &AppState,
    base: &url::Url,
    q: Option<&str>,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Arc<(Vec<ServerDetail>, Option<String>)>, String> {
    let key = format!(
        "registry\n{base}\n{}\n{}\n{limit}",
        q.unwrap_or(""),
        cursor.unwrap_or("")
    );
    if let Some(Cached::Registry(hit)) = cached(&key) {
        return Ok(hit);
    }
    let page = registry::search(
        state.loader.outbound(),
        fetch_policy(state),
        base,
        q,
        cursor,
        limit,
    )
    .await
    .map_err(|e| e.to_string())?;
    let page = Arc::new(page);
    keep(key, Cached::Registry(page.clone()));
    Ok(page)
}

/// A folder's `(sourceUrl, sourceRef)` in a repository's listing.
type FolderOf = Box<dyn Fn(&str) -> (String, String) + Send>;

async fn repo_listing(
    state: &AppState,
    repo: &str,
) -> Result<(Arc<Vec<(String, Frontmatter)>>, FolderOf), String> {
    let github = state.options.github.clone();
    let source = folder_source(repo, None, &github)?;
    let (url, kind, folder_of): (String, ArchiveKind, FolderOf) = match source {
        FolderSource::Github(root) => {
            let archive = root.archive_url(&github);
            let folder_of: FolderOf = Box::new(move |folder: &str| {
                let mut at = root.clone();
                at.path = folder.to_owned();
                (at.repo_url(&github), at.source_ref())
            });
            (archive, ArchiveKind::TarGz, folder_of)
        }
        FolderSource::Archive(url, kind) => {
            let text = url.to_string();
            (
                text.clone(),
                kind,
                Box::new(move |folder: &str| (text.clone(), folder.to_owned())),
            )
        }
        FolderSource::SkillMd(_) => {
            return Err(
                "a skill repository is a repository or an archive, not one SKILL.md".into(),
            );
        }
    };
    let key = format!("repo\n{url}");
    if let Some(Cached::Repo(hit)) = cached(&key) {
        return Ok((hit, folder_of));
    }
    let parsed = crate::sources::fetch::parse(&url).map_err(|e| e.to_string())?;
    let fetched = crate::sources::fetch::fetch_as(
        state.loader.outbound(),
        &parsed,
        "*/*",
        fetch_policy(state),
    )
    .await
    .map_err(|e| e.to_string())?;
    let listing = tokio::task::spawn_blocking(move || skill_md::list_archive(&fetched.bytes, kind))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let listing = Arc::new(listing);
    keep(key, Cached::Repo(listing.clone()));
    Ok((listing, folder_of))
}

fn registry_entry(
    base: &url::Url,
    server: &ServerDetail,
    installed: &HashMap<String, String>,
) -> BrowseEntry {
    let secret = server
        .remotes
        .iter()
        .any(|r| r.headers.iter().any(|h| h.is_secret));
    BrowseEntry {
        key: format!("mcp_registry:{}", server.name),
        name: server.title.clone().unwrap_or_else(|| server.name.clone()),
        description: server.description.clone(),
        source: "mcp_registry",
        source_url: base.to_string(),
        source_ref: server.name.clone(),
        icon_url: server.icons.first().map(|i| i.src.clone()),
        author: server.name.split('/').next().map(str::to_owned),
        version: server.version.clone(),
        category: None,
        tags: Vec::new(),
        auth_type: secret.then_some("api_key"),
        installed_id: installed.get(&server.name).cloned(),
        // What an install would say: a server with no streamable HTTP
        // remote cannot be installed here.
        installable: server
            .remotes
            .iter()
            .any(|r| r.transport == "streamable-http"),
    }
}

fn skill_md_entry(
    url: String,
    reference: String,
    front: &Frontmatter,
    installed: &HashMap<String, String>,
) -> BrowseEntry {
    let tags: Vec<String> = front
        .metadata
        .get("tags")
        .map(|t| {
            t.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    BrowseEntry {
        key: format!("skill_md:{reference}"),
        name: front.name.clone(),
        description: Some(front.description.clone()),
        source: "skill_md",
        source_url: url,
        author: front
            .metadata
            .get("author")
            .cloned()
            .or_else(|| reference.split('/').next().map(str::to_owned)),
        version: front.metadata.get("version").cloned(),
        category: None,
        tags,
        icon_url: None,
        auth_type: None,
        installed_id: installed.get(&reference).cloned(),
        source_ref: reference,
        installable: true,
    }
}
