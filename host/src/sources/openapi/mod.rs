//! OpenAPI 3.0 and 3.1 documents as operations an agent can call.
//!
//! [`parse`] reads a document once, at install or sync, into an [`ApiSpec`]:
//! one [`Operation`] per path and method, each with a standalone input
//! schema (parameters and body as properties, every `$ref` inlined) and
//! what [`build_request`] needs to turn an agent's input and the attached
//! credential into the HTTP request. The host stores the `ApiSpec` as JSON
//! and calls from that form.

mod request;
mod schema;

pub use request::{Prepared, RequestError, build_request};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use url::Url;

/// Operations one document may define. Each is a tool in an agent's list;
/// past a few hundred a model no longer picks well, and the host's
/// manifests allow at most 256 abilities per skill.
const MAX_OPERATIONS: usize = 256;
/// Tool names: the length LLM APIs and MCP clients accept for a tool name.
const MAX_NAME_LEN: usize = 64;
/// Hex digits of the hash that keeps a shortened name unique: 32 bits make
/// a collision among one document's few hundred names very unlikely, and
/// a collision would only be numbered anyway.
const NAME_HASH_HEX: usize = 8;
/// Tool descriptions are sent with every tool list; 1024 characters says
/// what an operation does without letting one document flood a context.
const MAX_DESCRIPTION_CHARS: usize = 1024;

/// The input property that carries the request body.
pub const BODY_PROPERTY: &str = "requestBody";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

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
    fn as_str(self) -> &'static str {
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

impl Scheme {
    fn supported(&self) -> bool {
        !matches!(self, Scheme::Unsupported { .. })
    }
}

impl ApiSpec {
    /// Seed 004's `authType`: the kind of credential an attachment gives
    /// (`api_key`, `bearer` for http bearer or basic, `oauth`), from the
    /// first operation that can use one; `None` when none needs one.
    pub fn auth_type(&self) -> Option<&'static str> {
        self.operations.iter().find_map(|op| {
            match fillable(&op.security, &self.schemes).next()?.1 {
                Scheme::ApiKey { .. } => Some("api_key"),
                Scheme::Bearer | Scheme::Basic => Some("bearer"),
                Scheme::OAuth => Some("oauth"),
                Scheme::Unsupported { .. } => None,
            }
        })
    }
}

/// The alternatives one secret can fill, in order: one supported scheme
/// each. An alternative of several schemes needs several secrets at once,
/// and an attachment carries one.
fn fillable<'a>(
    security: &'a [BTreeMap<String, Vec<String>>],
    schemes: &'a BTreeMap<String, Scheme>,
) -> impl Iterator<Item = (&'a String, &'a Scheme)> {
    security.iter().filter_map(move |requirement| {
        let mut names = requirement.keys();
        match (names.next(), names.next()) {
            (Some(name), None) => schemes
                .get(name)
                .filter(|s| s.supported())
                .map(|s| (name, s)),
            _ => None,
        }
    })
}

/// Header parameters the host never takes from input: `Accept`,
/// `Content-Type` and `Authorization` (OpenAPI says to ignore them), and
/// those that would let input change where or how the request goes.
fn is_reserved_header(name: &str) -> bool {
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

/// Why a document cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// Neither JSON nor YAML.
    #[error(
        "the document is neither JSON ({json}) nor YAML ({yaml}): give an OpenAPI 3.0 or 3.1 document in either"
    )]
    Unreadable {
        /// serde_json's reason.
        json: String,
        /// yaml_serde's reason.
        yaml: String,
    },
    /// Swagger 2.0.
    #[error(
        "Swagger 2.0 documents are not supported: convert it to OpenAPI 3 (for example with swagger2openapi or the Swagger Editor) and give that"
    )]
    Swagger2,
    /// No `openapi` field.
    #[error(
        "the document has no `openapi` version field, so it is not an OpenAPI 3 document (is the URL an HTML page rather than the document itself?)"
    )]
    NotOpenApi,
    /// A version other than 3.0 or 3.1.
    #[error("OpenAPI version `{0}` is not supported: give a 3.0.x or 3.1.x document")]
    UnsupportedVersion(String),
    /// What oas3 or the host refuses, with where.
    #[error("the document is not valid OpenAPI: {reason}")]
    Invalid {
        /// What is wrong, and where.
        reason: String,
    },
    /// Nothing to call.
    #[error("the document defines no operations under `paths`: nothing to call")]
    NoOperations,
    /// More operations than a tool list can usefully hold.
    #[error(
        "the document defines {count} operations, more than the {MAX_OPERATIONS} a skill may offer: split it, or remove the operations agents do not need"
    )]
    TooManyOperations {
        /// How many it defines.
        count: usize,
    },
    /// No usable base URL.
    #[error("servers[0]: {reason}")]
    Server {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// One operation's input schema is too big or too deep.
    #[error(
        "operation `{operation}`: {reason}; simplify its parameter or body schemas, or remove the operation"
    )]
    Schema {
        /// The tool name.
        operation: String,
        /// Which limit.
        reason: String,
    },
}

/// Reads an OpenAPI 3.0 or 3.1 document (JSON, else YAML) fetched from
/// `document_url` (which resolves a relative server URL).
pub fn parse(bytes: &[u8], document_url: &Url) -> Result<ApiSpec, SpecError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (mut doc, order) = read(bytes)?;
    let is_30 = dialect(&doc)?;
    schema::prepare(&mut doc, is_30)?;
    let spec = oas3::Spec::deserialize(&doc).map_err(|e| SpecError::Invalid {
        reason: schema::locate_problem(&doc).unwrap_or_else(|| e.to_string()),
    })?;

    let paths = spec.paths.as_ref();
    let count: usize = paths
        .into_iter()
        .flatten()
        .map(|(_, item)| item.methods().into_iter().count())
        .sum();
    if count == 0 {
        return Err(SpecError::NoOperations);
    }
    if count > MAX_OPERATIONS {
        return Err(SpecError::TooManyOperations { count });
    }
    let base_url = base_url(&spec, document_url)?;
    let mut schemes = security_schemes(&spec);
    let mut names = HashSet::new();
    let mut operations = Vec::with_capacity(count);
    let path_items = paths.into_iter().flatten().collect::<BTreeMap<_, _>>();
    let listed: HashSet<&String> = order.iter().collect();
    let ordered = order
        .iter()
        .filter(|p| path_items.contains_key(p))
        .chain(path_items.keys().copied().filter(|p| !listed.contains(p)));
    for path in ordered {
        let item = path_items[path];
        for (method, op) in item.methods() {
            let raw_item = &doc["paths"][path.as_str()];
            let raw_op = &raw_item[method.as_str().to_ascii_lowercase()];
            let name = unique_name(
                tool_name(op.operation_id.as_deref(), method.as_str(), path),
                &mut names,
            );
            // `security: []` on an operation means none; oas3 reads it as
            // absent, so the raw document says which it is.
            let requirements = if raw_op.get("security").is_some() {
                &op.security
            } else {
                &spec.security
            };
            let security: Vec<BTreeMap<String, Vec<String>>> = requirements
                .iter()
                .map(|r| r.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .collect();
            for scheme in security.iter().flat_map(BTreeMap::keys) {
                schemes
                    .entry(scheme.clone())
                    .or_insert_with(|| Scheme::Unsupported {
                        kind: "undefined (not in components.securitySchemes)".into(),
                    });
            }
            let built = Built::new(&doc, &name);
            let (parameters, body, input_schema) = built.inputs(raw_item, raw_op, path)?;
            operations.push(Operation {
                description: describe(op, method.as_str(), path),
                method: method.as_str().to_owned(),
                path: path.clone(),
                parameters,
                body,
                security,
                input_schema,
                name,
            });
        }
    }
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(ApiSpec {
        title: spec.info.title.trim().to_owned(),
        version: spec.info.version.trim().to_owned(),
        description: text(&spec.info.description).or_else(|| text(&spec.info.summary)),
        base_url,
        operations,
        schemes,
    })
}

/// The keys of `paths` in document order (serde_json's own map sorts).
#[derive(Deserialize)]
struct PathOrder {
    #[serde(default)]
    paths: Option<oas3::Map<String, IgnoredAny>>,
}

impl PathOrder {
    fn keys(self) -> Vec<String> {
        self.paths.into_iter().flatten().map(|(k, _)| k).collect()
    }
}

fn read(bytes: &[u8]) -> Result<(Value, Vec<String>), SpecError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(doc) => {
            let order = serde_json::from_slice::<PathOrder>(bytes).map(PathOrder::keys);
            Ok((doc, order.unwrap_or_default()))
        }
        Err(json) => match yaml_serde::from_slice::<Value>(bytes) {
            Ok(doc) => {
                let order = yaml_serde::from_slice::<PathOrder>(bytes).map(PathOrder::keys);
                Ok((doc, order.unwrap_or_default()))
            }
            Err(yaml) => Err(SpecError::Unreadable {
                json: json.to_string(),
                yaml: yaml.to_string(),
            }),
        },
    }
}

/// Whether the document is 3.0 (lifted) rather than 3.1 (read as is).
fn dialect(doc: &Value) -> Result<bool, SpecError> {
    let Some(obj) = doc.as_object() else {
        return Err(SpecError::NotOpenApi);
    };
    if obj.contains_key("swagger") {
        return Err(SpecError::Swagger2);
    }
    let version = match obj.get("openapi") {
        Some(Value::String(v)) => v.trim().to_owned(),
        // YAML reads an unquoted `3.1` as a number.
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Err(SpecError::UnsupportedVersion(other.to_string())),
        None => return Err(SpecError::NotOpenApi),
    };
    let is = |minor: &str| version == minor || version.starts_with(&format!("{minor}."));
    if is("3.1") {
        Ok(false)
    } else if is("3.0") {
        Ok(true)
    } else {
        Err(SpecError::UnsupportedVersion(version))
    }
}

fn security_schemes(spec: &oas3::Spec) -> BTreeMap<String, Scheme> {
    use oas3::spec::SecurityScheme as S;
    let defined = spec
        .components
        .iter()
        .flat_map(|c| c.security_schemes.iter());
    defined
        .map(|(name, scheme)| {
            let scheme = match scheme.resolve(spec) {
                Ok(S::ApiKey { name, location, .. }) => match location.as_str() {
                    "header" => Scheme::ApiKey {
                        name,
                        location: Location::Header,
                    },
                    "query" => Scheme::ApiKey {
                        name,
                        location: Location::Query,
                    },
                    "cookie" => Scheme::ApiKey {
                        name,
                        location: Location::Cookie,
                    },
                    other => Scheme::Unsupported {
                        kind: format!("apiKey in {other}"),
                    },
                },
                Ok(S::Http { scheme, .. }) if scheme.eq_ignore_ascii_case("bearer") => {
                    Scheme::Bearer
                }
                Ok(S::Http { scheme, .. }) if scheme.eq_ignore_ascii_case("basic") => Scheme::Basic,
                Ok(S::Http { scheme, .. }) => Scheme::Unsupported {
                    kind: format!("http {scheme}"),
                },
                Ok(S::OAuth2 { .. } | S::OpenIdConnect { .. }) => Scheme::OAuth,
                Ok(S::MutualTls { .. }) => Scheme::Unsupported {
                    kind: "mutualTLS".into(),
                },
                Err(e) => Scheme::Unsupported {
                    kind: format!("unresolvable ({e})"),
                },
            };
            (name.clone(), scheme)
        })
        .collect()
}

/// `operationId`, else method and path; `[A-Za-z0-9_-]` only, at most 64
/// characters (a longer name keeps a hash of itself to stay distinct).
fn tool_name(operation_id: Option<&str>, method: &str, path: &str) -> String {
    let raw = match operation_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => {
            let mut name = method.to_ascii_lowercase();
            for segment in path.split('/').filter(|s| !s.is_empty()) {
                name.push('_');
                name.extend(segment.chars().filter(|c| !matches!(c, '{' | '}')));
            }
            name
        }
    };
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= MAX_NAME_LEN {
        return clean;
    }
    let digest = hex::encode(Sha256::digest(clean.as_bytes()));
    let keep = MAX_NAME_LEN - 1 - NAME_HASH_HEX;
    format!("{}_{}", &clean[..keep], &digest[..NAME_HASH_HEX])
}

/// `name`, or `name_2`, `name_3`… when taken (cut to stay within 64).
fn unique_name(name: String, used: &mut HashSet<String>) -> String {
    if used.insert(name.clone()) {
        return name;
    }
    let mut n = 2;
    loop {
        let suffix = format!("_{n}");
        let keep = name.len().min(MAX_NAME_LEN - suffix.len());
        let candidate = format!("{}{suffix}", &name[..keep]);
        if used.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

fn describe(op: &oas3::spec::Operation, method: &str, path: &str) -> String {
    let given = [&op.description, &op.summary]
        .into_iter()
        .filter_map(|t| t.as_deref().map(str::trim))
        .find(|t| !t.is_empty());
    match given {
        Some(text) => text.chars().take(MAX_DESCRIPTION_CHARS).collect(),
        None => format!("{method} {path}"),
    }
}

/// A schema as an object, ready for keywords to be added.
type SchemaObject = Map<String, Value>;

/// A parameter as collected, before it gets its property.
struct Collected {
    name: String,
    location: Location,
    required: bool,
    description: Option<String>,
    example: Option<Value>,
    schema: Value,
}

/// One operation's inputs, built against the document.
struct Built<'d> {
    doc: &'d Value,
    name: &'d str,
    expander: schema::Expander<'d>,
}

impl<'d> Built<'d> {
    fn new(doc: &'d Value, name: &'d str) -> Self {
        Built {
            doc,
            name,
            expander: schema::Expander::new(doc),
        }
    }

    fn invalid(&self, reason: impl std::fmt::Display) -> SpecError {
        SpecError::Invalid {
            reason: format!("operation `{}`: {reason}", self.name),
        }
    }

    fn expand(&mut self, schema: &Value) -> Result<Map<String, Value>, SpecError> {
        let expanded = self
            .expander
            .expand(schema)
            .map_err(|limit| SpecError::Schema {
                operation: self.name.to_owned(),
                reason: limit.to_string(),
            })?;
        Ok(schema::into_object(expanded))
    }

    /// Parameters, body and the input schema of an operation.
    fn inputs(
        mut self,
        raw_item: &Value,
        raw_op: &Value,
        path: &str,
    ) -> Result<(Vec<Parameter>, Option<Body>, Value), SpecError> {
        let mut collected: Vec<Collected> = Vec::new();
        for list in [raw_item.get("parameters"), raw_op.get("parameters")] {
            for raw in list.and_then(Value::as_array).into_iter().flatten() {
                let Some(param) = self.parameter(raw)? else {
                    continue;
                };
                match collected
                    .iter_mut()
                    .find(|c| c.name == param.name && c.location == param.location)
                {
                    Some(same) => *same = param,
                    None => collected.push(param),
                }
            }
        }
        // A template variable the document forgot to declare is still a
        // path segment the caller must give.
        for var in template_variables(path) {
            if !collected
                .iter()
                .any(|c| c.location == Location::Path && c.name == var)
            {
                collected.push(Collected {
                    name: var.to_owned(),
                    location: Location::Path,
                    required: true,
                    description: None,
                    example: None,
                    schema: json!({"type": "string"}),
                });
            }
        }

        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut parameters = Vec::new();
        let mut used: HashSet<String> = HashSet::from([BODY_PROPERTY.to_owned()]);
        for c in collected {
            let mut property = c.name.clone();
            let mut n = 1;
            while used.contains(&property) {
                property = match n {
                    1 => format!("{}_{}", c.name, c.location.as_str()),
                    _ => format!("{}_{}_{n}", c.name, c.location.as_str()),
                };
                n += 1;
            }
            used.insert(property.clone());
            let mut schema = self.expand(&c.schema)?;
            if let Some(description) = c.description {
                schema.insert("description".into(), Value::String(description));
            }
            if let Some(example) = c.example
                && !schema.contains_key("examples")
                && !schema.contains_key("example")
            {
                schema.insert("examples".into(), json!([example]));
            }
            properties.insert(property.clone(), Value::Object(schema));
            if c.required {
                required.push(Value::String(property.clone()));
            }
            parameters.push(Parameter {
                name: c.name,
                property,
                location: c.location,
                required: c.required,
            });
        }

        let body = match raw_op.get("requestBody") {
            Some(raw) => self.body(raw)?,
            None => None,
        };
        let body = body.map(|(body, schema)| {
            properties.insert(BODY_PROPERTY.into(), Value::Object(schema));
            if body.required {
                required.push(Value::String(BODY_PROPERTY.into()));
            }
            body
        });

        let mut input = Map::new();
        input.insert("type".into(), json!("object"));
        input.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            input.insert("required".into(), Value::Array(required));
        }
        input.insert("additionalProperties".into(), json!(false));
        let input = Value::Object(input);
        let limit = |limit: schema::Limit| SpecError::Schema {
            operation: self.name.to_owned(),
            reason: limit.to_string(),
        };
        if schema::nesting(&input) > schema::MAX_SCHEMA_NESTING {
            return Err(limit(schema::Limit::Nesting));
        }
        if serde_json::to_vec(&input).map_or(usize::MAX, |v| v.len()) > schema::MAX_SCHEMA_BYTES {
            return Err(limit(schema::Limit::Size));
        }
        Ok((parameters, body, input))
    }

    fn parameter(&self, raw: &Value) -> Result<Option<Collected>, SpecError> {
        let resolved =
            schema::deref(self.doc, raw).map_err(|e| self.invalid(format!("a parameter's {e}")))?;
        let typed = oas3::spec::Parameter::deserialize(resolved)
            .map_err(|e| self.invalid(format!("a parameter: {e}")))?;
        use oas3::spec::ParameterIn;
        let location = match typed.location {
            ParameterIn::Path => Location::Path,
            ParameterIn::Query => Location::Query,
            ParameterIn::Header => Location::Header,
            ParameterIn::Cookie => Location::Cookie,
        };
        if typed.name.is_empty()
            || (location == Location::Header && is_reserved_header(&typed.name))
        {
            return Ok(None);
        }
        // A parameter gives its schema directly, or under one media type.
        let schema = resolved.get("schema").or_else(|| {
            let media = resolved.get("content")?.as_object()?.values().next()?;
            media.get("schema")
        });
        let description = typed
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        Ok(Some(Collected {
            required: location == Location::Path || typed.required.unwrap_or(false),
            description: description.map(str::to_owned),
            example: typed.example,
            schema: schema.cloned().unwrap_or_else(|| json!({"type": "string"})),
            name: typed.name,
            location,
        }))
    }

    /// The body to send and its property's schema: JSON preferred, then a
    /// form, then text; any other media type takes a string sent as is.
    fn body(&mut self, raw: &Value) -> Result<Option<(Body, SchemaObject)>, SpecError> {
        let resolved = schema::deref(self.doc, raw)
            .map_err(|e| self.invalid(format!("its requestBody's {e}")))?;
        let typed = oas3::spec::RequestBody::deserialize(resolved)
            .map_err(|e| self.invalid(format!("its requestBody: {e}")))?;
        let content = resolved.get("content").and_then(Value::as_object);
        let Some((media_type, media, kind)) = content
            .into_iter()
            .flatten()
            .map(|(k, m)| (k, m, BodyKind::of(k)))
            .min_by_key(|(_, _, kind)| *kind)
        else {
            return Ok(None);
        };
        let given = media.get("schema");
        let (content_type, mut schema) = match kind {
            BodyKind::Json | BodyKind::Form => (
                media_type.trim().to_owned(),
                self.expand(given.unwrap_or(&json!({})))?,
            ),
            // The server takes anything; JSON is what the schema describes.
            BodyKind::Wildcard => (
                "application/json".to_owned(),
                self.expand(given.unwrap_or(&json!({})))?,
            ),
            BodyKind::Text => {
                let schema = match given {
                    Some(s) if s.get("type") == Some(&json!("string")) => self.expand(s)?,
                    _ => schema::into_object(json!({"type": "string"})),
                };
                (media_type.trim().to_owned(), schema)
            }
            BodyKind::Other => {
                let content_type = if media_type.contains('*') {
                    "application/octet-stream"
                } else {
                    media_type.trim()
                };
                let mut schema = schema::into_object(json!({"type": "string"}));
                schema.insert(
                    "description".into(),
                    json!(format!("Sent as is, as `{content_type}`.")),
                );
                (content_type.to_owned(), schema)
            }
        };
        if let Some(description) = typed
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let text = match schema.get("description").and_then(Value::as_str) {
                Some(own) if kind == BodyKind::Other => format!("{description} {own}"),
                _ => description.to_owned(),
            };
            schema.insert("description".into(), Value::String(text));
        }
        let required = typed.required.unwrap_or(false);
        Ok(Some((
            Body {
                content_type,
                required,
            },
            schema,
        )))
    }
}

/// Body media types, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    Json,
    Form,
    Text,
    Wildcard,
    Other,
}

impl BodyKind {
    fn of(media_type: &str) -> BodyKind {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => BodyKind::Json,
            e if e.ends_with("+json") => BodyKind::Json,
            "application/x-www-form-urlencoded" => BodyKind::Form,
            "text/plain" => BodyKind::Text,
            "*/*" | "application/*" => BodyKind::Wildcard,
            _ => BodyKind::Other,
        }
    }
}

/// The `{name}`s of a path template.
fn template_variables(path: &str) -> impl Iterator<Item = &str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// The base URL every operation's path is appended to.
///
/// Only the document's first server counts: per-path and per-operation
/// `servers` are not used, because a source skill declares the one origin
/// it reaches and calls every operation through one base URL.
fn base_url(spec: &oas3::Spec, document_url: &Url) -> Result<Url, SpecError> {
    let err = |reason: String| SpecError::Server { reason };
    let mut url = match spec.servers.first() {
        Some(server) => {
            let mut text = String::new();
            let mut rest = server.url.trim();
            while let Some(open) = rest.find('{') {
                let Some(close) = rest[open..].find('}') else {
                    break;
                };
                let name = &rest[open + 1..open + close];
                let variable = server.variables.get(name).ok_or_else(|| {
                    err(format!(
                        "the URL `{}` uses `{{{name}}}` but `variables` does not define it: define it with a default",
                        server.url
                    ))
                })?;
                text.push_str(&rest[..open]);
                text.push_str(&variable.default);
                rest = &rest[open + close + 1..];
            }
            text.push_str(rest);
            document_url.join(&text).map_err(|e| {
                err(format!(
                    "the URL `{text}` cannot be resolved against the document's URL `{document_url}` ({e}): give an absolute http(s) URL"
                ))
            })?
        }
        None => {
            let origin = document_url.origin();
            if !origin.is_tuple() {
                return Err(err(format!(
                    "the document names no server and its own URL `{document_url}` has no origin to call: add `servers: [{{url: https://…}}]`"
                )));
            }
            Url::parse(&origin.ascii_serialization()).map_err(|e| err(e.to_string()))?
        }
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(err(format!(
            "the base URL `{url}` is not an http(s) URL: give an http or https server URL"
        )));
    }
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
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

#[cfg(test)]
mod tests {
    use super::*;

    const PETSTORE_30: &str = r##"
openapi: 3.0.3
info:
  title: Swagger Petstore
  version: 1.0
  description: A sample pet store.
servers:
  - url: https://petstore.example.com/api/v3/
paths:
  /pets:
    get:
      operationId: listPets
      summary: List all pets
      parameters:
        - $ref: '#/components/parameters/limit'
        - name: status
          in: query
          schema: {type: string, enum: [available, sold], nullable: true}
        - name: Accept
          in: header
          schema: {type: string}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      description: "  Add a pet to the store.  "
      security: []
      requestBody:
        $ref: '#/components/requestBodies/PetBody'
      responses:
        '201': {description: created}
  /pets/{petId}:
    parameters:
      - name: petId
        in: path
        required: true
        description: The pet's id.
        schema: {type: integer, format: int64, minimum: 1, exclusiveMinimum: true}
    get:
      summary: Info for a pet
      parameters:
        - name: petId
          in: query
          schema: {type: string}
        - name: X-Trace
          in: header
          schema: {type: string}
      responses:
        default: {description: error}
    delete:
      operationId: deletePet
      parameters:
        - name: petId
          in: path
          required: true
          description: Overridden at the operation.
          schema: {type: string}
components:
  parameters:
    limit:
      name: limit
      in: query
      description: How many items to return at one time (max 100)
      required: false
      schema: {type: integer, maximum: 100, exclusiveMaximum: false}
  requestBodies:
    PetBody:
      required: true
      content:
        application/xml:
          schema: {$ref: '#/components/schemas/Pet'}
        application/json:
          schema: {$ref: '#/components/schemas/Pet'}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, format: int64, readOnly: true}
        name: {type: string, example: doggie}
        tag: {type: string, nullable: true}
        owner: {$ref: '#/components/schemas/Person'}
    Person:
      type: object
      properties:
        name: {type: string}
        pets:
          type: array
          items: {$ref: '#/components/schemas/Pet'}
  securitySchemes:
    api_key:
      type: apiKey
      name: X-API-Key
      in: header
security:
  - api_key: []
"##;

    const NOTES_31: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "Notes", "version": "2.1.0", "summary": "Notes API"},
  "servers": [{"url": "/{base}/v{major}/", "variables": {
      "base": {"default": "api"}, "major": {"default": "2", "enum": ["1", "2"]}}}],
  "paths": {
    "/notes/{id}": {
      "patch": {
        "operationId": "update note!",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"description": "The fields to change.", "content": {"application/merge-patch+json": {"schema": {
          "type": "object",
          "properties": {"title": {"type": ["string", "null"]}, "pinned": {"type": "boolean"}}}}}}
      }
    },
    "/notes": {
      "get": {"description": "List notes.", "parameters": [
        {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}]}
    }
  },
  "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
  "security": [{"token": []}]
}"##;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn doc_url() -> Url {
        url("https://docs.example.com/specs/openapi.yaml")
    }

    fn op<'a>(spec: &'a ApiSpec, name: &str) -> &'a Operation {
        spec.operations
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    fn input(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_30_yaml_petstore_is_lifted_and_resolved() {
        let spec = parse(PETSTORE_30.as_bytes(), &doc_url()).unwrap();
        assert_eq!(spec.title, "Swagger Petstore");
        assert_eq!(spec.version, "1.0");
        assert_eq!(spec.description.as_deref(), Some("A sample pet store."));
        assert_eq!(
            spec.base_url.as_str(),
            "https://petstore.example.com/api/v3"
        );
        let names: Vec<_> = spec
            .operations
            .iter()
            .map(|o| (o.name.as_str(), o.method.as_str(), o.path.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("listPets", "GET", "/pets"),
                ("createPet", "POST", "/pets"),
                ("get_pets_petId", "GET", "/pets/{petId}"),
                ("deletePet", "DELETE", "/pets/{petId}"),
            ]
        );
        assert_eq!(
            spec.schemes["api_key"],
            Scheme::ApiKey {
                name: "X-API-Key".into(),
                location: Location::Header
            }
        );
        assert_eq!(spec.auth_type(), Some("api_key"));

        let list = op(&spec, "listPets");
        assert_eq!(list.description, "List all pets");
        assert_eq!(
            list.security,
            vec![BTreeMap::from([("api_key".to_owned(), vec![])])]
        );
        assert_eq!(
            list.input_schema,
            json!({
                "type": "object",
                "properties": {
                    "limit": {"type": "integer", "maximum": 100,
                              "description": "How many items to return at one time (max 100)"},
                    "status": {"type": ["string", "null"], "enum": ["available", "sold", null]}
                },
                "additionalProperties": false
            })
        );
        assert_eq!(list.parameters.len(), 2, "Accept is ignored");

        let create = op(&spec, "createPet");
        assert!(
            create.security.is_empty(),
            "`security: []` overrides the global one"
        );
        assert_eq!(create.description, "Add a pet to the store.");
        assert_eq!(
            create.body,
            Some(Body {
                content_type: "application/json".into(),
                required: true
            })
        );
        let body = &create.input_schema["properties"]["requestBody"];
        assert_eq!(create.input_schema["required"], json!(["requestBody"]));
        assert_eq!(body["required"], json!(["name"]));
        assert_eq!(body["properties"]["tag"]["type"], json!(["string", "null"]));
        let again = &body["properties"]["owner"]["properties"]["pets"]["items"];
        assert!(
            again["description"]
                .as_str()
                .unwrap()
                .starts_with("Recursive"),
            "{again}"
        );
        assert!(!create.input_schema.to_string().contains("$ref"));

        let get = op(&spec, "get_pets_petId");
        assert_eq!(get.description, "Info for a pet");
        let props: Vec<_> = get
            .parameters
            .iter()
            .map(|p| (p.property.as_str(), p.location, p.required))
            .collect();
        assert_eq!(
            props,
            [
                ("petId", Location::Path, true),
                ("petId_query", Location::Query, false),
                ("X-Trace", Location::Header, false)
            ]
        );
        assert_eq!(
            get.input_schema["properties"]["petId"],
            json!({"type": "integer", "format": "int64", "exclusiveMinimum": 1, "description": "The pet's id."})
        );
        let delete = op(&spec, "deletePet");
        assert_eq!(delete.description, "DELETE /pets/{petId}");
        assert_eq!(
            delete.input_schema["properties"]["petId"],
            json!({"type": "string", "description": "Overridden at the operation."})
        );

        // Calls, from the stored form.
        let stored: ApiSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(stored, spec);
        let call = |name: &str, value: Value, credential: Option<&str>| {
            build_request(
                &stored.base_url,
                op(&stored, name),
                &stored.schemes,
                &input(value),
                credential,
            )
        };
        let created = call("createPet", json!({"requestBody": {"name": "Rex"}}), None).unwrap();
        assert_eq!(
            created.url.as_str(),
            "https://petstore.example.com/api/v3/pets"
        );
        assert!(created.headers.is_empty());
        let err = call("listPets", json!({}), None).unwrap_err();
        assert_eq!(
            err,
            RequestError::CredentialRequired {
                schemes: vec!["api_key".into()]
            }
        );
        let listed = call("listPets", json!({"limit": 5, "status": null}), Some("k")).unwrap();
        assert_eq!(
            listed.url.as_str(),
            "https://petstore.example.com/api/v3/pets?limit=5"
        );
        assert_eq!(listed.headers[0].0.as_str(), "x-api-key");
        let got = call(
            "get_pets_petId",
            json!({"petId": 3, "petId_query": "x", "X-Trace": "t"}),
            Some("k"),
        )
        .unwrap();
        assert_eq!(
            got.url.as_str(),
            "https://petstore.example.com/api/v3/pets/3?petId=x"
        );
    }

    #[test]
    fn a_31_json_document_with_bearer_auth_and_a_relative_server() {
        let spec = parse(
            NOTES_31.as_bytes(),
            &url("https://notes.example.com/specs/openapi.json"),
        )
        .unwrap();
        assert_eq!(spec.base_url.as_str(), "https://notes.example.com/api/v2");
        assert_eq!(spec.description.as_deref(), Some("Notes API"));
        assert_eq!(spec.auth_type(), Some("bearer"));
        let names: Vec<_> = spec.operations.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            ["update_note_", "get_notes"],
            "document order of paths"
        );
        let update = &spec.operations[0];
        assert_eq!(
            update.body,
            Some(Body {
                content_type: "application/merge-patch+json".into(),
                required: false
            })
        );
        assert_eq!(
            update.input_schema["properties"]["requestBody"],
            json!({"type": "object", "description": "The fields to change.",
                   "properties": {"title": {"type": ["string", "null"]}, "pinned": {"type": "boolean"}}})
        );
        assert_eq!(update.input_schema["required"], json!(["id"]));
        let prepared = build_request(
            &spec.base_url,
            update,
            &spec.schemes,
            &input(json!({"id": "n 1", "requestBody": {"title": null}})),
            Some("tok"),
        )
        .unwrap();
        assert_eq!(prepared.method, http::Method::PATCH);
        assert_eq!(
            prepared.url.as_str(),
            "https://notes.example.com/api/v2/notes/n%201"
        );
        assert_eq!(prepared.headers[0].1, "Bearer tok");
        assert_eq!(
            prepared.body.unwrap(),
            (
                "application/merge-patch+json".to_owned(),
                br#"{"title":null}"#.to_vec()
            )
        );
        let list = build_request(
            &spec.base_url,
            &spec.operations[1],
            &spec.schemes,
            &input(json!({"tag": ["a", "b"]})),
            Some("t"),
        )
        .unwrap();
        assert_eq!(
            list.url.as_str(),
            "https://notes.example.com/api/v2/notes?tag=a&tag=b"
        );
    }

    #[test]
    fn documents_that_cannot_be_used_say_why() {
        let u = doc_url();
        for doc in [
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n",
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\nwebhooks: {x: {post: {}}}\n",
        ] {
            let err = parse(doc.as_bytes(), &u).unwrap_err();
            assert_eq!(err, SpecError::NoOperations);
            assert_eq!(
                err.to_string(),
                "the document defines no operations under `paths`: nothing to call"
            );
        }
        let swagger = parse(
            br#"{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}"#,
            &u,
        )
        .unwrap_err();
        assert_eq!(swagger, SpecError::Swagger2);
        assert!(swagger.to_string().contains("convert it to OpenAPI 3"));
        let v = parse(b"openapi: 3.2.0\ninfo: {title: t, version: '1'}\n", &u).unwrap_err();
        assert_eq!(
            v.to_string(),
            "OpenAPI version `3.2.0` is not supported: give a 3.0.x or 3.1.x document"
        );
        assert_eq!(
            parse(b"<!doctype html><html>hi</html>", &u).unwrap_err(),
            SpecError::NotOpenApi
        );
        assert!(matches!(
            parse(b"{\"openapi\": [", &u).unwrap_err(),
            SpecError::Unreadable { .. }
        ));

        let bad = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {}}},
            "components": {"schemas": {"Pet": {"type": "object", "properties": {"age": {"type": "integer", "exclusiveMinimum": true}}}}}}"#;
        let err = parse(bad, &u).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "the document is not valid OpenAPI: components.schemas.Pet.properties.age: "
            ),
            "{err}"
        );
        let bad_param = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "body"}]}}}}"#;
        let err = parse(bad_param, &u).unwrap_err();
        assert!(
            err.to_string()
                .contains("paths./a.get.parameters[0]: unknown variant `body`"),
            "{err}"
        );
        let dangling = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/nope"}]}}}}"##;
        let err = parse(dangling, &u).unwrap_err();
        assert!(
            err.to_string().contains("operation `get_a`")
                && err.to_string().contains("does not resolve"),
            "{err}"
        );

        let mut paths = Map::new();
        for i in 0..=MAX_OPERATIONS {
            paths.insert(format!("/p{i}"), json!({"get": {}}));
        }
        let many =
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths});
        let err = parse(many.to_string().as_bytes(), &u).unwrap_err();
        assert_eq!(err, SpecError::TooManyOperations { count: 257 });
    }

    fn minimal(servers: Value) -> Vec<u8> {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": servers, "paths": {"/a": {"get": {}}}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn servers_resolve_to_one_http_base_url() {
        let u = url("https://docs.example.com:8443/specs/openapi.json");
        let base =
            |servers: Value, at: &Url| parse(&minimal(servers), at).map(|s| s.base_url.to_string());
        assert_eq!(
            base(json!([]), &u).unwrap(),
            "https://docs.example.com:8443/"
        );
        assert_eq!(
            base(json!([{"url": "v2"}]), &u).unwrap(),
            "https://docs.example.com:8443/specs/v2"
        );
        assert_eq!(
            base(json!([{"url": "http://x.example/"}]), &u).unwrap(),
            "http://x.example/"
        );
        assert_eq!(
            base(json!([{"url": "https://{region}.x.example:{port}/", "variables": {"region": {"default": "eu"}, "port": {"default": 9443}}}]), &u)
                .unwrap(),
            "https://eu.x.example:9443/"
        );
        let undefined = base(json!([{"url": "https://{region}.x.example"}]), &u).unwrap_err();
        assert!(undefined.to_string().contains("`{region}`"), "{undefined}");
        assert!(matches!(
            base(json!([{"url": "ftp://x.example"}]), &u),
            Err(SpecError::Server { .. })
        ));
        let file = url("file:///tmp/openapi.json");
        assert!(matches!(
            base(json!([]), &file),
            Err(SpecError::Server { .. })
        ));
        assert!(matches!(
            base(json!([{"url": "/api"}]), &file),
            Err(SpecError::Server { .. })
        ));

        // The root base joins paths without a double slash.
        let spec = parse(&minimal(json!([{"url": "https://x.example/"}])), &u).unwrap();
        let p = build_request(
            &spec.base_url,
            &spec.operations[0],
            &spec.schemes,
            &Map::new(),
            None,
        )
        .unwrap();
        assert_eq!(p.url.as_str(), "https://x.example/a");
    }

    #[test]
    fn tool_names_are_sanitised_shortened_and_unique() {
        assert_eq!(
            tool_name(Some(" list pets/v2 "), "GET", "/x"),
            "list_pets_v2"
        );
        assert_eq!(tool_name(Some("getPetById"), "GET", "/x"), "getPetById");
        assert_eq!(tool_name(None, "GET", "/pets/{petId}"), "get_pets_petId");
        assert_eq!(tool_name(None, "GET", "/"), "get");
        assert_eq!(
            tool_name(Some("  "), "DELETE", "/v1/users.json"),
            "delete_v1_users_json"
        );
        assert_eq!(tool_name(Some("日本"), "GET", "/"), "__");

        let long_a = "a".repeat(55) + &"b".repeat(45);
        let long_b = "a".repeat(55) + &"c".repeat(45);
        let (a, b) = (
            tool_name(Some(&long_a), "GET", "/"),
            tool_name(Some(&long_b), "GET", "/"),
        );
        assert_eq!(a.len(), 64);
        assert!(a.starts_with(&format!("{}_", "a".repeat(55))));
        assert!(a[56..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(tool_name(Some(&"x".repeat(64)), "GET", "/"), "x".repeat(64));

        let mut used = HashSet::new();
        let names: Vec<_> = ["dup", "dup", "dup_2", "dup"]
            .iter()
            .map(|n| unique_name(n.to_string(), &mut used))
            .collect();
        assert_eq!(names, ["dup", "dup_2", "dup_2_2", "dup_3"]);
        let full = "y".repeat(64);
        unique_name(full.clone(), &mut used);
        let second = unique_name(full, &mut used);
        assert_eq!(second.len(), 64);
        assert!(second.ends_with("_2"));

        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
            "/a": {"get": {"operationId": "same"}, "post": {"operationId": "same"}},
            "/b": {"get": {"operationId": "same", "summary": "x".repeat(2000)}}
        }});
        let spec = parse(doc.to_string().as_bytes(), &doc_url()).unwrap();
        let names: Vec<_> = spec.operations.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["same", "same_2", "same_3"]);
        assert_eq!(
            spec.operations[2].description.chars().count(),
            MAX_DESCRIPTION_CHARS
        );
    }

    #[test]
    fn security_schemes_map_to_what_one_secret_fills() {
        let doc = r##"
openapi: 3.0.1
info: {title: t, version: '1'}
paths:
  /a: {get: {security: [{oauth: [read]}]}}
  /b: {get: {security: [{mtls: []}, {digest: []}, {basic: []}]}}
  /c: {get: {}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: /oauth/token, scopes: {read: Read}}
    oidc: {type: openIdConnect, openIdConnectUrl: https://id.example/.well-known/openid-configuration}
    mtls: {type: mutualTLS}
    digest: {type: http, scheme: Digest}
    basic: {type: http, scheme: Basic}
    cookie: {type: apiKey, in: cookie, name: sid}
"##;
        let spec = parse(doc.as_bytes(), &doc_url()).unwrap();
        assert_eq!(spec.schemes["oauth"], Scheme::OAuth);
        assert_eq!(spec.schemes["oidc"], Scheme::OAuth);
        assert_eq!(
            spec.schemes["mtls"],
            Scheme::Unsupported {
                kind: "mutualTLS".into()
            }
        );
        assert_eq!(
            spec.schemes["digest"],
            Scheme::Unsupported {
                kind: "http Digest".into()
            }
        );
        assert_eq!(spec.schemes["basic"], Scheme::Basic);
        assert_eq!(
            spec.schemes["cookie"],
            Scheme::ApiKey {
                name: "sid".into(),
                location: Location::Cookie
            }
        );
        assert_eq!(spec.auth_type(), Some("oauth"));
        assert_eq!(
            spec.operations[0].security,
            vec![BTreeMap::from([(
                "oauth".to_owned(),
                vec!["read".to_owned()]
            )])]
        );
        assert!(spec.operations[2].security.is_empty());
        let b = build_request(
            &spec.base_url,
            &spec.operations[1],
            &spec.schemes,
            &Map::new(),
            Some("ada:pw"),
        )
        .unwrap();
        assert_eq!(b.headers[0].1, "Basic YWRhOnB3");

        let open = parse(&minimal(json!([])), &doc_url()).unwrap();
        assert_eq!(open.auth_type(), None);
        let undefined = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "security": [{"ghost": []}], "paths": {"/a": {"get": {}}}});
        let spec = parse(undefined.to_string().as_bytes(), &doc_url()).unwrap();
        assert!(matches!(spec.schemes["ghost"], Scheme::Unsupported { .. }));
        assert_eq!(spec.auth_type(), None);
    }

    #[test]
    fn bodies_parameters_and_refs_in_odd_places() {
        let doc = r##"
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /files/{fileId}/{part}:
    $ref: '#/components/pathItems/File'
  /forms:
    post:
      requestBody:
        content:
          text/plain: {schema: {type: string, maxLength: 10}}
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {a: {type: string}}}
  /any:
    post:
      requestBody: {content: {'*/*': {schema: {type: object}}}}
  /upload:
    put:
      parameters:
        - {name: requestBody, in: query, schema: {type: string}}
        - name: filter
          in: query
          content: {application/json: {schema: {$ref: '#/components/schemas/a~1b'}}}
      requestBody:
        required: true
        description: The file.
        content: {application/octet-stream: {}}
components:
  schemas:
    a/b: {type: object, properties: {x: {type: integer}}}
  pathItems:
    File:
      get:
        operationId: getFile
        parameters: [{name: fileId, in: path, required: true, schema: {type: string}}]
"##;
        let spec = parse(doc.as_bytes(), &doc_url()).unwrap();
        let file = op(&spec, "getFile");
        let params: Vec<_> = file
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p.required))
            .collect();
        assert_eq!(
            params,
            [("fileId", true), ("part", true)],
            "an undeclared template variable is still a parameter"
        );

        let form = op(&spec, "post_forms");
        assert_eq!(
            form.body.as_ref().unwrap().content_type,
            "application/x-www-form-urlencoded"
        );
        let any = op(&spec, "post_any");
        assert_eq!(any.body.as_ref().unwrap().content_type, "application/json");

        let upload = op(&spec, "put_upload");
        assert_eq!(
            upload.body,
            Some(Body {
                content_type: "application/octet-stream".into(),
                required: true
            })
        );
        let props = &upload.input_schema["properties"];
        assert_eq!(props["requestBody"]["type"], "string");
        assert_eq!(
            props["requestBody"]["description"],
            "The file. Sent as is, as `application/octet-stream`."
        );
        assert_eq!(props["requestBody_query"], json!({"type": "string"}));
        assert_eq!(
            props["filter"],
            json!({"type": "object", "properties": {"x": {"type": "integer"}}})
        );
        let p = build_request(
            &spec.base_url,
            upload,
            &spec.schemes,
            &input(
                json!({"requestBody": "raw bytes", "requestBody_query": "q", "filter": {"x": 1}}),
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            p.url.query(),
            Some("requestBody=q&filter=%7B%22x%22%3A1%7D")
        );
        assert_eq!(
            p.body.unwrap(),
            ("application/octet-stream".to_owned(), b"raw bytes".to_vec())
        );
    }

    #[test]
    fn an_exploding_schema_is_refused_naming_the_operation() {
        let mut schemas = Map::new();
        for i in 0..30 {
            let next = format!("#/components/schemas/S{}", i + 1);
            schemas.insert(
                format!("S{i}"),
                json!({"type": "object", "properties": {"l": {"$ref": next}, "r": {"$ref": next}}}),
            );
        }
        schemas.insert("S30".into(), json!({"type": "string"}));
        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/boom": {"post": {"operationId": "boom", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}}}}}},
            "components": {"schemas": schemas}});
        let err = parse(doc.to_string().as_bytes(), &doc_url()).unwrap_err();
        assert!(
            matches!(&err, SpecError::Schema { operation, .. } if operation == "boom"),
            "{err}"
        );
        assert!(err.to_string().starts_with("operation `boom`: "), "{err}");
    }
}
