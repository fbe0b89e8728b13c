//! The skill manifest: `skill.toml` as the author writes it, parsed and
//! checked into typed values, and the canonical JSON form packaged inside
//! the component.
use crate::capability::{Capabilities, GuestPath, NetworkPattern};
// Defined with the other limits; `manifest::LimitRequest` stays a path.
pub use crate::capability::LimitRequest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use toml::Spanned;

/// What kind of component a skill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillKind {
    /// Built with the guest SDK: exports `skillhost:skill/abilities`.
    Sdk,
    /// Any `wasi:cli/run` program, packed with `skillhost pack`.
    Command,
}

impl SkillKind {
    /// `sdk` or `command`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SkillKind::Sdk => "sdk",
            SkillKind::Command => "command",
        }
    }
}

/// A skill's manifest, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Slug: lowercase letters, digits and single hyphens.
    pub name: String,
    /// Semantic version.
    pub version: semver::Version,
    /// One line for humans and agents.
    pub description: String,
    /// Optional grouping for catalogs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What the skill asks to use; everything else is denied.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Requested limits, capped by the operator's maxima.
    #[serde(default)]
    pub limits: LimitRequest,
    /// The skill's abilities.
    #[serde(default)]
    pub abilities: Vec<AbilitySpec>,
}

/// One ability as listed in a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbilitySpec {
    /// Unique within the skill.
    pub name: String,
    /// What it does, for agents.
    pub description: String,
    /// JSON Schema of its input.
    pub input_schema: serde_json::Value,
}

/// A manifest problem, with the line of `skill.toml` it is on when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ManifestError {
    /// 1-based line in the source text, when the error comes from TOML.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "skill.toml line {line}: {}", self.message),
            None => write!(f, "manifest: {}", self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Spanned<String>,
    version: Spanned<String>,
    description: Spanned<String>,
    #[serde(default)]
    category: Option<Spanned<String>>,
    #[serde(default)]
    capabilities: RawCapabilities,
    #[serde(default)]
    limits: Option<Spanned<LimitRequest>>,
    #[serde(default)]
    abilities: Vec<Spanned<RawAbility>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCapabilities {
    #[serde(default)]
    network: Vec<Spanned<String>>,
    #[serde(default)]
    fs_read: Vec<Spanned<String>>,
    #[serde(default)]
    fs_write: Vec<Spanned<String>>,
    #[serde(default)]
    env: Vec<Spanned<String>>,
    #[serde(default)]
    secrets: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbility {
    name: String,
    description: String,
    input_schema: toml::Value,
}

/// The most abilities one skill may list; more is a design smell and a
/// denial-of-service vector for tool lists.
const MAX_ABILITIES: usize = 256;

impl Manifest {
    /// Parses and validates `skill.toml` text.
    pub fn from_toml(text: &str) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError {
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_owned(),
        })?;
        let at = |span: std::ops::Range<usize>, message: String| ManifestError {
            line: Some(line_of(text, span.start)),
            message,
        };
        let version = semver::Version::parse(raw.version.get_ref()).map_err(|e| {
            at(
                raw.version.span(),
                format!(
                    "version `{}` is not semver (e.g. 1.0.0): {e}",
                    raw.version.get_ref()
                ),
            )
        })?;
        let mut capabilities = Capabilities::default();
        for p in &raw.capabilities.network {
            let pattern =
                NetworkPattern::parse(p.get_ref()).map_err(|e| at(p.span(), e.to_string()))?;
            capabilities.network.push(pattern);
        }
        for p in &raw.capabilities.fs_read {
            capabilities
                .fs_read
                .push(GuestPath::parse(p.get_ref()).map_err(|e| at(p.span(), e))?);
        }
        for p in &raw.capabilities.fs_write {
            capabilities
                .fs_write
                .push(GuestPath::parse(p.get_ref()).map_err(|e| at(p.span(), e))?);
        }
        for v in &raw.capabilities.env {
            capabilities.env.push(v.get_ref().clone());
        }
        for v in &raw.capabilities.secrets {
            capabilities.secrets.push(v.get_ref().clone());
        }
        let mut abilities = Vec::new();
        for a in &raw.abilities {
            let schema = serde_json::to_value(&a.get_ref().input_schema)
                .map_err(|e| at(a.span(), format!("input_schema: {e}")))?;
            abilities.push(AbilitySpec {
                name: a.get_ref().name.clone(),
                description: a.get_ref().description.clone(),
                input_schema: schema,
            });
        }
        let manifest = Manifest {
            name: raw.name.get_ref().clone(),
            version,
            description: raw.description.get_ref().clone(),
            category: raw.category.as_ref().map(|c| c.get_ref().clone()),
            capabilities,
            limits: raw
                .limits
                .as_ref()
                .map(|l| *l.get_ref())
                .unwrap_or_default(),
            abilities,
        };
        // Re-run the checks that do not depend on TOML, pointing at the line
        // of the field they concern.
        manifest.validate().map_err(|(field, message)| {
            let span = match field {
                Field::Name => raw.name.span(),
                Field::Description => raw.description.span(),
                Field::Category => raw.category.as_ref().map(|c| c.span()).unwrap_or(0..0),
                Field::Network(i) => raw.capabilities.network[i].span(),
                Field::FsRead(i) => raw.capabilities.fs_read[i].span(),
                Field::FsWrite(i) => raw.capabilities.fs_write[i].span(),
                Field::Env(i) => raw.capabilities.env[i].span(),
                Field::Secret(i) => raw.capabilities.secrets[i].span(),
                Field::Limits => raw.limits.as_ref().map(|l| l.span()).unwrap_or(0..0),
                Field::Ability(i) => raw.abilities[i].span(),
                Field::Abilities => raw.abilities.first().map(|a| a.span()).unwrap_or(0..0),
            };
            at(span, message)
        })?;
        Ok(manifest)
    }

    /// Checks the invariants of a manifest however it was obtained (from
    /// TOML, or read back from a packaged component).
    pub fn check(&self) -> Result<(), ManifestError> {
        self.validate().map_err(|(_, message)| ManifestError {
            line: None,
            message,
        })
    }

    fn validate(&self) -> Result<(), (Field, String)> {
        if !is_slug(&self.name, 64) {
            return Err((
                Field::Name,
                format!(
                    "name `{}` must be 1-64 lowercase letters, digits and single hyphens, e.g. `weather`",
                    self.name
                ),
            ));
        }
        let description = self.description.trim();
        if description.is_empty() || description.len() > 1024 {
            return Err((
                Field::Description,
                "description must be 1-1024 characters".into(),
            ));
        }
        if let Some(category) = &self.category
            && !is_slug(category, 64)
        {
            return Err((
                Field::Category,
                format!("category `{category}` must be a slug like `data`"),
            ));
        }
        let caps = &self.capabilities;
        if let Some(i) = first_duplicate(caps.network.iter()) {
            return Err((
                Field::Network(i),
                format!("network pattern `{}` is listed twice", caps.network[i]),
            ));
        }
        if let Some(i) = first_duplicate(caps.fs_read.iter()) {
            return Err((
                Field::FsRead(i),
                format!("fs_read path `{}` is listed twice", caps.fs_read[i]),
            ));
        }
        if let Some(i) = first_duplicate(caps.fs_write.iter()) {
            return Err((
                Field::FsWrite(i),
                format!("fs_write path `{}` is listed twice", caps.fs_write[i]),
            ));
        }
        if let Some(i) = caps.fs_write.iter().position(|w| caps.fs_read.contains(w)) {
            return Err((
                Field::FsWrite(i),
                format!(
                    "`{}` is in both fs_read and fs_write; list it only in fs_write (read-write)",
                    caps.fs_write[i]
                ),
            ));
        }
        for (i, name) in caps.env.iter().enumerate() {
            if !is_variable_name(name) {
                return Err((
                    Field::Env(i),
                    format!(
                        "env name `{name}` must be letters, digits and `_`, not starting with a digit"
                    ),
                ));
            }
        }
        if let Some(i) = first_duplicate(caps.env.iter()) {
            return Err((
                Field::Env(i),
                format!("env name `{}` is listed twice", caps.env[i]),
            ));
        }
        for (i, name) in caps.secrets.iter().enumerate() {
            if !is_variable_name(name) {
                return Err((
                    Field::Secret(i),
                    format!(
                        "secret name `{name}` must be letters, digits and `_`, not starting with a digit"
                    ),
                ));
            }
        }
        if let Some(i) = first_duplicate(caps.secrets.iter()) {
            return Err((
                Field::Secret(i),
                format!("secret name `{}` is listed twice", caps.secrets[i]),
            ));
        }
        for (value, what) in [
            (self.limits.timeout_ms, "timeout_ms"),
            (self.limits.memory_mb, "memory_mb"),
            (self.limits.output_kb, "output_kb"),
        ] {
            if value == Some(0) {
                return Err((Field::Limits, format!("limits.{what} must be at least 1")));
            }
        }
        if self.abilities.len() > MAX_ABILITIES {
            return Err((
                Field::Abilities,
                format!("a skill may list at most {MAX_ABILITIES} abilities"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, a) in self.abilities.iter().enumerate() {
            if !is_ability_name(&a.name) {
                return Err((
                    Field::Ability(i),
                    format!(
                        "ability name `{}` must be 1-64 characters: lowercase letters, digits, `_` or `-`",
                        a.name
                    ),
                ));
            }
            if !seen.insert(a.name.as_str()) {
                return Err((
                    Field::Ability(i),
                    format!("ability `{}` is listed twice", a.name),
                ));
            }
            if a.description.trim().is_empty() {
                return Err((
                    Field::Ability(i),
                    format!("ability `{}` needs a description", a.name),
                ));
            }
            if let Err(e) = jsonschema::meta::validate(&a.input_schema) {
                return Err((
                    Field::Ability(i),
                    format!("ability `{}` has an invalid input_schema: {e}", a.name),
                ));
            }
        }
        Ok(())
    }

    /// The ability called `name`.
    pub fn ability(&self, name: &str) -> Option<&AbilitySpec> {
        self.abilities.iter().find(|a| a.name == name)
    }

    /// Every ability's name, in order (for messages that list them).
    pub fn ability_names(&self) -> Vec<&str> {
        self.abilities.iter().map(|a| a.name.as_str()).collect()
    }
}

#[derive(Clone, Copy)]
enum Field {
    Name,
    Description,
    Category,
    Network(usize),
    FsRead(usize),
    FsWrite(usize),
    Env(usize),
    Secret(usize),
    Limits,
    Ability(usize),
    Abilities,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn first_duplicate<'a, T: Ord + 'a>(items: impl Iterator<Item = &'a T>) -> Option<usize> {
    let mut seen = BTreeSet::new();
    items
        .enumerate()
        .find(|(_, item)| !seen.insert(*item))
        .map(|(i, _)| i)
}

/// Lowercase letters and digits, single hyphens between them.
pub fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn is_ability_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn is_variable_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
name = "weather"
version = "1.0.0"
description = "Current weather for a city"
category = "data"

[capabilities]
network = ["https://api.example.com", "https://*.example.org:8443", "http://127.0.0.1:9000"]
fs_read = ["/data"]
fs_write = ["/scratch"]
env = ["TZ"]
secrets = ["WEATHER_API"]

[limits]
timeout_ms = 5000
memory_mb = 64
"#;

    fn error_of(text: &str) -> ManifestError {
        Manifest::from_toml(text).unwrap_err()
    }

    #[test]
    fn parses_the_documented_example() {
        let m = Manifest::from_toml(FULL).unwrap();
        assert_eq!(m.name, "weather");
        assert_eq!(m.version, semver::Version::new(1, 0, 0));
        assert_eq!(m.capabilities.network.len(), 3);
        assert_eq!(m.capabilities.fs_read[0].as_str(), "/data");
        assert_eq!(m.limits.timeout_ms, Some(5000));
        // The canonical JSON form round-trips.
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    }

    #[test]
    fn every_error_names_its_line() {
        let head = "name = \"x\"\nversion = \"1.0.0\"\ndescription = \"d\"\n";
        let cases: Vec<(String, usize, &str)> = vec![
            (
                format!("{head}colour = \"red\"\n"),
                4,
                "unknown field `colour`",
            ),
            (
                format!("{head}[capabilities]\nnetwork = [\"ftp://x.example\"]\n"),
                5,
                "scheme",
            ),
            (
                format!("{head}[capabilities]\nnetwork = [\"https://a.example/path\"]\n"),
                5,
                "path",
            ),
            (
                format!(
                    "{head}[capabilities]\nnetwork = [\"https://a.example\", \"https://a.example\"]\n"
                ),
                5,
                "twice",
            ),
            (
                format!("{head}[capabilities]\nfs_read = [\"data\"]\n"),
                5,
                "absolute",
            ),
            (
                format!("{head}[capabilities]\nfs_read = [\"/data/../etc\"]\n"),
                5,
                "`..`",
            ),
            (
                format!("{head}[capabilities]\nfs_read = [\"/d\"]\nfs_write = [\"/d\"]\n"),
                6,
                "both",
            ),
            (
                format!("{head}[capabilities]\nenv = [\"BAD-NAME\"]\n"),
                5,
                "env name",
            ),
            (
                format!("{head}[capabilities]\nsecrets = [\"1X\"]\n"),
                5,
                "secret name",
            ),
            (
                format!("{head}[capabilities]\nsockets = [\"x\"]\n"),
                5,
                "unknown field `sockets`",
            ),
            (format!("{head}[limits]\ntimeout_ms = 0\n"), 4, "at least 1"),
            (
                format!("{head}[limits]\ncpu = 1\n"),
                5,
                "unknown field `cpu`",
            ),
            (
                "name = \"Weather\"\nversion = \"1.0.0\"\ndescription = \"d\"\n".into(),
                1,
                "lowercase",
            ),
            (
                "name = \"x\"\nversion = \"1.0\"\ndescription = \"d\"\n".into(),
                2,
                "semver",
            ),
            (
                "name = \"x\"\nversion = \"1.0.0\"\ndescription = \"\"\n".into(),
                3,
                "description",
            ),
            (
                "name = \"x\"\nversion = \"1.0.0\"\n".into(),
                1,
                "missing field `description`",
            ),
            (
                format!(
                    "{head}[[abilities]]\nname = \"Run\"\ndescription = \"d\"\ninput_schema = {{}}\n"
                ),
                4,
                "ability name",
            ),
            (
                format!(
                    "{head}[[abilities]]\nname = \"run\"\ndescription = \"d\"\ninput_schema = {{ type = \"bogus\" }}\n"
                ),
                4,
                "invalid input_schema",
            ),
            (
                format!("{head}[[abilities]]\nname = \"run\"\ndescription = \"d\"\n"),
                4,
                "input_schema",
            ),
        ];
        for (text, line, needle) in cases {
            let err = error_of(&text);
            assert_eq!(err.line, Some(line), "{text}\n=> {err}");
            assert!(err.to_string().contains(needle), "{text}\n=> {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("skill.toml line {line}:")),
                "{err}"
            );
        }
    }

    #[test]
    fn duplicate_abilities_are_refused() {
        let text = "name = \"x\"\nversion = \"1.0.0\"\ndescription = \"d\"\n\
            [[abilities]]\nname = \"a\"\ndescription = \"d\"\ninput_schema = {}\n\
            [[abilities]]\nname = \"a\"\ndescription = \"d\"\ninput_schema = {}\n";
        let err = error_of(text);
        assert!(err.message.contains("twice"), "{err}");
        assert_eq!(err.line, Some(8));
    }
}
