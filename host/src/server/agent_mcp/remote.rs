//! Talking to a remote MCP server (an agent's, or a registry skill's):
//! rmcp's client on the guarded HTTP of [`crate::outbound`], one short
//! connection per operation (list or call), so any replica can serve any
//! call and nothing is held open. The server's credential is injected by
//! the host as a header and redacted from everything the remote answers.
use crate::capability::{NetworkPattern, Redactor};
use crate::outbound::{Exchange, Exchanges, Origins, Rules};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::store::McpServerRow;
use http::{HeaderName, HeaderValue};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, Tool};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

/// Connecting, listing or calling, and closing, at most.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest JSON answer or SSE event read from a remote server.
const RESPONSE_BYTES: usize = 4 << 20;

/// Why a remote operation gave no answer; the message is redacted and
/// says what to check.
#[derive(Debug, Clone)]
pub(crate) struct RemoteError {
    /// `origin_not_allowed`, `unreachable`, `timeout` or `remote_error`.
    pub code: &'static str,
    /// What happened.
    pub message: String,
}

/// A connection's setting: rules, headers and the redactor.
struct Link {
    origin: NetworkPattern,
    headers: HashMap<HeaderName, HeaderValue>,
    redactor: Redactor,
}

/// Header names a caller may not set in `headers`: credentials belong in a
/// secret (stored sealed, injected, redacted), and the rest are MCP's own.
pub(crate) const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "accept",
    "content-type",
    "content-length",
    "host",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
];

/// A remote server as the client needs it.
pub(crate) struct Endpoint<'a> {
    /// Its name, in messages.
    pub name: &'a str,
    /// The tenant whose secret is the credential.
    pub tenant_id: &'a str,
    /// The streamable HTTP endpoint.
    pub url: &'a str,
    /// Plain headers.
    pub headers: &'a BTreeMap<String, String>,
    /// The tenant secret the host injects.
    pub secret_id: Option<&'a str>,
    /// The header it goes in (`Authorization` when unset).
    pub secret_header: Option<&'a str>,
    /// Whether non-public addresses are reachable.
    pub allow_private_network: bool,
}

impl McpServerRow {
    /// The server as the client reaches it.
    pub(crate) fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            name: &self.name,
            tenant_id: &self.tenant_id,
            url: &self.url,
            headers: &self.headers,
            secret_id: self.secret_id.as_deref(),
            secret_header: self.secret_header.as_deref(),
            allow_private_network: self.allow_private_network,
        }
    }
}

async fn link(state: &AppState, server: &Endpoint<'_>) -> Result<Link, ApiError> {
    let url = url::Url::parse(server.url).map_err(|_| ApiError::Internal)?;
    let origin = crate::sources::origin_pattern(&url).map_err(|_| ApiError::Internal)?;
    let mut headers = HashMap::new();
    for (name, value) in server.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(ApiError::Internal);
        };
        headers.insert(name, value);
    }
    let mut redactor = Redactor::default();
    if let Some(id) = server.secret_id {
        let Some((secret, value)) =
            crate::server::secrets::open_secret(state, server.tenant_id, id).await?
        else {
            return Err(ApiError::Unprocessable {
                code: "secret_missing",
                message: format!(
                    "MCP server `{}` uses secret {id}, which no longer exists: create it again or update the server",
                    server.name
                ),
            });
        };
        let name = server.secret_header.unwrap_or("authorization");
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| ApiError::Internal)?;
        let mut header =
            HeaderValue::from_str(&secret.kind.render(&value)).map_err(|_| ApiError::Internal)?;
        header.set_sensitive(true);
        headers.insert(name, header);
        redactor = Redactor::new([(secret.name.as_str(), value.as_str())]);
    }
    Ok(Link {
        origin,
        headers,
        redactor,
    })
}

/// What an operation gave, and the redactor for what it gave.
pub(crate) struct Answer<T> {
    /// The result, or why there is none (already redacted).
    pub outcome: Result<T, RemoteError>,
    /// Redacts the server's credential from the result.
    pub redactor: Redactor,
}

/// Runs `operation` on a fresh client session with `server` (a modern
/// server is asked `server/discover`, a 2025 one gets `initialize` and its
/// session is ended afterwards).
async fn with_session<T>(
    state: &AppState,
    server: &Endpoint<'_>,
    log: &Exchanges,
    operation: impl AsyncFnOnce(&rmcp::service::Peer<rmcp::RoleClient>) -> Result<T, rmcp::ServiceError>,
) -> Result<Answer<T>, ApiError> {
    let link = match link(state, server).await {
        Ok(link) => link,
        // A server whose secret is gone is a server in error, not a failed
        // request: its listing shows why.
        Err(ApiError::Unprocessable { code, message }) => {
            return Ok(Answer {
                outcome: Err(RemoteError { code, message }),
                redactor: Redactor::default(),
            });
        }
        Err(other) => return Err(other),
    };
    let origins = [link.origin.clone()];
    let rules = Rules {
        origins: Origins::Only(&origins),
        allow_private: server.allow_private_network,
        max_redirects: 0,
        limits: state.loader.outbound().limits(),
        inject: &[],
    };
    let http = state.loader.outbound().mcp_http(&rules, log);
    let config = StreamableHttpClientTransportConfig::with_uri(server.url)
        .custom_headers(link.headers)
        .max_json_response_size(RESPONSE_BYTES)
        .max_sse_event_size(RESPONSE_BYTES);
    let transport = StreamableHttpClientTransport::with_client(http, config);
    let work = async {
        let session = ().serve(transport).await.map_err(|e| e.to_string())?;
        let outcome = operation(session.peer()).await.map_err(|e| e.to_string());
        if let Err(error) = session.cancel().await {
            tracing::debug!(server = %server.name, %error, "closing the MCP client session");
        }
        outcome
    };
    let outcome = match tokio::time::timeout(OPERATION_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(detail)) => Err(explain(server.name, &log.snapshot(), &detail)),
        Err(_) => Err(RemoteError {
            code: "timeout",
            message: format!(
                "MCP server `{}` did not answer within {} s",
                server.name,
                OPERATION_TIMEOUT.as_secs()
            ),
        }),
    };
    let redactor = link.redactor;
    let outcome = outcome.map_err(|mut e| {
        redactor.in_place(&mut e.message);
        e
    });
    Ok(Answer { outcome, redactor })
}

/// The most precise account of a failure: the guard's refusal or the
/// network's error when a request had one, else what rmcp said.
fn explain(server: &str, requests: &[Exchange], detail: &str) -> RemoteError {
    if let Some(refused) = requests.iter().find_map(|r| r.refused.as_deref()) {
        return RemoteError {
            code: "origin_not_allowed",
            message: format!("MCP server `{server}`: {refused}"),
        };
    }
    if let Some(error) = requests.iter().find_map(|r| r.error.as_deref()) {
        return RemoteError {
            code: "unreachable",
            message: format!("MCP server `{server}`: {error}"),
        };
    }
    if let Some(status) = requests.iter().find_map(|r| r.status.filter(|s| *s >= 400)) {
        return RemoteError {
            code: "remote_error",
            message: format!("MCP server `{server}` answered HTTP {status}: {detail}"),
        };
    }
    RemoteError {
        code: "remote_error",
        message: format!("MCP server `{server}`: {detail}"),
    }
}

/// The server's tools now, as MCP objects with the credential redacted.
pub(crate) async fn list_tools(
    state: &AppState,
    server: &Endpoint<'_>,
) -> Result<Result<Vec<serde_json::Value>, RemoteError>, ApiError> {
    let log = Exchanges::default();
    let answer = with_session(state, server, &log, async |peer| {
        peer.list_all_tools().await
    })
    .await?;
    Ok(answer.outcome.map(|tools: Vec<Tool>| {
        tools
            .into_iter()
            .map(|tool| {
                let mut value = serde_json::to_value(tool).unwrap_or_default();
                answer.redactor.json(&mut value);
                value
            })
            .collect()
    }))
}

/// Calls `tool` with `arguments`; the result with the credential
/// redacted, and the requests made (for the audit).
pub(crate) async fn call_tool(
    state: &AppState,
    server: &Endpoint<'_>,
    tool: &str,
    arguments: JsonObject,
    log: &Exchanges,
) -> Result<Result<CallToolResult, RemoteError>, ApiError> {
    let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let answer = with_session(state, server, log, async |peer| {
        peer.call_tool(params).await
    })
    .await?;
    Ok(answer.outcome.and_then(|mut result| {
        // rmcp's `call_tool` yields only complete results; a 2025 server
        // leaves the field out, and a 2026-07-28 client requires it when
        // the result is passed on (rmcp drops it again for older clients).
        result.result_type = Some(rmcp::model::ResultType::COMPLETE);
        if answer.redactor.is_empty() {
            return Ok(result);
        }
        let mut value = serde_json::to_value(&result).unwrap_or_default();
        answer.redactor.json(&mut value);
        // Never the unredacted result: a value that does not read back is
        // an error.
        serde_json::from_value(value).map_err(|e| RemoteError {
            code: "remote_error",
            message: format!(
                "MCP server `{}` gave a result that could not be redacted: {e}",
                server.name
            ),
        })
    }))
}
