//! A `SKILL.md` (YAML frontmatter and body), as a direct URL install or a
//! pack reads it: `skill_md::from_skill_md` (the documents' checks, then
//! `Frontmatter::parse`, YAML within the alias budget).
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::sources::skill_md::{self, Frontmatter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = skill_md::from_skill_md(text);
    let _ = Frontmatter::parse(text);
});
