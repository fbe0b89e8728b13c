//! Resource limits: what a manifest or grant asks for, what one call gets,
//! and the operator's defaults and maxima.
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Limits a manifest or grant may ask for; unset means the operator default.
/// camelCase like the rest of the API; `skill.toml`'s snake_case spelling
/// is accepted too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitRequest {
    /// Wall-clock time per call.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "timeout_ms")]
    pub timeout_ms: Option<u64>,
    /// Linear memory per call.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "memory_mb")]
    pub memory_mb: Option<u64>,
    /// Output (and captured stdout) per call.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "output_kb")]
    pub output_kb: Option<u64>,
}

/// Resource limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock time.
    pub timeout: Duration,
    /// Linear memory, summed over the component's memories.
    pub memory_bytes: usize,
    /// Output (and captured stdout/stderr each).
    pub output_bytes: usize,
}

/// The operator's defaults and maxima for limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Used when neither the manifest nor the grant asks.
    pub default: Limits,
    /// Nothing may exceed these.
    pub max: Limits,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        LimitPolicy {
            // Ten seconds covers a slow upstream API; a minute is the most a
            // synchronous agent tool call should ever wait.
            // 64 MiB holds a std Rust guest with room for real data; 1 GiB
            // bounds the pool's address-space reservation per slot.
            // 1 MiB of output is more than any model context wants.
            default: Limits {
                timeout: Duration::from_secs(10),
                memory_bytes: 64 << 20,
                output_bytes: 1 << 20,
            },
            max: Limits {
                timeout: Duration::from_secs(60),
                memory_bytes: 1 << 30,
                output_bytes: 16 << 20,
            },
        }
    }
}
