//! `skill.toml` text: `Manifest::from_toml`, as `skillhost pack` and every
//! upload of a manifest read it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(manifest) = skillhost::manifest::Manifest::from_toml(text) {
            let _ = manifest.check();
        }
    }
});
