//! Capabilities: what a skill declares, what the operator grants, and the
//! policy enforced on a call, which is their intersection.
//!
//! Everything is parsed into types when a skill or grant is loaded and
//! checked once here; the runtime only translates a [`Policy`] into sandbox
//! settings.
mod declared;
mod grant;
mod limits;
mod network;
mod policy;
mod redact;
mod review;
#[cfg(test)]
mod tests;
mod volume;

pub use declared::{Capabilities, GuestPath};
pub use grant::{Grant, GrantError, InjectBinding, Narrowing, SecretBinding, injectable_header};
pub use limits::{LimitPolicy, LimitRequest, Limits};
pub use network::{
    HostPattern, NetworkPattern, PatternError, PortPattern, Scheme, host_of, non_public_reason,
};
pub use policy::{Injection, Mount, Policy, SecretValue};
pub(crate) use redact::backslashed;
pub use redact::{COOKIE_VALUE, MIN_REDACTED_LEN, Redactor, UNRESERVED};
pub use review::Review;
pub use volume::{MountSource, VolumeError, VolumeMount, Volumes};
