//! Session state: bytes by key, scoped to one session of one namespace
//! (the runtime's caller chooses the namespace, e.g. the skill name).
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

/// Longest key a guest may use.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value: session state is for small working data, not files.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Most keys in one session, so one session cannot exhaust the store.
pub const MAX_KEYS: usize = 1024;

/// Which state a call reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionScope {
    /// Whose state: isolates tenants, skills and (in the service) callers
    /// from each other.
    pub namespace: String,
    /// The caller's session id.
    pub id: String,
}

/// A session store failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The session already holds the most keys allowed.
    #[error("the session already holds {MAX_KEYS} keys; delete some first")]
    TooManyKeys,
    /// The backing store failed; the detail is logged by the store.
    #[error("session storage failed")]
    Storage,
}

/// Where session state lives. The CLI keeps it in files, the service in its
/// database, tests in memory.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Reads a key.
    async fn get(&self, scope: &SessionScope, key: &str) -> Result<Option<Vec<u8>>, SessionError>;
    /// Writes a key.
    async fn set(
        &self,
        scope: &SessionScope,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), SessionError>;
    /// Removes a key.
    async fn delete(&self, scope: &SessionScope, key: &str) -> Result<(), SessionError>;
}

/// Session state in memory, lost at exit.
#[derive(Default)]
pub struct MemorySessions {
    data: Mutex<HashMap<SessionScope, BTreeMap<String, Vec<u8>>>>,
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn get(&self, scope: &SessionScope, key: &str) -> Result<Option<Vec<u8>>, SessionError> {
        let data = self.data.lock().expect("session lock");
        Ok(data.get(scope).and_then(|s| s.get(key).cloned()))
    }

    async fn set(
        &self,
        scope: &SessionScope,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), SessionError> {
        let mut data = self.data.lock().expect("session lock");
        let session = data.entry(scope.clone()).or_default();
        if session.len() >= MAX_KEYS && !session.contains_key(key) {
            return Err(SessionError::TooManyKeys);
        }
        session.insert(key.to_owned(), value);
        Ok(())
    }

    async fn delete(&self, scope: &SessionScope, key: &str) -> Result<(), SessionError> {
        let mut data = self.data.lock().expect("session lock");
        if let Some(session) = data.get_mut(scope) {
            session.remove(key);
        }
        Ok(())
    }
}

/// Session state in a directory, one JSON file per session, so that
/// `skillhost run --session` keeps state between runs.
pub struct FileSessions {
    dir: PathBuf,
    lock: Mutex<()>,
}

impl FileSessions {
    /// Keeps files under `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileSessions {
            dir: dir.into(),
            lock: Mutex::new(()),
        }
    }

    fn path(&self, scope: &SessionScope) -> PathBuf {
        // Hashing keeps arbitrary session ids out of file names.
        let name = crate::package::digest(format!("{}\0{}", scope.namespace, scope.id).as_bytes());
        self.dir.join(format!("{name}.json"))
    }

    fn load(&self, scope: &SessionScope) -> Result<BTreeMap<String, String>, SessionError> {
        match std::fs::read(self.path(scope)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                tracing::error!(error = %e, "session file is corrupt");
                SessionError::Storage
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => {
                tracing::error!(error = %e, "reading session file");
                Err(SessionError::Storage)
            }
        }
    }

    fn save(
        &self,
        scope: &SessionScope,
        data: &BTreeMap<String, String>,
    ) -> Result<(), SessionError> {
        let path = self.path(scope);
        let tmp = path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            std::fs::write(&tmp, serde_json::to_vec(data)?)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            tracing::error!(error = %e, "writing session file");
            SessionError::Storage
        })
    }
}

#[async_trait]
impl SessionStore for FileSessions {
    async fn get(&self, scope: &SessionScope, key: &str) -> Result<Option<Vec<u8>>, SessionError> {
        let _guard = self.lock.lock().expect("session lock");
        Ok(self.load(scope)?.get(key).and_then(|v| hex::decode(v).ok()))
    }

    async fn set(
        &self,
        scope: &SessionScope,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), SessionError> {
        let _guard = self.lock.lock().expect("session lock");
        let mut data = self.load(scope)?;
        if data.len() >= MAX_KEYS && !data.contains_key(key) {
            return Err(SessionError::TooManyKeys);
        }
        data.insert(key.to_owned(), hex::encode(value));
        self.save(scope, &data)
    }

    async fn delete(&self, scope: &SessionScope, key: &str) -> Result<(), SessionError> {
        let _guard = self.lock.lock().expect("session lock");
        let mut data = self.load(scope)?;
        if data.remove(key).is_some() {
            self.save(scope, &data)?;
        }
        Ok(())
    }
}
