//! Seed 004's sources: catalog skills that are not components. A SKILL.md
//! bundle (instructions an agent reads; nothing runs), an OpenAPI document
//! (one ability per operation, called by the host through the outbound
//! guard) and a remote MCP server found in an MCP registry (its tools are
//! the abilities, called through the remote MCP client). Seed 003's code
//! skills ([`code`]) are stored the same way: their source text is the
//! detail, run by a language's interpreter component in the sandbox.
//!
//! Each is stored as a skill row like a component: a manifest the host
//! writes (name, version, description, abilities with their schemas, and
//! the declaration — the one origin it reaches), a digest of what was
//! fetched, and a [`SourceDetail`] with what the kind needs to run.
//!
//! [`make`] turns an install's `{source, sourceUrl, sourceRef}` into that
//! row's parts, failing with a [`make::SourceError`] (a code and a message;
//! the HTTP layer maps it). [`fetch`] is the one http(s) fetch of a source,
//! and of a packaged component a URL install names, through the outbound
//! guard.
pub mod archive;
pub mod code;
pub mod fetch;
pub mod github;
pub mod make;
pub mod openapi;
pub mod registry;
pub mod skill_md;

use crate::capability::{Capabilities, NetworkPattern};
use crate::manifest::{AbilitySpec, Manifest};
use serde::{Deserialize, Serialize};

/// The kinds of skill that are not components, as stored in a skill's
/// `kind`: seed 004's sources and seed 003's code skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// An Agent Skills folder.
    SkillMd,
    /// An OpenAPI 3.x document.
    OpenapiAction,
    /// A remote MCP server from a registry.
    McpRegistry,
    /// Seed 003's code skill: source text run by a language's interpreter.
    Code,
}

impl SourceKind {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::SkillMd => "skill_md",
            SourceKind::OpenapiAction => "openapi_action",
            SourceKind::McpRegistry => "mcp_registry",
            SourceKind::Code => "code",
        }
    }

    /// The kind named `text`, if it is a source kind.
    pub fn parse(text: &str) -> Option<SourceKind> {
        match text {
            "skill_md" => Some(SourceKind::SkillMd),
            "openapi_action" => Some(SourceKind::OpenapiAction),
            "mcp_registry" => Some(SourceKind::McpRegistry),
            "code" => Some(SourceKind::Code),
            _ => None,
        }
    }
}

/// What a source skill was made from, beside its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceDetail {
    /// Seed 004's `sourceRef` (`owner/repo/path`, a registry server name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// Who wrote it, when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The version as the source writes it (the manifest's is semver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Free tags from the source.
    #[serde(default)]
    pub tags: Vec<String>,
    /// An icon, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// What runs it.
    pub body: SourceBody,
}

/// The kind-specific part of a source skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceBody {
    /// Instructions, references and script names; nothing runs.
    SkillMd {
        /// The folder's documents.
        bundle: skill_md::Bundle,
    },
    /// The operations of an OpenAPI document.
    OpenapiAction {
        /// Parsed once at install or sync, called from this form.
        spec: openapi::ApiSpec,
    },
    /// A remote MCP server's endpoint and its tools.
    McpRegistry {
        /// How to reach it.
        remote: registry::Remote,
    },
    /// Source text and its language.
    Code(code::CodeBody),
}

impl SourceDetail {
    /// The kind of source.
    pub fn kind(&self) -> SourceKind {
        match self.body {
            SourceBody::SkillMd { .. } => SourceKind::SkillMd,
            SourceBody::OpenapiAction { .. } => SourceKind::OpenapiAction,
            SourceBody::McpRegistry { .. } => SourceKind::McpRegistry,
            SourceBody::Code(_) => SourceKind::Code,
        }
    }

    /// Seed 004's `authType`: what kind of credential an attachment gives.
    pub fn auth_type(&self) -> &'static str {
        match &self.body {
            SourceBody::SkillMd { .. } => "none",
            SourceBody::OpenapiAction { spec } => spec.auth_type().unwrap_or("none"),
            SourceBody::McpRegistry { remote } if remote.needs_credential() => "api_key",
            SourceBody::McpRegistry { .. } => "none",
            SourceBody::Code(_) => "none",
        }
    }

    /// The SKILL.md documents, for a bundle.
    pub fn docs(&self) -> Option<&crate::docs::SkillDocs> {
        match &self.body {
            SourceBody::SkillMd { bundle } => Some(&bundle.docs),
            _ => None,
        }
    }
}

/// A source skill's name from a title: lowercase letters, digits and
/// single hyphens, at most 64 characters; `None` when nothing is left.
pub fn slug(title: &str) -> Option<String> {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

/// A source's version as semver: as written when it is semver, padded
/// (`1.2` → `1.2.0`) when that makes it so, else `0.0.0`.
pub fn semver_of(version: Option<&str>) -> semver::Version {
    let Some(text) = version.map(str::trim).filter(|v| !v.is_empty()) else {
        return semver::Version::new(0, 0, 0);
    };
    let text = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(text)
        .or_else(|_| semver::Version::parse(&format!("{text}.0")))
        .or_else(|_| semver::Version::parse(&format!("{text}.0.0")))
        .unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

/// The manifest the host writes for a source skill: its declaration is the
/// one origin it reaches (none for a bundle).
pub fn manifest(
    name: String,
    version: semver::Version,
    description: String,
    origin: Option<NetworkPattern>,
    abilities: Vec<AbilitySpec>,
) -> Manifest {
    Manifest {
        name,
        version,
        description,
        category: None,
        capabilities: Capabilities {
            network: origin.into_iter().collect(),
            ..Capabilities::default()
        },
        limits: Default::default(),
        abilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_slugs_and_versions_semver() {
        assert_eq!(
            slug("Pet Store API (v2)").as_deref(),
            Some("pet-store-api-v2")
        );
        assert_eq!(slug("--").as_deref(), None);
        assert_eq!(slug(&"a".repeat(80)).map(|s| s.len()), Some(64));
        assert_eq!(semver_of(Some("1.2")), semver::Version::new(1, 2, 0));
        assert_eq!(semver_of(Some("v3")), semver::Version::new(3, 0, 0));
        assert_eq!(semver_of(Some("2.0.1-beta")).to_string(), "2.0.1-beta");
        assert_eq!(semver_of(Some("latest")), semver::Version::new(0, 0, 0));
        assert_eq!(semver_of(None), semver::Version::new(0, 0, 0));
    }
}
