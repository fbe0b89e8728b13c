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
///
/// Not boxed: boxing this future here saved REST invoke about 1 400
/// instructions per call but cost MCP `tools/call` about 63 000 more
/// (counted with `tests/benches/count-instructions.sh`).
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
    // The target is taken apart by value: kept whole across the awaits
    // below, the largest variant's rows would sit in every call's future.
    match target {
        Target::Skill { skill, ability } => {
            let call = skill::Call {
                ctx: &ctx,
                input: &input,
                session,
            };
            let which = skill::Which::Named(&skill);
            skill::call(services, call, which, ability.as_deref()).await
        }
        Target::Assigned {
            skill,
            assignment,
            ability,
        } => {
            let call = skill::Call {
                ctx: &ctx,
                input: &input,
                session,
            };
            let which = skill::Which::Found(skill, assignment);
            skill::call(services, call, which, Some(&ability)).await
        }
        Target::SkillsetAbility { skillset, ability } => {
            skillset::call(services, &ctx, &skillset, &ability, &input, session).await
        }
        // Boxed: the remote MCP client's future is several kilobytes, and
        // inline it would make every call's future (a component's too) as
        // large, copied on every poll.
        Target::RemoteTool { server, tool } => {
            Box::pin(remote::by_name(services, &ctx, &server, &tool, &input)).await
        }
        Target::ServerTool { server, tool } => {
            Box::pin(remote::call(services, &ctx, &server, &tool, &input)).await
        }
    }
}
