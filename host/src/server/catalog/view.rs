//! A skill as the API shows it (seed 001's object, with seed 004's fields
//! for sources), and a grant as an approval body gives it.
use crate::capability::{
    Capabilities, Grant, InjectBinding, LimitRequest, MountSource, NetworkPattern, Review,
    SecretBinding,
};
use crate::manifest::AbilitySpec;
use crate::server::error::ApiError;
use crate::store::SkillRow;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A grant as shown to clients: secret and env values and host paths are
/// operator detail and never leave the server.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RedactedGrant {
    /// `null`: every declared pattern is granted.
    network: Option<Vec<NetworkPattern>>,
    allow_private_network: bool,
    /// Guest path → its mount.
    mounts: BTreeMap<String, MountView>,
    /// The names of the environment variables given values (never the values).
    env: Vec<String>,
    /// Declared secret name → the tenant secret that supplies it.
    secrets: BTreeMap<String, SecretBinding>,
    inject: Vec<InjectBinding>,
    limits: LimitRequest,
}

/// A granted mount: an operator volume, or a stored host path that waits
/// for re-approval (the path itself is the operator's).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum MountView {
    /// An operator volume and a directory in it.
    Volume {
        volume: String,
        /// Absent: the volume's root.
        #[serde(skip_serializing_if = "String::is_empty")]
        #[schema(required = false)]
        path: String,
    },
    /// A host path from before volumes, waiting for an admin.
    NeedsApproval {
        #[serde(rename = "needsApproval")]
        needs_approval: bool,
    },
}

impl From<&Grant> for RedactedGrant {
    fn from(grant: &Grant) -> Self {
        RedactedGrant {
            network: grant.network.clone(),
            allow_private_network: grant.allow_private_network,
            mounts: grant
                .mounts
                .iter()
                .map(|(guest, source)| {
                    let view = match source {
                        MountSource::Volume(v) => MountView::Volume {
                            volume: v.volume.clone(),
                            path: v.path.clone(),
                        },
                        MountSource::HostPath(_) => MountView::NeedsApproval {
                            needs_approval: true,
                        },
                    };
                    (guest.to_string(), view)
                })
                .collect(),
            env: grant.env.keys().cloned().collect(),
            secrets: grant.secrets.clone(),
            inject: grant.inject.clone(),
            limits: grant.limits,
        }
    }
}

/// A grant as shown to clients, as JSON (for records and other surfaces'
/// bodies).
pub(crate) fn redacted(grant: &Grant) -> Value {
    serde_json::to_value(RedactedGrant::from(grant)).expect("a grant serialises")
}

/// Seed 001's skill object plus what a sandbox adds, and seed 004's fields.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SkillView {
    id: String,
    name: String,
    /// The name again (seed 001).
    slug: String,
    description: String,
    category: Option<String>,
    /// The abilities' names.
    tool_ids: Vec<String>,
    /// Always `{}` (seed 001).
    config: serde_json::Map<String, Value>,
    /// Always `null` (seed 001).
    listing_ref: Option<String>,
    /// Always `null` (seed 001).
    listing_version: Option<String>,
    /// Always `false` (seed 001).
    locked: bool,
    /// The manifest's semantic version.
    current_version: String,
    created_at: String,
    updated_at: String,
    /// How it was installed: `upload`, `url` or `path`.
    origin: String,
    /// The sha256 a URL install is pinned to.
    sha256: Option<String>,
    /// Why the last sync failed, until one succeeds.
    sync_error: Option<String>,
    /// `sdk` or `command` for a component; a source skill's kind.
    kind: &'static str,
    /// sha256 of the component or of the source's content.
    digest: String,
    capabilities: Capabilities,
    limits: LimitRequest,
    abilities: Vec<AbilitySpec>,
    /// The approved grant; `null` until approved.
    grant: Option<RedactedGrant>,
    /// For a pending update: what it asks beyond the approved grant.
    capability_diff: Option<Capabilities>,
    /// For a pending skill: why else it waits.
    review: Option<Review>,
    /// New source content waiting for an admin while the approved content
    /// serves (what `capabilityDiff` and `review` are about).
    pending_update: Option<PendingUpdate>,
    assigned_agents_count: i64,
    #[serde(flatten)]
    seed: SeedFields,
}

/// A source skill's new content awaiting approval.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PendingUpdate {
    /// Its version.
    version: String,
    /// sha256 of its content; another than `digest`: the content changed.
    digest: String,
}

/// Seed 001's skill object plus what a sandbox adds.
pub(crate) fn view(skill: &SkillRow, assigned: i64) -> SkillView {
    let m = &skill.manifest;
    SkillView {
        id: skill.id.clone(),
        name: m.name.clone(),
        slug: m.name.clone(),
        description: m.description.clone(),
        category: m.category.clone(),
        tool_ids: m.abilities.iter().map(|a| a.name.clone()).collect(),
        config: serde_json::Map::new(),
        listing_ref: None,
        listing_version: None,
        locked: false,
        current_version: m.version.to_string(),
        created_at: skill.created_at.clone(),
        updated_at: skill.updated_at.clone(),
        origin: skill.source.clone(),
        sha256: skill.source_sha256.clone(),
        sync_error: skill.sync_error.clone(),
        kind: skill.kind.as_str(),
        digest: skill.digest.clone(),
        capabilities: m.capabilities.clone(),
        limits: m.limits,
        abilities: m.abilities.clone(),
        grant: skill.grant.as_ref().map(RedactedGrant::from),
        capability_diff: skill.capability_diff.clone(),
        review: skill.review.clone(),
        pending_update: skill.pending_source.as_ref().map(|p| PendingUpdate {
            version: p.manifest.version.to_string(),
            digest: p.digest.clone(),
        }),
        assigned_agents_count: assigned,
        seed: SeedFields::of(skill),
    }
}

/// A grant body (camelCase; the first release's snake_case accepted). An
/// empty body grants the declaration as it stands.
pub(crate) fn parse_grant(body: &[u8]) -> Result<Grant, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Grant::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid grant: {e}")))
}

/// Seed 004's fields of a skill, for any kind (a component's `source` is
/// `custom`). A source skill whose last sync failed shows `error`, while
/// it keeps serving what it had.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeedFields {
    /// `custom` (a component), `skill_md`, `openapi_action`, `mcp_registry` or `code`.
    source: &'static str,
    /// Where it is fetched from, for URL and source skills.
    source_url: Option<String>,
    source_ref: Option<String>,
    author: Option<String>,
    /// The source's version, or a component's manifest version.
    version: Option<String>,
    tags: Vec<String>,
    icon_url: Option<String>,
    /// A source skill's credential kind (`none`, `api_key`, `bearer`, `oauth`); `null` for a component.
    auth_type: Option<&'static str>,
    /// `pending`, `active`, `disabled`, `archived`, or `error` (a source skill whose last sync failed).
    status: &'static str,
    last_synced_at: Option<String>,
}

impl SeedFields {
    pub(crate) fn of(skill: &SkillRow) -> Self {
        let detail = skill.detail.as_deref();
        let status = match skill.status.as_str() {
            "active" if detail.is_some() && skill.sync_error.is_some() => "error",
            other => other,
        };
        SeedFields {
            source: detail.map_or("custom", |d| d.kind().as_str()),
            source_url: skill.public_source_url().map(str::to_owned),
            source_ref: detail.and_then(|d| d.source_ref.clone()),
            author: detail.and_then(|d| d.author.clone()),
            version: detail.map_or_else(
                || Some(skill.manifest.version.to_string()),
                |d| d.version.clone(),
            ),
            tags: detail.map(|d| d.tags.clone()).unwrap_or_default(),
            icon_url: detail.and_then(|d| d.icon_url.clone()),
            auth_type: detail.map(|d| d.auth_type()),
            status,
            last_synced_at: skill.synced_at.clone(),
        }
    }
}

/// Seed 004's fields of a skill as JSON, for surfaces that merge them into
/// their own objects.
pub(crate) fn seed_fields(skill: &SkillRow) -> Value {
    serde_json::to_value(SeedFields::of(skill)).expect("seed fields serialise")
}
