//! A packaged skill's bytes: `package::read` (what an upload or a URL
//! install reads), `package::read_docs` and `package::kind_of`.
//!
//! Raw bytes seldom get past wasmparser, so the first byte picks a mode:
//! even: the bytes as they are; odd: the rest split at the first NUL into
//! the `skillhost:manifest` and `skillhost:docs` sections' contents,
//! appended to an empty component, which reaches the section readers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::package;

/// An empty component: magic, version 0x0d, layer 1.
const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn custom_section(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::new();
    leb128(&mut payload, name.len() as u64);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    out.push(0);
    leb128(out, payload.len() as u64);
    out.extend_from_slice(&payload);
}

fn exercise(bytes: &[u8]) {
    let _ = package::read(bytes);
    let _ = package::read_docs(bytes);
    let _ = package::kind_of(bytes);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        exercise(rest);
        return;
    }
    let (manifest, docs) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let mut bytes = COMPONENT.to_vec();
    custom_section(&mut bytes, package::MANIFEST_SECTION, manifest);
    if let Some(docs) = docs {
        custom_section(&mut bytes, package::DOCS_SECTION, docs);
    }
    exercise(&bytes);
});
