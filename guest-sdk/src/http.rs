//! Outgoing HTTP over `wasi:http`.
//!
//! The host sends a request only when the URL's scheme, host and port match a
//! `network` pattern of the skill's manifest and the operator's grant, and
//! only to public addresses unless private networks were allowed. A refusal
//! arrives as [`Error::Denied`], never as a trap.
//!
//! ```no_run
//! use skillhost_sdk::http;
//! let response = http::get("https://api.example.com/v1/status")?;
//! assert_eq!(response.status, 200);
//! let body: serde_json::Value = response.json()?;
//! # Ok::<(), skillhost_sdk::Error>(())
//! ```
use crate::Error;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use wasip2::io::streams::StreamError;

/// The largest response body read into memory; a skill's memory limit is the
/// real bound, this only turns a runaway body into a clear error.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// `blocking-write-and-flush` accepts at most 4096 bytes per call.
const WRITE_CHUNK: usize = 4096;

/// An HTTP response with its body read.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as UTF-8 text (invalid sequences replaced).
    ///
    /// ```no_run
    /// let text = skillhost_sdk::http::get("https://api.example.com/")?.text();
    /// # Ok::<(), skillhost_sdk::Error>(())
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded as JSON.
    ///
    /// ```no_run
    /// let v: serde_json::Value = skillhost_sdk::http::get("https://api.example.com/")?.json()?;
    /// # Ok::<(), skillhost_sdk::Error>(())
    /// ```
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::failed(format!("response is not the expected JSON: {e}")))
    }

    /// The first value of header `name` (case-insensitive), as text.
    ///
    /// ```no_run
    /// let ct = skillhost_sdk::http::get("https://api.example.com/")?.header("content-type");
    /// # Ok::<(), skillhost_sdk::Error>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// An outgoing request under construction.
///
/// ```no_run
/// use skillhost_sdk::http::Request;
/// let response = Request::new("POST", "https://api.example.com/notes")
///     .header("content-type", "application/json")
///     .body(br#"{"text":"hi"}"#.to_vec())
///     .send()?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// Sends a GET request to `url`.
///
/// ```no_run
/// let r = skillhost_sdk::http::get("https://api.example.com/")?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
pub fn get(url: &str) -> Result<Response, Error> {
    Request::new("GET", url).send()
}

impl Request {
    /// A request with `method` (e.g. `"GET"`) to an absolute http(s) `url`.
    ///
    /// ```
    /// let req = skillhost_sdk::http::Request::new("GET", "https://api.example.com/");
    /// ```
    pub fn new(method: &str, url: &str) -> Self {
        Request {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    ///
    /// ```
    /// let req = skillhost_sdk::http::Request::new("GET", "https://a.example/").header("accept", "text/plain");
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    /// Sets the body.
    ///
    /// ```
    /// let req = skillhost_sdk::http::Request::new("PUT", "https://a.example/x").body(b"data".to_vec());
    /// ```
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// ```no_run
    /// let r = skillhost_sdk::http::Request::new("GET", "https://api.example.com/").send()?;
    /// # Ok::<(), skillhost_sdk::Error>(())
    /// ```
    pub fn send(self) -> Result<Response, Error> {
        let url = split_url(&self.url)?;
        let headers = Fields::from_list(&self.headers)
            .map_err(|e| Error::invalid_input(format!("bad request header: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        request
            .set_method(&method(&self.method))
            .map_err(|()| Error::invalid_input(format!("bad HTTP method `{}`", self.method)))?;
        request
            .set_scheme(Some(&url.scheme))
            .and_then(|()| request.set_authority(Some(url.authority)))
            .and_then(|()| request.set_path_with_query(Some(&url.path)))
            .map_err(|()| Error::invalid_input(format!("bad URL `{}`", self.url)))?;
        let outgoing_body = request
            .body()
            .map_err(|()| Error::failed("request body unavailable"))?;
        let pending =
            outgoing_handler::handle(request, None).map_err(|e| code_error(&self.url, e))?;
        {
            let stream = outgoing_body
                .write()
                .map_err(|()| Error::failed("request body unavailable"))?;
            for chunk in self.body.chunks(WRITE_CHUNK) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| Error::failed(format!("writing request body: {e:?}")))?;
            }
        }
        OutgoingBody::finish(outgoing_body, None).map_err(|e| code_error(&self.url, e))?;

        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(code_error(&self.url, code)),
            Some(Err(())) | None => return Err(Error::failed("HTTP response was already taken")),
        };
        let status = response.status();
        let headers = response.headers().entries();
        let body = response
            .consume()
            .map_err(|()| Error::failed("response body unavailable"))?;
        let bytes = read_body(&body)?;
        drop(response);
        drop(IncomingBody::finish(body));
        Ok(Response {
            status,
            headers,
            body: bytes,
        })
    }
}

fn read_body(body: &IncomingBody) -> Result<Vec<u8>, Error> {
    let stream = body
        .stream()
        .map_err(|()| Error::failed("response body unavailable"))?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_BODY {
                    return Err(Error::failed(format!(
                        "response body exceeds {MAX_BODY} bytes"
                    )));
                }
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(Error::failed(format!(
                    "reading response: {}",
                    e.to_debug_string()
                )));
            }
        }
    }
}

fn method(name: &str) -> Method {
    match name.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    }
}

/// The host refuses undeclared destinations with `HTTP-request-denied`;
/// that, and a prohibited destination address, are the sandbox saying no.
fn code_error(url: &str, code: ErrorCode) -> Error {
    match code {
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => {
            Error::denied(format!("the sandbox refused a request to {url}"))
        }
        other => Error::failed(format!("request to {url} failed: {other:?}")),
    }
}

struct Url<'a> {
    scheme: Scheme,
    authority: &'a str,
    path: String,
}

fn split_url(url: &str) -> Result<Url<'_>, Error> {
    let bad = || Error::invalid_input(format!("`{url}` is not an absolute http(s) URL"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(bad()),
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.is_empty() {
        return Err(bad());
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    Ok(Url {
        scheme,
        authority,
        path,
    })
}
