//! An MCP request body sent to the host's MCP endpoint: a JSON-RPC message
//! as the rmcp server the host mounts reads it (the host parses no MCP
//! body itself; rmcp's `ClientJsonRpcMessage` is what every body goes
//! through before a handler sees it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rmcp::model::ClientJsonRpcMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = serde_json::from_slice::<ClientJsonRpcMessage>(data) {
        let _ = serde_json::to_vec(&message);
    }
});
