//! Compiled components on disk, keyed by the component's digest and the
//! engine's compatibility hash, so a restart loads machine code instead of
//! compiling again.
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of compiled artifacts for one engine configuration.
pub struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    /// Uses `root/<engine-hash>/`, created if missing.
    pub fn open(root: &Path, engine: &Engine) -> std::io::Result<Self> {
        // SipHash with fixed keys: stable for one build of skillhost, which is
        // all the compatibility hash promises anyway.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        let dir = root.join(format!("{:016x}", hasher.finish()));
        std::fs::create_dir_all(&dir)?;
        Ok(ArtifactCache { dir })
    }

    fn path(&self, digest: &str) -> PathBuf {
        self.dir.join(format!("{digest}.cwasm"))
    }

    /// Loads the compiled artifact for `digest`, or compiles `bytes` and
    /// stores it. Returns the component and whether it came from the cache.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let path = self.path(digest);
        if path.exists() {
            // SAFETY: the file was written by this process's code from a
            // component we compiled ourselves, in a directory keyed by the
            // engine's compatibility hash; wasmtime still checks its header.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, true)),
                Err(error) => {
                    tracing::warn!(%digest, %error, "discarding unusable compiled artifact");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        let serialized = component.serialize()?;
        // One temporary file per writer, not per process: two runtimes of
        // one process compiling the same digest must not share it, or one
        // could rename the other's half-written file into place.
        static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{writer}", std::process::id()));
        // A failed write only costs a recompile next time; never fail the load.
        if let Err(error) =
            std::fs::write(&tmp, &serialized).and_then(|()| std::fs::rename(&tmp, &path))
        {
            tracing::warn!(%digest, %error, "could not store compiled artifact");
            let _ = std::fs::remove_file(&tmp);
        }
        Ok((component, false))
    }
}
