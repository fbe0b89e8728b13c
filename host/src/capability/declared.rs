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

    /// What `self` declares that `other` does not, entry by entry (a
    /// review's plain difference; [`super::Policy`]'s `beyond` is the one
    /// that decides whether a grant carries over).
    pub fn without(&self, other: &Capabilities) -> Capabilities {
        fn minus<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
            a.iter().filter(|x| !b.contains(x)).cloned().collect()
        }
        Capabilities {
            network: minus(&self.network, &other.network),
            fs_read: minus(&self.fs_read, &other.fs_read),
            fs_write: minus(&self.fs_write, &other.fs_write),
            env: minus(&self.env, &other.env),
            secrets: minus(&self.secrets, &other.secrets),
        }
    }
}

/// An absolute, normalised guest directory such as `/data`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestPath(String);

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

/// The OpenAPI schema: what [`GuestPath::parse`] accepts (absolute; no
/// empty, `.` or `..` segment; no `\` or NUL).
impl utoipa::PartialSchema for GuestPath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(
                r"^(/([^/\\.\u0000]|\.[^/\\.\u0000]|\.\.[^/\\\u0000])[^/\\\u0000]*)+/?$",
            ))
            .description(Some("An absolute guest directory such as `/data`"))
            .into()
    }
}

impl utoipa::ToSchema for GuestPath {}

impl<'de> Deserialize<'de> for GuestPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GuestPath::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
