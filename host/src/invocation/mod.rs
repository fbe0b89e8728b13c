//! The one invocation path. Every surface (REST invoke, an agent's MCP
//! endpoint, an MCP server integration, a skill server, seed 003's MCP
//! invoke) translates its protocol into a [`Request`] — caller, target,
//! input, session, surface — and [`invoke`] takes it through the same
//! steps: resolve and authorise the target for the caller, compute the
//! effective policy, open the credentials, execute with the kind's
//! executor (`crate::ability`), redact, audit, count. The [`Outcome`]
//! carries one [`Category`] on failure, and [`Answer`] is the one table
//! from category to HTTP status.
mod audit;
mod credentials;
mod execute;
mod outcome;
mod policy;
mod remote;
mod request;
mod run;
mod skill;
mod skillset;
mod status;

pub use crate::ability::outcome::{Category, Failure};
pub use credentials::mcp_credential;
pub use outcome::Outcome;
pub use policy::{approved as approved_policy, for_assignment as effective_policy};
pub use remote::{Listing, list_tools as list_remote_tools};
pub use request::{Caller, Request, Surface, Target};
pub use run::invoke;
pub use skillset::parsed as parsed_instruction;
pub use status::Answer;
