//! An agent's call of a skill assigned to it (seed 003's invoke, its MCP
//! endpoint): the agent must have the skill assigned and enabled, the skill
//! must be approved; the policy is declared ∩ approved ∩ assignment; the
//! attachment's `credentialId` is the call's credential.
use super::audit::{Called, Context, Subject};
use super::execute::{self, SkillCall};
use super::outcome::Outcome;
use super::policy;
use crate::ability::outcome::{Category, Failure};
use crate::services::{Internal, Services};
use crate::store::SkillStatus;
use crate::store::{AssignmentRow, SkillRow};
use serde_json::Value;
use std::sync::Arc;

/// What a skill call needs beyond its target.
pub(super) struct Call<'a> {
    /// The audit context.
    pub ctx: &'a Context<'a>,
    /// The input.
    pub input: &'a Value,
    /// The session id.
    pub session: Option<String>,
}

/// Which skill: named by the caller, or already looked up by the surface
/// with the caller's assignment (built once per call, never stored).
#[allow(clippy::large_enum_variant)]
pub(super) enum Which<'a> {
    /// By id or name.
    Named(&'a str),
    /// Found while routing.
    Found(Arc<SkillRow>, AssignmentRow),
}

fn no_agent() -> Failure {
    tracing::error!("a skill call without an agent reached the invocation path");
    Failure::internal()
}

/// Calls `which` skill as the caller's agent, under the agent's
/// assignment of it. One function, not a lookup awaiting a call: each
/// level of futures is copied whole where it is awaited.
pub(super) async fn call(
    services: &Services,
    call: Call<'_>,
    which: Which<'_>,
    ability: Option<&str>,
) -> Result<Outcome, Failure> {
    let agent = call.ctx.caller.agent.as_ref().ok_or_else(no_agent)?;
    let (skill, assignment) = match which {
        Which::Found(skill, assignment) => (skill, Some(assignment)),
        Which::Named(skill) => {
            let tenant = &call.ctx.caller.tenant_id;
            let skill = services
                .store
                .skill_shared(tenant, skill)
                .await
                .map_err(Internal::from)?
                .ok_or_else(|| Failure::new(Category::NotFound, "skill not found"))?;
            let assignment = services
                .store
                .assignment(tenant, &skill.id, &agent.id)
                .await
                .map_err(Internal::from)?;
            (skill, assignment)
        }
    };
    let name = &skill.manifest.name;
    let subject = |ability: &str| Subject {
        kind: Called::Skill,
        skill_id: Some(skill.id.clone()),
        skill_name: name.clone(),
        ability: ability.to_owned(),
    };
    let refusal = match &assignment {
        None => Some((
            Failure::new(
                Category::NotFound,
                "skill assignment for this agent not found",
            ),
            "not assigned to this agent".to_owned(),
        )),
        Some(a) if !a.enabled => Some((
            Failure::new(
                Category::AssignmentDisabled,
                format!("skill `{name}` is disabled for agent `{}`", agent.name),
            ),
            "assignment disabled".to_owned(),
        )),
        Some(_) if skill.status != SkillStatus::Active || skill.grant.is_none() => {
            Some(not_active(&skill))
        }
        Some(_) => None,
    };
    let assignment = match (refusal, assignment) {
        (None, Some(assignment)) => assignment,
        (Some((failure, reason)), _) => {
            let id = crate::runtime::unique_id();
            let record = subject(ability.unwrap_or_default());
            call.ctx.refused(services, &id, record, &reason).await?;
            return Ok(Outcome::refused(id, failure));
        }
        (None, None) => unreachable!("no assignment is a refusal"),
    };
    let ability = choose_ability(&skill, ability)?;
    let limits = services.loader.runtime().limits();
    let policy = match policy::for_assignment(limits, &skill, &assignment) {
        Some(Ok(policy)) => policy,
        Some(Err(e)) => {
            return Err(Failure::new(
                Category::AssignmentOutdated,
                format!("this agent's capability narrowing no longer fits the approved grant: {e}"),
            ));
        }
        None => return Err(Failure::internal()),
    };
    let session = match call.session {
        Some(id) => Some(call.ctx.caller.session(name, id)?),
        None => None,
    };
    let executed = execute::skill(
        services,
        SkillCall {
            tenant_id: &call.ctx.caller.tenant_id,
            skill: &skill,
            policy,
            ability: &ability,
            input: call.input,
            session,
            credential_id: assignment.credential_id.as_deref(),
        },
    )
    .await?;
    call.ctx
        .executed(services, subject(&ability), &executed)
        .await?;
    Ok(Outcome::ran(executed, None))
}

/// Why a skill that is not active (or has no approved grant) is not
/// called, and the audit's reason: the same words on every surface.
pub(super) fn not_active(skill: &SkillRow) -> (Failure, String) {
    let why = if skill.status == SkillStatus::Pending {
        "is pending capability approval by an operator"
    } else {
        "is not active"
    };
    let name = &skill.manifest.name;
    (
        Failure::new(Category::SkillNotActive, format!("skill `{name}` {why}")),
        format!("skill status {}", skill.status),
    )
}

/// The ability to call: the one named, else the skill's only one (a
/// SKILL.md bundle has none: its executor says so).
fn choose_ability(skill: &SkillRow, named: Option<&str>) -> Result<String, Failure> {
    let abilities = &skill.manifest.abilities;
    match (named, abilities.as_slice()) {
        (Some(name), _) => Ok(name.to_owned()),
        (None, [only]) => Ok(only.name.clone()),
        (None, []) => Ok(String::new()),
        (None, _) => Err(Failure::new(
            Category::AbilityRequired,
            format!(
                "skill `{}` has several abilities ({}); name one in `ability`",
                skill.manifest.name,
                skill.manifest.ability_names().join(", ")
            ),
        )),
    }
}
