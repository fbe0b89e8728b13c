//! The sandbox runtime: one engine, compiled and pre-linked skills, and a
//! fresh store per call with exactly the call's policy. Nothing here knows
//! about HTTP; callers pass a [`Policy`] and get an [`Invocation`] back.
mod cache;
mod engine;
mod host_api;
mod http_hooks;
mod invoke;
mod loader;
pub(crate) use invoke::{schema_problems, unique_id};
mod session;
mod state;

pub use engine::{EPOCH_TICK, PoolSize};
pub use invoke::{Call, Invocation, Output, OutputKind, Receipt};
pub use loader::{Loader, MAX_LOADED};
pub use session::{
    FileSessions, MAX_KEYS as MAX_SESSION_KEYS, MemorySessions, SessionError, SessionScope,
    SessionStore,
};
pub use state::Denial;

use crate::capability::{LimitPolicy, Policy};
use crate::error::LoadError;
use crate::manifest::{AbilitySpec, SkillKind};
use crate::outbound::Outbound;
use crate::package::{self, Package};
use cache::ArtifactCache;
use state::HostState;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime_wasi::p2::bindings::CommandPre;

pub(crate) mod bindings {
    //! Host-side bindings of the `skillhost:skill` WIT package.
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "skillhost:skill/skill",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

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

/// The runtime. Cheap to clone; all clones share one engine.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<HostState>,
    cache: Option<ArtifactCache>,
    config: RuntimeConfig,
    sessions: Arc<dyn SessionStore>,
    _ticker: engine::EpochTicker,
}

/// A skill compiled, linked and ready to instantiate.
pub struct LoadedSkill {
    /// The package it was loaded from.
    pub package: Package,
    /// Whether the machine code came from the on-disk cache.
    pub from_cache: bool,
    entry: Entry,
    validators: HashMap<String, jsonschema::Validator>,
}

enum Entry {
    Sdk(bindings::SkillPre<HostState>),
    Command(CommandPre<HostState>),
}

impl LoadedSkill {
    /// The skill's name.
    pub fn name(&self) -> &str {
        &self.package.manifest.name
    }
}

impl Runtime {
    /// Builds the engine, linker and cache, and starts the epoch ticker.
    pub fn new(
        config: RuntimeConfig,
        sessions: Arc<dyn SessionStore>,
    ) -> Result<Runtime, LoadError> {
        let engine = engine::build(PoolSize {
            instances: config.max_concurrent_calls,
            max_memory_bytes: config.limits.max.memory_bytes,
        })
        .map_err(|e| LoadError::Component(format!("engine configuration: {e}")))?;
        let mut linker = Linker::new(&engine);
        let link = |linker: &mut Linker<HostState>| -> wasmtime::Result<()> {
            wasmtime_wasi::p2::add_to_linker_async(linker)?;
            wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
            bindings::skillhost::skill::host::add_to_linker::<HostState, HasSelf<HostState>>(
                linker,
                |s| s,
            )?;
            Ok(())
        };
        link(&mut linker)
            .map_err(|e| LoadError::Component(format!("linking host interfaces: {e}")))?;
        let cache = match &config.cache_dir {
            Some(dir) => Some(
                ArtifactCache::open(dir, &engine)
                    .map_err(|e| LoadError::Component(format!("opening the compile cache: {e}")))?,
            ),
            None => None,
        };
        let ticker = engine::EpochTicker::start(engine.clone());
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache,
                config,
                sessions,
                _ticker: ticker,
            }),
        })
    }

    /// The outbound guard (shared with every other outbound request of the
    /// service).
    pub fn outbound(&self) -> &Outbound {
        &self.inner.config.outbound
    }

    /// The operator's limit policy.
    pub fn limits(&self) -> &LimitPolicy {
        &self.inner.config.limits
    }

    /// Reads, checks, compiles (or loads from cache) and pre-links a
    /// packaged skill. CPU-heavy on a cache miss: call it off the async
    /// executor's threads.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<LoadedSkill>, LoadError> {
        let package = package::read(bytes)?;
        let (component, from_cache) = self.compile(&package.digest, bytes)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let entry = match package.kind {
            SkillKind::Sdk => Entry::Sdk(
                bindings::SkillPre::new(pre).map_err(|e| LoadError::Component(format!("{e:#}")))?,
            ),
            SkillKind::Command => Entry::Command(
                CommandPre::new(pre).map_err(|e| LoadError::Component(format!("{e:#}")))?,
            ),
        };
        let mut validators = HashMap::new();
        for ability in &package.manifest.abilities {
            let validator = jsonschema::validator_for(&ability.input_schema).map_err(|e| {
                LoadError::Schema {
                    ability: ability.name.clone(),
                    message: e.to_string(),
                }
            })?;
            validators.insert(ability.name.clone(), validator);
        }
        tracing::info!(skill = %package.manifest.name, version = %package.manifest.version, digest = %package.digest, from_cache, "skill loaded");
        Ok(Arc::new(LoadedSkill {
            package,
            from_cache,
            entry,
            validators,
        }))
    }

    fn compile(&self, digest: &str, bytes: &[u8]) -> Result<(Component, bool), LoadError> {
        let result = match &self.inner.cache {
            Some(cache) => cache.load_or_compile(&self.inner.engine, digest, bytes),
            None => Component::new(&self.inner.engine, bytes).map(|c| (c, false)),
        };
        result.map_err(|e| LoadError::Component(format!("{e:#}")))
    }

    /// Asks a bare SDK component for its abilities, in a sandbox granted
    /// nothing. Used when packaging: the result is embedded so that
    /// installing never has to run the skill.
    pub async fn describe(&self, component_bytes: &[u8]) -> Result<Vec<AbilitySpec>, LoadError> {
        let component = Component::new(&self.inner.engine, component_bytes)
            .map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let pre =
            bindings::SkillPre::new(pre).map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let policy = Arc::new(invoke::empty_policy(&self.inner.config.limits));
        let id = invoke::unique_id();
        let mut store = invoke::new_store(
            self,
            policy,
            None,
            "describe",
            &id,
            wasmtime_wasi::WasiCtxBuilder::new().build(),
        );
        let abilities = async {
            let skill = pre.instantiate_async(&mut store).await?;
            skill
                .skillhost_skill_abilities()
                .call_describe(&mut store)
                .await
        }
        .await
        .map_err(|e| LoadError::Component(format!("describing abilities: {e:#}")))?;
        abilities
            .into_iter()
            .map(|a| {
                let schema =
                    serde_json::from_str(&a.input_schema).map_err(|e| LoadError::Schema {
                        ability: a.name.clone(),
                        message: format!("not JSON: {e}"),
                    })?;
                Ok(AbilitySpec {
                    name: a.name,
                    description: a.description,
                    input_schema: schema,
                })
            })
            .collect()
    }

    /// Runs one call. See [`invoke::Call`].
    pub async fn invoke(
        &self,
        skill: &LoadedSkill,
        policy: Arc<Policy>,
        call: Call<'_>,
    ) -> Invocation {
        invoke::run(self, skill, policy, call).await
    }
}
