//! The lifecycle states and kinds stored as text, as enums: a typo is a
//! compile error, not a silently different string. Each reads back only
//! what it writes; anything else in the database is a decode error, not a
//! guess.
use crate::manifest::SkillKind;
use crate::sources::SourceKind;
use serde::{Deserialize, Serialize, Serializer};

/// What an installed skill is: a component of a kind, or one of seed
/// 004's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    /// A WebAssembly component (`sdk` or `command`).
    Component(SkillKind),
    /// A source skill (`skill_md`, `openapi_action`, `mcp_registry`).
    Source(SourceKind),
}

impl StoredKind {
    /// The stored and shown text.
    pub fn as_str(self) -> &'static str {
        match self {
            StoredKind::Component(kind) => kind.as_str(),
            StoredKind::Source(kind) => kind.as_str(),
        }
    }

    /// The kind a stored text names, if any.
    pub fn parse(text: &str) -> Option<StoredKind> {
        match text {
            "sdk" => Some(StoredKind::Component(SkillKind::Sdk)),
            "command" => Some(StoredKind::Component(SkillKind::Command)),
            other => SourceKind::parse(other).map(StoredKind::Source),
        }
    }
}

impl std::fmt::Display for StoredKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StoredKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Where an installed skill version is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SkillStatus {
    /// Waits for an admin's capability approval.
    Pending,
    /// Approved; agents may call it.
    Active,
    /// Turned off by an admin.
    Disabled,
    /// Superseded or retired; kept for the record.
    Archived,
}

/// Whether a skillset ability may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AbilityStatus {
    /// An instruction waiting for an admin to approve what it reaches.
    Pending,
    /// Callable.
    Active,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The stored and shown text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value a stored text names, if any.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(SkillStatus {
    Pending => "pending",
    Active => "active",
    Disabled => "disabled",
    Archived => "archived",
});

text_enum!(AbilityStatus {
    Pending => "pending",
    Active => "active",
});

/// Reads a status or kind column, refusing text no version of the code
/// wrote.
pub(super) fn decode<T>(
    row: &sqlx::any::AnyRow,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown {column} `{text}`").into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_what_they_write_and_nothing_else() {
        for status in SkillStatus::ALL {
            assert_eq!(SkillStatus::parse(status.as_str()), Some(*status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
        }
        for status in AbilityStatus::ALL {
            assert_eq!(AbilityStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(SkillStatus::parse("Active"), None);
        for kind in [
            "sdk",
            "command",
            "skill_md",
            "openapi_action",
            "mcp_registry",
        ] {
            assert_eq!(StoredKind::parse(kind).map(StoredKind::as_str), Some(kind));
            assert_eq!(serde_json::to_value(StoredKind::parse(kind)).unwrap(), kind);
        }
        assert_eq!(StoredKind::parse("custom"), None);
        assert_eq!(AbilityStatus::parse("archived"), None);
    }
}
