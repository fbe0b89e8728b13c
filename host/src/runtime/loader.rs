//! Loaded skills by digest: compiled (or read from the on-disk cache) once
//! per node, then shared by every call. At most [`MAX_LOADED`] stay loaded;
//! the least recently used one is dropped first, and loads again from the
//! compile cache (about a millisecond) when it is next called. Compiling
//! takes at most half the cores at a time, so installs under load leave
//! the calls the rest. A skill's
//! packaged documents (for `skill_query`) are read from its stored bytes
//! without compiling, and kept by digest the same way. Reading stored
//! bytes is the caller's ([`crate::services::Services::component`]).
use super::sandbox::Runtime;
use super::skill::LoadedSkill;
use crate::docs::SkillDocs;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Loaded skills kept in memory at most.
pub const MAX_LOADED: usize = 512;

/// The node's loaded skills.
#[derive(Clone)]
pub struct Loader {
    runtime: Runtime,
    /// Loads (compiles, mostly) that may run at once: half the cores, so
    /// installs under load never take every core from the calls.
    loading: Arc<tokio::sync::Semaphore>,
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
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Loader {
            runtime,
            loading: Arc::new(tokio::sync::Semaphore::new((cores / 2).max(1))),
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
        let permit = self
            .loading
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let skill = tokio::task::spawn_blocking(move || runtime.load(&bytes))
            .await
            .expect("load task")?;
        drop(permit);
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

    /// The loaded skill with `digest`, when it is in memory (marked as
    /// just used).
    pub fn loaded(&self, digest: &str) -> Option<Arc<LoadedSkill>> {
        let loaded = self.loaded.lock().expect("loader lock");
        let entry = loaded.get(digest)?;
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        entry.last_used.store(now, Ordering::Relaxed);
        Some(entry.skill.clone())
    }

    /// The documents of the component with `digest` when this node knows
    /// them (the skill is loaded, or its documents were read before):
    /// `Some(None)` when it carries none. A digest's bytes never change.
    pub fn known_docs(&self, digest: &str) -> Option<Option<Arc<SkillDocs>>> {
        if let Some(entry) = self.loaded.lock().expect("loader lock").get(digest) {
            return Some(entry.skill.package.docs.clone());
        }
        self.docs.lock().expect("docs lock").get(digest).cloned()
    }

    /// Keeps the documents read from a component's stored bytes.
    pub fn keep_docs(&self, digest: &str, docs: Option<Arc<SkillDocs>>) {
        let mut cached = self.docs.lock().expect("docs lock");
        // As many entries as loaded skills; past that the map starts over,
        // which costs each skill one more read of its stored bytes.
        if cached.len() >= self.capacity {
            cached.clear();
        }
        cached.insert(digest.to_owned(), docs);
    }
}
