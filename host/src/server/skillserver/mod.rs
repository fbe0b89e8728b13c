//! Seed 000's skill server runtime: the URL where an agent reads the
//! manual and invokes abilities. Its integrations are managed in
//! [`super::integrations`].
mod manual;
mod runtime;

pub use runtime::router;
