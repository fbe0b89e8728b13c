//! What an executor produces, whatever the kind of ability: an output or
//! one [`Failure`] with one [`Category`], the requests made and what was
//! refused. Every surface answers from these, each with its own status
//! table (`crate::invocation::status`).
use crate::error::InvokeError;
use crate::outbound::{Exchange, OutboundError};
use crate::runtime::{Denial, Output, Receipt};

/// Why a call produced no output: one enum for every kind of ability and
/// every surface. Refusals before anything runs are categories too, so a
/// surface maps each outcome exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The input does not fit the ability's schema, or the ability said so.
    InvalidInput,
    /// The sandbox or the outbound guard refused something the call tried.
    CapabilityDenied,
    /// The call ran past its time limit.
    Timeout,
    /// The guest tried to grow memory past its limit.
    OutOfMemory,
    /// The output (or a response read for it) exceeded its limit.
    OutputTooLarge,
    /// The guest trapped.
    GuestTrap,
    /// The ability ran and reported failure.
    Failed,
    /// No such skill, ability, assignment, server or tool (or another
    /// tenant's: never told apart).
    NotFound,
    /// Every sandbox slot is in use.
    Busy,
    /// A failure of ours; the detail went to the log.
    Internal,
    /// The skill is assigned, but disabled for this agent.
    AssignmentDisabled,
    /// The skill waits for an admin's approval, or is not active.
    SkillNotActive,
    /// The instruction ability waits for an admin's approval.
    AbilityNotApproved,
    /// The remote MCP server waits for an admin's approval.
    ApprovalPending,
    /// The agent's narrowing no longer fits the approved grant.
    AssignmentOutdated,
    /// A secret the call needs is not set (or was deleted).
    SecretNotSet,
    /// The request a template or operation produced cannot be sent.
    InvalidRequest,
    /// The upstream could not be reached (DNS, connection, protocol).
    UpstreamUnreachable,
    /// The upstream answered with an error.
    UpstreamError,
    /// The skill has several abilities and the call named none.
    AbilityRequired,
    /// The session id is not 1-128 characters.
    InvalidSession,
}

impl Category {
    /// The machine-readable code every surface shows.
    pub fn code(self) -> &'static str {
        match self {
            Category::InvalidInput => "invalid_input",
            Category::CapabilityDenied => "capability_denied",
            Category::Timeout => "timeout",
            Category::OutOfMemory => "out_of_memory",
            Category::OutputTooLarge => "output_too_large",
            Category::GuestTrap => "guest_trap",
            Category::Failed => "failed",
            Category::NotFound => "not_found",
            Category::Busy => "busy",
            Category::Internal => "internal",
            Category::AssignmentDisabled => "assignment_disabled",
            Category::SkillNotActive => "skill_not_active",
            Category::AbilityNotApproved => "ability_not_approved",
            Category::ApprovalPending => "approval_pending",
            Category::AssignmentOutdated => "assignment_outdated",
            Category::SecretNotSet => "secret_not_set",
            Category::InvalidRequest => "invalid_request",
            Category::UpstreamUnreachable => "upstream_unreachable",
            Category::UpstreamError => "upstream_error",
            Category::AbilityRequired => "ability_required",
            Category::InvalidSession => "invalid_session",
        }
    }

    /// Every category, for tables and their tests.
    pub const ALL: [Category; 21] = [
        Category::InvalidInput,
        Category::CapabilityDenied,
        Category::Timeout,
        Category::OutOfMemory,
        Category::OutputTooLarge,
        Category::GuestTrap,
        Category::Failed,
        Category::NotFound,
        Category::Busy,
        Category::Internal,
        Category::AssignmentDisabled,
        Category::SkillNotActive,
        Category::AbilityNotApproved,
        Category::ApprovalPending,
        Category::AssignmentOutdated,
        Category::SecretNotSet,
        Category::InvalidRequest,
        Category::UpstreamUnreachable,
        Category::UpstreamError,
        Category::AbilityRequired,
        Category::InvalidSession,
    ];

    /// The category of a request the outbound guard or the network did
    /// not complete: the one place this mapping is made.
    pub fn of_outbound(error: &OutboundError) -> Category {
        match error {
            OutboundError::OriginNotAllowed { .. } | OutboundError::AddressRefused { .. } => {
                Category::CapabilityDenied
            }
            OutboundError::Timeout { .. } => Category::Timeout,
            OutboundError::ResponseTooLarge { .. } => Category::OutputTooLarge,
            OutboundError::InvalidUrl(_) | OutboundError::RequestTooLarge { .. } => {
                Category::InvalidRequest
            }
            OutboundError::Dns { .. }
            | OutboundError::Connect { .. }
            | OutboundError::Redirect(_)
            | OutboundError::Protocol(_) => Category::UpstreamUnreachable,
        }
    }
}

/// A call's failure: its category and what happened, redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The category.
    pub category: Category,
    /// What happened, without the category's own words (the guest's
    /// message, the upstream's answer): what a surface that shows the code
    /// beside it prints.
    pub detail: String,
    /// The whole sentence (`failed: exited with code 1: …`), for surfaces
    /// that show the message on its own.
    pub message: String,
    /// A command skill's exit code.
    pub exit_code: Option<i32>,
}

impl Failure {
    /// A failure whose message is its detail.
    pub fn new(category: Category, message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            category,
            detail: message.clone(),
            message,
            exit_code: None,
        }
    }

    /// The code of its category.
    pub fn code(&self) -> &'static str {
        self.category.code()
    }

    /// A refused or failed outbound request, with `redact` applied to what
    /// it says (the URL may carry a secret).
    pub fn of_outbound(error: &OutboundError, redact: impl Fn(&str) -> String) -> Failure {
        Failure::new(Category::of_outbound(error), redact(&error.to_string()))
    }

    /// A redaction that leaves nothing readable behind when the message
    /// itself cannot be redacted.
    pub fn internal() -> Failure {
        Failure::new(Category::Internal, "internal error")
    }
}

impl From<&InvokeError> for Failure {
    fn from(error: &InvokeError) -> Failure {
        let (category, detail, exit_code) = match error {
            InvokeError::InvalidInput { message } => {
                (Category::InvalidInput, message.clone(), None)
            }
            InvokeError::CapabilityDenied {
                capability,
                target,
                message,
            } => (
                Category::CapabilityDenied,
                format!("{capability} {target}: {message}"),
                None,
            ),
            InvokeError::Timeout { .. } => (Category::Timeout, error.to_string(), None),
            InvokeError::OutOfMemory { limit_bytes } => (
                Category::OutOfMemory,
                format!("the skill tried to use more than its {limit_bytes} byte limit"),
                None,
            ),
            InvokeError::OutputTooLarge { limit_bytes } => (
                Category::OutputTooLarge,
                format!("more than {limit_bytes} bytes"),
                None,
            ),
            InvokeError::GuestTrap { message } => (Category::GuestTrap, message.clone(), None),
            InvokeError::Failed { message, exit_code } => {
                (Category::Failed, message.clone(), *exit_code)
            }
            InvokeError::NotFound { message } => (Category::NotFound, message.clone(), None),
            InvokeError::Busy => (
                Category::Busy,
                "every sandbox slot is in use, retry shortly".to_owned(),
                None,
            ),
            InvokeError::Internal => (Category::Internal, error.to_string(), None),
        };
        Failure {
            category,
            detail,
            message: error.to_string(),
            exit_code,
        }
    }
}

/// What an executor gives back: the output or the failure, the costs, the
/// requests made and what was refused.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The call's id: the audit record's, and on every log line of the
    /// sandbox's.
    pub id: String,
    /// The output, or why there is none.
    pub result: Result<Output, Failure>,
    /// What the call cost.
    pub receipt: Receipt,
    /// What the sandbox or the guard refused, even if the call recovered.
    pub denials: Vec<Denial>,
    /// The outbound requests made, refused ones included.
    pub requests: Vec<Exchange>,
    /// A command's stderr, or a guest's diagnostics (bounded).
    pub stderr: String,
}

impl Executed {
    /// A call that never reached its executor's work: `failure`, at no cost.
    pub fn refused(failure: Failure) -> Executed {
        Executed {
            id: crate::runtime::unique_id(),
            result: Err(failure),
            receipt: Receipt {
                wall_time_us: 0,
                peak_memory_bytes: 0,
                output_bytes: 0,
            },
            denials: Vec::new(),
            requests: Vec::new(),
            stderr: String::new(),
        }
    }
}

/// The account of a call the host makes itself (outside the sandbox, so
/// with no memory of its own): the requests it made and what the guard
/// refused, from its start.
pub struct Account {
    started: std::time::Instant,
    /// The requests made, for the receipt and the audit.
    pub log: crate::outbound::Exchanges,
    /// What the guard refused.
    pub denials: Vec<Denial>,
}

impl Account {
    /// An account from now.
    pub fn start() -> Account {
        Account {
            started: std::time::Instant::now(),
            log: Default::default(),
            denials: Vec::new(),
        }
    }

    /// A failed request as a failure (redacted by `redact`); a refusal is
    /// also a denial in the receipt.
    pub fn outbound_failure(
        &mut self,
        error: &OutboundError,
        redact: impl Fn(&str) -> String,
    ) -> Failure {
        let failure = Failure::of_outbound(error, redact);
        if let OutboundError::OriginNotAllowed { origin, .. }
        | OutboundError::AddressRefused { origin, .. } = error
        {
            self.denials.push(Denial {
                capability: "network",
                target: origin.clone(),
                reason: failure.message.clone(),
            });
        }
        failure
    }

    /// The call ended with `result`.
    pub fn finish(self, result: Result<Output, Failure>) -> Executed {
        let output_bytes = result.as_ref().map(|o| o.body.len()).unwrap_or(0);
        Executed {
            id: crate::runtime::unique_id(),
            result,
            receipt: Receipt {
                wall_time_us: self.started.elapsed().as_micros() as u64,
                peak_memory_bytes: 0,
                output_bytes,
            },
            denials: self.denials,
            requests: self.log.snapshot(),
            stderr: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_category_has_its_own_code() {
        let codes: HashSet<&str> = Category::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), Category::ALL.len());
    }

    #[test]
    fn outbound_errors_map_to_one_category_each() {
        let refused = OutboundError::OriginNotAllowed {
            origin: "https://evil.example:443".into(),
            reason: "no pattern matches".into(),
        };
        assert_eq!(Category::of_outbound(&refused), Category::CapabilityDenied);
        let timeout = OutboundError::Timeout {
            phase: crate::outbound::Phase::Total,
            limit: std::time::Duration::from_secs(1),
        };
        assert_eq!(Category::of_outbound(&timeout), Category::Timeout);
        let large = OutboundError::ResponseTooLarge { limit: 10 };
        assert_eq!(Category::of_outbound(&large), Category::OutputTooLarge);
        let connect = OutboundError::Connect {
            origin: "http://127.0.0.1:9".into(),
            refused: true,
            reason: "connection refused".into(),
        };
        assert_eq!(
            Category::of_outbound(&connect),
            Category::UpstreamUnreachable
        );
        let dns = OutboundError::Dns {
            host: "nowhere.invalid".into(),
            reason: "no such name".into(),
        };
        assert_eq!(Category::of_outbound(&dns), Category::UpstreamUnreachable);
        assert_eq!(
            Category::of_outbound(&OutboundError::Protocol("reset".into())),
            Category::UpstreamUnreachable
        );
        assert_eq!(
            Category::of_outbound(&OutboundError::InvalidUrl("no host".into())),
            Category::InvalidRequest
        );
        let failure = Failure::of_outbound(&connect, |t| t.replace("127.0.0.1", "[host]"));
        assert_eq!(failure.code(), "upstream_unreachable");
        assert!(failure.message.contains("[host]") && !failure.message.contains("127.0.0.1"));
    }

    #[test]
    fn a_sandbox_failure_keeps_its_sentence_and_its_detail_apart() {
        let error = InvokeError::Failed {
            message: "exited with code 1: boom".into(),
            exit_code: Some(1),
        };
        let failure = Failure::from(&error);
        assert_eq!(failure.code(), "failed");
        assert_eq!(failure.message, "failed: exited with code 1: boom");
        assert_eq!(failure.detail, "exited with code 1: boom");
        assert_eq!(failure.exit_code, Some(1));
        let timeout = Failure::from(&InvokeError::Timeout { limit_ms: 50 });
        assert_eq!(timeout.detail, "timed out after 50 ms");
        assert_eq!(timeout.message, timeout.detail);
        // No category's words twice where the code stands beside the detail.
        for error in [
            InvokeError::Busy,
            InvokeError::OutOfMemory {
                limit_bytes: 1 << 20,
            },
            InvokeError::OutputTooLarge { limit_bytes: 1024 },
            InvokeError::InvalidInput {
                message: "at `/n`: wrong".into(),
            },
            InvokeError::GuestTrap {
                message: "unreachable".into(),
            },
        ] {
            let failure = Failure::from(&error);
            let words = failure.code().replace('_', " ");
            assert!(!failure.detail.starts_with(&words), "{}", failure.detail);
            assert!(failure.message.starts_with(&words), "{}", failure.message);
        }
    }
}
