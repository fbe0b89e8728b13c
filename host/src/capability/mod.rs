//! Capabilities: what a skill declares, what the operator grants, and the
//! policy enforced on a call, which is their intersection.
//!
//! Everything is parsed into types when a skill or grant is loaded and
//! checked once here; the runtime only translates a [`Policy`] into sandbox
//! settings.
mod network;
mod redact;

pub use network::{
    HostPattern, NetworkPattern, PatternError, PortPattern, Scheme, non_public_reason,
};
pub use redact::{MIN_REDACTED_LEN, Redactor};

use crate::manifest::{LimitRequest, Manifest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What a skill declares it needs. Absent means denied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Destinations for outgoing HTTP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NetworkPattern>,
    /// Guest directories mounted read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_read: Vec<GuestPath>,
    /// Guest directories mounted read-write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_write: Vec<GuestPath>,
    /// Environment variable names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Secret names, read through the host interface.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

impl Capabilities {
    /// Whether the skill asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Capabilities::default()
    }

    /// What this declaration asks for beyond `old`'s declaration as
    /// narrowed by `approved` (the policy the operator approved for `old`):
    /// the review an operator needs when an update wants more.
    pub fn beyond(&self, old: &Capabilities, approved: &Policy) -> Capabilities {
        Capabilities {
            network: self
                .network
                .iter()
                .filter(|p| !approved.network.iter().any(|a| p.is_within(a)))
                .cloned()
                .collect(),
            fs_read: self
                .fs_read
                .iter()
                .filter(|p| !old.fs_read.contains(p) && !old.fs_write.contains(p))
                .cloned()
                .collect(),
            fs_write: self
                .fs_write
                .iter()
                .filter(|p| !old.fs_write.contains(p))
                .cloned()
                .collect(),
            env: self
                .env
                .iter()
                .filter(|e| !old.env.contains(e))
                .cloned()
                .collect(),
            secrets: self
                .secrets
                .iter()
                .filter(|e| !old.secrets.contains(e))
                .cloned()
                .collect(),
        }
    }
}

/// An absolute, normalised guest directory such as `/data`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestPath(String);

impl GuestPath {
    /// Parses a guest path: absolute, no `.` or `..`, no empty segments, not `/`.
    pub fn parse(text: &str) -> Result<GuestPath, String> {
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        if !trimmed.starts_with('/') {
            return Err(format!("path `{text}` must be absolute, e.g. `/data`"));
        }
        if trimmed.is_empty() {
            return Err("`/` cannot be mounted; name a directory such as `/data`".into());
        }
        for segment in trimmed[1..].split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(format!(
                    "path `{text}` must not contain empty segments, `.` or `..`"
                ));
            }
            if segment.contains(['\\', '\0']) {
                return Err(format!("path `{text}` contains a forbidden character"));
            }
        }
        Ok(GuestPath(trimmed.to_owned()))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GuestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for GuestPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GuestPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GuestPath::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A secret value: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The value, for handing to the guest that asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

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
    /// Guest path → host directory, for declared fs paths only. A declared
    /// path without a mount does not exist in the sandbox.
    #[serde(default)]
    pub mounts: BTreeMap<GuestPath, PathBuf>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Resource limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock time.
    pub timeout: Duration,
    /// Linear memory, summed over the component's memories.
    pub memory_bytes: usize,
    /// Output (and captured stdout/stderr each).
    pub output_bytes: usize,
}

/// The operator's defaults and maxima for limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Used when neither the manifest nor the grant asks.
    pub default: Limits,
    /// Nothing may exceed these.
    pub max: Limits,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        LimitPolicy {
            // Ten seconds covers a slow upstream API; a minute is the most a
            // synchronous agent tool call should ever wait.
            // 64 MiB holds a std Rust guest with room for real data; 1 GiB
            // bounds the pool's address-space reservation per slot.
            // 1 MiB of output is more than any model context wants.
            default: Limits {
                timeout: Duration::from_secs(10),
                memory_bytes: 64 << 20,
                output_bytes: 1 << 20,
            },
            max: Limits {
                timeout: Duration::from_secs(60),
                memory_bytes: 1 << 30,
                output_bytes: 16 << 20,
            },
        }
    }
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// One mounted directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where the guest sees it.
    pub guest: GuestPath,
    /// Host directory.
    pub host: PathBuf,
    /// Read-write (declared in `fs_write`) or read-only.
    pub writable: bool,
}

/// The enforced policy of a call: declared ∩ granted, limits resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Allowed HTTP destinations.
    pub network: Vec<NetworkPattern>,
    /// Whether non-public addresses are reachable.
    pub allow_private_network: bool,
    /// Preopened directories.
    pub mounts: Vec<Mount>,
    /// Environment visible to the guest.
    pub env: Vec<(String, String)>,
    /// Secrets readable through the host interface, supplied after
    /// [`Policy::resolve`] with [`Policy::supply_secret`] (the server reads
    /// them from the tenant's secrets, the CLI from its flags).
    pub secrets: BTreeMap<String, SecretValue>,
    /// Declared secret names (a declared but unsupplied secret is "not set",
    /// an undeclared one is "not declared").
    pub declared_secrets: Vec<String>,
    /// Headers the host adds to requests to an origin, supplied like
    /// `secrets`.
    pub inject: Vec<Injection>,
    /// Configuration values.
    pub config: BTreeMap<String, String>,
    /// Resource limits.
    pub limits: Limits,
}

/// A header the host adds to every request to the origins a pattern
/// matches, replacing whatever the caller set under that name.
#[derive(Clone, PartialEq, Eq)]
pub struct Injection {
    /// Where it applies.
    pub origin: NetworkPattern,
    /// Header name.
    pub name: http::HeaderName,
    /// Value (marked sensitive: never logged).
    pub value: http::HeaderValue,
    /// The secret it came from, for redaction.
    pub secret: String,
    /// The secret's own value (the header may wrap it, as `Bearer …`
    /// does), also redacted.
    pub plain: SecretValue,
}

impl fmt::Debug for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Injection")
            .field("origin", &self.origin)
            .field("name", &self.name)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
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

impl Policy {
    /// Intersects the manifest's declaration with `grant` under the
    /// operator's limit policy. Anything in the grant beyond the declaration
    /// is an error, not silently dropped, so an operator learns of the typo.
    pub fn resolve(
        manifest: &Manifest,
        grant: &Grant,
        limits: &LimitPolicy,
    ) -> Result<Policy, GrantError> {
        let declared = &manifest.capabilities;
        let network = match &grant.network {
            None => declared.network.clone(),
            Some(granted) => {
                for p in granted {
                    if !declared.network.iter().any(|d| p.is_within(d)) {
                        return Err(GrantError::Widens(format!(
                            "network pattern `{p}` is not declared"
                        )));
                    }
                }
                granted.clone()
            }
        };
        let mut mounts = Vec::new();
        for (guest, host) in &grant.mounts {
            let writable = if declared.fs_write.contains(guest) {
                true
            } else if declared.fs_read.contains(guest) {
                false
            } else {
                return Err(GrantError::Widens(format!(
                    "path `{guest}` is not declared in fs_read or fs_write"
                )));
            };
            mounts.push(Mount {
                guest: guest.clone(),
                host: host.clone(),
                writable,
            });
        }
        for name in grant.env.keys() {
            if !declared.env.contains(name) {
                return Err(GrantError::Widens(format!("env `{name}` is not declared")));
            }
        }
        for name in grant.secrets.keys() {
            if !declared.secrets.contains(name) {
                return Err(GrantError::Widens(format!(
                    "secret `{name}` is not declared"
                )));
            }
        }
        for binding in &grant.inject {
            if !network.iter().any(|g| binding.origin.is_within(g)) {
                return Err(GrantError::Widens(format!(
                    "injection origin `{}` is not among the granted network patterns",
                    binding.origin
                )));
            }
            injectable_header(&binding.header)?;
        }
        Ok(Policy {
            network,
            allow_private_network: grant.allow_private_network,
            mounts,
            env: grant
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            secrets: BTreeMap::new(),
            declared_secrets: declared.secrets.clone(),
            inject: Vec::new(),
            config: grant.config.clone(),
            limits: resolve_limits(&manifest.limits, &grant.limits, limits)?,
        })
    }
}

impl Policy {
    /// Supplies the value of declared secret `name`.
    pub fn supply_secret(&mut self, name: &str, value: SecretValue) -> Result<(), GrantError> {
        if !self.declared_secrets.iter().any(|d| d == name) {
            return Err(GrantError::Widens(format!(
                "secret `{name}` is not declared"
            )));
        }
        self.secrets.insert(name.to_owned(), value);
        Ok(())
    }

    /// A redactor for every secret this call can release or inject.
    pub fn redactor(&self) -> Redactor {
        let injected = self.inject.iter().flat_map(|i| {
            let name = i.secret.as_str();
            [
                Some((name, i.plain.expose())),
                i.value.to_str().ok().map(|v| (name, v)),
            ]
            .into_iter()
            .flatten()
        });
        let released = self.secrets.iter().map(|(n, v)| (n.as_str(), v.expose()));
        Redactor::new(released.chain(injected))
    }

    /// Opens every mount the way the sandbox will, so a bad host directory
    /// fails when the grant is given (approval, CLI flags) with a clear
    /// message, not at a call. Calls do not repeat this.
    pub fn verify_mounts(&self) -> Result<(), GrantError> {
        for mount in &self.mounts {
            cap_std::fs::Dir::open_ambient_dir(&mount.host, cap_std::ambient_authority()).map_err(
                |e| GrantError::Mount {
                    guest: mount.guest.to_string(),
                    reason: format!("host directory cannot be opened ({})", e.kind()),
                },
            )?;
        }
        Ok(())
    }

    /// Applies an assignment's narrowing. Asking for more than the policy
    /// has (a pattern outside the granted ones, private networks on when the
    /// grant has them off, a mount that is not granted) is an error.
    pub fn narrow(&mut self, n: &Narrowing) -> Result<(), GrantError> {
        if let Some(patterns) = &n.network {
            for p in patterns {
                if !self.network.iter().any(|g| p.is_within(g)) {
                    return Err(GrantError::Widens(format!(
                        "network pattern `{p}` is not granted to this skill"
                    )));
                }
            }
            self.network = patterns.clone();
        }
        match n.allow_private_network {
            Some(true) if !self.allow_private_network => {
                return Err(GrantError::Widens(
                    "private networks are not allowed for this skill".into(),
                ));
            }
            Some(allow) => self.allow_private_network = allow,
            None => {}
        }
        if let Some(keep) = &n.mounts {
            if let Some(missing) = keep
                .iter()
                .find(|g| !self.mounts.iter().any(|m| &m.guest == *g))
            {
                return Err(GrantError::Widens(format!(
                    "mount `{missing}` is not granted to this skill"
                )));
            }
            self.mounts.retain(|m| keep.contains(&m.guest));
        }
        Ok(())
    }
}

/// Grant values above the maximum are errors (someone asked explicitly);
/// manifest values are capped silently (the author cannot know the server).
fn resolve_limits(
    manifest: &LimitRequest,
    grant: &LimitRequest,
    policy: &LimitPolicy,
) -> Result<Limits, GrantError> {
    let max = policy.max;
    let check = |what: &'static str, asked: Option<u64>, max: u64| match asked {
        Some(v) if v > max => Err(GrantError::LimitTooHigh {
            what,
            asked: v,
            max,
        }),
        _ => Ok(()),
    };
    let max_ms = max.timeout.as_millis() as u64;
    let max_mb = (max.memory_bytes >> 20) as u64;
    let max_kb = (max.output_bytes >> 10) as u64;
    check("timeout_ms", grant.timeout_ms, max_ms)?;
    check("memory_mb", grant.memory_mb, max_mb)?;
    check("output_kb", grant.output_kb, max_kb)?;
    let timeout_ms = grant
        .timeout_ms
        .or(manifest.timeout_ms)
        .map(|v| v.min(max_ms));
    let memory_mb = grant
        .memory_mb
        .or(manifest.memory_mb)
        .map(|v| v.min(max_mb));
    let output_kb = grant
        .output_kb
        .or(manifest.output_kb)
        .map(|v| v.min(max_kb));
    Ok(Limits {
        timeout: timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(policy.default.timeout),
        memory_bytes: memory_mb
            .map(|mb| (mb as usize) << 20)
            .unwrap_or(policy.default.memory_bytes),
        output_bytes: output_kb
            .map(|kb| (kb as usize) << 10)
            .unwrap_or(policy.default.output_bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::from_toml(
            r#"
name = "t"
version = "1.0.0"
description = "d"
[capabilities]
network = ["https://*.example.com", "http://localhost:*"]
fs_read = ["/data"]
fs_write = ["/out"]
env = ["TZ"]
secrets = ["KEY"]
[limits]
timeout_ms = 999999
memory_mb = 32
"#,
        )
        .unwrap()
    }

    #[test]
    fn empty_grant_gives_declared_network_and_nothing_else() {
        let p = Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
        assert_eq!(p.network.len(), 2);
        assert!(!p.allow_private_network);
        assert!(p.mounts.is_empty() && p.env.is_empty() && p.secrets.is_empty());
        // The manifest's timeout is capped at the maximum; memory honoured.
        assert_eq!(p.limits.timeout, Duration::from_secs(60));
        assert_eq!(p.limits.memory_bytes, 32 << 20);
    }

    #[test]
    fn grant_may_narrow_network() {
        let grant = Grant {
            network: Some(vec![
                NetworkPattern::parse("https://api.example.com").unwrap(),
            ]),
            ..Grant::default()
        };
        let p = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
        assert_eq!(
            p.network,
            vec![NetworkPattern::parse("https://api.example.com").unwrap()]
        );
        let grant = Grant {
            network: Some(vec![]),
            ..Grant::default()
        };
        assert!(
            Policy::resolve(&manifest(), &grant, &LimitPolicy::default())
                .unwrap()
                .network
                .is_empty()
        );
    }

    #[test]
    fn grant_may_not_widen() {
        let cases = [
            Grant {
                network: Some(vec![NetworkPattern::parse("https://evil.net").unwrap()]),
                ..Grant::default()
            },
            Grant {
                mounts: [(GuestPath::parse("/etc").unwrap(), PathBuf::from("/tmp"))].into(),
                ..Grant::default()
            },
            Grant {
                env: [("HOME".into(), "/root".into())].into(),
                ..Grant::default()
            },
            Grant {
                secrets: [(
                    "OTHER".into(),
                    SecretBinding {
                        secret_id: "s".into(),
                    },
                )]
                .into(),
                ..Grant::default()
            },
            Grant {
                inject: vec![InjectBinding {
                    origin: NetworkPattern::parse("https://other.org").unwrap(),
                    header: "Authorization".into(),
                    secret_id: "s".into(),
                }],
                ..Grant::default()
            },
            Grant {
                inject: vec![InjectBinding {
                    origin: NetworkPattern::parse("https://api.example.com").unwrap(),
                    header: "Host".into(),
                    secret_id: "s".into(),
                }],
                ..Grant::default()
            },
        ];
        for grant in cases {
            let err = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap_err();
            assert!(matches!(err, GrantError::Widens(_)), "{err}");
        }
    }

    #[test]
    fn mounts_get_their_declared_mode_and_must_exist() {
        let dir = std::env::temp_dir();
        let grant = Grant {
            mounts: [
                (GuestPath::parse("/data").unwrap(), dir.clone()),
                (GuestPath::parse("/out").unwrap(), dir.clone()),
            ]
            .into(),
            ..Grant::default()
        };
        let p = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
        assert_eq!(
            p.mounts
                .iter()
                .map(|m| (m.guest.as_str(), m.writable))
                .collect::<Vec<_>>(),
            [("/data", false), ("/out", true)]
        );
        let grant = Grant {
            mounts: [(
                GuestPath::parse("/data").unwrap(),
                dir.join("no-such-dir-here"),
            )]
            .into(),
            ..Grant::default()
        };
        let policy = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
        let err = policy.verify_mounts().unwrap_err();
        assert!(matches!(err, GrantError::Mount { .. }));
        assert!(
            !err.to_string().contains("no-such-dir-here"),
            "host paths stay out of messages: {err}"
        );
    }

    #[test]
    fn explicit_limits_above_the_maximum_are_refused() {
        let grant = Grant {
            limits: LimitRequest {
                timeout_ms: Some(61_000),
                ..Default::default()
            },
            ..Grant::default()
        };
        let err = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap_err();
        assert_eq!(
            err,
            GrantError::LimitTooHigh {
                what: "timeout_ms",
                asked: 61_000,
                max: 60_000
            }
        );
    }

    #[test]
    fn narrowing_only_takes_away() {
        let dir = std::env::temp_dir();
        let grant = Grant {
            allow_private_network: true,
            mounts: [
                (GuestPath::parse("/data").unwrap(), dir.clone()),
                (GuestPath::parse("/out").unwrap(), dir),
            ]
            .into(),
            ..Grant::default()
        };
        let base = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
        let mut p = base.clone();
        p.narrow(&Narrowing {
            network: Some(vec![
                NetworkPattern::parse("https://api.example.com").unwrap(),
            ]),
            allow_private_network: Some(false),
            mounts: Some(vec![GuestPath::parse("/data").unwrap()]),
        })
        .unwrap();
        assert_eq!(p.network.len(), 1);
        assert!(!p.allow_private_network);
        assert_eq!(p.mounts.len(), 1);
        let mut none = base.clone();
        none.narrow(&Narrowing {
            network: Some(vec![]),
            ..Default::default()
        })
        .unwrap();
        assert!(none.network.is_empty());
        for widen in [
            Narrowing {
                network: Some(vec![NetworkPattern::parse("https://evil.net").unwrap()]),
                ..Default::default()
            },
            Narrowing {
                mounts: Some(vec![GuestPath::parse("/etc").unwrap()]),
                ..Default::default()
            },
        ] {
            assert!(base.clone().narrow(&widen).is_err());
        }
        let mut strict =
            Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
        assert!(
            strict
                .narrow(&Narrowing {
                    allow_private_network: Some(true),
                    ..Default::default()
                })
                .is_err()
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = SecretValue::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let mut policy =
            Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
        policy.supply_secret("KEY", s).unwrap();
        policy.inject.push(Injection {
            origin: NetworkPattern::parse("https://api.example.com").unwrap(),
            name: http::header::AUTHORIZATION,
            value: http::HeaderValue::from_static("Bearer hunter3"),
            secret: "TOKEN".into(),
            plain: SecretValue::new("hunter3"),
        });
        let printed = format!("{policy:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("hunter3"),
            "{printed}"
        );
        assert!(
            policy
                .supply_secret("UNDECLARED", SecretValue::new("x"))
                .is_err()
        );
        let redactor = policy.redactor();
        assert_eq!(
            redactor.text("hunter2 and Bearer hunter3"),
            "[secret:KEY] and [secret:TOKEN]"
        );
    }

    #[test]
    fn grants_speak_camel_case_and_accept_the_old_spelling() {
        let new: Grant = serde_json::from_str(
            r#"{"allowPrivateNetwork": true, "limits": {"timeoutMs": 5}, "secrets": {"KEY": {"secretId": "s1"}}}"#,
        )
        .unwrap();
        let old: Grant =
            serde_json::from_str(r#"{"allow_private_network": true, "limits": {"timeout_ms": 5}, "secrets": {"KEY": {"secretId": "s1"}}}"#)
                .unwrap();
        assert_eq!(new, old);
        assert!(new.allow_private_network);
        let written = serde_json::to_string(&new).unwrap();
        assert!(
            written.contains("allowPrivateNetwork") && written.contains("timeoutMs"),
            "{written}"
        );
    }

    #[test]
    fn guest_paths_are_normalised_or_refused() {
        assert_eq!(GuestPath::parse("/data/").unwrap().as_str(), "/data");
        for bad in ["data", "/", "/a/../b", "/a//b", "/./a"] {
            assert!(GuestPath::parse(bad).is_err(), "{bad}");
        }
    }
}
