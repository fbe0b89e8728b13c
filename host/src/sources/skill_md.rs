//! SKILL.md bundles: an Agent Skills folder — `SKILL.md` with its YAML
//! frontmatter, `references/`, `scripts/`, `assets/` — read from a lone
//! `SKILL.md` or from an archive, and checked against the specification.
//! The frontmatter is parsed tolerantly (other tools add keys of their own)
//! and its required fields validated strictly.
use super::archive::{self, ArchiveError, ArchiveKind, Wanted};
use crate::docs::{self, DocsError, SkillDocs};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet};
use yaml_serde::Value;

/// The specification's longest name.
const MAX_NAME_CHARS: usize = 64;
/// The specification's longest description.
const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The specification's longest `compatibility`.
const MAX_COMPATIBILITY_CHARS: usize = 500;
/// Most asset paths listed. Assets are never served, only named, but a
/// skill may ship fonts or templates by the dozen; more than this is no
/// longer a list anyone reads.
pub const MAX_ASSETS: usize = 1000;
/// Most skills [`list_archive`] returns: a page of a browsing screen is far
/// smaller, and the largest skill collections hold a few hundred.
pub const MAX_LISTED: usize = 500;
/// Folders named in a [`BundleError::NoSkillMd`] message.
const MAX_HINTS: usize = 10;

/// A SKILL.md's frontmatter, as far as the specification defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frontmatter {
    /// Lowercase letters, digits and single hyphens; the folder's name.
    pub name: String,
    /// What the skill does and when to use it.
    pub description: String,
    /// The license, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// What the skill needs from its environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// Free string pairs; `version` is where a version goes.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The tools the skill may use (`allowed-tools`).
    #[serde(default)]
    pub allowed_tools: Vec<String>,
}

/// Most files kept of a folder, and most bytes: the MCP skills extension's
/// limits for one skill. A bigger folder still installs, served by its
/// SKILL.md and references only.
pub const MAX_KEPT_FILES: usize = 512;
/// See [`MAX_KEPT_FILES`].
pub const MAX_KEPT_BYTES: usize = 16 << 20;

/// One file of a bundle as kept: its path in the folder, the sha256 (hex)
/// of its bytes and their length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// Relative to the folder, `/`-separated.
    pub path: String,
    /// Lowercase hex; the key of its bytes in the store.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

/// An Agent Skills folder as installed: nothing in it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// `SKILL.md`'s frontmatter, validated.
    pub frontmatter: Frontmatter,
    /// `SKILL.md`, the references and the script names, as a folder on disk
    /// gives them.
    pub docs: SkillDocs,
    /// Paths of the files under `assets/`, relative to the folder: listed,
    /// never served.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Every file of the folder but hidden ones, when they fit
    /// [`MAX_KEPT_FILES`] and [`MAX_KEPT_BYTES`]; their bytes go to the
    /// store. Empty for a bigger folder and for bundles installed before
    /// files were kept (left out then, so their digest stays the same).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<BundleFile>,
    /// The bytes of `files` by sha256, on their way to the store: never
    /// serialised, taken out before the bundle is kept.
    #[serde(skip)]
    pub contents: Vec<(String, Vec<u8>)>,
}

/// The listing and contents of the files kept of a folder: all of them, or
/// none when they pass the limits.
fn kept(files: Vec<(String, Vec<u8>)>) -> (Vec<BundleFile>, Vec<(String, Vec<u8>)>) {
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    if files.len() > MAX_KEPT_FILES || total > MAX_KEPT_BYTES {
        return (Vec::new(), Vec::new());
    }
    let mut listed = Vec::with_capacity(files.len());
    let mut contents = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        listed.push(BundleFile {
            path,
            sha256: sha256.clone(),
            size: bytes.len() as u64,
        });
        if !contents.iter().any(|(digest, _)| *digest == sha256) {
            contents.push((sha256, bytes));
        }
    }
    (listed, contents)
}

/// A path with a part starting with `.`: left out of the files kept, as
/// editors' and tools' own files are no part of a skill.
fn is_hidden(rel: &str) -> bool {
    rel.split('/').any(|part| part.starts_with('.'))
}

/// Why a SKILL.md bundle is refused. Each message names what broke and how
/// to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// A rule of the Agent Skills specification is broken.
    #[error("{message}")]
    Rule {
        /// `name`, `name-folder`, `description` or `compatibility`.
        rule: &'static str,
        /// The rule and the value breaking it.
        message: String,
    },
    /// `SKILL.md` does not start with a frontmatter.
    #[error(
        "SKILL.md has no YAML frontmatter: start it with a `---` line, then `name:` and `description:`, then `---`"
    )]
    NoFrontmatter,
    /// The frontmatter is not YAML, or not a mapping.
    #[error(
        "SKILL.md's frontmatter is not readable YAML ({0}); write it as `key: value` lines between the two `---` lines"
    )]
    Yaml(String),
    /// The archive itself is refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The documents are refused (size, count, path, text).
    #[error(transparent)]
    Docs(#[from] DocsError),
    /// The archive has no `SKILL.md` in the folder asked for.
    #[error("{}", no_skill_md(.folder, .found))]
    NoSkillMd {
        /// The folder asked for (`""`: the archive's root).
        folder: String,
        /// Up to ten folders that do have one.
        found: Vec<String>,
    },
    /// The folder asked for is not a plain path.
    #[error(
        "the folder `{0}` is not a path inside the archive: name folders separated by `/`, without `..` or `\\`"
    )]
    Folder(String),
    /// More files under `assets/` than [`MAX_ASSETS`].
    #[error("assets/ holds more than {limit} files; keep the ones the skill uses")]
    TooManyAssets {
        /// The limit.
        limit: usize,
    },
}

fn no_skill_md(folder: &str, found: &[String]) -> String {
    let place = if folder.is_empty() {
        "at the root of the archive".to_owned()
    } else {
        format!("in the archive's folder `{folder}`")
    };
    if found.is_empty() {
        return format!(
            "there is no SKILL.md {place}, nor anywhere else in it: it is not an Agent Skills folder"
        );
    }
    let found: Vec<String> = found
        .iter()
        .map(|f| match f.as_str() {
            "" => "the root".to_owned(),
            f => format!("`{f}`"),
        })
        .collect();
    format!(
        "there is no SKILL.md {place}; folders that have one: {}; name one of them",
        found.join(", ")
    )
}

impl Frontmatter {
    /// Reads and validates the frontmatter of `skill_md` (the whole file).
    /// The folder rule is the caller's: the folder is not known here.
    pub fn parse(skill_md: &str) -> Result<Frontmatter, BundleError> {
        let (Some(yaml), _) = docs::split_frontmatter(skill_md)? else {
            return Err(BundleError::NoFrontmatter);
        };
        let value: Value =
            crate::untrusted::yaml::from_str(yaml).map_err(|e| BundleError::Yaml(e.to_string()))?;
        let map = match untag(&value) {
            Value::Mapping(map) => map.clone(),
            Value::Null => yaml_serde::Mapping::new(),
            _ => return Err(BundleError::Yaml("it is not a mapping".into())),
        };
        let field = |key: &str| map.get(key).map(untag);

        let name = field("name").and_then(scalar).ok_or_else(|| {
            rule(
                "name",
                "SKILL.md's frontmatter has no `name`: add `name: ` and the folder's name (lowercase letters, digits and hyphens)".into(),
            )
        })?;
        check_name(&name)?;

        let description = field("description")
            .and_then(scalar)
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                rule(
                    "description",
                    "SKILL.md's frontmatter has no `description`: add `description: ` saying what the skill does and when to use it".into(),
                )
            })?;
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(rule(
                "description",
                format!(
                    "the description has {chars} characters, breaking the description rule: 1-{MAX_DESCRIPTION_CHARS} characters; shorten it"
                ),
            ));
        }

        let compatibility = field("compatibility").and_then(scalar);
        if let Some(text) = &compatibility {
            let chars = text.chars().count();
            if chars > MAX_COMPATIBILITY_CHARS {
                return Err(rule(
                    "compatibility",
                    format!(
                        "`compatibility` has {chars} characters, breaking the compatibility rule: at most {MAX_COMPATIBILITY_CHARS}; shorten it"
                    ),
                ));
            }
        }

        // Tolerant: `version: 1.2` is a number and `beta: true` a boolean in
        // YAML, but the specification has string values; nested values
        // have no string form and are left out.
        let metadata = match field("metadata") {
            Some(Value::Mapping(entries)) => entries
                .iter()
                .filter_map(|(k, v)| Some((scalar(untag(k))?, scalar(untag(v))?)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let allowed_tools = match field("allowed-tools") {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|item| scalar(untag(item)))
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect(),
            Some(other) => scalar(other).map(|s| tools(&s)).unwrap_or_default(),
            None => Vec::new(),
        };

        Ok(Frontmatter {
            name,
            description,
            license: field("license").and_then(scalar),
            compatibility,
            metadata,
            allowed_tools,
        })
    }
}

fn rule(rule: &'static str, message: String) -> BundleError {
    BundleError::Rule { rule, message }
}

fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        value => value,
    }
}

/// A scalar's text: strings as written, numbers and booleans as YAML
/// writes them.
fn scalar(value: &Value) -> Option<String> {
    match untag(value) {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `allowed-tools` as the specification writes it, space-separated; a
/// comma between tools is tolerated, and a space inside parentheses
/// (`Bash(git add:*)`) does not split.
fn tools(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && (c.is_whitespace() || c == ',') {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A value as a message shows it: at most 80 characters.
fn shown(value: &str) -> String {
    match value.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

fn check_name(name: &str) -> Result<(), BundleError> {
    let ok = (1..=MAX_NAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        return Ok(());
    }
    Err(rule(
        "name",
        format!(
            "the name `{}` breaks the name rule: 1-{MAX_NAME_CHARS} lowercase letters, digits and single hyphens, not starting or ending with one",
            shown(name)
        ),
    ))
}

/// The specification's folder rule: the name is the folder's. A folder
/// `""` is the archive's root, whose name — GitHub's `owner-repo-sha`, or
/// none at all — says nothing, so it is not checked.
fn check_folder(frontmatter: &Frontmatter, folder: &str) -> Result<(), BundleError> {
    let Some(last) = folder.rsplit('/').next().filter(|last| !last.is_empty()) else {
        return Ok(());
    };
    if frontmatter.name == last {
        return Ok(());
    }
    Err(rule(
        "name-folder",
        format!(
            "the name `{}` is not its folder's name `{}`, breaking the rule that a skill's name equals its folder's; rename one of them",
            shown(&frontmatter.name),
            shown(last)
        ),
    ))
}

/// A lone `SKILL.md`: its folder's name is unknown, so the folder rule is
/// not checked.
pub fn from_skill_md(text: &str) -> Result<Bundle, BundleError> {
    let docs = SkillDocs {
        skill_md: Some(text.to_owned()),
        ..SkillDocs::default()
    };
    docs.check()?;
    let frontmatter = Frontmatter::parse(text)?;
    let (files, contents) = kept(vec![("SKILL.md".to_owned(), text.as_bytes().to_vec())]);
    Ok(Bundle {
        frontmatter,
        docs,
        assets: Vec::new(),
        files,
        contents,
    })
}

/// Where a file sits in a skill folder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    SkillMd,
    /// `references/**`, or a `*.md` beside `SKILL.md` (real skills keep
    /// `FORMS.md` and the like there).
    Reference,
    Script,
    Asset,
}

fn part(rel: &str) -> Option<Part> {
    if rel == "SKILL.md" {
        Some(Part::SkillMd)
    } else if rel.starts_with("references/")
        || (!rel.contains('/') && rel.to_ascii_lowercase().ends_with(".md"))
    {
        Some(Part::Reference)
    } else if rel.starts_with("scripts/") {
        Some(Part::Script)
    } else if rel.starts_with("assets/") {
        Some(Part::Asset)
    } else {
        None
    }
}

fn is_skill_md(path: &str) -> bool {
    path == "SKILL.md" || path.ends_with("/SKILL.md")
}

/// The folder holding a `…/SKILL.md`.
fn parent(skill_md: &str) -> &str {
    skill_md
        .strip_suffix("SKILL.md")
        .unwrap_or(skill_md)
        .trim_end_matches('/')
}

/// The folder asked for, as the archive's paths write it.
fn folder_path(folder: &str) -> Result<String, BundleError> {
    let parts: Vec<&str> = folder
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts
        .iter()
        .any(|part| *part == ".." || part.contains('\\'))
    {
        return Err(BundleError::Folder(folder.to_owned()));
    }
    Ok(parts.join("/"))
}

/// The skill in `folder` of an archive (relative to the root once the top
/// folder is stripped; `""` for the root): `SKILL.md`, the other `*.md`
/// files beside it and `references/**` as text, the paths under
/// `scripts/**` and `assets/**` as names, and every file but hidden ones
/// as bytes (within [`MAX_KEPT_FILES`] and [`MAX_KEPT_BYTES`]).
pub fn from_archive(bytes: &[u8], kind: ArchiveKind, folder: &str) -> Result<Bundle, BundleError> {
    let folder = folder_path(folder)?;
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let files = archive::read(bytes, kind, Some(&folder), |path| {
        let Some(rel) = path.strip_prefix(prefix.as_str()) else {
            // Named only, to point at them when `folder` has none.
            return if is_skill_md(path) {
                Wanted::Name
            } else {
                Wanted::Skip
            };
        };
        match part(rel) {
            Some(Part::SkillMd) => Wanted::Bytes {
                limit: docs::MAX_SKILL_MD_BYTES,
            },
            Some(Part::Reference) => Wanted::Bytes {
                limit: docs::MAX_TOTAL_BYTES,
            },
            // Every other file is kept whole when it fits; one that does
            // not (or too many) means none are kept.
            _ if !is_hidden(rel) => Wanted::BytesIfFits {
                limit: MAX_KEPT_BYTES,
            },
            Some(Part::Script | Part::Asset) => Wanted::Name,
            None => Wanted::Skip,
        }
    })?;

    let mut docs = SkillDocs::default();
    let mut assets = Vec::new();
    let mut found = BTreeSet::new();
    let mut keep = Vec::new();
    let mut too_big = false;
    for (path, bytes) in files.files {
        let rel = path.strip_prefix(prefix.as_str());
        if let Some(rel) = rel.filter(|rel| !is_hidden(rel)) {
            match &bytes {
                Some(bytes) => keep.push((rel.to_owned(), bytes.clone())),
                None => too_big = true,
            }
        }
        let Some((rel, part)) = rel.and_then(|rel| Some((rel, part(rel)?))) else {
            if is_skill_md(&path) {
                found.insert(parent(&path).to_owned());
            }
            continue;
        };
        let text = |bytes: Option<Vec<u8>>| {
            String::from_utf8(bytes.unwrap_or_default())
                .map_err(|_| DocsError::NotText(rel.to_owned()))
        };
        match part {
            Part::SkillMd => docs.skill_md = Some(text(bytes)?),
            Part::Reference => {
                docs.references.insert(rel.to_owned(), text(bytes)?);
            }
            Part::Script => docs.scripts.push(rel.to_owned()),
            Part::Asset => assets.push(rel.to_owned()),
        }
    }
    let (kept_files, contents) = if too_big {
        (Vec::new(), Vec::new())
    } else {
        kept(keep)
    };
    let Some(skill_md) = &docs.skill_md else {
        return Err(BundleError::NoSkillMd {
            folder,
            found: found.into_iter().take(MAX_HINTS).collect(),
        });
    };
    let frontmatter = Frontmatter::parse(skill_md)?;
    check_folder(&frontmatter, &folder)?;
    docs.check()?;
    if assets.len() > MAX_ASSETS {
        return Err(BundleError::TooManyAssets { limit: MAX_ASSETS });
    }
    for path in &assets {
        // Paths the documents' own check would refuse, for the same
        // reasons: they are shown as they are.
        if path.len() > docs::MAX_PATH_BYTES || path.chars().any(char::is_control) {
            return Err(DocsError::BadPath {
                path: path.clone(),
                reason: "an asset's path is at most 255 bytes, without control characters",
            }
            .into());
        }
    }
    Ok(Bundle {
        frontmatter,
        docs,
        assets,
        files: kept_files,
        contents,
    })
}

/// Every folder of an archive holding a `SKILL.md` whose frontmatter is
/// valid (the folder rule included), with that frontmatter, in path order:
/// at most [`MAX_LISTED`]. Folders are relative to the root once the top
/// folder is stripped (`""` for the root itself); hidden folders count
/// (`.claude/skills/…`). Invalid ones are left out, logged at debug level.
pub fn list_archive(
    bytes: &[u8],
    kind: ArchiveKind,
) -> Result<Vec<(String, Frontmatter)>, BundleError> {
    let files = archive::read(bytes, kind, None, |path| {
        if is_skill_md(path) {
            Wanted::BytesIfFits {
                limit: docs::MAX_SKILL_MD_BYTES,
            }
        } else {
            Wanted::Skip
        }
    })?;
    let mut out = Vec::new();
    for (path, bytes) in files.files {
        let folder = parent(&path);
        let Some(bytes) = bytes else {
            tracing::debug!(
                folder,
                limit = docs::MAX_SKILL_MD_BYTES,
                "skipping an oversized SKILL.md"
            );
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            tracing::debug!(folder, "skipping a SKILL.md that is not UTF-8");
            continue;
        };
        let checked = Frontmatter::parse(&text)
            .and_then(|frontmatter| check_folder(&frontmatter, folder).map(|()| frontmatter));
        match checked {
            Ok(frontmatter) => out.push((folder.to_owned(), frontmatter)),
            Err(error) => tracing::debug!(folder, %error, "skipping an invalid SKILL.md"),
        }
    }
    // Path order by folder: `a` before `a-b`, which the files' own order
    // (`a-b/SKILL.md` < `a/SKILL.md`) does not give.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.truncate(MAX_LISTED);
    Ok(out)
}

#[cfg(test)]
mod tests;
