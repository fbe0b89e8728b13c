//! The [`Runtime`]: one engine, the linker of the host interfaces and the
//! compile cache; it loads packaged skills. Running a call is in
//! [`super::invoke`], asking a bare component for its abilities in
//! [`super::describe`].
use super::bindings;
use super::cache::ArtifactCache;
use super::config::RuntimeConfig;
use super::engine::{self, PoolSize};
use super::session::SessionStore;
use super::skill::{Entry, LoadedSkill};
use super::state::HostState;
use crate::capability::{LimitPolicy, Volumes};
use crate::error::LoadError;
use crate::manifest::SkillKind;
use crate::outbound::Outbound;
use crate::package;
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime_wasi::p2::bindings::CommandPre;

/// The runtime. Cheap to clone; all clones share one engine.
#[derive(Clone)]
pub struct Runtime {
    pub(super) inner: Arc<Inner>,
}

/// What every clone of a [`Runtime`] shares.
pub(super) struct Inner {
    pub(super) engine: Engine,
    pub(super) linker: Linker<HostState>,
    cache: Option<ArtifactCache>,
    pub(super) config: RuntimeConfig,
    pub(super) sessions: Arc<dyn SessionStore>,
    _ticker: engine::EpochTicker,
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
            Some(dir) => {
                let key = match config.cache_key {
                    Some(key) => key,
                    None => crate::vault::key_file(&dir.with_extension("key")).map_err(|e| {
                        LoadError::Component(format!("the compile cache's key: {e}"))
                    })?,
                };
                Some(
                    ArtifactCache::open(dir, &engine, &key).map_err(|e| {
                        LoadError::Component(format!("opening the compile cache: {e}"))
                    })?,
                )
            }
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

    /// The operator's volumes, which grants mount.
    pub fn volumes(&self) -> &Volumes {
        &self.inner.config.volumes
    }

    /// Reads, checks, compiles (or loads from cache) and pre-links a
    /// packaged skill. CPU-heavy on a cache miss: call it off the async
    /// executor's threads.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<LoadedSkill>, LoadError> {
        let package = package::read(bytes)?;
        let (component, from_cache) = self.compile(&package.digest, bytes)?;
        engine::prepare_memory_images(&component)?;
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
}
