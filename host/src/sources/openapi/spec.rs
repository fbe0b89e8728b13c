//! The stored form: an [`ApiSpec`] of [`Operation`]s, what the host keeps
//! of a document and calls from.
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// The input property that carries the request body.
pub const BODY_PROPERTY: &str = "requestBody";

/// An OpenAPI document as the host calls it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiSpec {
    /// `info.title`.
    pub title: String,
    /// `info.version`, as written.
    pub version: String,
    /// `info.description`, else `info.summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every operation's path is appended to this (no trailing `/`).
    #[serde(with = "url_text")]
    pub base_url: Url,
    /// In the document's order of paths.
    pub operations: Vec<Operation>,
    /// `components.securitySchemes`, plus any scheme a requirement names
    /// that is not defined (as unsupported).
    #[serde(default)]
    pub schemes: BTreeMap<String, Scheme>,
}

/// One path and method: one ability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// The tool name: `[A-Za-z0-9_-]{1,64}`, unique in the document.
    pub name: String,
    /// What agents read.
    pub description: String,
    /// Upper case, e.g. `GET`.
    pub method: String,
    /// The path template, e.g. `/pets/{petId}`.
    pub path: String,
    /// Where each input property goes.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The body, from the input's [`BODY_PROPERTY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Alternatives (any one will do) of requirements (all at once);
    /// empty: no credential needed.
    #[serde(default)]
    pub security: Vec<BTreeMap<String, Vec<String>>>,
    /// JSON Schema of the input: an object of the parameters and the body.
    pub input_schema: Value,
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// The name the API knows.
    pub name: String,
    /// The input property holding it (`<name>_<location>` when another
    /// location already uses the name).
    pub property: String,
    /// Where it goes.
    pub location: Location,
    /// Path parameters always are.
    pub required: bool,
}

/// Where a parameter or an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// The `Cookie` header.
    Cookie,
}

impl Location {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// The request body of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    /// Sent as `Content-Type`; also picks the encoding.
    pub content_type: String,
    /// The input must carry it.
    pub required: bool,
}

/// A security scheme, as far as the host can fill it from one secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scheme {
    /// The secret as is, in a header, query parameter or cookie.
    ApiKey {
        /// Of the header, parameter or cookie.
        name: String,
        /// Never `Path`.
        location: Location,
    },
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: Basic <base64 of user:password>`.
    Basic,
    /// oauth2 or openIdConnect: the operator supplies an access token,
    /// sent as a bearer token (the host runs no OAuth flow).
    #[serde(rename = "oauth")]
    OAuth,
    /// Anything else (mutualTLS, other http schemes, an undefined name).
    Unsupported {
        /// What the document says, e.g. `mutualTLS` or `http digest`.
        kind: String,
    },
}

/// Header parameters the host never takes from input: `Accept`,
/// `Content-Type` and `Authorization` (OpenAPI says to ignore them), and
/// those that would let input change where or how the request goes.
pub(super) fn is_reserved_header(name: &str) -> bool {
    const RESERVED: [&str; 15] = [
        "accept",
        "content-type",
        "authorization",
        "cookie",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "proxy-authorization",
        "proxy-connection",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// `Url` as its text in the stored form (whatever `url`'s own serde
/// feature says).
mod url_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use url::Url;

    pub fn serialize<S: Serializer>(url: &Url, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(url.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
        let text = String::deserialize(d)?;
        Url::parse(&text).map_err(D::Error::custom)
    }
}
