//! A tool of a remote MCP server: an agent's approved server, or a
//! registry skill's remote (seed 004). The call goes through the remote
//! MCP client on the outbound guard, with the credential the invocation
//! opened, and everything the remote says comes back redacted.
use super::outcome::{Account, Category, Executed, Failure};
use crate::capability::Redactor;
use crate::outbound::Outbound;
use crate::outbound::mcp_client::{self, McpClientError, McpEndpoint};
use crate::runtime::{Output, OutputKind};
use rmcp::model::{CallToolResult, JsonObject};

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
    let mut account = Account::start();
    let called =
        mcp_client::call_tool(outbound, server, redactor, tool, arguments, &account.log).await;
    let (output, result) = match called {
        Ok(result) => (output_of(&result), Some(result)),
        Err(error) => (Err(failure(&error, &mut account)), None),
    };
    ToolCall {
        executed: account.finish(output),
        result,
    }
}

/// A client failure in the one category vocabulary: the guard's and the
/// network's errors as every other outbound request's.
fn failure(error: &McpClientError, account: &mut Account) -> Failure {
    let shown = error.shown();
    let category = match error {
        McpClientError::Outbound { error, .. } => {
            // The guard's refusal is also a denial in the receipt.
            let category = account.outbound_failure(error, |_| shown.clone()).category;
            return Failure::new(category, shown);
        }
        McpClientError::Timeout { .. } => Category::Timeout,
        McpClientError::Remote { .. } => Category::UpstreamError,
        McpClientError::Unusable { .. } => Category::Internal,
    };
    Failure::new(category, shown)
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
