//! Why an outbound request did not produce a whole response.
use super::address::{AddressRefused, DnsTimeout, NoAddresses};
use std::time::Duration;

/// The one error type of the outbound boundary. Callers map it once: the
/// sandbox to a `wasi:http` error code, installs to an API error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The URL cannot be requested at all (scheme, host, credentials).
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// No allowed origin matches the request's scheme, host and port.
    #[error("{origin} is not an allowed origin: {reason}")]
    OriginNotAllowed {
        /// `scheme://host:port` asked for.
        origin: String,
        /// Why (nothing is allowed, or no pattern matches).
        reason: String,
    },
    /// The destination resolved to an address the rule refuses.
    #[error("{refused}")]
    AddressRefused {
        /// `scheme://host:port` asked for.
        origin: String,
        /// The address and why.
        refused: AddressRefused,
    },
    /// The name does not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Dns {
        /// The name.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// No connection could be made.
    #[error("cannot connect to {origin}: {reason}")]
    Connect {
        /// `scheme://host:port`.
        origin: String,
        /// The peer actively refused (nothing listens there).
        refused: bool,
        /// Refused, unreachable, TLS failure.
        reason: String,
    },
    /// A time limit ran out.
    #[error("{phase} took longer than {}", display(*limit))]
    Timeout {
        /// What was being waited for.
        phase: Phase,
        /// The limit.
        limit: Duration,
    },
    /// The request body is larger than the limit.
    #[error("the request body is larger than {limit} bytes")]
    RequestTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The response body is larger than the limit.
    #[error("the response body is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: u64,
    },
    /// Too many redirects, or one without a usable `Location`.
    #[error("{0}")]
    Redirect(String),
    /// The peer broke the protocol or the connection.
    #[error("{0}")]
    Protocol(String),
}

/// What a request was waiting for when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Resolving the name.
    Dns,
    /// Connecting (TLS included).
    Connect,
    /// The response head or the next body bytes.
    BetweenBytes,
    /// The whole request.
    Total,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Dns => "resolving the name",
            Phase::Connect => "connecting",
            Phase::BetweenBytes => "waiting for the next bytes",
            Phase::Total => "the whole request",
        })
    }
}

impl OutboundError {
    /// Whether this is the guard saying no (as opposed to the network or
    /// the peer failing): refusals are capability denials in a receipt.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            OutboundError::OriginNotAllowed { .. } | OutboundError::AddressRefused { .. }
        )
    }

    /// Classifies an error of the HTTP client, looking through its chain
    /// for what our resolver and limits put there.
    pub(super) fn from_client(
        error: &reqwest::Error,
        origin: &str,
        limits: &super::limits::Limits,
    ) -> OutboundError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<AddressRefused>() {
                return OutboundError::AddressRefused {
                    origin: origin.to_owned(),
                    refused: refused.clone(),
                };
            }
            if let Some(e) = e.downcast_ref::<NoAddresses>() {
                return OutboundError::Dns {
                    host: e.0.clone(),
                    reason: "no addresses".into(),
                };
            }
            if e.downcast_ref::<DnsTimeout>().is_some() {
                return OutboundError::Timeout {
                    phase: Phase::Dns,
                    limit: super::address::DNS_TIMEOUT,
                };
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::TimedOut
                && error.is_body()
            {
                return OutboundError::Timeout {
                    phase: Phase::BetweenBytes,
                    limit: limits.between_bytes,
                };
            }
            source = e.source();
        }
        if error.is_timeout() {
            if error.is_connect() {
                return OutboundError::Timeout {
                    phase: Phase::Connect,
                    limit: limits.connect,
                };
            }
            if error.is_body() || error.is_decode() {
                return OutboundError::Timeout {
                    phase: Phase::BetweenBytes,
                    limit: limits.between_bytes,
                };
            }
            return OutboundError::Timeout {
                phase: Phase::Total,
                limit: limits.total,
            };
        }
        if error.is_connect() {
            let refused = chain_has(error, |e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            });
            return OutboundError::Connect {
                origin: origin.to_owned(),
                refused,
                reason: innermost(error),
            };
        }
        OutboundError::Protocol(format!("{origin}: {}", innermost(error)))
    }
}

fn chain_has(
    error: &(dyn std::error::Error + 'static),
    test: impl Fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if test(e) {
            return true;
        }
        source = e.source();
    }
    false
}

/// The most specific message in an error chain (the client's outer
/// messages say only "error sending request").
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn display(limit: Duration) -> String {
    if limit.as_millis().is_multiple_of(1000) {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}
