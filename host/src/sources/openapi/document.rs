//! Reading a document: JSON or YAML, its OpenAPI version, its operations in
//! the document's order, and the one base URL they are called at.
use super::error::{MAX_OPERATIONS, SpecError};
use super::operation::{Built, describe, tool_name, unique_name};
use super::prepare;
use super::security::security_schemes;
use super::spec::{ApiSpec, Operation, Scheme};
use crate::untrusted::{YamlError, yaml};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use url::Url;

/// Reads an OpenAPI 3.0 or 3.1 document (JSON, else YAML) fetched from
/// `document_url` (which resolves a relative server URL).
pub fn parse(bytes: &[u8], document_url: &Url) -> Result<ApiSpec, SpecError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (mut doc, order) = read(bytes)?;
    let is_30 = dialect(&doc)?;
    prepare::prepare(&mut doc, is_30)?;
    let spec = oas3::Spec::deserialize(&doc).map_err(|e| SpecError::Invalid {
        reason: prepare::locate_problem(&doc).unwrap_or_else(|| e.to_string()),
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
        Err(json) => match yaml::from_slice::<Value>(bytes) {
            Ok(doc) => {
                let order = yaml::from_slice::<PathOrder>(bytes).map(PathOrder::keys);
                Ok((doc, order.unwrap_or_default()))
            }
            Err(YamlError::Syntax(yaml)) => Err(SpecError::Unreadable {
                json: json.to_string(),
                yaml,
            }),
            Err(limit) => Err(SpecError::Limit(limit)),
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

#[cfg(test)]
mod tests {
    use super::super::build_request;
    use super::super::tests::{doc_url, minimal, url};
    use super::*;
    use serde_json::{Map, json};

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
        // An alias bomb is refused for its expansion, not read.
        let bomb = format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n{}",
            crate::untrusted::tests::alias_bomb(10, 8)
        );
        let err = parse(bomb.as_bytes(), &u).unwrap_err();
        assert!(
            matches!(err, SpecError::Limit(YamlError::Expansion { .. })),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("the document is refused as YAML: its aliases"),
            "{err}"
        );

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
}
