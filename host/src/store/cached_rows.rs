//! The rows the read cache keeps: tokens, agents, skills, assignments,
//! secrets, skillsets, abilities and integrations. The cache is part of
//! [`Store`](super::Store), so these types live apart from their tables'
//! queries (which use the store), in a file that uses neither.
use super::statuses::{AbilityStatus, SkillStatus, StoredKind};
use super::values::{new_id, now};
use crate::capability::{Capabilities, Grant, Narrowing, Review};
use crate::manifest::Manifest;
use crate::sources::SourceDetail;
use crate::vault::Sealed;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// An API token without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Label given at creation.
    pub name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Whether this is the operator's bootstrap token.
    pub operator: bool,
    /// The agent or runner the token is bound to: it acts only as that
    /// principal. `None`: any agent of the tenant.
    pub agent_id: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
}

/// An agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Name, unique within the tenant.
    pub name: String,
    /// `agent`, or `runner` (seed 004's other principal).
    pub kind: String,
    /// Creation time.
    pub created_at: String,
}

/// An installed skill.
#[derive(Debug, Clone)]
pub struct SkillRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The validated manifest (name, version, abilities, capabilities).
    pub manifest: Manifest,
    /// A component's kind, or a source's.
    pub kind: StoredKind,
    /// sha256 of the component file.
    pub digest: String,
    /// Where it is in its lifecycle.
    pub status: SkillStatus,
    /// The approved grant, once approved.
    pub grant: Option<Grant>,
    /// upload, url or path.
    pub source: String,
    /// For a pending update: what it asks beyond the approved grant.
    pub capability_diff: Option<Capabilities>,
    /// For a pending skill: why else it waits (new code behind sensitive
    /// bindings, an upgrade's finding).
    pub review: Option<Review>,
    /// Where it came from, for URL installs.
    pub source_url: Option<String>,
    /// The sha256 a URL install was pinned to; a sync must match it.
    pub source_sha256: Option<String>,
    /// Last successful fetch of a URL source.
    pub synced_at: Option<String>,
    /// Why the last sync failed, until one succeeds.
    pub sync_error: Option<String>,
    /// What a source skill (seed 004) was made from; `None` for a component.
    pub detail: Option<Arc<SourceDetail>>,
    /// A synced source that asks for more than was approved, waiting for
    /// an admin's approval.
    pub pending_source: Option<PendingSource>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A source skill's synced content awaiting approval.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingSource {
    /// The manifest it would have.
    pub manifest: Manifest,
    /// What it was made from.
    pub detail: SourceDetail,
    /// The digest of what was fetched.
    pub digest: String,
}

impl SkillRow {
    /// Whether this is a component (run in the sandbox), not a source.
    pub fn is_component(&self) -> bool {
        self.detail.is_none()
    }

    /// The source URL as clients may see it: only for URL installs (a path
    /// install's location is the operator's server path).
    pub fn public_source_url(&self) -> Option<&str> {
        self.source_url
            .as_deref()
            .filter(|_| self.source == "url" || self.detail.is_some())
    }
}

/// An agent's assignment of a skill.
#[derive(Debug, Clone)]
pub struct AssignmentRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The skill.
    pub skill_id: String,
    /// The agent.
    pub agent_id: String,
    /// Whether the agent may use it.
    pub enabled: bool,
    /// Higher is preferred.
    pub priority: i64,
    /// Per-assignment configuration (a JSON object).
    pub config: serde_json::Value,
    /// Replaces the skill's prompt for this agent (seed 004).
    pub prompt_override: Option<String>,
    /// Credential reference (seed 004).
    pub credential_id: Option<String>,
    /// What this assignment takes away from the approved grant.
    pub narrowing: Narrowing,
    /// When.
    pub assigned_at: String,
    /// Token id that assigned it.
    pub assigned_by: String,
}

impl AssignmentRow {
    /// A new enabled assignment with default priority, no config and no
    /// narrowing.
    pub fn new(tenant_id: &str, skill_id: &str, agent_id: &str, assigned_by: &str) -> Self {
        AssignmentRow {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            skill_id: skill_id.to_owned(),
            agent_id: agent_id.to_owned(),
            enabled: true,
            priority: 0,
            config: serde_json::json!({}),
            prompt_override: None,
            credential_id: None,
            narrowing: Narrowing::default(),
            assigned_at: now(),
            assigned_by: assigned_by.to_owned(),
        }
    }
}

/// How a secret's value is rendered where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// As is.
    Plain,
    /// `Bearer <value>`.
    Bearer,
    /// The value is `user:password`; rendered `Basic <base64>`.
    Basic,
}

impl SecretKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Plain => "plain",
            SecretKind::Bearer => "bearer",
            SecretKind::Basic => "basic",
        }
    }

    pub(super) fn parse(text: &str) -> Result<SecretKind, sqlx::Error> {
        match text {
            "plain" => Ok(SecretKind::Plain),
            "bearer" => Ok(SecretKind::Bearer),
            "basic" => Ok(SecretKind::Basic),
            other => Err(sqlx::Error::Decode(
                format!("unknown secret kind {other}").into(),
            )),
        }
    }

    /// The value as sent in a header or template.
    pub fn render(self, value: &str) -> String {
        use base64::Engine as _;
        match self {
            SecretKind::Plain => value.to_owned(),
            SecretKind::Bearer => format!("Bearer {value}"),
            SecretKind::Basic => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(value)
            ),
        }
    }
}

/// A secret as the API shows it: everything but the value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// Name as given.
    pub name: String,
    /// What `${SECRET_…}` calls it: the name in upper case, every run of
    /// other characters an underscore.
    pub reference: String,
    /// Rendering.
    #[serde(rename = "type")]
    pub kind: SecretKind,
    /// Free text.
    pub description: Option<String>,
    /// Free metadata.
    pub meta: serde_json::Value,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The sealed value.
    #[serde(skip)]
    pub sealed: Sealed,
}

/// A skillset.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillsetRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Blueprint grouping.
    pub blueprint_id: Option<String>,
    /// Free metadata.
    pub meta: Value,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// What an instruction ability reaches: its literal origin and the
/// secrets it names. Approved by an admin like a component's declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AbilityDeclaration {
    /// `scheme://host[:port]`, for instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Secret references (`API_KEY`, `DEFAULT`).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The secret `${SECRET_DEFAULT}` stands for (the ability's
    /// `secretId`), when the template uses it: pointing it at another
    /// secret changes what the ability sends, so it is part of what an
    /// admin approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_secret_id: Option<String>,
}

/// An ability of a skillset.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AbilityRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// Its skillset.
    pub skillset_id: String,
    /// Name as given.
    pub name: String,
    /// The name agents call it by.
    pub tool_name: String,
    /// When to use it.
    pub description: String,
    /// The template, for an instruction ability.
    pub instruction: Option<String>,
    /// The installed skill, for a skill ability.
    pub skill_id: Option<String>,
    /// That skill's ability.
    pub ability: Option<String>,
    /// The secret `${SECRET_DEFAULT}` names.
    pub secret_id: Option<String>,
    /// Seed 002's file link (kept, not used by the host).
    pub file_id: Option<String>,
    /// The agent this ability is dedicated to.
    pub bot_id: Option<String>,
    /// Blueprint grouping.
    pub blueprint_id: Option<String>,
    /// Free metadata.
    pub meta: Value,
    /// What it reaches.
    pub declaration: AbilityDeclaration,
    /// Whether it may be called.
    pub status: AbilityStatus,
    /// The approval.
    #[serde(skip)]
    pub grant: Option<Grant>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// An integration, without its token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// `skillserver`.
    #[serde(skip)]
    pub kind: String,
    /// The skillset it exposes.
    pub skillset_id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Blueprint grouping.
    pub blueprint_id: Option<String>,
    /// Free metadata.
    pub meta: Value,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// SHA-256 of the access token.
    #[serde(skip)]
    pub token_hash: String,
    /// The access token, sealed.
    #[serde(skip)]
    pub token: Sealed,
}
