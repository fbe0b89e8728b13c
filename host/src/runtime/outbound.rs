//! Outgoing HTTP: every request is matched against the call's network
//! patterns, its host name is resolved here, every resolved address is
//! checked, and the connection goes only to an address that passed. The
//! name is never resolved a second time, so DNS rebinding cannot swap in a
//! private address after the check.
use super::state::Denials;
use crate::capability::{NetworkPattern, Policy, Scheme, non_public_reason};
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// DNS answers slower than this are treated as failures.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);
/// Connection attempts slower than this fail; the call's own timeout still
/// bounds everything.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
>;

/// The wasi-http hooks of one call.
pub struct OutboundHooks {
    policy: Arc<Policy>,
    denials: Denials,
}

impl OutboundHooks {
    pub(crate) fn new(policy: Arc<Policy>, denials: Denials) -> Self {
        OutboundHooks { policy, denials }
    }
}

/// Where a request goes, taken from its URI.
struct Destination {
    scheme: Scheme,
    host: String,
    port: u16,
}

impl Destination {
    fn of(uri: &http::Uri) -> Option<Destination> {
        let scheme = match uri.scheme_str()? {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        let authority = uri.authority()?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(scheme.default_port());
        Some(Destination { scheme, host, port })
    }

    fn display(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let Some(dest) = Destination::of(request.uri()) else {
            self.denials.record(
                "network",
                request.uri().to_string(),
                "not an absolute http(s) URL".into(),
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        };
        if !allowed(&self.policy.network, &dest) {
            let reason = if self.policy.network.is_empty() {
                "the skill has no network access".to_owned()
            } else {
                "no declared and granted network pattern matches".to_owned()
            };
            self.denials.record("network", dest.display(), reason);
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let allow_private = self.policy.allow_private_network;
        let denials = self.denials.clone();
        Box::new(async move {
            let addrs = resolve(&dest).await?;
            if !allow_private {
                for addr in &addrs {
                    if let Some(kind) = non_public_reason(addr.ip()) {
                        denials.record(
                            "network",
                            dest.display(),
                            format!("{} resolves to a {kind} address ({}), and private networks are not allowed", dest.host, addr.ip()),
                        );
                        return Err(Error::DestinationIpProhibited);
                    }
                }
            }
            send(request, &dest, &addrs).await
        })
    }
}

fn allowed(patterns: &[NetworkPattern], dest: &Destination) -> bool {
    patterns
        .iter()
        .any(|p| p.matches(dest.scheme, &dest.host, dest.port))
}

async fn resolve(dest: &Destination) -> Result<Vec<SocketAddr>, Error> {
    if let Ok(ip) = dest.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, dest.port)]);
    }
    let lookup = tokio::net::lookup_host((dest.host.as_str(), dest.port));
    match tokio::time::timeout(DNS_TIMEOUT, lookup).await {
        Err(_) => Err(Error::DnsTimeout),
        Ok(Err(_)) => Err(Error::DnsError {
            rcode: None,
            info_code: None,
        }),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(Error::DestinationNotFound)
            } else {
                Ok(addrs)
            }
        }
    }
}

/// Connects to the first of `addrs` that answers.
pub(crate) async fn connect(addrs: &[SocketAddr]) -> Result<TcpStream, Error> {
    let mut last = Error::ConnectionRefused;
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Error::ConnectionRefused
            }
            Ok(Err(e)) => last = Error::Connect(e),
            Err(_) => last = Error::ConnectionTimeout,
        }
    }
    Err(last)
}

/// TLS client settings: the webpki roots, ring, safe default versions.
pub(crate) fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Stream for T {}

async fn send(
    mut request: http::Request<WasiBody>,
    dest: &Destination,
    addrs: &[SocketAddr],
) -> SendResult {
    let tcp = connect(addrs).await?;
    let stream: Box<dyn Stream> = match dest.scheme {
        Scheme::Http => Box::new(tcp),
        Scheme::Https => {
            let name = match dest.host.parse::<IpAddr>() {
                Ok(ip) => rustls::pki_types::ServerName::from(ip),
                Err(_) => rustls::pki_types::ServerName::try_from(dest.host.clone())
                    .map_err(|_| Error::HttpRequestUriInvalid)?,
            };
            let tls = tokio_rustls::TlsConnector::from(tls_config())
                .connect(name, tcp)
                .await
                .map_err(Error::Tls)?;
            Box::new(tls)
        }
    };
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let _ = done_tx.send(connection.await.map_err(Error::from));
    });
    // The request line carries only the path; the Host header names the host.
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    *request.uri_mut() = path.parse().map_err(|_| Error::HttpRequestUriInvalid)?;
    let response = sender.send_request(request).await?;
    let response = response.map(|body| body.map_err(Error::from).boxed_unsync());
    let io = async move { done_rx.await.unwrap_or(Ok(())) };
    Ok((
        response,
        Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
    ))
}
