//! Schemas as `serde_json::Value`s: 3.0's dialect lifted to 3.1's, where
//! in a schema oas3's refusal lies, and schemas with their `$ref`s inlined
//! into standalone input schemas.

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Refs expanded inside one another on one path. Real documents nest a few
/// levels; past this it is a generated maze, and every level costs stack.
const MAX_REF_DEPTH: usize = 32;
/// Nesting of one emitted schema. The host stores operations as JSON and
/// reads them back with serde_json, which refuses more than 128 levels; the
/// stored wrapper takes about ten, so 64 leaves a wide margin.
pub(super) const MAX_SCHEMA_NESTING: usize = 64;
/// One emitted input schema, serialised. A tool schema is sent to a model
/// with every tool list; 256 KiB is already far more than a model reads.
pub(super) const MAX_SCHEMA_BYTES: usize = 256 * 1024;
/// Nodes built while expanding one operation's schemas. Schemas that reuse
/// a component twice per level double per level, so the byte cap alone
/// would be checked only after exponential work; each node is at least a
/// few bytes, so this stops that work near the byte cap.
const MAX_SCHEMA_NODES: usize = MAX_SCHEMA_BYTES / 4;

/// Hops of a `$ref` naming another `$ref` (parameters, bodies, path items):
/// real chains are one or two long; past this it is a loop.
const MAX_REF_HOPS: usize = 16;

/// Keywords whose value is one subschema (`items` may be a list in older
/// documents).
const ONE_SCHEMA: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to subschemas.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "dependentSchemas"];
/// Left out of emitted schemas: once every `$ref` is inlined, definitions
/// and identifiers only change how a validator would resolve refs that are
/// gone, and the OpenAPI-only annotations point back into the document.
const DROPPED: &[&str] = &[
    "$defs",
    "definitions",
    "$id",
    "$schema",
    "$anchor",
    "$dynamicAnchor",
    "$comment",
    "discriminator",
    "xml",
    "externalDocs",
];

/// Calls `f` on each direct subschema of a schema object.
fn for_each_subschema_mut(schema: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Value)) {
    for (key, value) in schema.iter_mut() {
        let key = key.as_str();
        if ONE_SCHEMA.contains(&key) {
            match value {
                Value::Array(list) => list.iter_mut().for_each(&mut *f),
                one => f(one),
            }
        } else if SCHEMA_LISTS.contains(&key)
            && let Value::Array(list) = value
        {
            list.iter_mut().for_each(&mut *f);
        } else if (SCHEMA_MAPS.contains(&key) || key == "$defs" || key == "definitions")
            && let Value::Object(map) = value
        {
            map.values_mut().for_each(&mut *f);
        }
    }
}

/// Rewrites a 3.0 schema as 3.1 says the same thing: `nullable` becomes a
/// `null` member of `type` (and of `enum`), boolean `exclusiveMinimum` and
/// `exclusiveMaximum` become the numeric bounds.
pub(super) fn lift_30(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    for_each_subschema_mut(obj, &mut lift_30);
    lift_exclusive(obj, "exclusiveMinimum", "minimum");
    lift_exclusive(obj, "exclusiveMaximum", "maximum");
    let nullable = obj.remove("nullable") == Some(Value::Bool(true));
    if !nullable {
        return;
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match obj.get_mut("type") {
        Some(Value::String(one)) => {
            let one = std::mem::take(one);
            obj.insert("type".into(), json!([one, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
        }
        // No type (`$ref`, `allOf` and the like): null is one more choice.
        _ => {
            let inner = std::mem::take(obj);
            obj.insert("anyOf".into(), json!([inner, {"type": "null"}]));
        }
    }
}

fn lift_exclusive(obj: &mut Map<String, Value>, exclusive: &str, bound: &str) {
    match obj.get(exclusive) {
        Some(Value::Bool(true)) => match obj.remove(bound) {
            Some(value) => {
                obj.insert(exclusive.into(), value);
            }
            None => {
                obj.remove(exclusive);
            }
        },
        Some(Value::Bool(false)) => {
            obj.remove(exclusive);
        }
        _ => {}
    }
}

/// The object a `$ref` chain ends at, within the document.
pub(super) fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> Result<&'a Value, String> {
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok(value);
        };
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(format!(
                "`$ref: {reference}` points outside the document; only `#/...` references are followed (bundle the document first)"
            ));
        };
        let pointer = percent_decode_str(fragment).decode_utf8_lossy();
        value = doc
            .pointer(&pointer)
            .filter(|v| v.is_object())
            .ok_or_else(|| format!("`$ref: {reference}` does not resolve in the document"))?;
    }
    Err(format!(
        "`$ref`s chain more than {MAX_REF_HOPS} times (a loop?)"
    ))
}

/// Why a schema could not be emitted.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Limit {
    RefDepth,
    Nesting,
    Size,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::RefDepth => write!(f, "its schema nests `$ref`s more than {MAX_REF_DEPTH} deep"),
            Limit::Nesting => write!(
                f,
                "its input schema nests more than {MAX_SCHEMA_NESTING} levels deep"
            ),
            Limit::Size => write!(
                f,
                "its input schema would be larger than {} KiB once `$ref`s are inlined",
                MAX_SCHEMA_BYTES / 1024
            ),
        }
    }
}

/// Inlines the `$ref`s of schemas taken from one document. One expander
/// serves one operation, so the node budget is per operation.
pub(super) struct Expander<'d> {
    doc: &'d Value,
    /// The refs being expanded on the current path, as decoded pointers.
    stack: Vec<String>,
    nodes: usize,
}

impl<'d> Expander<'d> {
    pub(super) fn new(doc: &'d Value) -> Self {
        Expander {
            doc,
            stack: Vec::new(),
            nodes: 0,
        }
    }

    /// `schema` with every `$ref` inlined.
    pub(super) fn expand(&mut self, schema: &Value) -> Result<Value, Limit> {
        self.expand_at(schema, 0)
    }

    fn expand_at(&mut self, schema: &Value, nesting: usize) -> Result<Value, Limit> {
        if nesting > MAX_SCHEMA_NESTING {
            return Err(Limit::Nesting);
        }
        self.count(1)?;
        let Value::Object(obj) = schema else {
            return Ok(schema.clone());
        };
        if let Some(Value::String(reference)) = obj.get("$ref") {
            let mut out = self.expand_ref(reference, nesting)?;
            // 3.1 lets a ref carry siblings (a description, a default);
            // they refine the target, so they win.
            for (key, value) in obj {
                if key != "$ref" {
                    self.keyword(&mut out, key, value, nesting)?;
                }
            }
            return Ok(Value::Object(out));
        }
        let mut out = Map::new();
        for (key, value) in obj {
            self.keyword(&mut out, key, value, nesting)?;
        }
        Ok(Value::Object(out))
    }

    fn keyword(
        &mut self,
        out: &mut Map<String, Value>,
        key: &str,
        value: &Value,
        nesting: usize,
    ) -> Result<(), Limit> {
        if DROPPED.contains(&key) {
            return Ok(());
        }
        let expanded = if ONE_SCHEMA.contains(&key) && !value.is_array() {
            self.expand_at(value, nesting + 1)?
        } else if ONE_SCHEMA.contains(&key) || SCHEMA_LISTS.contains(&key) {
            match value {
                Value::Array(list) => Value::Array(
                    list.iter()
                        .map(|s| self.expand_at(s, nesting + 2))
                        .collect::<Result<_, _>>()?,
                ),
                other => other.clone(),
            }
        } else if SCHEMA_MAPS.contains(&key) {
            match value {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, s)| Ok((k.clone(), self.expand_at(s, nesting + 2)?)))
                        .collect::<Result<_, _>>()?,
                ),
                other => other.clone(),
            }
        } else {
            // Data (enum, default, examples…): copied, counted by its width
            // so a large enum reused many times still spends the budget.
            self.count(match value {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                _ => 0,
            })?;
            value.clone()
        };
        out.insert(key.to_owned(), expanded);
        Ok(())
    }

    fn expand_ref(&mut self, reference: &str, nesting: usize) -> Result<Map<String, Value>, Limit> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Ok(any_with(format!(
                "External reference `{reference}` is not followed; any value is accepted here."
            )));
        };
        let pointer = percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned();
        if self.stack.contains(&pointer) {
            return Ok(any_with(format!(
                "Recursive: another `{}` (its contents are not checked at this depth).",
                last_segment(&pointer)
            )));
        }
        if self.stack.len() >= MAX_REF_DEPTH {
            return Err(Limit::RefDepth);
        }
        let target = match self.doc.pointer(&pointer) {
            Some(target) if !pointer.is_empty() && (target.is_object() || target.is_boolean()) => {
                target
            }
            _ => {
                return Ok(any_with(format!(
                    "Unresolvable reference `{reference}`; any value is accepted here."
                )));
            }
        };
        self.stack.push(pointer);
        let expanded = self.expand_at(target, nesting);
        self.stack.pop();
        Ok(into_object(expanded?))
    }

    fn count(&mut self, nodes: usize) -> Result<(), Limit> {
        self.nodes += nodes;
        if self.nodes > MAX_SCHEMA_NODES {
            return Err(Limit::Size);
        }
        Ok(())
    }
}

/// A schema as an object, so keywords can be added: `true` is `{}`,
/// `false` is `{"not": {}}`.
pub(super) fn into_object(schema: Value) -> Map<String, Value> {
    match schema {
        Value::Object(obj) => obj,
        Value::Bool(false) => {
            let mut obj = Map::new();
            obj.insert("not".into(), json!({}));
            obj
        }
        _ => Map::new(),
    }
}

fn any_with(description: String) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("description".into(), Value::String(description));
    obj
}

fn last_segment(pointer: &str) -> String {
    let last = pointer.rsplit('/').next().unwrap_or(pointer);
    last.replace("~1", "/").replace("~0", "~")
}

/// How deep a value nests (a scalar is 0).
pub(super) fn nesting(value: &Value) -> usize {
    match value {
        Value::Array(list) => 1 + list.iter().map(nesting).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// Where under `at` a schema oas3 refuses, and why: oas3 reads schemas
/// through untagged enums, whose own error names neither.
pub(super) fn problem(schema: &Value, at: &str) -> Option<String> {
    let Value::Object(obj) = schema else {
        return None;
    };
    if obj.get("$ref").is_some_and(Value::is_string) {
        return None;
    }
    let own = oas3::spec::ObjectSchema::deserialize(schema).err()?;
    let mut found = None;
    for (key, value) in obj {
        let key = key.as_str();
        let children: Vec<(String, &Value)> = if ONE_SCHEMA.contains(&key) && !value.is_array() {
            vec![(format!("{at}.{key}"), value)]
        } else if ONE_SCHEMA.contains(&key) || SCHEMA_LISTS.contains(&key) {
            value
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, v)| (format!("{at}.{key}[{i}]"), v))
                .collect()
        } else if SCHEMA_MAPS.contains(&key) {
            value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (format!("{at}.{key}.{k}"), v))
                .collect()
        } else {
            Vec::new()
        };
        found = children.into_iter().find_map(|(at, v)| problem(v, &at));
        if found.is_some() {
            break;
        }
    }
    Some(found.unwrap_or_else(|| format!("{at}: {own}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(doc: &Value, schema: Value) -> Result<Value, Limit> {
        Expander::new(doc).expand(&schema)
    }

    #[test]
    fn nullable_and_boolean_bounds_are_lifted() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "age": {"type": "integer", "minimum": 0, "exclusiveMinimum": true,
                        "maximum": 9, "exclusiveMaximum": false, "nullable": true},
                "mood": {"type": "string", "enum": ["ok", "bad"], "nullable": true},
                "tag": {"$ref": "#/components/schemas/Tag", "nullable": true},
                "list": {"type": "array", "items": {"type": "string", "nullable": true}},
                "plain": {"type": "string", "nullable": false}
            }
        });
        lift_30(&mut schema);
        let props = &schema["properties"];
        assert_eq!(
            props["age"],
            json!({"type": ["integer", "null"], "exclusiveMinimum": 0, "maximum": 9})
        );
        assert_eq!(props["mood"]["type"], json!(["string", "null"]));
        assert_eq!(props["mood"]["enum"], json!(["ok", "bad", null]));
        assert_eq!(
            props["tag"],
            json!({"anyOf": [{"$ref": "#/components/schemas/Tag"}, {"type": "null"}]})
        );
        assert_eq!(props["list"]["items"]["type"], json!(["string", "null"]));
        assert_eq!(props["plain"], json!({"type": "string"}));
    }

    #[test]
    fn refs_are_inlined_with_escapes_siblings_and_guards() {
        let doc = json!({"components": {"schemas": {
            "a/b": {"type": "string", "description": "slashed"},
            "Node": {"type": "object", "properties": {
                "child": {"$ref": "#/components/schemas/Node"},
                "name": {"$ref": "#/components/schemas/a~1b"}
            }, "$defs": {"x": {}}, "discriminator": {"propertyName": "kind"}},
            "Loop": {"$ref": "#/components/schemas/Loop"},
            "Spaced Name": {"type": "integer"}
        }}});
        let node = expand(&doc, json!({"$ref": "#/components/schemas/Node"})).unwrap();
        assert_eq!(
            node["properties"]["name"],
            json!({"type": "string", "description": "slashed"})
        );
        let child = &node["properties"]["child"];
        assert_eq!(child.as_object().unwrap().len(), 1, "{child}");
        assert!(
            child["description"]
                .as_str()
                .unwrap()
                .starts_with("Recursive")
        );
        assert!(node.get("$defs").is_none() && node.get("discriminator").is_none());

        let looped = expand(&doc, json!({"$ref": "#/components/schemas/Loop"})).unwrap();
        assert!(
            looped["description"]
                .as_str()
                .unwrap()
                .starts_with("Recursive")
        );

        let sibling = json!({"$ref": "#/components/schemas/a~1b", "description": "mine"});
        assert_eq!(expand(&doc, sibling).unwrap()["description"], "mine");
        let spaced = json!({"$ref": "#/components/schemas/Spaced%20Name"});
        assert_eq!(expand(&doc, spaced).unwrap(), json!({"type": "integer"}));

        for missing in ["#/components/schemas/Nope", "other.yaml#/X", "#"] {
            let out = expand(&doc, json!({"$ref": missing})).unwrap();
            assert_eq!(out.as_object().unwrap().len(), 1, "{out}");
            assert!(
                out["description"].as_str().unwrap().contains(missing),
                "{out}"
            );
        }
        // A ref in data is data.
        let data = json!({"type": "object", "default": {"$ref": "#/components/schemas/Node"}});
        assert_eq!(expand(&doc, data.clone()).unwrap(), data);
    }

    #[test]
    fn exponential_and_deep_schemas_hit_limits() {
        let mut schemas = Map::new();
        for i in 0..40 {
            let next = format!("#/components/schemas/S{}", i + 1);
            schemas.insert(
                format!("S{i}"),
                json!({"type": "object", "properties": {"l": {"$ref": next}, "r": {"$ref": next}}}),
            );
        }
        schemas.insert("S40".into(), json!({"type": "string"}));
        let doc = json!({"components": {"schemas": schemas}});
        let wide = expand(&doc, json!({"$ref": "#/components/schemas/S25"}));
        assert_eq!(wide, Err(Limit::Size));
        let deep = expand(&doc, json!({"$ref": "#/components/schemas/S0"}));
        assert!(
            matches!(deep, Err(Limit::Size | Limit::Nesting | Limit::RefDepth)),
            "{deep:?}"
        );

        let mut chain = Map::new();
        for i in 0..40 {
            chain.insert(
                format!("C{i}"),
                json!({"allOf": [{"$ref": format!("#/components/schemas/C{}", i + 1)}]}),
            );
        }
        let doc = json!({"components": {"schemas": chain}});
        let out = expand(&doc, json!({"$ref": "#/components/schemas/C0"}));
        assert!(
            matches!(out, Err(Limit::Nesting | Limit::RefDepth)),
            "{out:?}"
        );
    }

    #[test]
    fn problems_are_located() {
        let bad = json!({"type": "object", "properties": {
            "ok": {"type": "string"},
            "n": {"type": "array", "items": {"type": "integer", "exclusiveMinimum": "zero"}}
        }});
        let found = problem(&bad, "components.schemas.Pet").unwrap();
        assert!(
            found.starts_with("components.schemas.Pet.properties.n.items: "),
            "{found}"
        );
        assert_eq!(problem(&json!({"type": "string"}), "x"), None);
    }
}
