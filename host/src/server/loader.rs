//! Loaded skills by digest: compiled (or read from the on-disk cache) once
//! per node, then shared by every call.
use super::error::ApiError;
use crate::runtime::{LoadedSkill, Runtime};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The node's loaded skills.
#[derive(Clone)]
pub struct Loader {
    runtime: Runtime,
    loaded: Arc<Mutex<HashMap<String, Arc<LoadedSkill>>>>,
}

impl Loader {
    /// Wraps a runtime.
    pub fn new(runtime: Runtime) -> Self {
        Loader {
            runtime,
            loaded: Arc::default(),
        }
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
        self.loaded
            .lock()
            .expect("loader lock")
            .insert(skill.package.digest.clone(), skill.clone());
        Ok(skill)
    }

    /// The loaded skill for a tenant's component digest.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Arc<LoadedSkill>, ApiError> {
        if let Some(skill) = self.loaded.lock().expect("loader lock").get(digest) {
            return Ok(skill.clone());
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
}
