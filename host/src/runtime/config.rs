//! How the operator configures the runtime.
use crate::capability::{LimitPolicy, Volumes};
use crate::outbound::Outbound;
use std::path::PathBuf;

/// How the operator configures the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled artifacts are cached; `None` compiles in memory only.
    pub cache_dir: Option<PathBuf>,
    /// The key that authenticates cached artifacts (the server derives it
    /// from its secret key). `None`: a key file beside the cache directory
    /// (`<cache_dir>.key`, mode 0600), created on first use.
    pub cache_key: Option<[u8; 32]>,
    /// Limit defaults and maxima.
    pub limits: LimitPolicy,
    /// Calls that may run at once; more wait for a slot or fail as busy.
    pub max_concurrent_calls: u32,
    /// The outbound guard guests' HTTP requests go through.
    pub outbound: Outbound,
    /// Host directories the operator offers to grants.
    pub volumes: Volumes,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            cache_key: None,
            limits: LimitPolicy::default(),
            // Each slot reserves address space (not memory) for its largest
            // linear memory; 128 slots × 1 GiB + guards fits easily in 47
            // bits and far exceeds what 2 cores can run at once.
            max_concurrent_calls: 128,
            outbound: Outbound::default(),
            volumes: Volumes::default(),
        }
    }
}
