//! skillhost runs AI-agent skills inside WebAssembly sandboxes.
//!
//! Layout (a module uses only those below it):
//! - [`cli`]: the `skillhost` command line.
//! - [`server`]: HTTP handlers only, a folder per surface; each translates
//!   its protocol onto [`invocation`].
//! - [`invocation`]: the one call — resolve and authorise, policy,
//!   credentials, execute, redact, audit, count — and the status table.
//! - [`ability`]: one executor per kind of ability (component, instruction,
//!   OpenAPI operation, remote MCP tool), the category of a failure, the
//!   input-schema cache.
//! - [`services`]: the state every surface shares, and the reads that
//!   combine its parts (a secret's value, a component by digest).
//! - [`sources`]: seed 004's SKILL.md bundles, OpenAPI documents, registries,
//!   made into skills; the one http(s) fetch every source and URL install
//!   takes through the outbound guard.
//! - [`store`]: durable state (sqlx; SQLite by default, or PostgreSQL).
//! - [`runtime`]: wasmtime engine, compile cache, the loader, one sandboxed
//!   call.
//! - [`outbound`]: the one guard every outbound request goes through, and
//!   the remote MCP client on it.
//! - [`capability`]: declared capabilities, grants, the per-call policy,
//!   redaction.
//! - [`manifest`], [`package`], [`pack`], [`docs`]: the skill artifact.
//! - [`vault`]: tenant secrets encrypted at rest; [`jwt`]: operator-signed
//!   tokens; [`telemetry`]: metrics; [`error`]: the runtime's error types;
//!   [`untrusted`]: the limits every parser of untrusted input shares.
pub mod ability;
pub mod capability;
pub mod cli;
pub mod docs;
pub mod error;
pub mod invocation;
pub mod jwt;
pub mod manifest;
pub mod oauth;
pub mod outbound;
pub mod pack;
pub mod package;
pub mod runtime;
pub mod server;
pub mod services;
pub mod sources;
pub mod store;
pub mod telemetry;
pub mod untrusted;
pub mod vault;

pub use error::{InvokeError, LoadError};

/// The process's allocator: why, in the `mimalloc` feature's entry in
/// host/Cargo.toml.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
