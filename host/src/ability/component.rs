//! A component's ability: one call in a fresh sandbox, made by the
//! invocation path with `Runtime::invoke` under the policy it computed (its
//! secrets already supplied). Everything the sandbox reports is already
//! bounded and redacted by the runtime; here it becomes an executor's
//! account like every other kind's.
use super::outcome::{Executed, Failure};
use crate::runtime::Invocation;

/// The sandbox's account of a call as an executor's.
pub fn executed(invocation: Invocation) -> Executed {
    Executed {
        id: invocation.id,
        result: invocation.outcome.map_err(|e| Failure::from(&e)),
        receipt: invocation.receipt,
        denials: invocation.denials,
        requests: invocation.requests,
        stderr: invocation.stderr,
    }
}
