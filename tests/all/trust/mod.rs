//! Trust boundaries (run on both backends): who may grant what, and what
//! each caller reaches.
//! - `grants`: host resources are the operator's, new code behind a
//!   sensitive grant waits for an admin, and every approval is recorded.
//! - `principals`: session state belongs to its caller, and a token bound
//!   to an agent acts as no other.
mod grants;
mod principals;
