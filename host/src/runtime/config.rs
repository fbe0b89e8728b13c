//! How the operator configures the runtime.
use crate::capability::LimitPolicy;
use crate::outbound::Outbound;
use std::path::PathBuf;

/// How the operator configures the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled artifacts are cached; `None` compiles in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Limit defaults and maxima.
    pub limits: LimitPolicy,
    /// Calls that may run at once; more wait for a slot or fail as busy.
    pub max_concurrent_calls: u32,
    /// The outbound guard guests' HTTP requests go through.
    pub outbound: Outbound,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            limits: LimitPolicy::default(),
            // Each slot reserves address space (not memory) for its largest
            // linear memory; 128 slots × 1 GiB + guards fits easily in 47
            // bits and far exceeds what 2 cores can run at once.
            max_concurrent_calls: 128,
            outbound: Outbound::default(),
        }
    }
}
