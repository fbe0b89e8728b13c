//! One path and method as a tool: its name, its description, and the input
//! schema built from its parameters and body.
use super::error::SpecError;
use super::schema;
use super::spec::{BODY_PROPERTY, Body, Location, Parameter, is_reserved_header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Tool names: the length LLM APIs and MCP clients accept for a tool name.
const MAX_NAME_LEN: usize = 64;
/// Hex digits of the hash that keeps a shortened name unique: 32 bits make
/// a collision among one document's few hundred names very unlikely, and
/// a collision would only be numbered anyway.
const NAME_HASH_HEX: usize = 8;
/// Tool descriptions are sent with every tool list; 1024 characters says
/// what an operation does without letting one document flood a context.
const MAX_DESCRIPTION_CHARS: usize = 1024;

/// `operationId`, else method and path; `[A-Za-z0-9_-]` only, at most 64
/// characters (a longer name keeps a hash of itself to stay distinct).
pub(super) fn tool_name(operation_id: Option<&str>, method: &str, path: &str) -> String {
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
pub(super) fn unique_name(name: String, used: &mut HashSet<String>) -> String {
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

pub(super) fn describe(op: &oas3::spec::Operation, method: &str, path: &str) -> String {
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
pub(super) struct Built<'d> {
    doc: &'d Value,
    name: &'d str,
    expander: schema::Expander<'d>,
}

impl<'d> Built<'d> {
    pub(super) fn new(doc: &'d Value, name: &'d str) -> Self {
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
    pub(super) fn inputs(
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

#[cfg(test)]
mod tests {
    use super::super::tests::{doc_url, input, op};
    use super::super::{Body, build_request, parse};
    use super::*;

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
