//! The lifecycle states stored as text, as enums: a typo is a compile
//! error, not a silently different string. Each reads back only what it
//! writes; anything else in the database is a decode error, not a guess.
use serde::{Deserialize, Serialize};

/// Where an installed skill version is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Reads a status column, refusing text no version of the code wrote.
pub(super) fn decode<T>(
    row: &sqlx::any::AnyRow,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    let text: String = row.try_get("status")?;
    parse(&text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "status".into(),
        source: format!("unknown status `{text}`").into(),
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
        assert_eq!(AbilityStatus::parse("archived"), None);
    }
}
