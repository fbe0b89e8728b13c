//! A skillset's ability, called by an integration (skill server, MCP
//! server integration) or an agent it is attached to: an instruction the
//! host sends through the outbound guard, or an installed skill's ability
//! under that skill's approved grant. The ability's own `secretId` is the
//! call's credential on every surface.
use super::audit::{Called, Context, Subject};
use super::credentials;
use super::execute::{self, SkillCall};
use super::outcome::Outcome;
use super::policy;
use crate::ability::instruction::Instruction;
use crate::ability::instruction::execute as instruction;
use crate::ability::outcome::{Category, Executed, Failure};
use crate::ability::schemas;
use crate::services::{Internal, Services};
use crate::store::AbilityStatus;
use crate::store::SkillStatus;
use crate::store::{AbilityRow, SkillsetRow};
use serde_json::Value;
use std::sync::Arc;

/// Calls `ability` of `skillset`.
pub(super) async fn call(
    services: &Services,
    ctx: &Context<'_>,
    skillset: &SkillsetRow,
    ability: &AbilityRow,
    input: &Value,
    session: Option<String>,
) -> Result<Outcome, Failure> {
    match (&ability.instruction, &ability.skill_id) {
        // Boxed, as a source skill's call is: an outbound exchange's future
        // is large, and a component's call should not carry its size.
        (Some(text), _) => {
            Box::pin(run_instruction(
                services, ctx, skillset, ability, text, input,
            ))
            .await
        }
        (None, Some(skill_id)) => {
            skill_ability(services, ctx, skillset, ability, skill_id, input, session).await
        }
        (None, None) => {
            tracing::error!(ability_id = %ability.id, "an ability has neither an instruction nor a skill");
            Err(Failure::internal())
        }
    }
}

/// An instruction: approved, input checked, the secrets it names opened,
/// sent.
async fn run_instruction(
    services: &Services,
    ctx: &Context<'_>,
    skillset: &SkillsetRow,
    ability: &AbilityRow,
    text: &str,
    input: &Value,
) -> Result<Outcome, Failure> {
    let subject = || Subject {
        kind: Called::Skillset,
        skill_id: None,
        skill_name: format!("skillset:{}", skillset.name),
        ability: ability.tool_name.clone(),
    };
    let parsed = parsed(ability, text)?;
    let grant = match (&ability.grant, ability.status) {
        (Some(grant), AbilityStatus::Active) => grant,
        _ => {
            let failure = Failure::new(
                Category::AbilityNotApproved,
                format!(
                    "ability `{}` is pending approval by an admin (it reaches {} with secrets {:?})",
                    ability.tool_name, parsed.origin, parsed.secrets
                ),
            );
            let id = crate::runtime::unique_id();
            ctx.refused(services, &id, subject(), "ability pending approval")
                .await?;
            return Ok(Outcome::refused(id, failure));
        }
    };
    let key = (
        ability.id.clone(),
        ability.updated_at.clone(),
        ability.tool_name.clone(),
    );
    let validator = schemas::validator(key, || parsed.input_schema(), true).map_err(|e| {
        tracing::error!(error = %e, ability_id = %ability.id, "an instruction's input schema does not compile");
        Failure::internal()
    })?;
    let executed = match schemas::problems(&validator, input) {
        Some(message) => Executed::refused(Failure::new(Category::InvalidInput, message)),
        None => {
            let (secrets, redactor) = credentials::template_secrets(
                services,
                &ctx.caller.tenant_id,
                &parsed,
                ability.secret_id.as_deref(),
            )
            .await?;
            let outbound = services.loader.outbound();
            instruction::execute(outbound, &parsed, grant, input, &secrets, &redactor).await
        }
    };
    ctx.executed(services, subject(), &executed).await?;
    Ok(Outcome::ran(executed, None))
}

/// An installed skill's ability, under the skill's approved grant
/// (following the skill to its active version).
async fn skill_ability(
    services: &Services,
    ctx: &Context<'_>,
    skillset: &SkillsetRow,
    ability: &AbilityRow,
    skill_id: &str,
    input: &Value,
    session: Option<String>,
) -> Result<Outcome, Failure> {
    let tenant = &ctx.caller.tenant_id;
    let store = &services.store;
    let mut skill = store
        .skill_shared(tenant, skill_id)
        .await
        .map_err(Internal::from)?;
    if let Some(row) = &skill
        && row.status != SkillStatus::Active
    {
        let name = row.manifest.name.clone();
        skill = store
            .skill_shared(tenant, &name)
            .await
            .map_err(Internal::from)?;
    }
    let name = ability.ability.clone().unwrap_or_default();
    let refuse = async |subject: Subject, failure: Failure, reason: &str| {
        let id = crate::runtime::unique_id();
        ctx.refused(services, &id, subject, reason).await?;
        Ok::<_, Failure>(Outcome::refused(id, failure))
    };
    let Some(skill) = skill else {
        let subject = Subject {
            kind: Called::Skillset,
            skill_id: Some(skill_id.to_owned()),
            skill_name: format!("skillset:{}", skillset.name),
            ability: name,
        };
        let failure = Failure::new(
            Category::NotFound,
            "the skill behind this ability is no longer installed",
        );
        return refuse(subject, failure, "skill no longer installed").await;
    };
    let subject = Subject {
        kind: Called::Skillset,
        skill_id: Some(skill.id.clone()),
        skill_name: skill.manifest.name.clone(),
        ability: name.clone(),
    };
    let policy = match policy::approved(services.loader.runtime().limits(), &skill) {
        Some(Ok(policy)) if skill.status == SkillStatus::Active => policy,
        Some(Err(e)) if skill.status == SkillStatus::Active => {
            tracing::error!(error = %e, skill_id = %skill.id, "an approved grant no longer resolves");
            return Err(Failure::internal());
        }
        _ => {
            let (failure, reason) = super::skill::not_active(&skill);
            return refuse(subject, failure, &reason).await;
        }
    };
    let session = match session {
        Some(id) => Some(ctx.caller.session(&skill.manifest.name, id)?),
        None => None,
    };
    let executed = execute::skill(
        services,
        SkillCall {
            tenant_id: tenant,
            skill: &skill,
            policy,
            ability: &name,
            input,
            session,
            credential_id: ability.secret_id.as_deref(),
        },
    )
    .await?;
    ctx.executed(services, subject, &executed).await?;
    Ok(Outcome::ran(executed, None))
}

/// Instructions parsed by (ability id, last change): once, not per call.
pub fn parsed(ability: &AbilityRow, text: &str) -> Result<Arc<Instruction>, Failure> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cache = Mutex<HashMap<(String, String), Arc<Instruction>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (ability.id.clone(), ability.updated_at.clone());
    if let Some(hit) = cache.lock().expect("instruction cache").get(&key) {
        return Ok(hit.clone());
    }
    let parsed = Instruction::parse(text).map_err(|e| {
        tracing::error!(error = %e, ability_id = %ability.id, "a stored instruction no longer parses");
        Failure::internal()
    })?;
    let entry = Arc::new(parsed);
    let mut map = cache.lock().expect("instruction cache");
    // Bounded: old versions of edited abilities are dropped wholesale.
    if map.len() >= 4096 {
        map.clear();
    }
    map.insert(key, entry.clone());
    Ok(entry)
}
