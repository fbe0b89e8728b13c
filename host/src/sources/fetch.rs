//! Fetching a packaged skill, or a seed 004 source, from an http(s) URL,
//! for installs and syncs.
//!
//! A tenant chooses the URL and the server does the fetching, so the fetch
//! goes through the same outbound guard as a skill's requests: the host name
//! is resolved by the guard, every address is checked, and loopback,
//! private, link-local and metadata addresses are refused unless the
//! operator allows private sources. The connection goes only to a checked
//! address, and each redirect (at most five) is checked again.
use crate::outbound::{Exchanges, Limits, Origins, Outbound, OutboundError, Rules};
use sha2::{Digest, Sha256};
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
    /// The source answered with an error status.
    #[error("fetching {url} failed: the server answered {status}")]
    Status {
        /// The URL (without query string).
        url: String,
        /// The status it answered.
        status: http::StatusCode,
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
    match crate::outbound::check_url(&url) {
        Ok(()) => Ok(url),
        Err(OutboundError::InvalidUrl(message)) => Err(FetchError::InvalidUrl(message)),
        Err(other) => Err(FetchError::InvalidUrl(other.to_string())),
    }
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

/// Fetches `url` through the outbound guard, following checked redirects,
/// and verifies `pin` if given.
pub async fn fetch(
    outbound: &Outbound,
    url: &url::Url,
    pin: Option<&str>,
    policy: FetchPolicy,
) -> Result<Fetched, FetchError> {
    let fetched = fetch_as(outbound, url, "application/wasm, */*", policy).await?;
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

/// Fetches `url` through the outbound guard, asking for `accept`, with
/// the same rules as a component: any public origin (private ones only
/// when the operator allows private sources), checked redirects, bounded
/// time and size. Seed 004's sources (SKILL.md folders, OpenAPI documents,
/// registries) are fetched here too.
pub async fn fetch_as(
    outbound: &Outbound,
    url: &url::Url,
    accept: &str,
    policy: FetchPolicy,
) -> Result<Fetched, FetchError> {
    let rules = Rules {
        origins: Origins::Any,
        allow_private: policy.allow_private,
        max_redirects: MAX_REDIRECTS,
        limits: Limits {
            total: FETCH_TIMEOUT,
            max_response_bytes: policy.max_bytes as u64,
            ..outbound.limits()
        },
        inject: &[],
    };
    let failed = |reason: String| FetchError::Failed {
        url: display(url),
        reason,
    };
    let (status, body) = outbound
        .get_bytes(url, accept, &rules, &Exchanges::default())
        .await
        .map_err(|e| match e {
            OutboundError::InvalidUrl(m) => FetchError::InvalidUrl(m),
            OutboundError::AddressRefused { refused, .. } => FetchError::Refused(format!(
                "{} resolves to {}, a {} address; skill sources must be public \
                 (an operator can allow private sources with --allow-private-sources)",
                refused.host, refused.addr, refused.kind
            )),
            other => failed(other.to_string()),
        })?;
    if !status.is_success() {
        return Err(FetchError::Status {
            url: display(url),
            status,
        });
    }
    let sha256 = hex::encode(Sha256::digest(&body));
    Ok(Fetched {
        bytes: body.to_vec(),
        sha256,
    })
}

/// The URL as it may appear in messages: no query string, which may carry
/// tokens.
fn display(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}
