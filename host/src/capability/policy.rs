//! The policy enforced on a call: the declaration intersected with the
//! grant, narrowed per assignment, holding the secrets it may release.
use super::declared::{Capabilities, GuestPath};
use super::grant::{Grant, GrantError, Narrowing, injectable_header};
use super::limits::{LimitPolicy, LimitRequest, Limits};
use super::network::NetworkPattern;
use super::redact::Redactor;
use super::volume::{MountSource, VolumeMount, Volumes};
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

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

/// One mounted directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where the guest sees it.
    pub guest: GuestPath,
    /// The operator volume and the directory in it.
    pub source: VolumeMount,
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
        for (guest, source) in &grant.mounts {
            let writable = if declared.fs_write.contains(guest) {
                true
            } else if declared.fs_read.contains(guest) {
                false
            } else {
                return Err(GrantError::Widens(format!(
                    "path `{guest}` is not declared in fs_read or fs_write"
                )));
            };
            let source = match source {
                MountSource::Volume(v) => v.clone(),
                MountSource::HostPath(_) => {
                    return Err(GrantError::Mount {
                        guest: guest.to_string(),
                        reason: "the grant names a host path; mounts now name an operator volume, so an admin approves the skill again".into(),
                    });
                }
            };
            mounts.push(Mount {
                guest: guest.clone(),
                source,
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

    /// Opens every mount the way the sandbox will, so a bad volume or
    /// directory fails when the grant is given (approval, CLI flags) with a
    /// clear message, not at a call. Calls repeat only the containment
    /// check.
    pub fn verify_mounts(&self, volumes: &Volumes) -> Result<(), GrantError> {
        for mount in &self.mounts {
            volumes
                .open(&mount.source, mount.writable)
                .map_err(|e| GrantError::Mount {
                    guest: mount.guest.to_string(),
                    reason: e.to_string(),
                })?;
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

/// The operator's maxima in a request's units: milliseconds, MiB, KiB.
fn maxima(policy: &LimitPolicy) -> (u64, u64, u64) {
    let max = policy.max;
    (
        max.timeout.as_millis() as u64,
        (max.memory_bytes >> 20) as u64,
        (max.output_bytes >> 10) as u64,
    )
}

// Measured against the operator's policy, so it lives here rather than
// with the request itself.
impl LimitRequest {
    /// Refuses a value above the operator's maximum: a grant asks for its
    /// limits explicitly. Named as `skill.toml` spells them (the API takes
    /// that spelling too).
    pub fn check_maxima(&self, policy: &LimitPolicy) -> Result<(), GrantError> {
        let (max_ms, max_mb, max_kb) = maxima(policy);
        for (what, asked, max) in [
            ("timeout_ms", self.timeout_ms, max_ms),
            ("memory_mb", self.memory_mb, max_mb),
            ("output_kb", self.output_kb, max_kb),
        ] {
            if let Some(asked) = asked.filter(|&v| v > max) {
                return Err(GrantError::LimitTooHigh { what, asked, max });
            }
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
    grant.check_maxima(policy)?;
    let (max_ms, max_mb, max_kb) = maxima(policy);
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

// Measured against an approved policy, so it lives here rather than with
// the declaration itself.
impl Capabilities {
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
