//! What each outbound request did, for the call's receipt and its audit
//! record: origin, status, bytes, time, and why it was refused or failed.
//! Never a path, query, header or body: those may carry secrets.
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Requests recorded per call at most; a guest looping on requests should
/// not grow its audit record without bound. Later ones are logged only.
const MAX_RECORDED: usize = 100;

/// One request as the audit sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// Request method.
    pub method: String,
    /// `scheme://host:port`.
    pub origin: String,
    /// Response status, when one arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response body bytes received.
    pub bytes: u64,
    /// From the start of the request to its end (body read, or failure).
    pub duration_ms: u64,
    /// Why the guard refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Why it failed otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The requests of one call; cheap to clone, shared with the tasks that
/// stream response bodies.
#[derive(Debug, Clone, Default)]
pub struct Exchanges(Arc<Mutex<Vec<Exchange>>>);

impl Exchanges {
    pub(super) fn push(&self, exchange: Exchange) {
        tracing::debug!(
            method = %exchange.method,
            origin = %exchange.origin,
            status = exchange.status,
            bytes = exchange.bytes,
            duration_ms = exchange.duration_ms,
            refused = exchange.refused.as_deref(),
            error = exchange.error.as_deref(),
            "outbound request"
        );
        let mut kept = self.0.lock().expect("exchange log");
        if kept.len() < MAX_RECORDED {
            kept.push(exchange);
        } else if kept.len() == MAX_RECORDED {
            tracing::warn!(
                max = MAX_RECORDED,
                "further outbound requests of this call are not kept in its receipt"
            );
        }
    }

    /// Everything recorded so far (at most `MAX_RECORDED`).
    pub fn snapshot(&self) -> Vec<Exchange> {
        self.0.lock().expect("exchange log").clone()
    }
}

/// A request in flight; becomes an [`Exchange`] when it ends.
#[derive(Debug)]
pub(super) struct Pending {
    pub method: String,
    pub origin: String,
    pub started: Instant,
    pub sink: Exchanges,
}

impl Pending {
    pub fn finish(
        &self,
        status: Option<u16>,
        bytes: u64,
        failure: Option<&super::error::OutboundError>,
    ) {
        let (refused, error) = match failure {
            Some(e) if e.is_refusal() => (Some(e.to_string()), None),
            Some(e) => (None, Some(e.to_string())),
            None => (None, None),
        };
        self.sink.push(Exchange {
            method: self.method.clone(),
            origin: self.origin.clone(),
            status,
            bytes,
            duration_ms: self.started.elapsed().as_millis() as u64,
            refused,
            error,
        });
    }
}
