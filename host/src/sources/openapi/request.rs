//! One call of an operation: the HTTP request built from the agent's input
//! and the attached credential, confined to the document's base URL.

use super::security::fillable;
use super::spec::{BODY_PROPERTY, Location, Operation, Scheme, is_reserved_header};
use crate::capability::{COOKIE_VALUE, UNRESERVED};
use base64::Engine;
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderName, HeaderValue, Method};
use percent_encoding::{AsciiSet, utf8_percent_encode};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use url::Url;

/// A path parameter's value is one segment: everything but RFC 3986's
/// unreserved characters is escaped, `/`, `?`, `#` and `%` included, so
/// no value can add a segment, start the query or decode to a dot segment.
/// Cookie values use [`COOKIE_VALUE`]; both sets are the redactor's too.
const SEGMENT: &AsciiSet = UNRESERVED;

/// The request to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The operation's method.
    pub method: Method,
    /// Within the base URL. An API key that goes in the query is part of
    /// it, so the URL is as secret as the headers marked sensitive.
    pub url: Url,
    /// Header parameters, the `Cookie` header, the credential's header
    /// (marked sensitive).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Content type and bytes.
    pub body: Option<(String, Vec<u8>)>,
}

/// Why a call cannot be built. No message carries the credential.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// The input does not fit the operation.
    #[error("input `{field}`: {message}")]
    InvalidInput {
        /// The input property.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The operation needs a credential and the attachment has none.
    #[error(
        "this operation needs a credential ({}) and none is attached: attach the skill with a `credentialId` naming a tenant secret that holds it",
        .schemes.join(" or ")
    )]
    CredentialRequired {
        /// The security schemes that one secret could fill.
        schemes: Vec<String>,
    },
    /// The attached secret cannot be sent as the scheme needs.
    #[error("the attached credential cannot be sent: {reason}")]
    Credential {
        /// Why, without the value.
        reason: String,
    },
    /// No security alternative of the operation is one the host can fill.
    #[error("this operation cannot be called: {reason}")]
    Unsupported {
        /// Which alternatives it has.
        reason: String,
    },
    /// The stored operation itself is unusable.
    #[error("the operation is unusable: {reason}; fix the document and sync the skill again")]
    Operation {
        /// What is wrong.
        reason: String,
    },
}

/// Builds the request for one call of `op`: path, query, header and cookie
/// parameters and the body from `input`, and the credential as the
/// operation's security says. The input is expected to be validated
/// against `op.input_schema` already; what would still break the request
/// is refused here. The URL never leaves `base_url` (same origin, under
/// its path), whatever the input holds.
pub fn build_request(
    base_url: &Url,
    op: &Operation,
    schemes: &BTreeMap<String, Scheme>,
    input: &Map<String, Value>,
    credential: Option<&str>,
) -> Result<Prepared, RequestError> {
    let method = Method::from_bytes(op.method.as_bytes()).map_err(|_| RequestError::Operation {
        reason: format!("`{}` is not an HTTP method", op.method),
    })?;
    let auth = choose_credential(op, schemes, credential)?;

    let mut url = base_url.clone();
    url.set_fragment(None);
    let prefix = base_url.path().trim_end_matches('/');
    let rendered = render_path(op, input)?;
    let slash = if rendered.starts_with('/') { "" } else { "/" };
    url.set_path(&format!("{prefix}{slash}{rendered}"));

    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut cookies: Vec<(String, String)> = Vec::new();
    for param in &op.parameters {
        let value = match input.get(&param.property) {
            None | Some(Value::Null) if param.required => return Err(missing(&param.property)),
            None | Some(Value::Null) => continue,
            Some(value) => value,
        };
        match param.location {
            Location::Path => {}
            Location::Query => match value {
                // OpenAPI's default for arrays: `form`, exploded.
                Value::Array(items) => query.extend(
                    items
                        .iter()
                        .filter(|v| !v.is_null())
                        .map(|v| (param.name.clone(), query_text(v))),
                ),
                // Objects go as their JSON text: deepObject and the other
                // styles are not modelled.
                value => query.push((param.name.clone(), query_text(value))),
            },
            Location::Header => {
                let name = header_name(&param.name)?;
                let text = match value {
                    // OpenAPI's `simple` style for an array.
                    Value::Array(items) => items
                        .iter()
                        .map(scalar_text)
                        .collect::<Option<Vec<_>>>()
                        .map(|v| v.join(",")),
                    value => scalar_text(value),
                }
                .ok_or_else(|| invalid(&param.property, "must be a string, number or boolean"))?;
                let header = HeaderValue::from_str(&text).map_err(|_| {
                    invalid(
                        &param.property,
                        "must not contain line breaks or other control characters",
                    )
                })?;
                headers.push((name, header));
            }
            Location::Cookie => {
                let text = scalar_text(value).ok_or_else(|| {
                    invalid(&param.property, "must be a string, number or boolean")
                })?;
                cookies.push((
                    param.name.clone(),
                    utf8_percent_encode(&text, COOKIE_VALUE).to_string(),
                ));
            }
        }
    }

    let body = match &op.body {
        Some(body) => match input.get(BODY_PROPERTY) {
            None | Some(Value::Null) if body.required => return Err(missing(BODY_PROPERTY)),
            None | Some(Value::Null) => None,
            Some(value) => Some((
                body.content_type.clone(),
                encode_body(&body.content_type, value)?,
            )),
        },
        None => None,
    };

    let mut cookie_is_secret = false;
    if let Some((scheme_name, scheme, secret)) = auth {
        match scheme {
            Scheme::ApiKey {
                name,
                location: Location::Header,
            } => {
                let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| RequestError::Operation {
                    reason: format!("security scheme `{scheme_name}` names header `{name}`, which is not a valid header name"),
                })?;
                set_secret_header(&mut headers, header, secret)?;
            }
            Scheme::ApiKey {
                name,
                location: Location::Query,
            } => {
                query.retain(|(k, _)| k != name);
                query.push((name.clone(), secret.to_owned()));
            }
            Scheme::ApiKey {
                name,
                location: Location::Cookie,
            } => {
                if secret.contains([';', ',', '"', '\\'])
                    || secret.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(RequestError::Credential {
                        reason: "a cookie value cannot hold whitespace, `;`, `,`, `\"` or `\\`"
                            .into(),
                    });
                }
                cookies.retain(|(k, _)| k != name);
                cookies.push((name.clone(), secret.to_owned()));
                cookie_is_secret = true;
            }
            Scheme::ApiKey {
                location: Location::Path,
                ..
            } => {
                return Err(RequestError::Operation {
                    reason: format!("security scheme `{scheme_name}` puts its key in the path"),
                });
            }
            Scheme::Bearer | Scheme::OAuth => {
                let value = if has_prefix(secret, "Bearer ") {
                    secret.to_owned()
                } else {
                    format!("Bearer {secret}")
                };
                set_secret_header(&mut headers, AUTHORIZATION, &value)?;
            }
            Scheme::Basic => {
                let value = if has_prefix(secret, "Basic ") {
                    secret.to_owned()
                } else if secret.contains(':') {
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(secret)
                    )
                } else {
                    // No `:`: already `base64(user:password)`.
                    format!("Basic {secret}")
                };
                set_secret_header(&mut headers, AUTHORIZATION, &value)?;
            }
            Scheme::Unsupported { .. } => unreachable!("fillable() yields supported schemes only"),
        }
    }

    if !cookies.is_empty() {
        let text = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut value = HeaderValue::from_str(&text).map_err(|_| RequestError::Operation {
            reason: "a cookie parameter's name is not valid in a Cookie header".into(),
        })?;
        value.set_sensitive(cookie_is_secret);
        headers.push((COOKIE, value));
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    if !confined(base_url, &url) {
        return Err(RequestError::InvalidInput {
            field: "path".into(),
            message: "the path parameters would move the request outside the API's base URL".into(),
        });
    }
    Ok(Prepared {
        method,
        url,
        headers,
        body,
    })
}

/// The scheme and secret to send, if any: the first alternative one
/// secret fills; none when the operation needs nothing or also accepts
/// no credential and none is attached.
fn choose_credential<'a>(
    op: &'a Operation,
    schemes: &'a BTreeMap<String, Scheme>,
    credential: Option<&'a str>,
) -> Result<Option<(&'a String, &'a Scheme, &'a str)>, RequestError> {
    if op.security.is_empty() {
        return Ok(None);
    }
    let anonymous = op.security.iter().any(BTreeMap::is_empty);
    // Secrets pasted from a file end with a line break no header carries.
    let secret = credential.map(str::trim).filter(|c| !c.is_empty());
    let mut usable = fillable(&op.security, schemes).peekable();
    match (secret, usable.peek()) {
        (Some(secret), Some(&(name, scheme))) => Ok(Some((name, scheme, secret))),
        _ if anonymous => Ok(None),
        (None, Some(_)) => {
            let mut names: Vec<String> = Vec::new();
            for (name, _) in usable {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            Err(RequestError::CredentialRequired { schemes: names })
        }
        (_, None) => {
            let alternatives: Vec<String> = op
                .security
                .iter()
                .map(|requirement| {
                    requirement
                        .keys()
                        .map(|name| match schemes.get(name) {
                            Some(Scheme::Unsupported { kind }) => format!("{name} ({kind})"),
                            _ => name.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(" and ")
                })
                .collect();
            Err(RequestError::Unsupported {
                reason: format!(
                    "its security needs {}, and the host fills one scheme from one secret: an apiKey, http bearer or basic, or an oauth2 or openIdConnect access token",
                    alternatives.join(" or ")
                ),
            })
        }
    }
}

/// The path template with each `{name}` replaced by its encoded value.
fn render_path(op: &Operation, input: &Map<String, Value>) -> Result<String, RequestError> {
    let mut out = String::new();
    let mut rest = op.path.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let param = op
            .parameters
            .iter()
            .find(|p| p.location == Location::Path && p.name == name)
            .ok_or_else(|| RequestError::Operation {
                reason: format!("the path `{}` has no parameter `{name}`", op.path),
            })?;
        let value = input
            .get(&param.property)
            .filter(|v| !v.is_null())
            .ok_or_else(|| missing(&param.property))?;
        let text = scalar_text(value)
            .ok_or_else(|| invalid(&param.property, "must be a string, number or boolean"))?;
        // URL parsers resolve `.` and `..` segments (WHATWG even when
        // percent-encoded), and an empty one changes the path's shape.
        if text.is_empty() || text == "." || text == ".." {
            return Err(invalid(&param.property, "must not be empty, `.` or `..`"));
        }
        out.extend(utf8_percent_encode(&text, SEGMENT));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    // Values side by side (`{a}{b}`) could still spell a dot segment (the
    // document's own literal ones are its author's, checked by `confined`).
    let dots = |path: &str| {
        path.split('/')
            .filter(|segment| *segment == "." || *segment == "..")
            .count()
    };
    if dots(&out) > dots(&op.path) {
        return Err(invalid(
            "path",
            "the parameters would make a `.` or `..` path segment",
        ));
    }
    Ok(out)
}

/// Same origin, same credentials, and a path under the base path.
fn confined(base: &Url, url: &Url) -> bool {
    let prefix = base.path().trim_end_matches('/');
    let path = url.path();
    url.origin() == base.origin()
        && url.username() == base.username()
        && url.password() == base.password()
        && (path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/')))
}

fn encode_body(content_type: &str, value: &Value) -> Result<Vec<u8>, RequestError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return serde_json::to_vec(value).map_err(|e| invalid(BODY_PROPERTY, &e.to_string()));
    }
    if essence == "application/x-www-form-urlencoded" {
        let Value::Object(fields) = value else {
            return Err(invalid(BODY_PROPERTY, "must be an object of form fields"));
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in fields {
            match value {
                Value::Null => {}
                Value::Array(items) => {
                    for item in items.iter().filter(|v| !v.is_null()) {
                        form.append_pair(key, &query_text(item));
                    }
                }
                value => {
                    form.append_pair(key, &query_text(value));
                }
            }
        }
        return Ok(form.finish().into_bytes());
    }
    let text = scalar_text(value).ok_or_else(|| {
        invalid(
            BODY_PROPERTY,
            &format!("must be a string: it is sent as is, as `{content_type}`"),
        )
    })?;
    Ok(text.into_bytes())
}

fn set_secret_header(
    headers: &mut Vec<(HeaderName, HeaderValue)>,
    name: HeaderName,
    secret: &str,
) -> Result<(), RequestError> {
    let mut value = HeaderValue::from_str(secret).map_err(|_| RequestError::Credential {
        reason: "it holds line breaks or other control characters a header cannot carry".into(),
    })?;
    value.set_sensitive(true);
    headers.retain(|(n, _)| *n != name);
    headers.push((name, value));
    Ok(())
}

fn header_name(name: &str) -> Result<HeaderName, RequestError> {
    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| RequestError::Operation {
        reason: format!("header parameter `{name}` is not a valid header name"),
    })?;
    if is_reserved_header(name) {
        return Err(RequestError::Operation {
            reason: format!("header `{name}` cannot be a parameter"),
        });
    }
    Ok(header)
}

fn has_prefix(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn query_text(value: &Value) -> String {
    scalar_text(value).unwrap_or_else(|| value.to_string())
}

fn missing(field: &str) -> RequestError {
    invalid(field, "is required")
}

fn invalid(field: &str, message: &str) -> RequestError {
    RequestError::InvalidInput {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests;
