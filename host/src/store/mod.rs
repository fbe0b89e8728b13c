//! Durable state through sqlx, on one of two backends behind the same
//! functions: the embedded default, SQLite (WAL) in the data directory, or
//! PostgreSQL (`--database-url postgres://…`) for several replicas.
//! Queries use `$N` placeholders and portable types (TEXT ids and times,
//! BIGINT/INTEGER numbers and booleans, bytes); only the migrations differ
//! where the types must (`migrations/sqlite`, `migrations/postgres`).
mod agent_skillsets;
mod approvals;
mod audit;
mod audit_writer;
mod backend;
mod cache;
mod cached_rows;
mod database;
mod error;
mod integrations;
mod invalidation;
mod mcp_servers;
mod mcp_tasks;
mod page;
mod principals;
mod secrets;
mod sessions;
mod skills;
mod skillsets;
mod statuses;
mod tasks;
mod values;

pub use approvals::ApprovalRecord;
pub use audit::AuditQuery;
pub use audit_writer::InvocationRow;
pub use backend::{Backend, StoreConfig};
pub use cached_rows::{
    AbilityDeclaration, AbilityRow, Agent, AssignmentRow, IntegrationRow, PendingSource,
    SecretKind, SecretRow, SkillRow, SkillsetRow, TokenRecord,
};
pub use database::Store;
pub use error::StoreError;
pub use integrations::NewIntegration;
pub use mcp_servers::McpServerRow;
pub use mcp_tasks::{McpTaskRow, TaskOwner};
pub use page::{Order, Page};
pub use principals::Tenant;
pub use secrets::{NewSecret, reference_name};
pub use skills::{SkillFilter, new_skill};
pub use statuses::{AbilityStatus, SkillStatus, StoredKind};
pub use tasks::TaskRow;
pub use values::{new_id, normalize_time, now, stamp};
