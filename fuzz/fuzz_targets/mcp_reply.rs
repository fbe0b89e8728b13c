//! What a remote MCP server answers (a hostile upstream): a JSON-RPC
//! message as rmcp's client reads it, and the results the host itself
//! handles: a `tools/call` result redacted and read back
//! (`outbound::mcp_client::call_tool`) then made an output
//! (`ability::mcp_tool::output_of`); a `tools/list` result's tools stored
//! as JSON (`list_tools`) and read back as the agent's tool list does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rmcp::model::{CallToolResult, ListToolsResult, ServerJsonRpcMessage, Tool};
use skillhost::capability::Redactor;
use std::sync::LazyLock;

static REDACTOR: LazyLock<Redactor> =
    LazyLock::new(|| Redactor::new([("API_KEY", "sk-live-0123456789abcdef")]));

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ServerJsonRpcMessage>(data);
    if let Ok(result) = serde_json::from_slice::<CallToolResult>(data) {
        let mut value = serde_json::to_value(&result).unwrap_or_default();
        REDACTOR.json(&mut value);
        if let Ok(redacted) = serde_json::from_value::<CallToolResult>(value) {
            let _ = skillhost::ability::mcp_tool::output_of(&redacted);
        }
        let _ = skillhost::ability::mcp_tool::output_of(&result);
    }
    if let Ok(list) = serde_json::from_slice::<ListToolsResult>(data) {
        for tool in list.tools {
            let mut value = serde_json::to_value(tool).unwrap_or_default();
            REDACTOR.json(&mut value);
            let _ = serde_json::from_value::<Tool>(value);
        }
    }
});
