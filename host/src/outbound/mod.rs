//! The one egress guard: every request the service makes to the outside (a
//! guest's `wasi:http` request, a source fetch, and every later kind of
//! ability) goes through [`Outbound::send`], which
//!
//! - matches the request's scheme, host and port against the allowed
//!   origins;
//! - resolves names itself, refuses non-public addresses unless the rule
//!   allows them, and lets the client connect only to checked addresses
//!   ([`address`]);
//! - follows redirects only when asked, re-checking every hop;
//! - bounds connect time, total time, time between bytes, and request and
//!   response bytes;
//! - replaces any header the host injects (credentials) so a caller cannot
//!   set it;
//! - reports every request, refused or not, to the call's [`Exchanges`].
//!
//! The HTTP client is reqwest (HTTP/1.1, rustls with ring and the webpki
//! roots, no proxies: a proxy would connect to addresses nobody checked).
pub mod address;
mod body;
mod error;
mod limits;
mod mcp;
pub mod mcp_client;
mod report;

pub use address::{AddressRefused, AddressRule};
pub use body::ResponseBody;
pub use error::{OutboundError, Phase};
pub use limits::Limits;
pub use mcp::GuardedMcpHttp;
pub use report::{Exchange, Exchanges};

use crate::capability::{NetworkPattern, Scheme};
use address::CheckedResolver;
use bytes::Bytes;
use http::{Method, StatusCode};
use ipnet::IpNet;
use report::Pending;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which origins a request may go to.
#[derive(Debug, Clone, Copy)]
pub enum Origins<'a> {
    /// Any http(s) origin (source fetches: the address rule still applies).
    Any,
    /// Only these (a skill's declared ∩ granted network patterns).
    Only(&'a [NetworkPattern]),
}

pub use crate::capability::Injection;

/// The rules of one request.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Allowed origins.
    pub origins: Origins<'a>,
    /// Whether non-public addresses are reachable.
    pub allow_private: bool,
    /// Redirects followed at most (0: a 3xx is returned as it is).
    pub max_redirects: usize,
    /// Total time and sizes (connect and between-bytes limits are the
    /// service's, see [`OutboundConfig`]).
    pub limits: Limits,
    /// Headers the host adds.
    pub inject: &'a [Injection],
}

/// A whole answer to one of the host's own requests.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Whether its `Content-Type` says JSON.
    pub json: bool,
    /// Its body.
    pub body: Bytes,
}

/// The operator's outbound settings.
#[derive(Debug, Clone, Default)]
pub struct OutboundConfig {
    /// Non-public ranges reachable without `allowPrivateNetwork`.
    pub allowed_ranges: Vec<IpNet>,
    /// Default limits; connect and between-bytes apply to every request.
    pub limits: Limits,
}

/// The guard and its HTTP clients. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    inner: Arc<Inner>,
}

struct Inner {
    /// The clients of each tokio runtime that sent requests. A pooled
    /// connection is driven by a task of the runtime that opened it; reused
    /// from another runtime after that one is gone, it fails the request
    /// ("runtime dropped the dispatch task"). A process normally has one
    /// runtime; tests and embedding programs may have many.
    clients: std::sync::Mutex<std::collections::HashMap<tokio::runtime::Id, Clients>>,
    public_rule: AddressRule,
    config: OutboundConfig,
}

/// One runtime's clients, one per address rule, so that a connection made
/// under one rule is never pooled for a request under the other.
#[derive(Clone)]
struct Clients {
    /// For requests under the default address rule.
    public: reqwest::Client,
    /// For requests that may reach private addresses.
    private: reqwest::Client,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound::new(OutboundConfig::default())
    }
}

impl Outbound {
    /// Builds the clients.
    pub fn new(config: OutboundConfig) -> Outbound {
        let public_rule = AddressRule {
            allow_private: false,
            allowed_ranges: Arc::new(config.allowed_ranges.clone()),
        };
        Outbound {
            inner: Arc::new(Inner {
                clients: Default::default(),
                public_rule,
                config,
            }),
        }
    }

    /// The calling runtime's client for `allow_private`.
    fn client(&self, allow_private: bool) -> reqwest::Client {
        let runtime = tokio::runtime::Handle::current().id();
        let mut clients = self.inner.clients.lock().expect("outbound clients");
        let clients = clients.entry(runtime).or_insert_with(|| {
            let public = self.inner.public_rule.clone();
            let private = AddressRule {
                allow_private: true,
                ..public.clone()
            };
            Clients {
                public: client(public, &self.inner.config.limits),
                private: client(private, &self.inner.config.limits),
            }
        });
        if allow_private {
            clients.private.clone()
        } else {
            clients.public.clone()
        }
    }

    /// The operator's default limits.
    pub fn limits(&self) -> Limits {
        self.inner.config.limits
    }

    /// Sends `request` under `rules`; the response body streams, bounded,
    /// and is reported to `log` when it ends.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
        rules: &Rules<'_>,
        log: &Exchanges,
    ) -> Result<http::Response<ResponseBody>, OutboundError> {
        let (parts, body) = request.into_parts();
        if body.len() > rules.limits.max_request_bytes {
            return Err(OutboundError::RequestTooLarge {
                limit: rules.limits.max_request_bytes,
            });
        }
        let mut url = url::Url::parse(&parts.uri.to_string())
            .map_err(|e| OutboundError::InvalidUrl(e.to_string()))?;
        let mut method = parts.method;
        let mut body = body;
        let mut headers = parts.headers;
        // The client sets Host from the URL it actually requests.
        headers.remove(http::header::HOST);
        let started = Instant::now();
        let mut hops = 0;
        loop {
            let target = Target::of(&url)?;
            let pending = Pending {
                method: method.to_string(),
                origin: target.origin(),
                started: Instant::now(),
                sink: log.clone(),
            };
            if let Err(refused) = self.check(&target, rules) {
                pending.finish(None, 0, Some(&refused));
                return Err(refused);
            }
            let mut sent = headers.clone();
            for injection in rules.inject {
                sent.remove(&injection.name);
            }
            for injection in rules.inject {
                if injection
                    .origin
                    .matches(target.scheme, &target.host, target.port)
                {
                    let mut value = injection.value.clone();
                    value.set_sensitive(true);
                    sent.append(injection.name.clone(), value);
                }
            }
            let remaining = rules.limits.total.saturating_sub(started.elapsed());
            let result = self
                .client(rules.allow_private)
                .request(method.clone(), url.clone())
                .headers(sent)
                .body(body.clone())
                .timeout(remaining)
                .send()
                .await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    let error = OutboundError::from_client(&e, &target.origin(), &rules.limits);
                    pending.finish(None, 0, Some(&error));
                    return Err(error);
                }
            };
            let status = response.status();
            if status.is_redirection() && rules.max_redirects > 0 {
                pending.finish(Some(status.as_u16()), 0, None);
                if hops == rules.max_redirects {
                    return Err(OutboundError::Redirect(format!(
                        "more than {} redirects",
                        rules.max_redirects
                    )));
                }
                hops += 1;
                url = next_location(&url, &response)?;
                if status == StatusCode::SEE_OTHER
                    || (method == Method::POST
                        && matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND))
                {
                    method = Method::GET;
                    body = Bytes::new();
                }
                // Credentials the caller set were meant for the first origin.
                headers.remove(http::header::AUTHORIZATION);
                headers.remove(http::header::COOKIE);
                continue;
            }
            let response: http::Response<reqwest::Body> = response.into();
            let (parts, inner) = response.into_parts();
            let body = ResponseBody::new(
                inner,
                rules.limits,
                status.as_u16(),
                target.origin(),
                pending,
            );
            return Ok(http::Response::from_parts(parts, body));
        }
    }

    /// Sends `request` under `rules` and reads the whole answer (bounded by
    /// the rules' response limit): the host's own calls to an API
    /// (instructions, OpenAPI operations) judge it whole.
    pub async fn exchange(
        &self,
        request: http::Request<Bytes>,
        rules: &Rules<'_>,
        log: &Exchanges,
    ) -> Result<Answer, OutboundError> {
        let response = self.send(request, rules, log).await?;
        let status = response.status();
        let json = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let body = response.into_body().bytes().await?;
        Ok(Answer { status, json, body })
    }

    /// GET `url` under `rules` and read the whole body; any status is
    /// returned to the caller to judge.
    pub async fn get_bytes(
        &self,
        url: &url::Url,
        accept: &str,
        rules: &Rules<'_>,
        log: &Exchanges,
    ) -> Result<(StatusCode, Bytes), OutboundError> {
        let request = http::Request::get(url.as_str())
            .header(http::header::ACCEPT, accept)
            .body(Bytes::new())
            .map_err(|e| OutboundError::InvalidUrl(e.to_string()))?;
        let response = self.send(request, rules, log).await?;
        let status = response.status();
        let body = response.into_body().bytes().await?;
        Ok((status, body))
    }

    /// The origin and literal-address checks; names are checked by the
    /// resolver when the client connects.
    fn check(&self, target: &Target, rules: &Rules<'_>) -> Result<(), OutboundError> {
        if let Origins::Only(patterns) = rules.origins
            && !patterns
                .iter()
                .any(|p| p.matches(target.scheme, &target.host, target.port))
        {
            let reason = if patterns.is_empty() {
                "the skill has no network access"
            } else {
                "no declared and granted network pattern matches"
            };
            return Err(OutboundError::OriginNotAllowed {
                origin: target.origin(),
                reason: reason.into(),
            });
        }
        if let Ok(ip) = target.host.parse::<IpAddr>() {
            let rule = AddressRule {
                allow_private: rules.allow_private,
                ..self.inner.public_rule.clone()
            };
            rule.check(&target.host, ip)
                .map_err(|refused| OutboundError::AddressRefused {
                    origin: target.origin(),
                    refused,
                })?;
        }
        Ok(())
    }
}

fn client(rule: AddressRule, limits: &Limits) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver { rule }))
        .tls_backend_preconfigured(tls_config())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .connect_timeout(limits.connect)
        .read_timeout(limits.between_bytes)
        // An idle upstream connection is reused for a while, then closed
        // before a typical server's own keep-alive timeout closes it.
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("skillhost/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the outbound client's settings are valid")
}

/// Checks that `url` is one the guard could send to at all (http or https,
/// a host, no credentials), before anything else is done with it.
pub fn check_url(url: &url::Url) -> Result<(), OutboundError> {
    Target::of(url).map(|_| ())
}

/// The origin (`scheme://host:port`) a URL's requests go to, as the
/// pattern a declaration names; an error says why the URL is unusable.
pub fn origin_pattern(url: &url::Url) -> Result<NetworkPattern, String> {
    check_url(url).map_err(|e| e.to_string())?;
    NetworkPattern::parse(&url.origin().ascii_serialization()).map_err(|e| e.to_string())
}

/// Where a request goes.
struct Target {
    scheme: Scheme,
    /// As [`crate::capability::host_of`] writes it.
    host: String,
    port: u16,
}

impl Target {
    fn of(url: &url::Url) -> Result<Target, OutboundError> {
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(OutboundError::InvalidUrl(format!(
                    "scheme `{other}` is not supported; use http or https"
                )));
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OutboundError::InvalidUrl(
                "credentials in the URL are not accepted (they would be stored and shown)".into(),
            ));
        }
        let Some(host) = crate::capability::host_of(url) else {
            return Err(OutboundError::InvalidUrl("the URL has no host".into()));
        };
        let port = url.port().unwrap_or(scheme.default_port());
        Ok(Target { scheme, host, port })
    }

    fn origin(&self) -> String {
        let scheme = self.scheme.as_str();
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

fn next_location(url: &url::Url, response: &reqwest::Response) -> Result<url::Url, OutboundError> {
    let status = response.status();
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| OutboundError::Redirect(format!("{status} without a Location header")))?;
    url.join(location)
        .map_err(|e| OutboundError::Redirect(format!("bad redirect Location: {e}")))
}

/// TLS client settings: the webpki roots, ring, safe default versions.
fn tls_config() -> rustls::ClientConfig {
    static CONFIG: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth()
        })
        .clone()
}
