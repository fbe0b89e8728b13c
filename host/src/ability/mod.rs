//! Abilities that are not a component's export: instruction templates the
//! host runs (and, later, OpenAPI operations and remote MCP tools).
pub mod instruction;
