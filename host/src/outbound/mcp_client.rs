//! Talking to a remote MCP server (an agent's, or a registry skill's):
//! rmcp's client on the guarded HTTP of `outbound::mcp`, one short
//! connection per operation (list or call), so any replica can serve any
//! call and nothing is held open. The caller opens the credential and
//! passes it as a header with a redactor for it; everything the remote
//! answers, errors included, comes back redacted.
use super::{Exchanges, Origins, Outbound, OutboundError, Rules, origin_pattern};
use crate::capability::Redactor;
use http::{HeaderName, HeaderValue};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, Tool};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Connecting, listing or calling, and closing, at most.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest JSON answer or SSE event read from a remote server.
const RESPONSE_BYTES: usize = 4 << 20;

/// Header names a caller may not set in a server's plain headers:
/// credentials belong in a secret (stored sealed, injected, redacted), and
/// the rest are MCP's own.
pub const RESERVED_HEADERS: &[&str] = &[
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

/// A remote server as the client reaches it.
pub struct McpEndpoint<'a> {
    /// Its name, in messages.
    pub name: &'a str,
    /// The streamable HTTP endpoint.
    pub url: &'a str,
    /// Plain headers (none of [`RESERVED_HEADERS`]).
    pub headers: &'a BTreeMap<String, String>,
    /// The credential header the host injects, already opened.
    pub credential: Option<(HeaderName, HeaderValue)>,
    /// Whether non-public addresses are reachable.
    pub allow_private_network: bool,
}

/// Why a remote operation gave no answer; its text is redacted and says
/// what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpClientError {
    /// The endpoint's URL or headers cannot be used (stored data that no
    /// longer validates).
    #[error("MCP server `{server}`: {message}")]
    Unusable {
        /// The server's name.
        server: String,
        /// What is wrong.
        message: String,
    },
    /// The guard refused a request, or the network failed it.
    #[error("MCP server `{server}`: {error}")]
    Outbound {
        /// The server's name.
        server: String,
        /// The guard's or the network's account, typed.
        error: OutboundError,
        /// The same, redacted, as shown.
        shown: String,
    },
    /// The whole operation took longer than [`OPERATION_TIMEOUT`].
    #[error("MCP server `{server}` did not answer within {} s", OPERATION_TIMEOUT.as_secs())]
    Timeout {
        /// The server's name.
        server: String,
    },
    /// The server answered, but not with a result (a JSON-RPC error, a
    /// broken stream).
    #[error("MCP server `{server}`: {message}")]
    Remote {
        /// The server's name.
        server: String,
        /// What rmcp said, redacted.
        message: String,
    },
}

/// Runs `operation` on a fresh client session with `server` (a modern
/// server is asked `server/discover`, a 2025 one gets `initialize` and its
/// session is ended afterwards).
async fn with_session<T>(
    outbound: &Outbound,
    server: &McpEndpoint<'_>,
    redactor: &Redactor,
    log: &Exchanges,
    operation: impl AsyncFnOnce(&rmcp::service::Peer<rmcp::RoleClient>) -> Result<T, rmcp::ServiceError>,
) -> Result<T, McpClientError> {
    let unusable = |message: String| McpClientError::Unusable {
        server: server.name.to_owned(),
        message,
    };
    let url = url::Url::parse(server.url).map_err(|e| unusable(format!("invalid URL: {e}")))?;
    let origin = origin_pattern(&url).map_err(|e| unusable(format!("invalid URL: {e}")))?;
    let mut headers = HashMap::new();
    for (name, value) in server.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(unusable(format!(
                "header `{name}` is not a valid HTTP header"
            )));
        };
        headers.insert(name, value);
    }
    if let Some((name, value)) = &server.credential {
        headers.insert(name.clone(), value.clone());
    }
    let origins = [origin];
    let rules = Rules {
        origins: Origins::Only(&origins),
        allow_private: server.allow_private_network,
        max_redirects: 0,
        limits: outbound.limits(),
        inject: &[],
    };
    let http = outbound.mcp_http(&rules, log);
    let config = StreamableHttpClientTransportConfig::with_uri(server.url)
        .custom_headers(headers)
        .max_json_response_size(RESPONSE_BYTES)
        .max_sse_event_size(RESPONSE_BYTES);
    let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
    let work = async {
        let session = ().serve(transport).await.map_err(|e| e.to_string())?;
        let outcome = operation(session.peer()).await.map_err(|e| e.to_string());
        if let Err(error) = session.cancel().await {
            tracing::debug!(server = %server.name, %error, "closing the MCP client session");
        }
        outcome
    };
    match tokio::time::timeout(OPERATION_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        // The guard's or the network's typed reason when a request had
        // one; else what rmcp said.
        Ok(Err(detail)) => Err(match http.failure() {
            Some(error) => McpClientError::Outbound {
                server: server.name.to_owned(),
                shown: redactor.text(&error.to_string()),
                error,
            },
            None => McpClientError::Remote {
                server: server.name.to_owned(),
                message: redactor.text(&detail),
            },
        }),
        Err(_) => Err(McpClientError::Timeout {
            server: server.name.to_owned(),
        }),
    }
}

impl McpClientError {
    /// The message as shown: the guard's account redacted.
    pub fn shown(&self) -> String {
        match self {
            McpClientError::Outbound { server, shown, .. } => {
                format!("MCP server `{server}`: {shown}")
            }
            other => other.to_string(),
        }
    }
}

/// The server's tools now, as MCP objects with the credential redacted.
pub async fn list_tools(
    outbound: &Outbound,
    server: &McpEndpoint<'_>,
    redactor: &Redactor,
) -> Result<Vec<serde_json::Value>, McpClientError> {
    let log = Exchanges::default();
    let tools: Vec<Tool> = with_session(outbound, server, redactor, &log, async |peer| {
        peer.list_all_tools().await
    })
    .await?;
    Ok(tools
        .into_iter()
        .map(|tool| {
            let mut value = serde_json::to_value(tool).unwrap_or_default();
            redactor.json(&mut value);
            value
        })
        .collect())
}

/// Calls `tool` with `arguments`; the result with the credential
/// redacted. The requests made go to `log` (for the audit).
pub async fn call_tool(
    outbound: &Outbound,
    server: &McpEndpoint<'_>,
    redactor: &Redactor,
    tool: &str,
    arguments: JsonObject,
    log: &Exchanges,
) -> Result<CallToolResult, McpClientError> {
    let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let mut result = with_session(outbound, server, redactor, log, async |peer| {
        peer.call_tool(params).await
    })
    .await?;
    // rmcp's `call_tool` yields only complete results; a 2025 server
    // leaves the field out, and a 2026-07-28 client requires it when the
    // result is passed on (rmcp drops it again for older clients).
    result.result_type = Some(rmcp::model::ResultType::COMPLETE);
    if redactor.is_empty() {
        return Ok(result);
    }
    let mut value = serde_json::to_value(&result).unwrap_or_default();
    redactor.json(&mut value);
    // Never the unredacted result: a value that does not read back is an
    // error.
    serde_json::from_value(value).map_err(|e| McpClientError::Remote {
        server: server.name.to_owned(),
        message: format!("gave a result that could not be redacted: {e}"),
    })
}
