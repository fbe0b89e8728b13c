//! Calls an HTTP API on localhost through the host's outgoing-HTTP policy.
use serde::{Deserialize, Serialize};
use skillhost_sdk::{Error, Json, JsonSchema, http};
use std::collections::BTreeMap;

/// Input of `request`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Absolute URL, e.g. `http://localhost:8000/v1/status`.
    pub url: String,
    /// HTTP method; GET when omitted.
    #[serde(default)]
    pub method: Option<String>,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body: a string is sent as it is, anything else as JSON.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// A JSON Pointer applied to a JSON response body, to return only part of it.
    #[serde(default)]
    pub pointer: Option<String>,
}

/// What `request` returns.
#[derive(Serialize)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body: JSON when it parses as JSON, otherwise text.
    pub body: serde_json::Value,
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Sends an HTTP request to an API on localhost and returns the status and the body (parsed when it is JSON).
    pub fn request(input: Call) -> Result<Json<Reply>, Error> {
        let mut request = http::Request::new(input.method.as_deref().unwrap_or("GET"), &input.url);
        for (name, value) in &input.headers {
            request = request.header(name, value);
        }
        match input.body {
            None => {}
            Some(serde_json::Value::String(text)) => request = request.body(text.into_bytes()),
            Some(json) => {
                request = request
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&json)?)
            }
        }
        let response = request.send()?;
        skillhost_sdk::log::debug(
            "fetched",
            &[
                ("url", &input.url),
                ("status", &response.status.to_string()),
            ],
        );
        let mut body = match serde_json::from_slice::<serde_json::Value>(&response.body) {
            Ok(json) => json,
            Err(_) => serde_json::Value::String(response.text()),
        };
        if let Some(pointer) = &input.pointer {
            body = body
                .pointer(pointer)
                .cloned()
                .ok_or_else(|| Error::failed(format!("the response has nothing at `{pointer}`")))?;
        }
        Ok(Json(Reply {
            status: response.status,
            content_type: response.header("content-type"),
            body,
        }))
    }
}
