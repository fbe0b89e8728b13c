//! OpenAPI 3.0 and 3.1 documents as operations an agent can call.
//!
//! [`parse`] reads a document once, at install or sync, into an [`ApiSpec`]:
//! one [`Operation`] per path and method, each with a standalone input
//! schema (parameters and body as properties, every `$ref` inlined) and
//! what [`build_request`] needs to turn an agent's input and the attached
//! credential into the HTTP request. The host stores the `ApiSpec` as JSON
//! and calls from that form.

mod document;
mod error;
mod operation;
mod prepare;
mod request;
mod schema;
mod security;
mod spec;
#[cfg(test)]
mod tests;

pub use document::parse;
pub use error::SpecError;
pub use request::{Prepared, RequestError, build_request};
pub use spec::{ApiSpec, BODY_PROPERTY, Body, Location, Operation, Parameter, Scheme};
