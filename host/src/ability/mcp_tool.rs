//! A tool of a remote MCP server: an agent's approved server, or a
//! registry skill's remote (seed 004). The call goes through the remote
//! MCP client on the outbound guard, with the credential the invocation
//! opened, and everything the remote says comes back redacted.
use super::outcome::{Category, Executed, Failure};
use crate::capability::Redactor;
use crate::outbound::mcp_client::{self, McpClientError, McpEndpoint};
use crate::outbound::{Exchanges, Outbound};
use crate::runtime::{Denial, Output, OutputKind};
use rmcp::model::{CallToolResult, JsonObject};
use std::time::Instant;

/// A remote tool's call: the account every call gives, and the remote's
/// own result when it gave one (an MCP surface passes it on as it is).
pub struct ToolCall {
    /// Output (the text, or the structured content), or the failure.
    pub executed: Executed,
    /// The remote's result, redacted.
    pub result: Option<CallToolResult>,
}

/// Calls `tool` on `server` with `arguments`.
pub async fn execute(
    outbound: &Outbound,
    server: &McpEndpoint<'_>,
    redactor: &Redactor,
    tool: &str,
    arguments: JsonObject,
) -> ToolCall {
    let started = Instant::now();
    let log = Exchanges::default();
    let mut denials = Vec::new();
    let called = mcp_client::call_tool(outbound, server, redactor, tool, arguments, &log).await;
    let (output, result) = match called {
        Ok(result) => (output_of(&result), Some(result)),
        Err(error) => (Err(failure(&error, &mut denials)), None),
    };
    ToolCall {
        executed: Executed::hosted(output, started, denials, log.snapshot()),
        result,
    }
}

/// A client failure in the one category vocabulary: the guard's and the
/// network's errors as every other outbound request's.
fn failure(error: &McpClientError, denials: &mut Vec<Denial>) -> Failure {
    let category = match error {
        McpClientError::Outbound { error, .. } => Category::of_outbound(error),
        McpClientError::Timeout { .. } => Category::Timeout,
        McpClientError::Remote { .. } => Category::UpstreamError,
        McpClientError::Unusable { .. } => Category::Internal,
    };
    let failure = Failure::new(category, error.shown());
    if let McpClientError::Outbound { error, .. } = error
        && error.is_refusal()
    {
        let origin = match error {
            crate::outbound::OutboundError::OriginNotAllowed { origin, .. }
            | crate::outbound::OutboundError::AddressRefused { origin, .. } => origin.clone(),
            _ => String::new(),
        };
        denials.push(Denial {
            capability: "network",
            target: origin,
            reason: failure.message.clone(),
        });
    }
    failure
}

/// A tool result as an ability's output: the structured content when
/// there is some, else the text blocks; an `isError` result is a failure
/// with its text.
pub fn output_of(result: &CallToolResult) -> Result<Output, Failure> {
    let text: Vec<String> = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.clone()))
        .collect();
    if result.is_error == Some(true) {
        return Err(Failure::new(Category::Failed, text.join("\n")));
    }
    Ok(match &result.structured_content {
        Some(structured) => Output {
            kind: OutputKind::Json,
            body: structured.to_string(),
            exit_code: None,
        },
        None => Output {
            kind: OutputKind::Text,
            body: text.join("\n"),
            exit_code: None,
        },
    })
}
