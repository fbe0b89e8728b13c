//! Fetching a packaged skill from an http(s) URL, for installs and syncs.
//!
//! A tenant chooses the URL and the server does the fetching, so the server
//! holds itself to the rule it holds skills to: the host name is resolved
//! here, every address is checked, and loopback, private, link-local and
//! metadata addresses are refused unless the operator allows private
//! sources. The connection goes only to a checked address, and each
//! redirect (at most five) is checked again.
use crate::capability::non_public_reason;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A whole fetch, redirects included, must finish within this.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// How to fetch.
#[derive(Debug, Clone, Copy)]
pub struct FetchPolicy {
    /// Allow loopback and private addresses (operators testing locally).
    pub allow_private: bool,
    /// Largest body accepted.
    pub max_bytes: usize,
}

/// A fetched component.
#[derive(Debug)]
pub struct Fetched {
    /// The body.
    pub bytes: Vec<u8>,
    /// Hex sha256 of the body.
    pub sha256: String,
}

/// Why a fetch did not produce a component.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL itself is unusable.
    #[error("invalid source URL: {0}")]
    InvalidUrl(String),
    /// The URL leads somewhere the server may not go.
    #[error("{0}")]
    Refused(String),
    /// The source could not be reached or answered with an error.
    #[error("fetching {url} failed: {reason}")]
    Failed {
        /// The URL (without query string).
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The body does not have the pinned digest.
    #[error("the fetched component's sha256 is {actual}, but the install pinned {expected}")]
    DigestMismatch {
        /// The pin.
        expected: String,
        /// What arrived.
        actual: String,
    },
}

/// Checks a URL's form: http(s), a host, no credentials.
pub fn parse(text: &str) -> Result<url::Url, FetchError> {
    let url = url::Url::parse(text).map_err(|e| FetchError::InvalidUrl(format!("{e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::InvalidUrl(format!(
            "scheme `{}` is not supported; use http or https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl("the URL has no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::InvalidUrl(
            "credentials in the URL are not accepted (they would be stored and shown)".into(),
        ));
    }
    Ok(url)
}

/// Checks a sha256 pin's form and returns it lower-cased.
pub fn parse_pin(text: &str) -> Result<String, String> {
    let pin = text.trim().to_ascii_lowercase();
    let pin = pin.strip_prefix("sha256:").unwrap_or(&pin);
    if pin.len() == 64 && pin.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(pin.to_owned())
    } else {
        Err("`sha256` must be 64 hex digits (optionally prefixed `sha256:`)".into())
    }
}

/// Fetches `url`, following checked redirects, and verifies `pin` if given.
pub async fn fetch(
    url: &url::Url,
    pin: Option<&str>,
    policy: FetchPolicy,
) -> Result<Fetched, FetchError> {
    let shown = display(url);
    let fetched = tokio::time::timeout(FETCH_TIMEOUT, follow(url.clone(), policy))
        .await
        .map_err(|_| FetchError::Failed {
            url: shown,
            reason: format!("no complete answer within {}s", FETCH_TIMEOUT.as_secs()),
        })??;
    if let Some(expected) = pin
        && fetched.sha256 != expected
    {
        return Err(FetchError::DigestMismatch {
            expected: expected.to_owned(),
            actual: fetched.sha256,
        });
    }
    Ok(fetched)
}

/// The URL as it may appear in messages: no query string, which may carry
/// tokens.
fn display(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

async fn follow(mut url: url::Url, policy: FetchPolicy) -> Result<Fetched, FetchError> {
    for _ in 0..=MAX_REDIRECTS {
        let failed = |reason: String| FetchError::Failed {
            url: display(&url),
            reason,
        };
        let response = get(&url, policy).await?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| failed(format!("{status} without a Location header")))?;
            url = parse(
                url.join(location)
                    .map_err(|e| failed(format!("bad redirect Location: {e}")))?
                    .as_str(),
            )?;
            continue;
        }
        if !status.is_success() {
            return Err(failed(format!("the server answered {status}")));
        }
        let body = Limited::new(response.into_body(), policy.max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    failed(format!(
                        "the body is larger than {} bytes",
                        policy.max_bytes
                    ))
                } else {
                    failed(format!("reading the body: {e}"))
                }
            })?
            .to_bytes()
            .to_vec();
        let sha256 = hex::encode(Sha256::digest(&body));
        return Ok(Fetched {
            bytes: body,
            sha256,
        });
    }
    Err(FetchError::Failed {
        url: display(&url),
        reason: format!("more than {MAX_REDIRECTS} redirects"),
    })
}

/// One GET to a checked address.
async fn get(
    url: &url::Url,
    policy: FetchPolicy,
) -> Result<http::Response<hyper::body::Incoming>, FetchError> {
    let failed = |reason: String| FetchError::Failed {
        url: display(url),
        reason,
    };
    let host = url.host_str().unwrap_or_default();
    let addrs = resolve(url, policy).await?;
    let tcp = crate::runtime::connect(&addrs)
        .await
        .map_err(|e| failed(format!("cannot connect: {e}")))?;
    let io: Box<dyn Stream> = if url.scheme() == "https" {
        let name = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::from(ip),
            Err(_) => rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|_| failed("the host is not a valid TLS server name".into()))?,
        };
        let tls = tokio_rustls::TlsConnector::from(crate::runtime::tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| failed(format!("TLS: {e}")))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| failed(format!("HTTP: {e}")))?;
    tokio::spawn(connection);
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    // `Url::port` is `None` for the scheme's default port.
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let request = http::Request::get(target)
        .header(http::header::HOST, authority)
        .header(
            http::header::USER_AGENT,
            concat!("skillhost/", env!("CARGO_PKG_VERSION")),
        )
        .header(http::header::ACCEPT, "application/wasm, */*")
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed(format!("building the request: {e}")))?;
    sender
        .send_request(request)
        .await
        .map_err(|e| failed(format!("HTTP: {e}")))
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// The URL's addresses, each checked.
async fn resolve(url: &url::Url, policy: FetchPolicy) -> Result<Vec<SocketAddr>, FetchError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(name)) => {
            let lookup = tokio::net::lookup_host((name, port));
            tokio::time::timeout(Duration::from_secs(5), lookup)
                .await
                .map_err(|_| FetchError::Failed {
                    url: display(url),
                    reason: format!("resolving {name} timed out"),
                })?
                .map_err(|e| FetchError::Failed {
                    url: display(url),
                    reason: format!("cannot resolve {name}: {e}"),
                })?
                .collect()
        }
        None => return Err(FetchError::InvalidUrl("the URL has no host".into())),
    };
    if !policy.allow_private {
        // One non-public answer refuses the whole name: a name that mixes
        // public and private addresses is how rebinding attacks start.
        if let Some((addr, reason)) = addrs
            .iter()
            .find_map(|a| non_public_reason(a.ip()).map(|r| (a, r)))
        {
            return Err(FetchError::Refused(format!(
                "{} resolves to {}, a {reason} address; skill sources must be public \
                 (an operator can allow private sources with --allow-private-sources)",
                url.host_str().unwrap_or_default(),
                addr.ip()
            )));
        }
    }
    if addrs.is_empty() {
        return Err(FetchError::Failed {
            url: display(url),
            reason: "the host has no addresses".into(),
        });
    }
    Ok(addrs)
}
