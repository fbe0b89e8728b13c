//! Which addresses a request may connect to, and the resolver that hands
//! the HTTP client only addresses that passed.
//!
//! The client never resolves a name itself: every connection goes through
//! `CheckedResolver`, which resolves once, checks every answer, and
//! returns only checked addresses. So a name cannot be re-resolved to a
//! private address between the check and the connection (DNS rebinding).
use crate::capability::non_public_reason;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// DNS answers slower than this fail the request.
pub(super) const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// The address rule of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressRule {
    /// Loopback, private, link-local and other non-public addresses are
    /// reachable (a grant's `allowPrivateNetwork`, `--allow-private-sources`).
    pub allow_private: bool,
    /// Non-public ranges the operator declared reachable for everyone
    /// (`--allow-private-range`): an internal API without opening loopback
    /// or the metadata address.
    pub allowed_ranges: Arc<Vec<IpNet>>,
}

/// An address the rule refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {addr}, a {kind} address, and private networks are not allowed")]
pub struct AddressRefused {
    /// The name (or literal) asked for.
    pub host: String,
    /// The address it gave.
    pub addr: IpAddr,
    /// What kind of address it is (`loopback`, `private`, `cloud metadata`, …).
    pub kind: &'static str,
}

impl AddressRule {
    /// Checks one address of `host`.
    pub fn check(&self, host: &str, addr: IpAddr) -> Result<(), AddressRefused> {
        if self.allow_private {
            return Ok(());
        }
        let Some(kind) = non_public_reason(addr) else {
            return Ok(());
        };
        if self.allowed_ranges.iter().any(|net| net.contains(&addr)) {
            return Ok(());
        }
        Err(AddressRefused {
            host: host.to_owned(),
            addr,
            kind,
        })
    }
}

/// The client's resolver: one per [`AddressRule`], so a connection made
/// under one rule is never pooled for a request under another.
#[derive(Debug, Clone)]
pub(super) struct CheckedResolver {
    pub rule: AddressRule,
}

/// The name resolved to no address at all.
#[derive(Debug, thiserror::Error)]
#[error("{0} has no addresses")]
pub(super) struct NoAddresses(pub String);

/// Resolution did not finish in time.
#[derive(Debug, thiserror::Error)]
#[error("resolving {0} timed out")]
pub(super) struct DnsTimeout(pub String);

impl CheckedResolver {
    /// Resolves `host` and checks every answer. One refused answer refuses
    /// the name: a name mixing public and private addresses is how
    /// rebinding attacks start.
    pub async fn resolve_checked(
        rule: &AddressRule,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let lookup = tokio::net::lookup_host((host, 0));
        let addrs: Vec<SocketAddr> = tokio::time::timeout(DNS_TIMEOUT, lookup)
            .await
            .map_err(|_| DnsTimeout(host.to_owned()))??
            .collect();
        if addrs.is_empty() {
            return Err(NoAddresses(host.to_owned()).into());
        }
        for addr in &addrs {
            rule.check(host, addr.ip())?;
        }
        Ok(addrs)
    }
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let rule = self.rule.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = CheckedResolver::resolve_checked(&rule, &host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(allow_private: bool, ranges: &[&str]) -> AddressRule {
        AddressRule {
            allow_private,
            allowed_ranges: Arc::new(ranges.iter().map(|r| r.parse().unwrap()).collect()),
        }
    }

    #[test]
    fn public_addresses_pass_and_private_ones_are_refused_by_default() {
        let r = rule(false, &[]);
        assert!(r.check("a", "93.184.216.34".parse().unwrap()).is_ok());
        assert!(r.check("a", "2606:4700::1".parse().unwrap()).is_ok());
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("169.254.169.254", "cloud metadata"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("224.0.0.1", "broadcast, multicast or reserved"),
            ("::1", "loopback"),
            ("fd00::1", "unique-local"),
            ("::ffff:10.0.0.1", "private"),
        ] {
            let refused = r.check("h", ip.parse().unwrap()).unwrap_err();
            assert_eq!(refused.kind, kind, "{ip}");
        }
    }

    #[test]
    fn allow_private_opens_everything_and_ranges_open_only_themselves() {
        assert!(
            rule(true, &[])
                .check("h", "127.0.0.1".parse().unwrap())
                .is_ok()
        );
        let r = rule(false, &["10.5.0.0/16", "127.0.0.2/32"]);
        assert!(r.check("h", "10.5.9.9".parse().unwrap()).is_ok());
        assert!(r.check("h", "127.0.0.2".parse().unwrap()).is_ok());
        assert!(r.check("h", "10.6.0.1".parse().unwrap()).is_err());
        assert!(r.check("h", "127.0.0.1".parse().unwrap()).is_err());
        assert!(r.check("h", "169.254.169.254".parse().unwrap()).is_err());
    }
}
