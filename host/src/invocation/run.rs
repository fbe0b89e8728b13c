//! The one call every surface makes: the request is checked, its target
//! resolved and authorised for the caller, the policy computed, the
//! credentials opened, the kind's executor run; the result comes back
//! redacted, audited and counted.
use super::audit::Context;
use super::outcome::Outcome;
use super::request::{Request, Target};
use super::{remote, skill, skillset};
use crate::ability::outcome::{Category, Failure};
use crate::services::Services;

/// Longest session id.
const MAX_SESSION_CHARS: usize = 128;

/// Runs `request`. `Ok` is an outcome that was audited (the call ran, or
/// was refused for this caller); `Err` is a request that named nothing
/// callable or was malformed, and was not audited, or a failure of ours.
pub async fn invoke(services: &Services, request: Request) -> Result<Outcome, Failure> {
    if let Some(session) = &request.session
        && (session.is_empty() || session.len() > MAX_SESSION_CHARS)
    {
        return Err(Failure::new(
            Category::InvalidSession,
            "session ids are 1-128 characters",
        ));
    }
    let Request {
        caller,
        target,
        input,
        session,
        surface,
        request_id,
    } = request;
    let ctx = Context {
        caller: &caller,
        surface,
        request_id: request_id.as_deref(),
        input: services.options.record_inputs.then_some(&input),
    };
    let call = || skill::Call {
        ctx: &ctx,
        input: &input,
        session: session.clone(),
    };
    match &target {
        Target::Skill { skill, ability } => {
            skill::by_name(services, call(), skill, ability.as_deref()).await
        }
        Target::Assigned {
            skill,
            assignment,
            ability,
        } => {
            let assignment = Some(assignment.clone());
            skill::assigned(services, call(), skill.clone(), assignment, Some(ability)).await
        }
        Target::SkillsetAbility { skillset, ability } => {
            skillset::call(services, &ctx, skillset, ability, &input, session.clone()).await
        }
        Target::RemoteTool { server, tool } => {
            remote::by_name(services, &ctx, server, tool, &input).await
        }
        Target::ServerTool { server, tool } => {
            remote::call(services, &ctx, server, tool, &input).await
        }
    }
}
