//! The effective policy of a call: what the skill declared, intersected
//! with what an admin approved, narrowed by the agent's assignment, with
//! the assignment's configuration values added.
use crate::capability::{GrantError, LimitPolicy, Policy};
use crate::store::{AssignmentRow, SkillRow};
use serde_json::Value;

/// Declared ∩ approved ∩ this assignment; `None` when the skill has no
/// approved grant.
pub fn for_assignment(
    limits: &LimitPolicy,
    skill: &SkillRow,
    assignment: &AssignmentRow,
) -> Option<Result<Policy, GrantError>> {
    let mut grant = skill.grant.clone()?;
    if let Value::Object(config) = &assignment.config {
        for (key, value) in config {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            grant.config.insert(key.clone(), text);
        }
    }
    Some(
        Policy::resolve(&skill.manifest, &grant, limits).and_then(|mut p| {
            p.narrow(&assignment.narrowing)?;
            Ok(p)
        }),
    )
}

/// Declared ∩ approved, for a call without an assignment (a skillset's
/// ability backed by the skill); `None` when the skill has no approved
/// grant.
pub fn approved(limits: &LimitPolicy, skill: &SkillRow) -> Option<Result<Policy, GrantError>> {
    let grant = skill.grant.as_ref()?;
    Some(Policy::resolve(&skill.manifest, grant, limits))
}
