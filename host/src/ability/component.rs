//! A component's ability: one call in a fresh sandbox under the policy the
//! invocation computed, its secrets already supplied. Everything the
//! sandbox reports is already bounded and redacted by the runtime.
use super::outcome::{Executed, Failure};
use crate::capability::Policy;
use crate::runtime::{Call, LoadedSkill, Runtime, SessionScope};
use serde_json::Value;
use std::sync::Arc;

/// Runs `ability` of `skill` with `input` under `policy`, with session
/// state in `session` when the caller has one.
pub async fn execute(
    runtime: &Runtime,
    skill: &Arc<LoadedSkill>,
    policy: Policy,
    ability: &str,
    input: &Value,
    session: Option<SessionScope>,
) -> Executed {
    let invocation = runtime
        .invoke(
            skill,
            Arc::new(policy),
            Call {
                ability,
                input,
                session,
            },
        )
        .await;
    Executed {
        id: invocation.id,
        result: invocation.outcome.map_err(|e| Failure::from(&e)),
        receipt: invocation.receipt,
        denials: invocation.denials,
        requests: invocation.requests,
        stderr: invocation.stderr,
    }
}
