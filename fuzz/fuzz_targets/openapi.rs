//! An OpenAPI 3.0/3.1 document (JSON or YAML) as an install or sync
//! fetches it: `sources::openapi::parse` into abilities, the stored form's
//! round trip, then `build_request` for each operation with a simple input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use skillhost::sources::openapi::{self, ApiSpec};

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://api.example.com/specs/openapi.json").expect("a URL");
    let Ok(spec) = openapi::parse(data, &url) else {
        return;
    };
    // The host stores the spec as JSON and calls from that form.
    let json = serde_json::to_vec(&spec).expect("a spec serialises");
    let spec: ApiSpec = serde_json::from_slice(&json).expect("a stored spec reads back");
    for op in spec.operations.iter().take(16) {
        let mut input = Map::new();
        for param in &op.parameters {
            input.insert(param.property.clone(), Value::String("x/../y?z#w".into()));
        }
        let _ = openapi::build_request(
            &spec.base_url,
            op,
            &spec.schemes,
            &input,
            Some("cred-value-123"),
        );
        let _ = openapi::build_request(&spec.base_url, op, &spec.schemes, &Map::new(), None);
    }
});
