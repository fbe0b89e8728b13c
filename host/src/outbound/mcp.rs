//! The HTTP under the remote MCP client (rmcp's streamable HTTP transport),
//! kept behind the guard: every request's URL is checked against the one
//! origin the server was approved for and the address rule before rmcp's
//! reqwest code sends it, on this module's client (names resolved and
//! checked by [`super::address`], no redirects, no proxies, connect and
//! between-bytes limits); rmcp's own response limits bound the bodies. Each
//! request is reported to the call's [`Exchanges`].
use super::report::Pending;
use super::{Exchanges, Outbound, OutboundError, Rules, Target};
use http::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// rmcp's reqwest client on the guard's connections, admitting only what
/// `rules` allow.
#[derive(Clone)]
pub struct GuardedMcpHttp {
    client: reqwest::Client,
    outbound: Outbound,
    /// `None`: any origin (the address rule still applies).
    origins: Option<Vec<crate::capability::NetworkPattern>>,
    allow_private: bool,
    log: Exchanges,
    /// The first request that failed, in the guard's terms: rmcp's error
    /// carries only text, and the caller needs the typed reason.
    failure: Arc<std::sync::Mutex<Option<OutboundError>>>,
}

impl Outbound {
    /// An HTTP client for rmcp's streamable HTTP transport that reaches
    /// only what `rules` allow (its injections are the caller's to pass as
    /// rmcp custom headers).
    pub fn mcp_http(&self, rules: &Rules<'_>, log: &Exchanges) -> GuardedMcpHttp {
        let origins = match rules.origins {
            super::Origins::Any => None,
            super::Origins::Only(patterns) => Some(patterns.to_vec()),
        };
        GuardedMcpHttp {
            client: self.client(rules.allow_private),
            outbound: self.clone(),
            origins,
            allow_private: rules.allow_private,
            log: log.clone(),
            failure: Arc::default(),
        }
    }
}

type HttpResult<T> = Result<T, StreamableHttpError<reqwest::Error>>;

impl GuardedMcpHttp {
    /// The first request of this client that the guard refused or the
    /// network failed, if any.
    pub fn failure(&self) -> Option<OutboundError> {
        self.failure.lock().expect("failure slot").clone()
    }

    fn remember(&self, error: &OutboundError) {
        let mut slot = self.failure.lock().expect("failure slot");
        if slot.is_none() {
            *slot = Some(error.clone());
        }
    }

    /// Checks `uri` and starts its report; a refusal is reported and
    /// returned as an I/O error carrying the guard's reason (rmcp's error
    /// type has no variant of ours).
    fn admit(&self, method: &str, uri: &str) -> HttpResult<Pending> {
        let refuse = |error: OutboundError| {
            self.remember(&error);
            StreamableHttpError::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                error,
            ))
        };
        let url =
            url::Url::parse(uri).map_err(|e| refuse(OutboundError::InvalidUrl(e.to_string())))?;
        let target = Target::of(&url).map_err(refuse)?;
        let pending = Pending {
            method: method.to_owned(),
            origin: target.origin(),
            started: Instant::now(),
            sink: self.log.clone(),
        };
        let rules = Rules {
            origins: match &self.origins {
                None => super::Origins::Any,
                Some(patterns) => super::Origins::Only(patterns),
            },
            allow_private: self.allow_private,
            max_redirects: 0,
            limits: self.outbound.limits(),
            inject: &[],
        };
        if let Err(refused) = self.outbound.check(&target, &rules) {
            pending.finish(None, 0, Some(&refused));
            return Err(refuse(refused));
        }
        Ok(pending)
    }
}

impl GuardedMcpHttp {
    /// Reports how a request ended.
    fn report<T>(&self, pending: Pending, result: &HttpResult<T>, status: impl Fn(&T) -> u16) {
        match result {
            Ok(value) => pending.finish(Some(status(value)), 0, None),
            Err(error) => {
                let failed = classify(error, &pending.origin, &self.outbound.limits());
                self.remember(&failed);
                pending.finish(None, 0, Some(&failed));
            }
        }
    }
}

/// What went wrong with a request of the remote MCP client, in the guard's
/// terms where it was the guard or the network (a refused address, a
/// timeout), else as rmcp says it.
fn classify(
    error: &StreamableHttpError<reqwest::Error>,
    origin: &str,
    limits: &super::limits::Limits,
) -> OutboundError {
    match error {
        StreamableHttpError::Client(e) => OutboundError::from_client(e, origin, limits),
        StreamableHttpError::Io(e) => match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<OutboundError>())
        {
            Some(refused) => refused.clone(),
            None => OutboundError::Protocol(e.to_string()),
        },
        other => OutboundError::Protocol(other.to_string()),
    }
}

fn post_status(response: &StreamableHttpPostResponse) -> u16 {
    match response {
        StreamableHttpPostResponse::Accepted => 202,
        _ => 200,
    }
}

impl StreamableHttpClient for GuardedMcpHttp {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<StreamableHttpPostResponse> {
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            StreamableHttpResponseLimits::default(),
        )
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> HttpResult<StreamableHttpPostResponse> {
        let mut limits = StreamableHttpResponseLimits::default();
        limits.max_sse_event_size = max_sse_event_size;
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            limits,
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> HttpResult<StreamableHttpPostResponse> {
        let pending = self.admit("POST", &uri)?;
        let result = self
            .client
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await;
        self.report(pending, &result, post_status);
        result
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<()> {
        let pending = self.admit("DELETE", &uri)?;
        let result = self
            .client
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await;
        self.report(pending, &result, |_| 200);
        result
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<BoxedSseResponse> {
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            StreamableHttpResponseLimits::default().max_sse_event_size,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> HttpResult<BoxedSseResponse> {
        let pending = self.admit("GET", &uri)?;
        let result = self
            .client
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        self.report(pending, &result, |_| 200);
        result
    }
}
