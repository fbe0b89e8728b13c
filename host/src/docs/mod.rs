//! A skill folder's documents — `SKILL.md`, the text files under
//! `references/` and the names under `scripts/` — as carried in a package's
//! `skillhost:docs` custom section for `skill_query` to serve. Read from a
//! folder by `skillhost build` and `skillhost pack --skill-md`, and checked
//! again whenever a package is read, since a file may be made by hand.
//! Scripts are listed, never embedded or run.
mod folder;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the section's JSON layout.
const FORMAT: u32 = 1;

/// Largest `SKILL.md`. The Agent Skills specification recommends a body
/// under 500 lines (about 25 KiB); this is ten times that, and bounds what
/// one `skill_query` answers with.
pub const MAX_SKILL_MD_BYTES: usize = 256 << 10;
/// Most reference files. An agent picks one by name from the list; a list
/// longer than this is no longer one to pick from.
pub const MAX_REFERENCES: usize = 100;
/// Most script names listed, for the same reason.
pub const MAX_SCRIPTS: usize = 100;
/// Most bytes of `SKILL.md` and references together: about 250,000 words,
/// far more than an agent reads, and small beside a compiled component —
/// a loaded skill keeps its documents in memory.
pub const MAX_TOTAL_BYTES: usize = 1 << 20;
/// Longest relative path, in bytes (a common file-name limit).
pub const MAX_PATH_BYTES: usize = 255;

/// The documents a skill carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillDocs {
    /// `SKILL.md` as written, frontmatter included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_md: Option<String>,
    /// Reference texts by path relative to the skill folder:
    /// `references/…`, or a `*.md` file beside `SKILL.md`.
    #[serde(default)]
    pub references: BTreeMap<String, String>,
    /// Paths of the files under `scripts/`, relative to the skill folder.
    #[serde(default)]
    pub scripts: Vec<String>,
}

/// What the section holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    format: u32,
    docs: SkillDocs,
}

/// Why a skill's documents cannot be packaged or read. Each message names
/// the file and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocsError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path, as given.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// A file meant as text is not UTF-8.
    #[error(
        "{0} is not UTF-8 text; SKILL.md and references/ carry text only (keep other files out of them)"
    )]
    NotText(String),
    /// A file, or all of them together, is over a limit.
    #[error("{what} is {size} bytes; at most {limit} are packaged")]
    TooLarge {
        /// The file, or `SKILL.md and references/`.
        what: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Too many files in one folder.
    #[error("{dir}/ holds more than {limit} files")]
    TooMany {
        /// `references` or `scripts`.
        dir: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A path that is not a plain relative path inside the skill.
    #[error("`{path}`: {reason}")]
    BadPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A symlink leading out of the skill folder.
    #[error("{0} leads outside the skill folder; copy the file in instead of linking it")]
    Outside(String),
    /// `SKILL.md` opens a frontmatter and never closes it.
    #[error("SKILL.md opens its YAML frontmatter with `---` but never closes it with a `---` line")]
    Frontmatter,
    /// The embedded section is unreadable.
    #[error("the embedded skill documents are unreadable: {0}")]
    Unreadable(String),
}

impl SkillDocs {
    /// Whether there is nothing to carry.
    pub fn is_empty(&self) -> bool {
        self.skill_md.is_none() && self.references.is_empty() && self.scripts.is_empty()
    }

    /// `SKILL.md`'s body — the text after its frontmatter — when there is a
    /// `SKILL.md` and its body is not blank.
    pub fn instructions(&self) -> Option<&str> {
        let (_, body) = split_frontmatter(self.skill_md.as_deref()?).ok()?;
        let body = body.trim_start_matches(['\n', '\r']).trim_end();
        (!body.is_empty()).then_some(body)
    }

    /// The reference named `name` — its path as listed, or its path inside
    /// `references/` (`guide.md` for `references/guide.md`) — as
    /// `(path, text)`.
    pub fn reference(&self, name: &str) -> Option<(&str, &str)> {
        let name = name.trim_start_matches("./");
        self.references
            .get_key_value(name)
            .or_else(|| self.references.get_key_value(&format!("references/{name}")))
            .map(|(path, text)| (path.as_str(), text.as_str()))
    }

    /// Checks sizes, counts and paths.
    pub fn check(&self) -> Result<(), DocsError> {
        let mut total = 0;
        if let Some(text) = &self.skill_md {
            if text.len() > MAX_SKILL_MD_BYTES {
                return Err(DocsError::TooLarge {
                    what: "SKILL.md".into(),
                    size: text.len(),
                    limit: MAX_SKILL_MD_BYTES,
                });
            }
            split_frontmatter(text)?;
            total += text.len();
        }
        if self.references.len() > MAX_REFERENCES {
            return Err(DocsError::TooMany {
                dir: "references",
                limit: MAX_REFERENCES,
            });
        }
        if self.scripts.len() > MAX_SCRIPTS {
            return Err(DocsError::TooMany {
                dir: "scripts",
                limit: MAX_SCRIPTS,
            });
        }
        for (path, text) in &self.references {
            check_path(path)?;
            let in_folder = path.starts_with("references/");
            let beside = !path.contains('/') && path.to_ascii_lowercase().ends_with(".md");
            if !in_folder && !beside {
                return Err(bad(
                    path,
                    "a reference is under references/ or a .md file beside SKILL.md",
                ));
            }
            total += text.len();
        }
        if total > MAX_TOTAL_BYTES {
            return Err(DocsError::TooLarge {
                what: "SKILL.md and references/ together".into(),
                size: total,
                limit: MAX_TOTAL_BYTES,
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for path in &self.scripts {
            check_path(path)?;
            if !path.starts_with("scripts/") {
                return Err(bad(path, "a script is under scripts/"));
            }
            if !seen.insert(path) {
                return Err(bad(path, "listed twice"));
            }
        }
        Ok(())
    }

    /// The section's bytes.
    pub(crate) fn to_section(&self) -> Vec<u8> {
        serde_json::to_vec(&Section {
            format: FORMAT,
            docs: self.clone(),
        })
        .expect("documents serialise")
    }

    /// Reads and checks the section's bytes.
    pub(crate) fn from_section(data: &[u8]) -> Result<SkillDocs, DocsError> {
        let section: Section =
            serde_json::from_slice(data).map_err(|e| DocsError::Unreadable(e.to_string()))?;
        if section.format != FORMAT {
            return Err(DocsError::Unreadable(format!(
                "format {} is not supported by this skillhost (expects {FORMAT})",
                section.format
            )));
        }
        section.docs.check()?;
        Ok(section.docs)
    }
}

fn bad(path: &str, reason: &'static str) -> DocsError {
    DocsError::BadPath {
        path: path.into(),
        reason,
    }
}

/// A plain relative path with `/` separators: no `..`, `.`, empty parts,
/// backslashes or control characters.
fn check_path(path: &str) -> Result<(), DocsError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(bad(path, "the path is longer than 255 bytes"));
    }
    if path.starts_with('/') {
        return Err(bad(path, "the path must be relative to the skill folder"));
    }
    if path.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(bad(path, "use `/` separators and no control characters"));
    }
    if path.split('/').any(|part| matches!(part, "" | "." | "..")) {
        return Err(bad(path, "`..`, `.` and empty parts are not allowed"));
    }
    Ok(())
}

/// Splits `SKILL.md` into its YAML frontmatter (between a first line `---`
/// and the next `---` line) and its body. Without a first `---` line it is
/// all body.
pub(crate) fn split_frontmatter(text: &str) -> Result<(Option<&str>, &str), DocsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "---" {
            return Ok((Some(&rest[..offset]), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(DocsError::Frontmatter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SKILL_MD: &str =
        "---\nname: t\ndescription: Does t.\n---\n\n# Using t\n\nCall `t` with text.\n";

    #[test]
    fn paths_outside_their_folders_are_refused() {
        for (path, reason) in [
            ("references/../../etc/passwd", "`..`"),
            ("/etc/passwd.md", "relative"),
            ("references//a.md", "`..`"),
            ("references\\a.md", "separators"),
            ("notes.txt", "under references/"),
            ("sub/notes.md", "under references/"),
        ] {
            let docs = SkillDocs {
                references: [(path.to_owned(), "x".to_owned())].into(),
                ..SkillDocs::default()
            };
            let err = docs.check().unwrap_err().to_string();
            assert!(err.contains(reason), "{path}: {err}");
        }
        let docs = SkillDocs {
            scripts: vec!["scripts/../run.sh".into()],
            ..SkillDocs::default()
        };
        assert!(docs.check().unwrap_err().to_string().contains("`..`"));
        let docs = SkillDocs {
            scripts: vec!["run.sh".into()],
            ..SkillDocs::default()
        };
        assert!(docs.check().unwrap_err().to_string().contains("scripts/"));
    }

    #[test]
    fn frontmatter_is_split_off_the_body() {
        let docs = |text: &str| SkillDocs {
            skill_md: Some(text.into()),
            ..SkillDocs::default()
        };
        assert_eq!(docs("Just a body.\n").instructions(), Some("Just a body."));
        assert_eq!(
            docs("---\r\nname: t\r\n---\r\nBody\r\n").instructions(),
            Some("Body")
        );
        assert_eq!(docs("---\nname: t\n---\n\n").instructions(), None);
        assert_eq!(
            docs("---\nname: t\nno end\n").check(),
            Err(DocsError::Frontmatter)
        );
    }

    #[test]
    fn the_section_round_trips_and_is_checked_when_read() {
        let docs = SkillDocs {
            skill_md: Some(SKILL_MD.into()),
            references: [("references/a.md".to_owned(), "ä".to_owned())].into(),
            scripts: vec!["scripts/x.sh".into()],
        };
        assert_eq!(SkillDocs::from_section(&docs.to_section()).unwrap(), docs);
        let bad = br#"{"format":1,"docs":{"references":{"../a.md":"x"}}}"#;
        assert!(matches!(
            SkillDocs::from_section(bad),
            Err(DocsError::BadPath { .. })
        ));
        let future = br#"{"format":2,"docs":{}}"#;
        assert!(
            SkillDocs::from_section(future)
                .unwrap_err()
                .to_string()
                .contains("format 2")
        );
    }
}
