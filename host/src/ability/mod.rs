//! One executor per kind of ability, each given the opened credentials and
//! the policy by the invocation (`crate::invocation`), none knowing HTTP
//! handlers or the service state: a component's export in the sandbox
//! ([`component`]), an instruction template ([`instruction`]), an OpenAPI
//! operation ([`openapi`]), a remote MCP tool ([`mcp_tool`]), a code
//! skill's source in its language's interpreter ([`code`]). Each gives an
//! [`outcome::Executed`]; input schemas are compiled once ([`schemas`]).
pub mod code;
pub mod component;
pub mod instruction;
pub mod mcp_tool;
pub mod openapi;
pub mod outcome;
pub mod schemas;
