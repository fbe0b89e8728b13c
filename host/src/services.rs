//! What every surface and the invocation path share: the database, the
//! node's loaded skills, the vault and the operator's switches, behind one
//! `Arc`. The few reads that combine them (a secret's plain value, a
//! component loaded by digest, its packaged documents) live here, so no
//! surface reaches into another for them.
use crate::docs::SkillDocs;
use crate::runtime::{LoadedSkill, Loader};
use crate::store::{SecretRow, Store, StoreError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Shared state of the service. One `Arc`: axum clones the state for
/// every request (the router's handler service, each `State` extractor),
/// and a clone per field was a dozen contended atomic counts per clone.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The state over `services`.
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the handlers share.
pub struct Services {
    /// The database.
    pub store: Store,
    /// The sandbox runtime and this node's loaded skills.
    pub loader: Loader,
    /// Verifies HS256 JWTs, when a signing secret is configured.
    pub jwt: Option<crate::jwt::JwtVerifier>,
    /// Verifies OAuth access tokens, when the operator names issuers.
    pub oauth: Option<crate::oauth::OAuth>,
    /// Seals and opens tenant secrets.
    pub vault: crate::vault::Vault,
    /// Operator switches.
    pub options: Arc<ServiceOptions>,
    /// The language interpreters code skills run in.
    pub interpreters: crate::ability::code::Interpreters,
    /// The MCP tasks this node runs.
    pub tasks: TasksHere,
}

/// When an agent's tool call becomes an MCP task, how long a task is kept,
/// and how long a replica may go silent before the others fail its tasks.
#[derive(Debug, Clone, Copy)]
pub struct McpTaskSettings {
    /// A tool whose time limit is over this is long: a client that
    /// declared MCP's tasks extension gets a task for its call (a remote
    /// MCP server's tool always is).
    pub after: Duration,
    /// How long a task (and its result) is kept from its creation.
    pub ttl: Duration,
    /// How long the replica running a task vouches for it between
    /// renewals; past it, any replica fails the task.
    pub lease: Duration,
}

impl Default for McpTaskSettings {
    fn default() -> Self {
        McpTaskSettings {
            after: Duration::from_secs(10),
            ttl: Duration::from_secs(3600),
            lease: Duration::from_secs(30),
        }
    }
}

/// The MCP tasks running on this node (their rows are in the store): the
/// node's name in the fleet, and how to stop each one at once.
pub struct TasksHere {
    /// This process's name among the replicas, new at every start.
    pub node: String,
    running: Mutex<HashMap<String, CancellationToken>>,
}

impl Default for TasksHere {
    fn default() -> Self {
        TasksHere {
            node: uuid::Uuid::new_v4().to_string(),
            running: Mutex::default(),
        }
    }
}

impl TasksHere {
    /// Registers task `id` as running here: its stop signal.
    pub fn started(&self, id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        self.lock().insert(id.to_owned(), token.clone());
        token
    }

    /// Stops task `id` if it runs here.
    pub fn stop(&self, id: &str) {
        if let Some(token) = self.lock().get(id) {
            token.cancel();
        }
    }

    /// Task `id` has ended.
    pub fn ended(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Operator switches of the service; all off by default.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// Server-side directory that operators may install skills from by
    /// path (`{"path": ...}`); `None` disables path installs.
    pub install_root: Option<PathBuf>,
    /// Let URL installs and syncs fetch from loopback and private addresses.
    pub allow_private_sources: bool,
    /// Keep each invocation's input in its audit record.
    pub record_inputs: bool,
    /// Bearer token `GET /metrics` requires; `None` leaves it open (the
    /// listener is loopback by default).
    pub metrics_token: Option<String>,
    /// `Host` names MCP requests may carry (DNS-rebinding guard); empty is
    /// loopback only, `*` any.
    pub mcp_allowed_hosts: Vec<String>,
    /// `Origin`s allowed to call MCP endpoints (browser clients); a request
    /// with any other `Origin` is refused.
    pub mcp_allowed_origins: Vec<String>,
    /// Where GitHub repositories of SKILL.md skills are fetched from.
    pub github: crate::sources::github::GithubConfig,
    /// MCP registries `GET /api/skills/browse` searches.
    pub mcp_registries: Vec<url::Url>,
    /// Repositories of SKILL.md folders `GET /api/skills/browse` lists.
    pub skill_repos: Vec<String>,
    /// MCP tasks: when a call becomes one, and how long it lives.
    pub mcp_tasks: McpTaskSettings,
    /// The URL clients reach this server at (`https://skills.example.com`):
    /// OAuth audiences are checked against it, and the protected-resource
    /// documents name it. Unset, the request's `Host` is used, which is
    /// fine for documents but never trusted for an audience.
    pub public_url: Option<url::Url>,
    /// OAuth authorization servers whose access tokens are accepted.
    pub oauth: crate::oauth::OAuthConfig,
}

/// A failure of ours (storage, a sealed value that does not open, stored
/// bytes that no longer load): the detail is logged where it happened and
/// never shown to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("internal error")]
pub struct Internal;

impl From<StoreError> for Internal {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "storage failure");
        Internal
    }
}

/// A tenant secret opened for the host's own use at a call: the row and
/// its plain value.
pub struct OpenedSecret {
    /// The stored secret (name, kind).
    pub row: SecretRow,
    /// Its plain value.
    pub value: String,
}

impl OpenedSecret {
    /// The value as its kind sends it (a bearer token with its scheme).
    pub fn rendered(&self) -> String {
        self.row.kind.render(&self.value)
    }
}

impl Services {
    /// A tenant secret's plain value, `None` when it does not exist in the
    /// tenant. A value that does not open is logged (never shown).
    pub async fn open_secret(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<OpenedSecret>, Internal> {
        let Some(row) = self.store.secret(tenant_id, id).await? else {
            return Ok(None);
        };
        let value = self.open_value(&row)?;
        Ok(Some(OpenedSecret { row, value }))
    }

    /// A stored secret's plain value; a value that does not open is logged
    /// (never shown).
    pub fn open_value(&self, row: &SecretRow) -> Result<String, Internal> {
        self.vault
            .open_sealed(&row.tenant_id, &row.id, &row.sealed)
            .map_err(|e| {
                tracing::error!(error = %e, secret_id = %row.id, "secret does not open");
                Internal
            })
    }

    /// The loaded component of a tenant's skill by digest: in memory, or
    /// read from the store and loaded (from the compile cache when it can).
    pub async fn component(
        &self,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Arc<LoadedSkill>, Internal> {
        if let Some(skill) = self.loader.loaded(digest) {
            return Ok(skill);
        }
        let bytes = self.stored_component(tenant_id, digest).await?;
        self.loader.load_bytes(bytes).await.map_err(|e| {
            tracing::error!(%digest, error = %e, "stored component no longer loads");
            Internal
        })
    }

    /// The documents packaged with a tenant's component (SKILL.md,
    /// references, script names), `None` when it carries none; read from
    /// the stored bytes without compiling when the skill is not loaded.
    pub async fn component_docs(
        &self,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Option<Arc<SkillDocs>>, Internal> {
        if let Some(docs) = self.loader.known_docs(digest) {
            return Ok(docs);
        }
        let bytes = self.stored_component(tenant_id, digest).await?;
        let docs = tokio::task::spawn_blocking(move || crate::package::read_docs(&bytes))
            .await
            .expect("docs task")
            .map_err(|e| {
                tracing::error!(%digest, error = %e, "stored component's documents no longer read");
                Internal
            })?
            .map(Arc::new);
        self.loader.keep_docs(digest, docs.clone());
        Ok(docs)
    }

    async fn stored_component(&self, tenant_id: &str, digest: &str) -> Result<Vec<u8>, Internal> {
        self.store
            .component(tenant_id, digest)
            .await?
            .ok_or_else(|| {
                tracing::error!(%digest, "component bytes missing for an installed skill");
                Internal
            })
    }
}
