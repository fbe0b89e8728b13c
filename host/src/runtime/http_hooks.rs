//! A guest's `wasi:http` requests, handed to the service's one outbound
//! guard under the call's policy: its declared ∩ granted origins, its
//! private-network switch, no redirects (a guest sees the 3xx, as a
//! browser's `fetch` with `redirect: manual` would), and the operator's
//! limits. Refusals become the guest's `HTTP-request-denied` or
//! `destination-IP-prohibited` and a denial in the call's receipt.
use crate::capability::{Policy, Redactor};
use crate::outbound::{Exchanges, Origins, Outbound, OutboundError, Phase, Rules};
use http_body_util::{BodyExt, Limited};
use serde::Serialize;
use std::sync::{Arc, Mutex, OnceLock};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
>;

/// One thing the sandbox refused during a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// `network` or `secret`.
    pub capability: &'static str,
    /// The URL or name asked for (never a value).
    pub target: String,
    /// Why it was refused.
    pub reason: String,
}

/// The call's redactor, built the first time the guest's own text is
/// about to leave the sandbox (a log record, a denial): most calls write
/// neither, and need not build it.
#[derive(Clone)]
pub struct GuestText {
    policy: Arc<Policy>,
    redactor: Arc<OnceLock<Redactor>>,
}

impl GuestText {
    pub(crate) fn new(policy: Arc<Policy>) -> Self {
        GuestText {
            policy,
            redactor: Arc::default(),
        }
    }

    /// `text` with every secret of the call hidden.
    pub fn redact(&self, text: &str) -> String {
        self.redactor
            .get_or_init(|| self.policy.redactor())
            .text(text)
    }
}

/// Denials recorded during one call; shared with the outgoing-HTTP tasks.
#[derive(Clone)]
pub struct Denials {
    list: Arc<Mutex<Vec<Denial>>>,
    /// A target is what the guest asked for (a secret's name, a URL's
    /// origin): a guest could ask for its secret's value to write it to
    /// the log and the receipt, so both are redacted.
    guest_text: GuestText,
}

impl Denials {
    pub(crate) fn new(guest_text: GuestText) -> Self {
        Denials {
            list: Arc::default(),
            guest_text,
        }
    }

    /// Records a refusal and logs it.
    pub fn record(&self, capability: &'static str, target: String, reason: String) {
        let target = self.guest_text.redact(&target);
        let reason = self.guest_text.redact(&reason);
        tracing::warn!(capability, %target, %reason, "capability denied");
        self.list.lock().expect("denials lock").push(Denial {
            capability,
            target,
            reason,
        });
    }

    /// Everything recorded so far.
    pub fn snapshot(&self) -> Vec<Denial> {
        self.list.lock().expect("denials lock").clone()
    }
}

/// The wasi-http hooks of one call.
pub struct OutboundHooks {
    outbound: Outbound,
    policy: Arc<Policy>,
    denials: Denials,
    exchanges: Exchanges,
}

impl OutboundHooks {
    pub(crate) fn new(
        outbound: Outbound,
        policy: Arc<Policy>,
        denials: Denials,
        exchanges: Exchanges,
    ) -> Self {
        OutboundHooks {
            outbound,
            policy,
            denials,
            exchanges,
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
        let outbound = self.outbound.clone();
        let policy = self.policy.clone();
        let denials = self.denials.clone();
        let exchanges = self.exchanges.clone();
        Box::new(async move {
            let limits = outbound.limits();
            let (parts, body) = request.into_parts();
            // The guest writes its body after `handle` returns; this future
            // runs beside it, so collecting here waits for `finish`.
            let body = match Limited::new(body, limits.max_request_bytes).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    return Err(match e.downcast::<Error>() {
                        Ok(wasi) => *wasi,
                        Err(_) => Error::HttpRequestBodySize(Some(limits.max_request_bytes as u64)),
                    });
                }
            };
            let rules = Rules {
                origins: Origins::Only(&policy.network),
                allow_private: policy.allow_private_network,
                max_redirects: 0,
                limits,
                inject: &policy.inject,
            };
            let request = http::Request::from_parts(parts, body);
            match outbound.send(request, &rules, &exchanges).await {
                Ok(response) => {
                    let response = response.map(|b| b.map_err(wasi_error).boxed_unsync());
                    let io: Box<dyn Future<Output = Result<(), Error>> + Send> =
                        Box::new(async { Ok(()) });
                    Ok((response, io))
                }
                Err(error) => {
                    match &error {
                        OutboundError::OriginNotAllowed { origin, reason } => {
                            denials.record("network", origin.clone(), reason.clone())
                        }
                        OutboundError::AddressRefused { origin, refused } => {
                            denials.record("network", origin.clone(), refused.to_string())
                        }
                        _ => {}
                    }
                    Err(wasi_error(error))
                }
            }
        })
    }
}

/// The `wasi:http` error code a guest sees for each outbound failure.
fn wasi_error(error: OutboundError) -> Error {
    match error {
        OutboundError::InvalidUrl(_) => Error::HttpRequestUriInvalid,
        OutboundError::OriginNotAllowed { .. } => Error::HttpRequestDenied,
        OutboundError::AddressRefused { .. } => Error::DestinationIpProhibited,
        OutboundError::Dns { .. } => Error::DnsError {
            rcode: None,
            info_code: None,
        },
        OutboundError::Connect { refused: true, .. } => Error::ConnectionRefused,
        OutboundError::Connect { reason, .. } => Error::InternalError(Some(reason)),
        OutboundError::Timeout { phase, .. } => match phase {
            Phase::Dns => Error::DnsTimeout,
            Phase::Connect => Error::ConnectionTimeout,
            Phase::BetweenBytes => Error::ConnectionReadTimeout,
            Phase::Total => Error::HttpResponseTimeout,
        },
        OutboundError::RequestTooLarge { limit } => Error::HttpRequestBodySize(Some(limit as u64)),
        OutboundError::ResponseTooLarge { limit } => Error::HttpResponseBodySize(Some(limit)),
        OutboundError::Redirect(_) => Error::LoopDetected,
        OutboundError::Protocol(message) => Error::InternalError(Some(message)),
    }
}
