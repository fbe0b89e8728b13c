//! Who may hand new code a grant: a writer's new version or sync keeps
//! the approved grant only when that grant gives it nothing of the
//! tenant's or the operator's; otherwise it waits for an admin, and the
//! review says the code changed and what it would inherit.
use crate::capability::{Grant, Review};
use crate::server::auth::Principal;

/// The review new code needs before it receives `grant`, or `None` when
/// the caller is an admin or the grant hands over nothing sensitive.
pub(crate) fn before_inheriting(principal: &Principal, grant: &Grant) -> Option<Review> {
    let inherits = grant.sensitive_fields();
    if inherits.is_empty() || principal.require("admin").is_ok() {
        return None;
    }
    Some(Review {
        code_changed: true,
        inherits,
        reason: None,
    })
}
