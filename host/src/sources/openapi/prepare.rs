//! The document as a `serde_json::Value`, readied for oas3: 3.0's schema
//! dialect lifted to 3.1's, what never builds a request left out, and the
//! place of what oas3 refuses.

use super::error::SpecError;
use super::schema::{deref, lift_30, problem};
use serde::Deserialize;
use serde_json::{Value, json};

/// The methods a path item may hold an operation under.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Readies the document for oas3 and for the schemas taken from it.
pub(super) fn prepare(doc: &mut Value, is_30: bool) -> Result<(), SpecError> {
    // A path item may be a `$ref` (to `components.pathItems` in 3.1);
    // oas3 keeps the ref without following it.
    let refs: Vec<(String, Value)> = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, item)| item.get("$ref").is_some())
        .map(|(path, item)| {
            deref(doc, item)
                .map(|target| (path.clone(), target.clone()))
                .map_err(|reason| SpecError::Invalid {
                    reason: format!("paths.{path}: {reason}"),
                })
        })
        .collect::<Result<_, _>>()?;
    for (path, target) in refs {
        doc["paths"][path.as_str()] = target;
    }
    // What describes responses, callbacks and webhooks never builds a
    // request; a quirk there must not refuse the document.
    if let Some(obj) = doc.as_object_mut() {
        obj.remove("webhooks");
    }
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        for unused in [
            "responses",
            "examples",
            "headers",
            "links",
            "callbacks",
            "pathItems",
        ] {
            components.remove(unused);
        }
        // OAuth flows are never run (the operator supplies a token), and
        // oas3 refuses the relative token URLs many documents use.
        for scheme in components
            .get_mut("securitySchemes")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            if scheme.get("type") == Some(&json!("oauth2")) {
                scheme["flows"] = json!({});
            }
        }
    }
    for item in doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                op.remove("responses");
                op.remove("callbacks");
            }
        }
    }
    // YAML reads `version: 1.0` or a port's default `8443` as numbers,
    // where OpenAPI means strings.
    if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
        for field in ["title", "version"] {
            stringify(info.get_mut(field));
        }
    }
    for server in doc
        .get_mut("servers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        for variable in server
            .get_mut("variables")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            stringify(variable.get_mut("default"));
            for value in variable
                .get_mut("enum")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                stringify(Some(value));
            }
        }
    }
    if is_30 {
        for_each_schema(doc, &mut lift_30);
    }
    Ok(())
}

fn stringify(value: Option<&mut Value>) {
    if let Some(value) = value
        && (value.is_number() || value.is_boolean())
    {
        *value = Value::String(value.to_string());
    }
}

/// Calls `f` on every schema a request can be built from: components'
/// schemas, and those of parameters and request bodies.
fn for_each_schema(doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    fn parameter(p: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        if let Some(s) = p.get_mut("schema") {
            f(s);
        }
        body(p, f);
    }
    fn body(b: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let media = b.get_mut("content").and_then(Value::as_object_mut);
        for m in media.into_iter().flat_map(|m| m.values_mut()) {
            if let Some(s) = m.get_mut("schema") {
                f(s);
            }
        }
    }
    fn each(v: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
        let list: Vec<&mut Value> = match v {
            Some(Value::Object(m)) => m.values_mut().collect(),
            Some(Value::Array(a)) => a.iter_mut().collect(),
            _ => Vec::new(),
        };
        list.into_iter()
    }
    if let Some(components) = doc.get_mut("components") {
        each(components.get_mut("schemas")).for_each(&mut *f);
        each(components.get_mut("parameters")).for_each(|p| parameter(p, f));
        each(components.get_mut("requestBodies")).for_each(|b| body(b, f));
    }
    for item in each(doc.get_mut("paths")) {
        each(item.get_mut("parameters")).for_each(|p| parameter(p, f));
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                each(op.get_mut("parameters")).for_each(|p| parameter(p, f));
                if let Some(b) = op.get_mut("requestBody") {
                    body(b, f);
                }
            }
        }
    }
}

/// Where oas3's refusal comes from: it reads most objects through
/// untagged enums, whose errors say neither where nor why.
pub(super) fn locate_problem(doc: &Value) -> Option<String> {
    use oas3::spec::{Info, Operation, Parameter, RequestBody, SecurityScheme, Server};
    fn check<T: for<'de> Deserialize<'de>>(value: &Value, at: &str) -> Option<String> {
        T::deserialize(value).err().map(|e| format!("{at}: {e}"))
    }
    fn is_ref(v: &Value) -> bool {
        v.get("$ref").is_some_and(Value::is_string)
    }
    fn parameter(p: &Value, at: &str) -> Option<String> {
        if is_ref(p) {
            return None;
        }
        let schema = p
            .get("schema")
            .and_then(|s| problem(s, &format!("{at}.schema")));
        schema
            .or_else(|| body(p, at))
            .or_else(|| check::<Parameter>(p, at))
    }
    fn body(b: &Value, at: &str) -> Option<String> {
        if is_ref(b) {
            return None;
        }
        let media = b
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten();
        media
            .filter_map(|(k, m)| Some((k, m.get("schema")?)))
            .find_map(|(k, s)| problem(s, &format!("{at}.content.{k}.schema")))
    }
    fn entries(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
        v.and_then(Value::as_object).into_iter().flatten()
    }
    fn list(v: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }
    if let Some(p) = doc.get("info").and_then(|i| check::<Info>(i, "info")) {
        return Some(p);
    }
    if let Some(p) =
        list(doc.get("servers")).find_map(|(i, s)| check::<Server>(s, &format!("servers[{i}]")))
    {
        return Some(p);
    }
    let components = doc.get("components");
    let c = |key: &str| components.and_then(|c| c.get(key));
    let found = entries(c("schemas"))
        .find_map(|(k, s)| problem(s, &format!("components.schemas.{k}")))
        .or_else(|| {
            entries(c("parameters"))
                .find_map(|(k, p)| parameter(p, &format!("components.parameters.{k}")))
        })
        .or_else(|| {
            entries(c("requestBodies")).find_map(|(k, b)| {
                let at = format!("components.requestBodies.{k}");
                body(b, &at)
                    .or_else(|| (!is_ref(b)).then(|| check::<RequestBody>(b, &at)).flatten())
            })
        })
        .or_else(|| {
            entries(c("securitySchemes")).find_map(|(k, s)| {
                (!is_ref(s))
                    .then(|| check::<SecurityScheme>(s, &format!("components.securitySchemes.{k}")))
                    .flatten()
            })
        });
    if found.is_some() {
        return found;
    }
    entries(doc.get("paths")).find_map(|(path, item)| {
        let at = format!("paths.{path}");
        list(item.get("parameters"))
            .find_map(|(i, p)| parameter(p, &format!("{at}.parameters[{i}]")))
            .or_else(|| {
                METHODS
                    .iter()
                    .filter_map(|m| Some((m, item.get(*m)?)))
                    .find_map(|(m, op)| {
                        let at = format!("{at}.{m}");
                        list(op.get("parameters"))
                            .find_map(|(i, p)| parameter(p, &format!("{at}.parameters[{i}]")))
                            .or_else(|| {
                                let b = op.get("requestBody")?;
                                let at = format!("{at}.requestBody");
                                body(b, &at).or_else(|| {
                                    (!is_ref(b)).then(|| check::<RequestBody>(b, &at)).flatten()
                                })
                            })
                            .or_else(|| check::<Operation>(op, &at))
                    })
            })
    })
}
