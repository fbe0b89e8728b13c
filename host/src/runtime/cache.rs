//! Compiled components on disk, keyed by the component's digest and the
//! engine's compatibility hash, so a restart loads machine code instead of
//! compiling again. Loading one is wasmtime's unsafe deserialisation, so
//! each file ends with an HMAC over the digest and the artifact under a
//! key only this server holds: a file planted in the directory is
//! recompiled over, never loaded.
use ring::hmac;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of compiled artifacts for one engine configuration.
pub struct ArtifactCache {
    dir: PathBuf,
    key: hmac::Key,
}

/// Length of the tag after each artifact.
const TAG_LEN: usize = 32;

impl ArtifactCache {
    /// Uses `root/<engine-hash>/`, created if missing, with `key`.
    pub fn open(root: &Path, engine: &Engine, key: &[u8; 32]) -> std::io::Result<Self> {
        // SipHash with fixed keys: stable for one build of skillhost, which is
        // all the compatibility hash promises anyway.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        let dir = root.join(format!("{:016x}", hasher.finish()));
        std::fs::create_dir_all(&dir)?;
        Ok(ArtifactCache {
            dir,
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        })
    }

    fn tag(&self, digest: &str, artifact: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(digest.as_bytes());
        context.update(&[0]);
        context.update(artifact);
        context.sign()
    }

    /// The artifact in `file` when its tag is ours for `digest`.
    fn verified<'a>(&self, digest: &str, file: &'a [u8]) -> Option<&'a [u8]> {
        use subtle::ConstantTimeEq;
        let split = file.len().checked_sub(TAG_LEN)?;
        let (artifact, tag) = file.split_at(split);
        let expected = self.tag(digest, artifact);
        bool::from(expected.as_ref().ct_eq(tag)).then_some(artifact)
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
        if let Ok(file) = std::fs::read(&path) {
            match self.verified(digest, &file) {
                // SAFETY: the tag proves this process's code wrote these
                // bytes for this digest, from a component it compiled, in a
                // directory keyed by the engine's compatibility hash; they
                // are loaded from memory, as verified, not re-read from
                // disk; wasmtime still checks the header.
                Some(artifact) => match unsafe { Component::deserialize(engine, artifact) } {
                    Ok(component) => return Ok((component, true)),
                    Err(error) => {
                        tracing::warn!(%digest, %error, "discarding unusable compiled artifact");
                        let _ = std::fs::remove_file(&path);
                    }
                },
                None => {
                    tracing::warn!(%digest, "compiled artifact not written by this server: compiling again");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        let mut serialized = component.serialize()?;
        let tag = self.tag(digest, &serialized);
        serialized.extend_from_slice(tag.as_ref());
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
