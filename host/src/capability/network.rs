//! Network patterns (`https://api.example.com`, `https://*.example.org:8443`,
//! `http://localhost:*`) and the address rules that stop a skill from
//! reaching private networks through an allowed name.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain HTTP, default port 80.
    Http,
    /// HTTP over TLS, default port 443.
    Https,
}

impl Scheme {
    /// The port a URL of this scheme uses when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The host part of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostPattern {
    /// Exactly this name or IP literal (lowercase; IPv6 without brackets).
    Exact(String),
    /// `*.suffix`: any name ending in `.suffix`, at any depth, but not `suffix` itself.
    Subdomains(String),
}

/// The port part of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortPattern {
    /// Exactly this port (the scheme's default when the pattern names none).
    Exact(u16),
    /// `:*`, any port.
    Any,
}

/// One allowed destination: scheme, host and port, parsed once and matched
/// on every outgoing request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkPattern {
    /// Scheme the request must use.
    pub scheme: Scheme,
    /// Host the request must name.
    pub host: HostPattern,
    /// Port the request must use.
    pub port: PortPattern,
}

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network pattern `{pattern}`: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong and how to write it.
    pub reason: String,
}

impl NetworkPattern {
    /// Parses `[scheme://]host[:port]`; the scheme defaults to https.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let fail = |reason: &str| PatternError {
            pattern: text.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("is empty; write e.g. `https://api.example.com`"));
        }
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((s, rest)) => match s.to_ascii_lowercase().as_str() {
                "https" => (Scheme::Https, rest),
                "http" => (Scheme::Http, rest),
                _ => return Err(fail("scheme must be `http` or `https`")),
            },
            None => (Scheme::Https, trimmed),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(fail(
                "must not contain a path, query or fragment; allow the host only",
            ));
        }
        if rest.contains('@') {
            return Err(fail("must not contain credentials"));
        }
        let (host, port) = split_host_port(rest).map_err(|r| fail(&r))?;
        let port = match port {
            None => PortPattern::Exact(scheme.default_port()),
            Some("*") => PortPattern::Any,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => PortPattern::Exact(n),
                _ => return Err(fail("port must be a number from 1 to 65535, or `*`")),
            },
        };
        let host = host.to_ascii_lowercase();
        let host = if let Some(suffix) = host.strip_prefix("*.") {
            validate_dns_name(suffix).map_err(|r| fail(&r))?;
            if !suffix.contains('.') {
                return Err(fail(
                    "a wildcard needs a domain with at least two labels, e.g. `*.example.com`",
                ));
            }
            HostPattern::Subdomains(suffix.to_owned())
        } else if host.contains('*') {
            return Err(fail(
                "`*` is only allowed as the whole first label, as in `*.example.com`",
            ));
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            // Written as `host_of` writes a request's: `0:0::1` is `::1`.
            HostPattern::Exact(ip.to_string())
        } else {
            validate_dns_name(&host).map_err(|r| fail(&r))?;
            HostPattern::Exact(host)
        };
        Ok(NetworkPattern { scheme, host, port })
    }

    /// Whether a request to `scheme://host:port` matches this pattern.
    /// `host` is in the form [`host_of`] gives.
    pub fn matches(&self, scheme: Scheme, host: &str, port: u16) -> bool {
        if scheme != self.scheme {
            return false;
        }
        if let PortPattern::Exact(p) = self.port
            && p != port
        {
            return false;
        }
        match &self.host {
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomains(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
        }
    }

    /// Whether every request this pattern allows is also allowed by `wider`:
    /// a grant may only narrow a declaration.
    pub fn is_within(&self, wider: &NetworkPattern) -> bool {
        if self.scheme != wider.scheme {
            return false;
        }
        let port_ok = match (self.port, wider.port) {
            (_, PortPattern::Any) => true,
            (PortPattern::Exact(a), PortPattern::Exact(b)) => a == b,
            (PortPattern::Any, PortPattern::Exact(_)) => false,
        };
        let host_ok = match (&self.host, &wider.host) {
            (HostPattern::Exact(a), HostPattern::Exact(b)) => a == b,
            (HostPattern::Exact(a), HostPattern::Subdomains(s)) => a
                .strip_suffix(s.as_str())
                .is_some_and(|p| p.len() > 1 && p.ends_with('.')),
            (HostPattern::Subdomains(a), HostPattern::Subdomains(s)) => {
                a == s || a.strip_suffix(s.as_str()).is_some_and(|p| p.ends_with('.'))
            }
            (HostPattern::Subdomains(_), HostPattern::Exact(_)) => false,
        };
        port_ok && host_ok
    }
}

/// A URL's host in the one form patterns hold and requests are matched
/// in: a name in lowercase, an IP address as `IpAddr` writes it (IPv6
/// without brackets, shortest form). `None` when the URL has no host.
/// (`Url::host_str` keeps IPv6 brackets, so it is never compared.)
pub fn host_of(url: &url::Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) if !d.is_empty() => Some(d.to_ascii_lowercase()),
        url::Host::Domain(_) => None,
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or("an IPv6 address needs a closing `]`")?;
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(format!("`{addr}` is not an IPv6 address"));
        }
        return match after {
            "" => Ok((addr, None)),
            p if p.starts_with(':') => Ok((addr, Some(&p[1..]))),
            _ => Err("unexpected text after the IPv6 address".into()),
        };
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Ok((host, Some(port))),
        Some(_) => Err("write an IPv6 address in brackets, e.g. `http://[::1]:8080`".into()),
        None => Ok((rest, None)),
    }
}

fn validate_dns_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("host name must have 1 to 253 characters".into());
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!("`{name}` is not a valid host name"));
        }
    }
    Ok(())
}

impl fmt::Display for NetworkPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        match &self.host {
            HostPattern::Exact(h) if h.contains(':') => write!(f, "[{h}]")?,
            HostPattern::Exact(h) => write!(f, "{h}")?,
            HostPattern::Subdomains(s) => write!(f, "*.{s}")?,
        }
        match self.port {
            PortPattern::Any => write!(f, ":*"),
            PortPattern::Exact(p) if p == self.scheme.default_port() => Ok(()),
            PortPattern::Exact(p) => write!(f, ":{p}"),
        }
    }
}

impl Serialize for NetworkPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Written as text, `[scheme://]host[:port]`, like the manifest writes it.
impl utoipa::PartialSchema for NetworkPattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`[scheme://]host[:port]`: http or https (default), a host or `*.domain`, a port or `*`; no path",
            ))
            // A safe subset of what `parse` takes (no wildcards, no IPv6).
            .pattern(Some(
                r"^(https?://)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.){0,3}[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:([1-9][0-9]{0,3}|\*))?$",
            ))
            .examples([serde_json::json!("https://api.example.com")])
            .into()
    }
}

impl utoipa::ToSchema for NetworkPattern {}

impl<'de> Deserialize<'de> for NetworkPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NetworkPattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why an address is not public, or `None` when it is. Loopback, private
/// (RFC 1918, CGNAT), link-local (including the 169.254.169.254 cloud
/// metadata service), unique-local, multicast, unspecified and documentation
/// ranges are all refused unless the grant allows private networks.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_reason(v4);
            }
            let seg0 = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if seg0 & 0xfe00 == 0xfc00 {
                Some("unique-local")
            } else if seg0 & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg0 == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some("documentation")
            } else if seg0 == 0x0064 && v6.segments()[1] == 0xff9b {
                // NAT64 can embed any IPv4 address, private ones included.
                Some("NAT64")
            } else if v6.segments()[..6] == [0, 0, 0, 0, 0, 0] {
                Some("IPv4-compatible")
            } else {
                None
            }
        }
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (CGNAT)")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) || (a == 192 && b == 0) {
        Some("reserved")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NetworkPattern {
        NetworkPattern::parse(s).unwrap()
    }

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            ("https://api.example.com", "https://api.example.com"),
            ("api.example.com", "https://api.example.com"),
            ("HTTPS://API.Example.com/", "https://api.example.com"),
            ("https://*.example.org:8443", "https://*.example.org:8443"),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            ("http://localhost:*", "http://localhost:*"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("https://example.com:443", "https://example.com"),
        ];
        for (input, shown) in cases {
            assert_eq!(p(input).to_string(), shown, "{input}");
        }
    }

    #[test]
    fn rejects_bad_patterns_with_reasons() {
        let cases = [
            ("", "empty"),
            ("ftp://example.com", "scheme"),
            ("https://example.com/path", "path"),
            ("https://user@example.com", "credentials"),
            ("https://example.com:0", "port"),
            ("https://example.com:99999", "port"),
            ("https://*", "first label"),
            ("https://*.com", "two labels"),
            ("https://api.*.com", "first label"),
            ("https://exa_mple.com", "not a valid host"),
            ("http://::1", "brackets"),
            ("http://[::1", "closing"),
        ];
        for (input, reason) in cases {
            let err = NetworkPattern::parse(input).unwrap_err();
            assert!(err.reason.contains(reason), "{input}: {}", err.reason);
        }
    }

    #[test]
    fn matching_checks_scheme_host_and_port() {
        let api = p("https://api.example.com");
        assert!(api.matches(Scheme::Https, "api.example.com", 443));
        assert!(!api.matches(Scheme::Http, "api.example.com", 80));
        assert!(!api.matches(Scheme::Https, "api.example.com", 8443));
        assert!(!api.matches(Scheme::Https, "evil.example.com", 443));
        assert!(!api.matches(Scheme::Https, "api.example.com.evil.net", 443));

        let wild = p("https://*.example.org:8443");
        assert!(wild.matches(Scheme::Https, "a.example.org", 8443));
        assert!(wild.matches(Scheme::Https, "a.b.example.org", 8443));
        assert!(!wild.matches(Scheme::Https, "example.org", 8443));
        assert!(!wild.matches(Scheme::Https, "badexample.org", 8443));
        assert!(!wild.matches(Scheme::Https, "a.example.org", 443));

        let any_port = p("http://localhost:*");
        assert!(any_port.matches(Scheme::Http, "localhost", 1));
        assert!(any_port.matches(Scheme::Http, "localhost", 65535));
        assert!(!any_port.matches(Scheme::Https, "localhost", 443));
    }

    #[test]
    fn a_url_host_and_a_pattern_meet_in_one_form() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        // `Url::host_str` keeps the brackets; the pattern holds none.
        assert_eq!(url("http://[::1]:8080/").host_str(), Some("[::1]"));
        assert_eq!(host_of(&url("http://[::1]:8080/")).as_deref(), Some("::1"));
        assert_eq!(
            host_of(&url("http://API.Example.com/")).as_deref(),
            Some("api.example.com")
        );
        assert_eq!(host_of(&url("http://127.1/")).as_deref(), Some("127.0.0.1"));
        // However the address is written on either side.
        for pattern in [
            "http://[::1]:8080",
            "http://[0:0::1]:8080",
            "http://[0000::0001]:8080",
        ] {
            for request in [
                "http://[::1]:8080/x",
                "http://[0::1]:8080/",
                "http://[0:0:0:0:0:0:0:1]:8080",
            ] {
                let u = url(request);
                assert!(
                    p(pattern).matches(Scheme::Http, &host_of(&u).unwrap(), 8080),
                    "{pattern} {request}"
                );
            }
        }
        let v6 = p("https://[2001:DB8::A]");
        assert_eq!(v6.to_string(), "https://[2001:db8::a]");
        assert!(!v6.matches(
            Scheme::Https,
            &host_of(&url("https://[2001:db8::b]/")).unwrap(),
            443
        ));
    }

    #[test]
    fn narrowing_is_checked() {
        assert!(p("https://a.example.org").is_within(&p("https://*.example.org")));
        assert!(p("https://*.a.example.org").is_within(&p("https://*.example.org")));
        assert!(!p("https://*.example.org").is_within(&p("https://a.example.org")));
        assert!(p("http://localhost:8080").is_within(&p("http://localhost:*")));
        assert!(!p("http://localhost:*").is_within(&p("http://localhost:8080")));
        assert!(!p("http://api.example.com").is_within(&p("https://api.example.com")));
    }

    #[test]
    fn classifies_addresses() {
        for (ip, reason) in [
            ("127.0.0.1", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("cloud metadata")),
            ("169.254.1.1", Some("link-local")),
            ("100.64.0.1", Some("shared (CGNAT)")),
            ("0.0.0.0", Some("unspecified")),
            ("::1", Some("loopback")),
            ("fd00::1", Some("unique-local")),
            ("fe80::1", Some("link-local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:169.254.169.254", Some("cloud metadata")),
            ("64:ff9b::a00:1", Some("NAT64")),
            ("93.184.216.34", None),
            ("2606:4700::1111", None),
        ] {
            assert_eq!(non_public_reason(ip.parse().unwrap()), reason, "{ip}");
        }
    }
}
