//! The errors of the runtime boundary. Each invocation failure is one
//! category that the CLI and the API report as it is; callers match on the
//! variant, never on the message.
use crate::capability::GrantError;
use crate::package::PackageError;
use serde::Serialize;

/// Why an invocation produced no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InvokeError {
    /// The input does not satisfy the ability's schema, or the ability said
    /// the input was unusable.
    #[error("invalid input: {message}")]
    InvalidInput {
        /// Which part of the input is wrong and why.
        message: String,
    },
    /// The sandbox refused something the skill tried to use.
    #[error("capability denied: {capability}{}{target}: {message}", if target.is_empty() { "" } else { " " })]
    CapabilityDenied {
        /// `network`, `filesystem`, `env` or `secret`.
        capability: String,
        /// What was asked for (URL, name); empty when the guest did not say.
        target: String,
        /// Details.
        message: String,
    },
    /// The call ran past its wall-clock limit and was stopped.
    #[error("timed out after {limit_ms} ms")]
    Timeout {
        /// The limit.
        limit_ms: u64,
    },
    /// The guest tried to grow memory past its limit.
    #[error("out of memory: the skill tried to use more than its {limit_bytes} byte limit")]
    OutOfMemory {
        /// The limit.
        limit_bytes: usize,
    },
    /// The output (or captured stdout/stderr) exceeded its limit.
    #[error("output too large: more than {limit_bytes} bytes")]
    OutputTooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The guest trapped: a panic, stack overflow, unreachable code.
    #[error("guest trap: {message}")]
    GuestTrap {
        /// The trap and any panic message the guest printed.
        message: String,
    },
    /// The ability ran and reported failure, or a command exited non-zero.
    #[error("failed: {message}")]
    Failed {
        /// The guest's message (for a command, its stderr).
        message: String,
        /// A command's exit code.
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
    },
    /// No such ability.
    #[error("not found: {message}")]
    NotFound {
        /// What is missing, and what exists.
        message: String,
    },
    /// Every sandbox slot is in use; retry shortly.
    #[error("busy: every sandbox slot is in use, retry shortly")]
    Busy,
    /// The host failed (storage, I/O). Details are logged, not returned.
    #[error("internal error; see the host log for invocation details")]
    Internal,
}

impl InvokeError {
    /// Replaces known secret values in the message texts.
    pub fn redact(&mut self, redactor: &crate::capability::Redactor) {
        match self {
            InvokeError::InvalidInput { message }
            | InvokeError::GuestTrap { message }
            | InvokeError::Failed { message, .. }
            | InvokeError::NotFound { message } => redactor.in_place(message),
            InvokeError::CapabilityDenied {
                target, message, ..
            } => {
                redactor.in_place(target);
                redactor.in_place(message);
            }
            _ => {}
        }
    }

    /// The category name the API and CLI report.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::InvalidInput { .. } => "invalid_input",
            InvokeError::CapabilityDenied { .. } => "capability_denied",
            InvokeError::Timeout { .. } => "timeout",
            InvokeError::OutOfMemory { .. } => "out_of_memory",
            InvokeError::OutputTooLarge { .. } => "output_too_large",
            InvokeError::GuestTrap { .. } => "guest_trap",
            InvokeError::Failed { .. } => "failed",
            InvokeError::NotFound { .. } => "not_found",
            InvokeError::Busy => "busy",
            InvokeError::Internal => "internal",
        }
    }
}

/// Why a skill could not be loaded (installed) into the runtime.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is not a valid skill package, or asks for more than it declares.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// Wasmtime rejected the component (invalid, or unlinkable imports).
    #[error("the component cannot be loaded: {0}")]
    Component(String),
    /// The abilities' schemas could not be compiled.
    #[error("ability `{ability}`: invalid input schema: {message}")]
    Schema {
        /// Ability name.
        ability: String,
        /// Why.
        message: String,
    },
    /// The host could not prepare a valid component (the kernel refused
    /// its memory image): not the component's fault, so not a 422.
    #[error("the host could not prepare the component: {0}")]
    Host(String),
}

/// Why a skill could not be prepared for a call with a given grant.
pub type PolicyError = GrantError;

#[cfg(test)]
mod display_tests {
    use super::InvokeError;

    #[test]
    fn a_denial_without_a_target_reads_without_a_gap() {
        let denied = |target: &str| {
            InvokeError::CapabilityDenied {
                capability: "filesystem".into(),
                target: target.into(),
                message: "Operation not permitted".into(),
            }
            .to_string()
        };
        assert_eq!(
            denied(""),
            "capability denied: filesystem: Operation not permitted"
        );
        assert_eq!(
            denied("/data/x"),
            "capability denied: filesystem /data/x: Operation not permitted"
        );
    }
}
