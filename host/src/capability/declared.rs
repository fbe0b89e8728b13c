//! What a skill declares it needs, and the guest directories it names.
use super::network::NetworkPattern;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a skill declares it needs. Absent means denied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Destinations for outgoing HTTP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NetworkPattern>,
    /// Guest directories mounted read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_read: Vec<GuestPath>,
    /// Guest directories mounted read-write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_write: Vec<GuestPath>,
    /// Environment variable names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Secret names, read through the host interface.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

impl Capabilities {
    /// Whether the skill asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Capabilities::default()
    }
}

/// An absolute, normalised guest directory such as `/data`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestPath(String);

/// Text, as the manifest writes it; the pattern is a safe subset of what
/// [`GuestPath::parse`] takes.
impl utoipa::PartialSchema for GuestPath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An absolute guest directory such as `/data`: no `.` or `..`, no empty segments, not `/`"))
            .pattern(Some(r"^(/([A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.\.[A-Za-z0-9._~-]+))+$"))
            .into()
    }
}

impl utoipa::ToSchema for GuestPath {}

impl GuestPath {
    /// Parses a guest path: absolute, no `.` or `..`, no empty segments, not `/`.
    pub fn parse(text: &str) -> Result<GuestPath, String> {
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        if !trimmed.starts_with('/') {
            return Err(format!("path `{text}` must be absolute, e.g. `/data`"));
        }
        if trimmed.is_empty() {
            return Err("`/` cannot be mounted; name a directory such as `/data`".into());
        }
        for segment in trimmed[1..].split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(format!(
                    "path `{text}` must not contain empty segments, `.` or `..`"
                ));
            }
            if segment.contains(['\\', '\0']) {
                return Err(format!("path `{text}` contains a forbidden character"));
            }
        }
        Ok(GuestPath(trimmed.to_owned()))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GuestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for GuestPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GuestPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GuestPath::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
