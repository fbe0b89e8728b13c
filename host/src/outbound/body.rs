//! A response body as the caller reads it: bounded in bytes, with the
//! client's errors classified, and reported to the call's receipt when it
//! ends (read to the end, failed, or dropped half-read).
use super::error::OutboundError;
use super::limits::Limits;
use super::report::Pending;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The body of a response from [`super::Outbound::send`].
pub struct ResponseBody {
    inner: reqwest::Body,
    received: u64,
    limits: Limits,
    status: u16,
    origin: String,
    /// `None` once the exchange has been reported.
    pending: Option<Pending>,
}

impl ResponseBody {
    pub(super) fn new(
        inner: reqwest::Body,
        limits: Limits,
        status: u16,
        origin: String,
        pending: Pending,
    ) -> Self {
        ResponseBody {
            inner,
            received: 0,
            limits,
            status,
            origin,
            pending: Some(pending),
        }
    }

    fn report(&mut self, failure: Option<&OutboundError>) {
        if let Some(pending) = self.pending.take() {
            pending.finish(Some(self.status), self.received, failure);
        }
    }

    /// Reads the whole body into memory (bounded by the response limit).
    pub async fn bytes(self) -> Result<Bytes, OutboundError> {
        use http_body_util::BodyExt;
        Ok(self.collect().await?.to_bytes())
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = OutboundError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
        let this = &mut *self;
        if this.pending.is_none() {
            return Poll::Ready(None);
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            None => {
                this.report(None);
                Poll::Ready(None)
            }
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if this.received > this.limits.max_response_bytes {
                        let error = OutboundError::ResponseTooLarge {
                            limit: this.limits.max_response_bytes,
                        };
                        this.report(Some(&error));
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                let error = OutboundError::from_client(&e, &this.origin, &this.limits);
                this.report(Some(&error));
                Poll::Ready(Some(Err(error)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_none() || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        if self.pending.is_some() && !self.inner.is_end_stream() {
            let abandoned =
                OutboundError::Protocol("the caller stopped reading before the end".into());
            self.report(Some(&abandoned));
        } else {
            self.report(None);
        }
    }
}
