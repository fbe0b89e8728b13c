//! Time and size limits of one outbound request.
use std::time::Duration;

/// Time and size limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connecting, TLS included.
    pub connect: Duration,
    /// From the start of the request to the last byte of the response.
    pub total: Duration,
    /// Silence while waiting for the response head or the next body bytes.
    pub between_bytes: Duration,
    /// Largest request body sent.
    pub max_request_bytes: usize,
    /// Largest response body received.
    pub max_response_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Any reachable API answers a SYN well within this; a black-holed
            // address should fail fast, not hold a sandbox slot.
            connect: Duration::from_secs(10),
            // The sandbox's own call timeout is usually the tighter bound.
            total: Duration::from_secs(60),
            between_bytes: Duration::from_secs(30),
            // Matches the largest body a skill install accepts.
            max_request_bytes: 32 << 20,
            max_response_bytes: 32 << 20,
        }
    }
}
