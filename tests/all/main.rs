//! Every end-to-end test in one binary (wasmtime's `tests/all` layout):
//! one link of wasmtime, sqlx, axum and rmcp instead of one per suite, and
//! one process whose fixture packs and compiles each guest once.
//!
//! A module per suite; run one with a name filter, e.g.
//! `cargo test -p skillhost-tests --test all -- sandbox::`.
//!
//! The service suites (they start test servers, so they run on SQLite and
//! again on PostgreSQL; `.ci/test` lists them by name):
mod catalog;
mod console;
mod contract;
mod mcp;
mod mcp_tasks;
mod oauth;
mod secrets;
mod server;
mod skill_docs;
mod skillserver;
mod sources;
mod surfaces;
mod trust;
// (A new service suite goes here as `mod NAME;`, and into SERVICE_SUITES in
// `.ci/test`.)

// The suites that open no database, or choose their backends themselves:
mod audit_wal;
mod install;
mod outbound;
mod sandbox;
mod schema;
