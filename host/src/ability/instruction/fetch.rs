//! Rendering a fetch block into the request it describes: placeholders
//! filled (parameters through their operands, references with secret
//! values), then the text read in its form (bare URL, raw HTTP or YAML).
use super::field::{Sigil, as_text};
use super::{FetchForm, Instruction, Segment};
use crate::untrusted::{MAX_RENDERED_BYTES, YamlError};
use serde_json::{Map, Value};

/// The request an instruction describes for one input.
#[derive(Clone, PartialEq)]
pub struct FetchRequest {
    /// Method.
    pub method: http::Method,
    /// Absolute URL, on the instruction's literal origin.
    pub url: url::Url,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for FetchRequest {
    // Headers and bodies may hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRequest")
            .field("method", &self.method)
            .field("origin", &self.url.origin().ascii_serialization())
            .finish_non_exhaustive()
    }
}

/// Why an input could not become a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The input does not fit a parameter.
    #[error("invalid input: `{field}` {message}")]
    InvalidInput {
        /// The parameter.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A secret the template names does not exist (or the ability has no
    /// `secretId` for `${SECRET_DEFAULT}`).
    #[error(
        "the secret {reference} this ability uses is not set: create it, or set the ability's secretId"
    )]
    MissingSecret {
        /// `${SECRET_…}` as written.
        reference: String,
    },
    /// The filled-in template is not a usable request.
    #[error("the filled-in template is not a valid request: {0}")]
    Template(String),
}

/// Reads a secret for a reference (`API_KEY`, or `DEFAULT`), rendered by
/// its type.
pub type SecretLookup<'a> = dyn FnMut(&str) -> Option<String> + Send + 'a;

impl Instruction {
    /// The request for `input` (already checked against
    /// [`Instruction::input_schema`]).
    pub fn render(
        &self,
        input: &Map<String, Value>,
        secrets: &mut SecretLookup<'_>,
    ) -> Result<FetchRequest, RenderError> {
        let parameters = self.parameters();
        let mut text = String::new();
        for segment in &self.body {
            match segment {
                Segment::Text(t) => text.push_str(t),
                Segment::Field {
                    field,
                    quoted,
                    line_sensitive,
                    ..
                } => {
                    let value = if field.sigil == Sigil::Reference {
                        let name = field.name.trim_start_matches("SECRET_");
                        let value = secrets(name).ok_or_else(|| RenderError::MissingSecret {
                            reference: format!("${{{}}}", field.name),
                        })?;
                        Value::String(value)
                    } else {
                        let merged = parameters
                            .iter()
                            .find(|p| p.name == field.name)
                            .unwrap_or(field);
                        match input.get(&field.name).filter(|v| !v.is_null()) {
                            Some(v) => v.clone(),
                            None => match merged.default_value() {
                                Some(d) => d,
                                None if merged.must_be_given() => {
                                    return Err(RenderError::InvalidInput {
                                        field: field.name.clone(),
                                        message: "is required".into(),
                                    });
                                }
                                None => Value::String(String::new()),
                            },
                        }
                    };
                    let rendered = field.render(&value, *quoted).map_err(|message| {
                        RenderError::InvalidInput {
                            field: field.name.clone(),
                            message,
                        }
                    })?;
                    if *line_sensitive && rendered.contains(['\n', '\r']) {
                        return Err(RenderError::InvalidInput {
                            field: field.name.clone(),
                            message: "may not contain a line break here (the template places it in the URL, a header or YAML; an `rn` or `js` operand would make it safe)".into(),
                        });
                    }
                    text.push_str(&rendered);
                    // Each placeholder repeats its input: a template naming
                    // one field thousands of times would otherwise turn a
                    // modest input into gigabytes before anything is sent.
                    if text.len() > MAX_RENDERED_BYTES {
                        return Err(RenderError::InvalidInput {
                            field: field.name.clone(),
                            message: format!(
                                "makes the request larger than {MAX_RENDERED_BYTES} bytes, the most an instruction sends; give a shorter value"
                            ),
                        });
                    }
                }
            }
        }
        let request = match self.form {
            FetchForm::Bare => FetchRequest {
                method: http::Method::GET,
                url: parse_url(text.trim())?,
                headers: Vec::new(),
                body: None,
            },
            FetchForm::Raw => raw(&text)?,
            FetchForm::Yaml => yaml(&text)?,
        };
        let (scheme, host, port) = (
            request.url.scheme(),
            crate::capability::host_of(&request.url).unwrap_or_default(),
            request.url.port_or_known_default().unwrap_or(0),
        );
        let scheme_kind = match scheme {
            "http" => Some(crate::capability::Scheme::Http),
            "https" => Some(crate::capability::Scheme::Https),
            _ => None,
        };
        if !scheme_kind.is_some_and(|s| self.origin.matches(s, &host, port)) {
            return Err(RenderError::Template(format!(
                "the request would go to {scheme}://{}:{port}, not this ability's origin {}",
                request.url.host_str().unwrap_or_default(),
                self.origin
            )));
        }
        Ok(request)
    }
}

fn parse_url(text: &str) -> Result<url::Url, RenderError> {
    url::Url::parse(text).map_err(|e| RenderError::Template(format!("the URL is not valid ({e})")))
}

fn method(text: &str) -> Result<http::Method, RenderError> {
    let upper = text.trim().to_ascii_uppercase();
    http::Method::from_bytes(upper.as_bytes())
        .map_err(|_| RenderError::Template(format!("`{text}` is not an HTTP method")))
}

/// `METHOD URL [HTTP/1.1]`, header lines, a blank line, the body.
fn raw(text: &str) -> Result<FetchRequest, RenderError> {
    let text = text.trim_start_matches(['\n', '\r', ' ']);
    let (head, body) = match text.find("\n\n").or_else(|| text.find("\r\n\r\n")) {
        Some(i) => (&text[..i], text[i..].trim_start_matches(['\r', '\n'])),
        None => (text, ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (Some(m), Some(url)) = (parts.next(), parts.next()) else {
        return Err(RenderError::Template(
            "the first line must be `METHOD URL`".into(),
        ));
    };
    let mut headers = Vec::new();
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            RenderError::Template(format!("`{line}` is not a `Name: value` header line"))
        })?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let body = body.trim_end_matches(['\r', '\n']);
    Ok(FetchRequest {
        method: method(m)?,
        url: parse_url(url)?,
        headers,
        body: (!body.is_empty()).then(|| body.as_bytes().to_vec()),
    })
}

/// YAML with `method`, `url`, `path`, `query`, `headers`, `authorization`
/// and `body`.
fn yaml(text: &str) -> Result<FetchRequest, RenderError> {
    let doc: Value = crate::untrusted::yaml::from_str(text).map_err(|e| match e {
        YamlError::Syntax(_) => RenderError::Template(format!("the YAML does not parse ({e})")),
        limit => RenderError::Template(format!("the YAML is refused: {limit}")),
    })?;
    let Value::Object(doc) = doc else {
        return Err(RenderError::Template(
            "the YAML must be a mapping with `url:`".into(),
        ));
    };
    for key in doc.keys() {
        if ![
            "method",
            "url",
            "path",
            "query",
            "headers",
            "authorization",
            "body",
        ]
        .contains(&key.as_str())
        {
            return Err(RenderError::Template(format!(
                "unknown key `{key}`; a fetch block's YAML has method, url, path, query, headers, authorization and body"
            )));
        }
    }
    let mut url = doc
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| RenderError::Template("`url` must be a string".into()))?
        .to_owned();
    if let Some(path) = doc.get("path").map(as_text).filter(|p| !p.is_empty()) {
        url = format!(
            "{}/{}",
            url.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
    }
    let mut url = parse_url(&url)?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    match doc.get("query") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                push_pair(&mut pairs, k, v);
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Object(map) => map.iter().for_each(|(k, v)| push_pair(&mut pairs, k, v)),
                    Value::String(s) => {
                        let (k, v) = s.split_once('=').unwrap_or((s, ""));
                        pairs.push((k.to_owned(), v.to_owned()));
                    }
                    other => {
                        return Err(RenderError::Template(format!(
                            "a query list holds `name: value` maps or `name=value` strings, not {other}"
                        )));
                    }
                }
            }
        }
        Some(other) => {
            return Err(RenderError::Template(format!(
                "`query` must be a map or a list, not {other}"
            )));
        }
    }
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    let mut headers = Vec::new();
    match doc.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if let Some(name) = optional_key(k, v) {
                    headers.push((name.to_owned(), as_text(v)));
                }
            }
        }
        Some(_) => return Err(RenderError::Template("`headers` must be a map".into())),
    }
    if let Some(auth) = doc
        .get("authorization")
        .map(as_text)
        .filter(|a| !a.is_empty())
    {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        headers.push(("Authorization".into(), auth));
    }
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase());
    let body = match doc.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_bytes().to_vec()),
        Some(structured) => {
            let structured = drop_empty_optionals(structured);
            Some(match content_type.as_deref() {
                Some(ct) if ct.contains("x-www-form-urlencoded") => {
                    let Value::Object(map) = &structured else {
                        return Err(RenderError::Template("a form body must be a map".into()));
                    };
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    for (k, v) in map {
                        form.append_pair(k, &as_text(v));
                    }
                    form.finish().into_bytes()
                }
                Some(ct) if ct.contains("yaml") => yaml_serde::to_string(&structured)
                    .map_err(|e| RenderError::Template(e.to_string()))?
                    .into_bytes(),
                Some(_) => structured.to_string().into_bytes(),
                None => {
                    headers.push(("Content-Type".into(), "application/json".into()));
                    structured.to_string().into_bytes()
                }
            })
        }
    };
    let method = match doc.get("method") {
        Some(m) => method(&as_text(m))?,
        None => http::Method::GET,
    };
    Ok(FetchRequest {
        method,
        url,
        headers,
        body,
    })
}

/// A key ending in `?` is dropped when its value is empty; the `?` never
/// reaches the request.
fn optional_key<'a>(key: &'a str, value: &Value) -> Option<&'a str> {
    match key.strip_suffix('?') {
        Some(name) if is_empty(value) => {
            let _ = name;
            None
        }
        Some(name) => Some(name),
        None => Some(key),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn push_pair(pairs: &mut Vec<(String, String)>, key: &str, value: &Value) {
    if let Some(name) = optional_key(key, value) {
        match value {
            Value::Array(items) => items
                .iter()
                .for_each(|v| pairs.push((name.to_owned(), as_text(v)))),
            v => pairs.push((name.to_owned(), as_text(v))),
        }
    }
}

fn drop_empty_optionals(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    optional_key(k, v).map(|name| (name.to_owned(), drop_empty_optionals(v)))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(drop_empty_optionals).collect()),
        other => other.clone(),
    }
}
