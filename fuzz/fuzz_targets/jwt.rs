//! A bearer JWT (operator-signed, HS256): `JwtVerifier::verify`, as the
//! auth middleware calls it for every request that carries one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::jwt::JwtVerifier;
use std::sync::LazyLock;

static VERIFIER: LazyLock<JwtVerifier> =
    LazyLock::new(|| JwtVerifier::new(b"fuzzing-secret-at-least-32-bytes-long!"));

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = VERIFIER.verify(token);
    }
});
