//! The sandbox runtime: one engine, compiled and pre-linked skills, and a
//! fresh store per call with exactly the call's policy. Nothing here knows
//! about HTTP; callers pass a [`Policy`](crate::capability::Policy) and get an [`Invocation`] back.
pub(crate) mod bindings;
mod cache;
mod config;
mod describe;
mod engine;
mod host_api;
mod http_hooks;
mod invoke;
mod loader;
mod sandbox;
mod session;
mod skill;
mod state;

pub use config::RuntimeConfig;
pub use engine::{EPOCH_TICK, PoolSize};
pub use invoke::{Call, Invocation, Output, OutputKind, Receipt};
pub(crate) use invoke::{schema_problems, stderr_summary, tail, unique_id};
pub use loader::{Loader, MAX_LOADED};
pub use sandbox::Runtime;
pub use session::{
    FileSessions, MAX_KEYS as MAX_SESSION_KEYS, MemorySessions, SessionError, SessionScope,
    SessionStore,
};
pub use skill::LoadedSkill;
pub use state::Denial;
