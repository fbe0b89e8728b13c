//! The MCP Registry API (`/v0.1`): finding a server by name, searching for
//! browse, and choosing the remote skillhost can reach. A host that starts
//! no processes can use only a server's `remotes` (never its `packages`),
//! and speaks streamable HTTP.
use crate::outbound::Outbound;
use crate::sources::fetch::{FetchError, FetchPolicy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Largest registry answer read: a page of 100 server entries with long
/// descriptions fits well within it.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Longest URL a remote's template may become once its variables are
/// filled in: far above any real endpoint. Without it, a template that
/// repeats a variable (`{a}{a}…`) with a long default multiplies the
/// answer's size by itself: 200 KB of answer made 3.3 GB (found reading
/// the code, reproduced with the `registry` fuzz target).
pub const MAX_REMOTE_URL_BYTES: usize = 8 << 10;

/// A registry server entry, the parts skillhost uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerDetail {
    /// `namespace/name`: seed 004's registry server id.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its version.
    #[serde(default)]
    pub version: Option<String>,
    /// A display title.
    #[serde(default)]
    pub title: Option<String>,
    /// Icons; the first `src` is shown.
    #[serde(default)]
    pub icons: Vec<Icon>,
    /// Where its source lives.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Endpoints to reach it over HTTP.
    #[serde(default)]
    pub remotes: Vec<RemoteEntry>,
    /// Local processes (npm, pypi, oci …): not for this host.
    #[serde(default)]
    pub packages: Vec<Value>,
}

/// An icon.
#[derive(Debug, Clone, Deserialize)]
pub struct Icon {
    /// Its URL.
    pub src: String,
}

/// A source repository.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    /// Its URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// One remote of a server.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteEntry {
    /// `streamable-http` or `sse`.
    #[serde(rename = "type")]
    pub transport: String,
    /// The URL, a template filled from `variables`.
    pub url: String,
    /// Headers it expects.
    #[serde(default)]
    pub headers: Vec<Input>,
    /// The URL template's variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Input>,
}

/// A header or a URL variable a remote expects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    /// A header's name (variables are named by their key).
    #[serde(default)]
    pub name: String,
    /// A fixed value.
    #[serde(default)]
    pub value: Option<String>,
    /// Whether it must be given.
    #[serde(default)]
    pub is_required: bool,
    /// Whether it is a credential.
    #[serde(default)]
    pub is_secret: bool,
    /// The value when none is given.
    #[serde(default)]
    pub default: Option<String>,
    /// Allowed values.
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Deserialize)]
struct ServerResponse {
    server: ServerDetail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerList {
    #[serde(default)]
    servers: Vec<ServerResponse>,
    #[serde(default)]
    metadata: Option<ListMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMetadata {
    #[serde(default)]
    next_cursor: Option<String>,
}

/// How skillhost reaches a registry server: stored with the skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    /// The registry's name for it.
    pub server_name: String,
    /// The streamable HTTP endpoint.
    pub url: String,
    /// Headers sent as they are (no credentials).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The header the attachment's credential fills, when the server takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_header: Option<String>,
    /// Whether the server requires that credential.
    #[serde(default)]
    pub credential_required: bool,
    /// The URL variables the install gave; syncs fill the URL with them again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// The tenant secret an admin gave at install to list the tools with;
    /// syncs list with it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_credential_id: Option<String>,
    /// Its tools as listed at install or the last sync (MCP `Tool` objects).
    #[serde(default)]
    pub tools: Vec<Value>,
}

impl Remote {
    /// Whether calls need an attachment's credential.
    pub fn needs_credential(&self) -> bool {
        self.credential_required
    }
}

/// Why a registry could not give a usable server.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry does not know the name.
    #[error("the registry at {registry} has no server named `{name}`")]
    NotFound {
        /// The registry's base URL.
        registry: String,
        /// The name asked for.
        name: String,
    },
    /// The server runs only as a local process.
    #[error(
        "registry server `{0}` offers no remote endpoint, only packages that run as local (stdio) processes; \
         skillhost starts no host processes: install a server that lists `remotes`, or run this one remotely and add its URL"
    )]
    StdioOnly(String),
    /// The server offers only the deprecated HTTP+SSE transport.
    #[error(
        "registry server `{0}` offers only the deprecated HTTP+SSE transport; skillhost speaks streamable HTTP \
         (MCP 2025-03-26 and later)"
    )]
    SseOnly(String),
    /// A URL variable has no value.
    #[error(
        "registry server `{server}` needs the URL variable `{variable}`, which has no default: give it in `variables`"
    )]
    Variable {
        /// The server.
        server: String,
        /// The variable.
        variable: String,
    },
    /// The remote's URL or a header is unusable.
    #[error("registry server `{server}`: {message}")]
    Invalid {
        /// The server.
        server: String,
        /// What is wrong.
        message: String,
    },
    /// The name is not a registry server name.
    #[error("`{0}` is not a registry server name (namespace/name, e.g. io.github.owner/server)")]
    BadName(String),
    /// Fetching failed.
    #[error("{0}")]
    Fetch(#[from] FetchError),
    /// The answer is not the registry API's.
    #[error(
        "the registry at {registry} answered with something that is not a registry answer: {message}"
    )]
    Unreadable {
        /// The registry's base URL.
        registry: String,
        /// Why.
        message: String,
    },
}

/// The API root of a registry named by its base URL (with or without
/// `/v0.1`).
fn api_root(base: &url::Url) -> String {
    let text = base.as_str().trim_end_matches('/');
    let text = text.strip_suffix("/v0.1").unwrap_or(text);
    format!("{text}/v0.1")
}

fn is_server_name(name: &str) -> bool {
    let Some((namespace, rest)) = name.split_once('/') else {
        return false;
    };
    // The registry's own pattern allows dots; a part of dots only would
    // be a path segment of its own once in the URL.
    let dots = |part: &str| part.bytes().all(|b| b == b'.');
    !dots(namespace)
        && !dots(rest)
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    outbound: &Outbound,
    policy: FetchPolicy,
    base: &url::Url,
    url: &str,
) -> Result<T, RegistryError> {
    let url = crate::sources::fetch::parse(url)?;
    let policy = FetchPolicy {
        max_bytes: policy.max_bytes.min(MAX_ANSWER_BYTES),
        ..policy
    };
    let fetched =
        crate::sources::fetch::fetch_as(outbound, &url, "application/json", policy).await?;
    serde_json::from_slice(&fetched.bytes).map_err(|e| RegistryError::Unreadable {
        registry: base.to_string(),
        message: e.to_string(),
    })
}

/// For the fuzz targets only (`fuzz/`): `bytes` read as the registry's
/// two answers (as [`server`] and [`search`] read them, through
/// `get_json`), and each server's remote chosen as an install would.
#[doc(hidden)]
pub fn fuzz_answer(bytes: &[u8]) {
    let mut servers = Vec::new();
    if let Ok(found) = serde_json::from_slice::<ServerResponse>(bytes) {
        servers.push(found.server);
    }
    if let Ok(list) = serde_json::from_slice::<ServerList>(bytes) {
        servers.extend(list.servers.into_iter().map(|s| s.server));
    }
    let variables = BTreeMap::from([("region".to_owned(), "eu".to_owned())]);
    for server in &servers {
        for given in [&BTreeMap::new(), &variables] {
            if let Ok(remote) = choose_remote(server, given) {
                let _ = remote.needs_credential();
            }
        }
    }
}

/// The latest version of server `name` in the registry at `base`.
pub async fn server(
    outbound: &Outbound,
    policy: FetchPolicy,
    base: &url::Url,
    name: &str,
) -> Result<ServerDetail, RegistryError> {
    if !is_server_name(name) {
        return Err(RegistryError::BadName(name.to_owned()));
    }
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    let url = format!("{}/servers/{encoded}/versions/latest", api_root(base));
    match get_json::<ServerResponse>(outbound, policy, base, &url).await {
        Ok(found) => Ok(found.server),
        Err(RegistryError::Fetch(FetchError::Status { status, .. }))
            if status == http::StatusCode::NOT_FOUND =>
        {
            Err(RegistryError::NotFound {
                registry: base.to_string(),
                name: name.to_owned(),
            })
        }
        Err(other) => Err(other),
    }
}

/// One page of the registry's latest servers matching `query`, and the
/// cursor of the next.
pub async fn search(
    outbound: &Outbound,
    policy: FetchPolicy,
    base: &url::Url,
    query: Option<&str>,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Vec<ServerDetail>, Option<String>), RegistryError> {
    let mut url = url::Url::parse(&format!("{}/servers", api_root(base))).map_err(|e| {
        RegistryError::Unreadable {
            registry: base.to_string(),
            message: e.to_string(),
        }
    })?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("version", "latest");
        pairs.append_pair("limit", &limit.clamp(1, 100).to_string());
        if let Some(q) = query {
            pairs.append_pair("search", q);
        }
        if let Some(c) = cursor {
            pairs.append_pair("cursor", c);
        }
    }
    let list: ServerList = get_json(outbound, policy, base, url.as_str()).await?;
    Ok((
        list.servers.into_iter().map(|s| s.server).collect(),
        list.metadata.and_then(|m| m.next_cursor),
    ))
}

/// The remote skillhost uses: streamable HTTP preferred, its URL filled
/// from `variables` (else their defaults), plain headers kept, and the one
/// secret header (if any) left for the attachment's credential.
pub fn choose_remote(
    server: &ServerDetail,
    variables: &BTreeMap<String, String>,
) -> Result<Remote, RegistryError> {
    let remote = server
        .remotes
        .iter()
        .find(|r| r.transport == "streamable-http")
        .ok_or_else(|| {
            if server.remotes.is_empty() {
                RegistryError::StdioOnly(server.name.clone())
            } else {
                RegistryError::SseOnly(server.name.clone())
            }
        })?;
    let mut url = remote.url.clone();
    for (name, input) in &remote.variables {
        let placeholder = format!("{{{name}}}");
        if !url.contains(&placeholder) {
            continue;
        }
        let value = variables
            .get(name)
            .cloned()
            .or_else(|| input.value.clone())
            .or_else(|| input.default.clone())
            .or_else(|| input.choices.first().cloned())
            .ok_or_else(|| RegistryError::Variable {
                server: server.name.clone(),
                variable: name.clone(),
            })?;
        if !input.choices.is_empty() && !input.choices.contains(&value) {
            return Err(RegistryError::Invalid {
                server: server.name.clone(),
                message: format!(
                    "`{value}` is not one of the choices for `{name}`: {}",
                    input.choices.join(", ")
                ),
            });
        }
        // A variable fills a part of the URL; it may not add structure.
        let encoded =
            percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let uses = url.matches(placeholder.as_str()).count();
        let filled = (url.len() - uses * placeholder.len())
            .saturating_add(uses.saturating_mul(encoded.len()));
        if filled > MAX_REMOTE_URL_BYTES {
            return Err(RegistryError::Invalid {
                server: server.name.clone(),
                message: format!(
                    "its URL would be {filled} bytes once `{name}` is filled in; at most {MAX_REMOTE_URL_BYTES} are allowed"
                ),
            });
        }
        url = url.replace(&placeholder, &encoded);
    }
    let invalid = |message: String| RegistryError::Invalid {
        server: server.name.clone(),
        message,
    };
    let parsed = url::Url::parse(&url).map_err(|e| invalid(format!("its URL `{url}`: {e}")))?;
    crate::outbound::origin_pattern(&parsed).map_err(|e| invalid(format!("its URL: {e}")))?;
    let mut headers = BTreeMap::new();
    let mut secret_header = None;
    let mut credential_required = false;
    for header in &remote.headers {
        if http::HeaderName::from_bytes(header.name.as_bytes()).is_err() {
            return Err(invalid(format!("`{}` is not a header name", header.name)));
        }
        if header.is_secret || header.name.eq_ignore_ascii_case("authorization") {
            if secret_header.is_none() {
                secret_header = Some(header.name.clone());
                credential_required = header.is_required;
            }
            continue;
        }
        if let Some(value) = header.value.clone().or_else(|| header.default.clone()) {
            if http::HeaderValue::from_str(&value).is_err() {
                return Err(invalid(format!(
                    "header `{}` has an unusable value",
                    header.name
                )));
            }
            headers.insert(header.name.clone(), value);
        }
    }
    Ok(Remote {
        server_name: server.name.clone(),
        url: parsed.to_string(),
        headers,
        secret_header,
        credential_required,
        variables: variables.clone(),
        list_credential_id: None,
        tools: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(remotes: Value) -> ServerDetail {
        serde_json::from_value(serde_json::json!({
            "name": "io.test/weather", "remotes": remotes,
        }))
        .unwrap()
    }

    /// Regression (reproduced with the `registry` fuzz target as an
    /// out-of-memory): a 200 KB
    /// answer whose URL repeats `{a}` 33,000 times with a 100 KB default
    /// made a 3.3 GB URL; a 4 MB answer could ask for a terabyte.
    #[test]
    fn fuzz_regression_a_repeated_url_variable_is_refused_before_it_is_filled() {
        let url = format!("https://x.example/{}", "{a}".repeat(33_000));
        let server = detail(serde_json::json!([
            {"type": "streamable-http", "url": url,
             "variables": {"a": {"default": "a".repeat(100_000)}}}
        ]));
        let started = std::time::Instant::now();
        let refused = choose_remote(&server, &BTreeMap::new()).unwrap_err();
        assert!(refused.to_string().contains("filled in"), "{refused}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // What real templates do still works, up to the limit.
        let server = detail(serde_json::json!([
            {"type": "streamable-http", "url": "https://{a}.example/{a}/mcp",
             "variables": {"a": {"default": "eu"}}}
        ]));
        assert_eq!(
            choose_remote(&server, &BTreeMap::new()).unwrap().url,
            "https://eu.example/eu/mcp"
        );
    }

    #[test]
    fn streamable_http_is_preferred_and_secrets_left_to_the_credential() {
        let server = detail(serde_json::json!([
            {"type": "sse", "url": "https://sse.example.com/sse"},
            {"type": "streamable-http", "url": "https://{region}.example.com/mcp",
             "variables": {"region": {"default": "eu", "choices": ["eu", "us"]}},
             "headers": [
                {"name": "X-Api-Key", "isSecret": true, "isRequired": true},
                {"name": "X-Client", "value": "skillhost"}
             ]}
        ]));
        let remote = choose_remote(&server, &BTreeMap::new()).unwrap();
        assert_eq!(remote.url, "https://eu.example.com/mcp");
        assert_eq!(remote.secret_header.as_deref(), Some("X-Api-Key"));
        assert!(remote.needs_credential());
        assert_eq!(remote.headers["X-Client"], "skillhost");
        let us = choose_remote(&server, &[("region".into(), "us".into())].into()).unwrap();
        assert_eq!(us.url, "https://us.example.com/mcp");
        let bad = choose_remote(&server, &[("region".into(), "evil.com/x".into())].into());
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("not one of the choices")
        );
    }

    #[test]
    fn stdio_only_and_sse_only_servers_are_refused() {
        let stdio = detail(serde_json::json!([]));
        assert!(matches!(
            choose_remote(&stdio, &BTreeMap::new()),
            Err(RegistryError::StdioOnly(_))
        ));
        let sse = detail(serde_json::json!([{"type": "sse", "url": "https://x.example/sse"}]));
        assert!(matches!(
            choose_remote(&sse, &BTreeMap::new()),
            Err(RegistryError::SseOnly(_))
        ));
        let missing = detail(serde_json::json!([
            {"type": "streamable-http", "url": "https://{tenant}.example.com/mcp",
             "variables": {"tenant": {"isRequired": true}}}
        ]));
        assert!(matches!(
            choose_remote(&missing, &BTreeMap::new()),
            Err(RegistryError::Variable { .. })
        ));
    }

    #[test]
    fn names_and_roots() {
        assert!(is_server_name("io.github.owner/my-server_2"));
        assert!(!is_server_name("no-slash"));
        assert!(!is_server_name("a/b/c"));
        assert!(!is_server_name("../x"));
        let base = url::Url::parse("https://registry.example/v0.1/").unwrap();
        assert_eq!(api_root(&base), "https://registry.example/v0.1");
        let base = url::Url::parse("https://registry.example").unwrap();
        assert_eq!(api_root(&base), "https://registry.example/v0.1");
    }
}
