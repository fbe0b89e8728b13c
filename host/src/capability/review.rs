//! Why a skill waits for an admin beyond what it newly declares: new code
//! behind a grant that hands it the tenant's or the operator's things.
use super::grant::Grant;
use serde::{Deserialize, Serialize};

/// What an admin reviews besides the capability diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// The code differs from what the grant was approved for, even where
    /// the declared capabilities do not.
    #[serde(default)]
    pub code_changed: bool,
    /// The sensitive grant fields the new code would receive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<String>,
    /// Anything else the admin should know (an upgrade's finding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Grant {
    /// The fields that hand the code something of the tenant's or the
    /// operator's: new code receives them only through an admin.
    pub fn sensitive_fields(&self) -> Vec<String> {
        let fields = [
            ("secrets", !self.secrets.is_empty()),
            ("inject", !self.inject.is_empty()),
            ("mounts", !self.mounts.is_empty()),
            ("env", !self.env.is_empty()),
            ("config", !self.config.is_empty()),
            ("allowPrivateNetwork", self.allow_private_network),
        ];
        fields
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}
