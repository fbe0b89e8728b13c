//! The line `inspect`, `build` and `pack` print about a package's documents.

/// One line saying which documents a package carries.
pub(super) fn docs_line(docs: &crate::docs::SkillDocs) -> String {
    let list = |items: Vec<&str>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    format!(
        "docs: {}; references: {}; scripts: {}",
        if docs.skill_md.is_some() {
            "SKILL.md"
        } else {
            "no SKILL.md"
        },
        list(docs.references.keys().map(String::as_str).collect()),
        list(docs.scripts.iter().map(String::as_str).collect()),
    )
}
