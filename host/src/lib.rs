//! skillhost runs AI-agent skills inside WebAssembly sandboxes.
//!
//! Layout:
//! - [`manifest`]: `skill.toml`, parsed and validated.
//! - [`ability`]: instruction abilities (seed 002's templates).
//! - [`capability`]: declared capabilities, grants, and the per-call policy.
//! - [`package`]: the manifest section inside a component; import checks.
//! - [`docs`]: a skill folder's SKILL.md, references and scripts, packaged.
//! - [`pack`]: bare component + `skill.toml` → packaged skill.
//! - [`outbound`]: the one guard every outbound HTTP request goes through.
//! - [`runtime`]: wasmtime engine, compile cache, and one sandboxed call.
//! - [`error`]: the runtime boundary's error types.
//! - [`store`]: durable state (sqlx; SQLite by default).
//! - [`sources`]: seed 004's SKILL.md bundles, OpenAPI documents, registries.
//! - [`server`]: the HTTP service (axum), one module per surface.
//! - [`telemetry`]: the metrics recorder and cached metric handles.
//! - [`vault`]: tenant secrets encrypted at rest.
//! - [`cli`]: the `skillhost` command line.
pub mod ability;
pub mod capability;
pub mod cli;
pub mod docs;
pub mod error;
pub mod invocation;
pub mod jwt;
pub mod manifest;
pub mod outbound;
pub mod pack;
pub mod package;
pub mod runtime;
pub mod server;
pub mod services;
pub mod source;
pub mod sources;
pub mod store;
pub mod telemetry;
pub mod vault;

pub use error::{InvokeError, LoadError};
