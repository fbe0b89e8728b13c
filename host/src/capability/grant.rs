//! What the operator grants a skill, what one assignment takes away from
//! it, and why a grant is refused.
use super::declared::GuestPath;
use super::limits::LimitRequest;
use super::network::NetworkPattern;
use super::volume::MountSource;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the operator (or the CLI's flags) grants a skill. It may narrow the
/// declaration, never widen it. camelCase like the rest of the API; the
/// first release's snake_case `allow_private_network` is accepted too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Grant {
    /// `None` grants every declared pattern; a list grants only those
    /// patterns, each of which must lie within a declared one.
    #[serde(default)]
    pub network: Option<Vec<NetworkPattern>>,
    /// Lets allowed names resolve to loopback, private, link-local and
    /// metadata addresses. Off by default: no SSRF through a skill.
    #[serde(default, alias = "allow_private_network")]
    pub allow_private_network: bool,
    /// Guest path → an operator volume and a directory in it, for declared
    /// fs paths only. A declared path without a mount does not exist in the
    /// sandbox.
    #[serde(default)]
    pub mounts: BTreeMap<GuestPath, MountSource>,
    /// Values for declared environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Declared secret name → the tenant secret that supplies it. A grant
    /// never holds a secret's value.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretBinding>,
    /// Tenant secrets the host adds as headers to requests to one granted
    /// origin; the guest never sees them.
    #[serde(default)]
    pub inject: Vec<InjectBinding>,
    /// Configuration the guest reads with `config(key)`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Limits for this grant, within the operator's maxima.
    #[serde(default)]
    pub limits: LimitRequest,
}

/// Which tenant secret supplies a declared secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "BindingForm", rename_all = "camelCase")]
pub struct SecretBinding {
    /// The tenant secret's id.
    pub secret_id: String,
}

/// What a grant body may say for a secret: the binding, or (as the first
/// release's grants did) a value, which is refused with what to do instead.
#[derive(Deserialize)]
#[serde(untagged)]
enum BindingForm {
    Binding {
        #[serde(rename = "secretId")]
        secret_id: String,
    },
    // Matched only to be refused; the value itself is never kept.
    Value(#[allow(dead_code)] String),
}

impl TryFrom<BindingForm> for SecretBinding {
    type Error = &'static str;

    fn try_from(form: BindingForm) -> Result<Self, Self::Error> {
        match form {
            BindingForm::Binding { secret_id } => Ok(SecretBinding { secret_id }),
            BindingForm::Value(_) => Err(
                "grants no longer hold secret values: create the secret with POST /api/v1/secret/create and bind it as {\"secretId\": \"…\"}",
            ),
        }
    }
}

/// A tenant secret sent as a request header to one origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InjectBinding {
    /// Where: a pattern within the granted network (e.g.
    /// `https://api.example.com`).
    pub origin: NetworkPattern,
    /// The header, e.g. `Authorization`.
    pub header: String,
    /// The tenant secret; its type renders the value (`bearer` →
    /// `Bearer <value>`, `basic` → `Basic <base64>`).
    pub secret_id: String,
}

/// A grant that asks for more than the skill declares or the operator allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The grant names something the manifest does not declare.
    #[error("the grant widens the declaration: {0}")]
    Widens(String),
    /// A mount's host directory is unusable.
    #[error("mount {guest}: {reason}")]
    Mount {
        /// The guest path.
        guest: String,
        /// Why (never the host path itself, which is operator detail).
        reason: String,
    },
    /// A limit above the operator's maximum.
    #[error("limit {what} = {asked} exceeds the maximum of {max}")]
    LimitTooHigh {
        /// Which limit.
        what: &'static str,
        /// Requested value.
        asked: u64,
        /// The maximum.
        max: u64,
    },
}

/// What one assignment takes away from a skill's approved grant. Each
/// field can only narrow: fewer network patterns, private networks off,
/// fewer mounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Narrowing {
    /// Only these patterns (each within the granted ones); `[]` is no network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Vec<NetworkPattern>>,
    /// `false` turns the private-network override off for this assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_private_network: Option<bool>,
    /// Only these mounts (guest paths); `[]` is no filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<GuestPath>>,
}

/// Headers a grant may not inject: they frame the request itself.
const FRAMING_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
];

/// Checks an injection's header name.
pub fn injectable_header(name: &str) -> Result<http::HeaderName, GrantError> {
    let header = http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| GrantError::Widens(format!("`{name}` is not a valid header name")))?;
    if FRAMING_HEADERS.contains(&header.as_str()) {
        return Err(GrantError::Widens(format!(
            "header `{header}` frames the request and cannot be injected"
        )));
    }
    Ok(header)
}
