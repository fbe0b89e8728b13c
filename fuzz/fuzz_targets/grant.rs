//! A grant as an admin sends it (the JSON body of an approval, read by
//! `parse_grant` with `serde_json::from_slice::<Grant>`), resolved against
//! a manifest that declares a little of everything (`Policy::resolve`),
//! then an assignment's narrowing read from the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::capability::{Grant, LimitPolicy, Narrowing, Policy, injectable_header};
use skillhost::manifest::Manifest;
use std::sync::LazyLock;

static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| {
    Manifest::from_toml(
        r#"
name = "fuzzed"
version = "1.0.0"
description = "declares a little of everything"

[capabilities]
network = ["https://api.example.com", "https://*.example.org:8443", "http://10.0.0.1"]
fs_read = ["/data"]
fs_write = ["/out"]
env = ["MODE", "LEVEL"]
secrets = ["API_KEY", "TOKEN"]

[[abilities]]
name = "go"
description = "goes"
input_schema = { type = "object" }
"#,
    )
    .expect("the fixed manifest is valid")
});

fuzz_target!(|data: &[u8]| {
    if let Ok(grant) = serde_json::from_slice::<Grant>(data) {
        for binding in &grant.inject {
            let _ = injectable_header(&binding.header);
        }
        if let Ok(mut policy) = Policy::resolve(&MANIFEST, &grant, &LimitPolicy::default()) {
            if let Ok(narrowing) = serde_json::from_slice::<Narrowing>(data) {
                let _ = policy.narrow(&narrowing);
            }
        }
        // A stored grant is read back from its serialisation.
        let json = serde_json::to_vec(&grant).expect("a grant serialises");
        let back: Grant = serde_json::from_slice(&json).unwrap_or_else(|e| {
            panic!(
                "a grant does not read back: {e}: {}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(back, grant);
    }
    let _ = serde_json::from_slice::<Narrowing>(data);
});
