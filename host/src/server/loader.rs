//! Loaded skills by digest: compiled (or read from the on-disk cache) once
//! per node, then shared by every call. At most [`MAX_LOADED`] stay loaded;
//! the least recently used one is dropped first, and loads again from the
//! compile cache (about a millisecond) when it is next called. A skill's
//! packaged documents (for `skill_query`) are read from its stored bytes
//! without compiling, and kept by digest the same way.
use super::error::ApiError;
use crate::docs::SkillDocs;
use crate::runtime::{LoadedSkill, Runtime};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Loaded skills kept in memory at most.
pub const MAX_LOADED: usize = 512;

/// The node's loaded skills.
#[derive(Clone)]
pub struct Loader {
    runtime: Runtime,
    capacity: usize,
    loaded: Arc<Mutex<HashMap<String, Entry>>>,
    clock: Arc<AtomicU64>,
    /// Documents of skills not loaded, by digest (`None`: it has none).
    docs: Arc<Mutex<HashMap<String, Option<Arc<SkillDocs>>>>>,
}

struct Entry {
    skill: Arc<LoadedSkill>,
    last_used: AtomicU64,
}

impl Loader {
    /// The runtime's outbound guard, which every outbound request of the
    /// service shares.
    pub fn outbound(&self) -> &crate::outbound::Outbound {
        self.runtime.outbound()
    }

    /// Wraps a runtime, keeping up to [`MAX_LOADED`] skills loaded.
    pub fn new(runtime: Runtime) -> Self {
        Loader::with_capacity(runtime, MAX_LOADED)
    }

    /// Wraps a runtime, keeping up to `capacity` (at least 1) skills loaded.
    pub fn with_capacity(runtime: Runtime, capacity: usize) -> Self {
        Loader {
            runtime,
            capacity: capacity.max(1),
            loaded: Arc::default(),
            clock: Arc::default(),
            docs: Arc::default(),
        }
    }

    /// How many skills are loaded now.
    pub fn loaded_count(&self) -> usize {
        self.loaded.lock().expect("loader lock").len()
    }

    /// Whether the component with `digest` is loaded now.
    pub fn is_loaded(&self, digest: &str) -> bool {
        self.loaded
            .lock()
            .expect("loader lock")
            .contains_key(digest)
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Loads `bytes` off the async threads (compiling is CPU-bound).
    pub async fn load_bytes(&self, bytes: Vec<u8>) -> Result<Arc<LoadedSkill>, crate::LoadError> {
        let runtime = self.runtime.clone();
        let skill = tokio::task::spawn_blocking(move || runtime.load(&bytes))
            .await
            .expect("load task")?;
        let mut loaded = self.loaded.lock().expect("loader lock");
        if loaded.len() >= self.capacity
            && !loaded.contains_key(&skill.package.digest)
            && let Some(oldest) = loaded
                .iter()
                .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(digest, _)| digest.clone())
        {
            loaded.remove(&oldest);
        }
        let entry = Entry {
            skill: skill.clone(),
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
        };
        loaded.insert(skill.package.digest.clone(), entry);
        Ok(skill)
    }

    /// The loaded skill for a tenant's component digest.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Arc<LoadedSkill>, ApiError> {
        if let Some(entry) = self.loaded.lock().expect("loader lock").get(digest) {
            let now = self.clock.fetch_add(1, Ordering::Relaxed);
            entry.last_used.store(now, Ordering::Relaxed);
            return Ok(entry.skill.clone());
        }
        let bytes = store.component(tenant_id, digest).await?.ok_or_else(|| {
            tracing::error!(%digest, "component bytes missing for an installed skill");
            ApiError::Internal
        })?;
        self.load_bytes(bytes).await.map_err(|e| {
            tracing::error!(%digest, error = %e, "stored component no longer loads");
            ApiError::Internal
        })
    }

    /// The documents packaged with a tenant's component (SKILL.md,
    /// references, script names), `None` when it carries none. A loaded
    /// skill already holds them; otherwise they are read from the stored
    /// bytes' custom section (nothing is compiled) and kept by digest — a
    /// digest's bytes never change.
    pub async fn docs(
        &self,
        store: &Store,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Option<Arc<SkillDocs>>, ApiError> {
        if let Some(entry) = self.loaded.lock().expect("loader lock").get(digest) {
            return Ok(entry.skill.package.docs.clone());
        }
        if let Some(docs) = self.docs.lock().expect("docs lock").get(digest) {
            return Ok(docs.clone());
        }
        let bytes = store.component(tenant_id, digest).await?.ok_or_else(|| {
            tracing::error!(%digest, "component bytes missing for an installed skill");
            ApiError::Internal
        })?;
        let docs = tokio::task::spawn_blocking(move || crate::package::read_docs(&bytes))
            .await
            .expect("docs task")
            .map_err(|e| {
                tracing::error!(%digest, error = %e, "stored component's documents no longer read");
                ApiError::Internal
            })?
            .map(Arc::new);
        let mut cached = self.docs.lock().expect("docs lock");
        // As many entries as loaded skills; past that the map starts over,
        // which costs each skill one more read of its stored bytes.
        if cached.len() >= self.capacity {
            cached.clear();
        }
        cached.insert(digest.to_owned(), docs.clone());
        Ok(docs)
    }
}
