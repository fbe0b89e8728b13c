//! `GET /api/skills/browse`: one catalog across the sources the operator
//! configured — MCP registries (`--mcp-registry`) and repositories of
//! SKILL.md folders (`--skill-repo`) — in seed 004's entry shape, with the
//! id of what the tenant already installed. Remote answers are kept for a
//! minute; a source that fails leaves the others answering, with a
//! warning.
use crate::server::auth::Principal;
use crate::server::catalog::installing::fetch_policy;
use crate::server::catalog::sources::installed_refs;
use crate::server::error::{ApiError, QueryParams};
use crate::services::AppState;
use crate::sources::SourceKind;
use crate::sources::archive::ArchiveKind;
use crate::sources::github::{FolderSource, folder_source};
use crate::sources::registry::{self, ServerDetail};
use crate::sources::skill_md::{self, Frontmatter};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a remote answer is reused: browsing is interactive, and a
/// minute keeps a registry from being asked on every keystroke while a
/// new entry still shows up soon.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Answers kept at most (distinct sources, queries and cursors).
const CACHE_ENTRIES: usize = 256;
/// Seed 004's default and largest `limit`, per source.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BrowseQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
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

pub(super) async fn browse(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(query): QueryParams<BrowseQuery>,
) -> Result<Json<Value>, ApiError> {
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
                Err(message) => warnings.push(json!({
                    "source": "mcp_registry", "sourceUrl": base.as_str(), "message": message,
                })),
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
                Err(message) => warnings.push(json!({
                    "source": "skill_md", "sourceUrl": repo, "message": message,
                })),
            }
        }
    }
    let next_cursor = next
        .iter()
        .any(|c| !c.is_empty())
        .then(|| hex::encode(serde_json::to_vec(&next).expect("JSON")));
    Ok(Json(json!({
        "skills": entries,
        "nextCursor": next_cursor,
        "warnings": warnings,
    })))
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
) -> Value {
    let secret = server
        .remotes
        .iter()
        .any(|r| r.headers.iter().any(|h| h.is_secret));
    json!({
        "key": format!("mcp_registry:{}", server.name),
        "name": server.title.clone().unwrap_or_else(|| server.name.clone()),
        "description": server.description,
        "source": "mcp_registry",
        "sourceUrl": base.as_str(),
        "sourceRef": server.name,
        "iconUrl": server.icons.first().map(|i| &i.src),
        "author": server.name.split('/').next(),
        "version": server.version,
        "category": null,
        "tags": [],
        "authType": secret.then_some("api_key"),
        "installedId": installed.get(&server.name),
        // What an install would say: a server with no streamable HTTP
        // remote cannot be installed here.
        "installable": server.remotes.iter().any(|r| r.transport == "streamable-http"),
    })
}

fn skill_md_entry(
    url: String,
    reference: String,
    front: &Frontmatter,
    installed: &HashMap<String, String>,
) -> Value {
    let tags: Vec<&str> = front
        .metadata
        .get("tags")
        .map(|t| t.split([',', ' ']).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    json!({
        "key": format!("skill_md:{reference}"),
        "name": front.name,
        "description": front.description,
        "source": "skill_md",
        "sourceUrl": url,
        "sourceRef": reference,
        "iconUrl": null,
        "author": front.metadata.get("author").cloned().or_else(|| reference.split('/').next().map(str::to_owned)),
        "version": front.metadata.get("version"),
        "category": null,
        "tags": tags,
        "authType": null,
        "installedId": installed.get(&reference),
        "installable": true,
    })
}
