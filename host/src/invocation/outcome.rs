//! What the invocation path gives a surface back.
use crate::ability::outcome::{Executed, Failure};
use crate::runtime::{Output, Receipt};
use crate::services::Internal;
use rmcp::model::CallToolResult;

/// One call's outcome, already redacted and audited.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The audit record's id.
    pub invocation_id: String,
    /// The output, or why there is none.
    pub result: Result<Output, Failure>,
    /// Whether the call reached its executor (`false`: refused before, as
    /// the audit records it).
    pub ran: bool,
    /// What it cost.
    pub receipt: Receipt,
    /// A command's stderr, or a guest's diagnostics (bounded).
    pub stderr: String,
    /// A remote MCP tool's own result, for surfaces that pass it on.
    pub tool_result: Option<CallToolResult>,
}

impl Outcome {
    /// A refusal that was audited under `invocation_id`.
    pub(super) fn refused(invocation_id: String, failure: Failure) -> Outcome {
        Outcome {
            invocation_id,
            result: Err(failure),
            ran: false,
            receipt: Receipt {
                wall_time_us: 0,
                peak_memory_bytes: 0,
                output_bytes: 0,
            },
            stderr: String::new(),
            tool_result: None,
        }
    }
}

impl Outcome {
    /// A call that reached its executor (and was audited).
    pub(super) fn ran(executed: Executed, tool_result: Option<CallToolResult>) -> Outcome {
        Outcome {
            invocation_id: executed.id,
            result: executed.result,
            ran: true,
            receipt: executed.receipt,
            stderr: executed.stderr,
            tool_result,
        }
    }
}

/// Ours failed: the detail was logged where it happened.
impl From<Internal> for Failure {
    fn from(_: Internal) -> Failure {
        Failure::internal()
    }
}
