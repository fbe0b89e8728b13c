//! The one cache of compiled input schemas for abilities the host runs
//! itself (instructions, OpenAPI operations, remote tools): each schema is
//! compiled once per owner version and ability, not per call. A
//! component's schemas are compiled with the component when it loads.
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Entries kept at most; past that the cache starts over (old versions of
/// edited abilities go with it).
const CAPACITY: usize = 4096;

/// Whose schema: the skill or skillset ability's id, the version it is
/// of (a digest, an update time) and the ability's name.
pub type SchemaKey = (String, String, String);

/// The compiled validator of `schema` under `key`. A schema that does not
/// compile accepts anything (the API or server behind it still checks its
/// own input); `strict` refuses it instead.
pub fn validator(
    key: SchemaKey,
    schema: impl FnOnce() -> Value,
    strict: bool,
) -> Result<Arc<jsonschema::Validator>, String> {
    static CACHE: OnceLock<Mutex<HashMap<SchemaKey, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().expect("schema cache").get(&key) {
        return Ok(hit.clone());
    }
    let schema = schema();
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) if strict => return Err(e.to_string()),
        Err(_) => jsonschema::validator_for(&serde_json::json!({})).map_err(|e| e.to_string())?,
    };
    let validator = Arc::new(validator);
    let mut map = cache.lock().expect("schema cache");
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(key, validator.clone());
    Ok(validator)
}

/// What is wrong with `input`, naming each field; `None` when it fits.
pub fn problems(validator: &jsonschema::Validator, input: &Value) -> Option<String> {
    crate::runtime::schema_problems(validator, input)
}
