//! Test directories under the temporary directory, removed when the test
//! is done with them, passed or not. A full run makes over a gigabyte of
//! them (built Python and JavaScript components, compiled caches,
//! databases); left behind, they filled the disk of a machine that runs the
//! tests again and again.
//!
//! Shared by the `skillhost-tests` crate and, by path, by the host's own
//! integration tests, which cannot depend on that crate.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory [`work_dir`] made, removed on drop.
#[derive(Debug)]
pub struct WorkDir(PathBuf);

/// A fresh, empty directory for one test (or one test server), unique in
/// this process and across processes: `<tmp>/skillhost-<name>-<pid>-<n>`.
/// A test binary's tests share one process, so names alone would collide.
pub fn work_dir(name: &str) -> WorkDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("skillhost-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a test directory");
    WorkDir(dir)
}

impl WorkDir {
    pub fn as_path(&self) -> &Path {
        &self.0
    }

    /// The path, for an owner that removes the directory itself (a test
    /// server, once it has stopped using it).
    pub fn into_path(self) -> PathBuf {
        let this = std::mem::ManuallyDrop::new(self);
        this.0.clone()
    }
}

impl std::ops::Deref for WorkDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for WorkDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for WorkDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
