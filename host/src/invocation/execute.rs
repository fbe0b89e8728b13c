//! Running an installed skill's ability with its kind's executor: a
//! component in the sandbox, an OpenAPI operation or a registry server's
//! tool by the host through the outbound guard, a code skill's source in
//! its language's interpreter. The skill's own call and
//! a skillset ability backed by it both end here, with the credential
//! each names (an attachment's `credentialId`, the ability's `secretId`).
use super::credentials;
use crate::ability::outcome::{Executed, Failure};
use crate::ability::{code, component, mcp_tool, openapi, schemas};
use crate::capability::Policy;
use crate::error::InvokeError;
use crate::outbound::mcp_client::McpEndpoint;
use crate::runtime::{Call, SessionScope};
use crate::services::{Internal, Services};
use crate::sources::SourceBody;
use crate::store::SkillRow;
use serde_json::Value;
use std::sync::Arc;

/// One ability of an installed skill.
pub(super) struct SkillCall<'a> {
    /// The caller's tenant.
    pub tenant_id: &'a str,
    /// The skill (active, approved).
    pub skill: &'a SkillRow,
    /// The effective policy.
    pub policy: Policy,
    /// Which ability.
    pub ability: &'a str,
    /// Its input.
    pub input: &'a Value,
    /// The caller's session, for a component that keeps state.
    pub session: Option<SessionScope>,
    /// The tenant secret a source skill's calls carry.
    pub credential_id: Option<&'a str>,
}

/// Runs `call` with the skill's kind's executor. A component's call is
/// made here, not one more function down: each level of futures is copied
/// whole where it is awaited, and this is every call's hot path.
pub(super) async fn skill(services: &Services, call: SkillCall<'_>) -> Result<Executed, Internal> {
    if !call.skill.is_component() {
        // Boxed: a source call's future (HTTP client, OpenAPI, MCP) is
        // large, and inline it would make every call's future as large.
        return Box::pin(source_call(services, call)).await;
    }
    let SkillCall {
        tenant_id,
        skill,
        mut policy,
        ability,
        input,
        session,
        ..
    } = call;
    supply_secrets(services, tenant_id, skill, &mut policy).await?;
    let loaded = services.component(tenant_id, &skill.digest).await?;
    let invocation = services
        .loader
        .runtime()
        .invoke(
            &loaded,
            Arc::new(policy),
            Call {
                ability,
                input,
                session,
            },
        )
        .await;
    Ok(component::executed(invocation))
}

/// The secrets and injections the skill's grant binds, opened into
/// `policy` for a guest in the sandbox (a component or a code skill).
async fn supply_secrets(
    services: &Services,
    tenant_id: &str,
    skill: &SkillRow,
    policy: &mut Policy,
) -> Result<(), Internal> {
    match &skill.grant {
        Some(grant) if !grant.secrets.is_empty() || !grant.inject.is_empty() => {
            credentials::supply_grant(services, tenant_id, grant, policy).await
        }
        _ => Ok(()),
    }
}

async fn source_call(services: &Services, call: SkillCall<'_>) -> Result<Executed, Internal> {
    let skill = call.skill;
    let outbound = services.loader.outbound();
    match skill.detail.as_ref().map(|d| &d.body) {
        Some(SourceBody::Code(body)) => {
            if let Err(failure) = check(skill, call.ability, call.input) {
                return Ok(Executed::refused(failure));
            }
            let interpreter = match services.interpreters.get(body.language) {
                Ok(interpreter) => interpreter,
                Err(message) => {
                    tracing::error!(skill_id = %skill.id, %message, "a code skill's interpreter is missing");
                    return Ok(Executed::refused(Failure::from(&InvokeError::Failed {
                        message,
                        exit_code: None,
                    })));
                }
            };
            let mut policy = call.policy;
            supply_secrets(services, call.tenant_id, skill, &mut policy).await?;
            Ok(code::execute(
                &services.loader,
                interpreter,
                body,
                policy,
                call.input,
                call.session,
            )
            .await)
        }
        Some(SourceBody::OpenapiAction { spec }) => {
            if let Err(failure) = check(skill, call.ability, call.input) {
                return Ok(Executed::refused(failure));
            }
            let (secret, redactor) =
                credentials::credential(services, call.tenant_id, call.credential_id).await?;
            let value = secret.as_ref().map(|s| s.value.as_str());
            Ok(openapi::execute(
                outbound,
                spec,
                &call.policy,
                call.ability,
                call.input,
                value,
                &redactor,
            )
            .await)
        }
        Some(SourceBody::McpRegistry { remote }) => {
            if let Err(failure) = check(skill, call.ability, call.input) {
                return Ok(Executed::refused(failure));
            }
            if remote.needs_credential() && call.credential_id.is_none() {
                return Ok(Executed::refused(Failure::from(&InvokeError::Failed {
                    message: format!(
                        "MCP server `{}` requires a credential: attach the skill with a `credentialId` naming a tenant secret",
                        remote.server_name
                    ),
                    exit_code: None,
                })));
            }
            let opened = credentials::mcp_credential(
                services,
                call.tenant_id,
                &skill.manifest.name,
                call.credential_id,
                remote.secret_header.as_deref(),
            )
            .await?;
            let (credential, redactor) = match opened {
                Ok(opened) => opened,
                Err(failure) => return Ok(Executed::refused(failure)),
            };
            let endpoint = McpEndpoint {
                name: &skill.manifest.name,
                url: &remote.url,
                headers: &remote.headers,
                credential,
                allow_private_network: call.policy.allow_private_network,
            };
            let arguments = call.input.as_object().cloned().unwrap_or_default();
            Ok(
                mcp_tool::execute(outbound, &endpoint, &redactor, call.ability, arguments)
                    .await
                    .executed,
            )
        }
        _ => Ok(Executed::refused(Failure::from(&InvokeError::NotFound {
            message: format!(
                "skill `{}` has no callable abilities: its instructions are read with skill_query",
                skill.manifest.name
            ),
        }))),
    }
}

/// The ability exists and the input fits its schema (compiled once per
/// skill version and ability), in the sandbox's words: a source skill's
/// call reads like a component's.
fn check(skill: &SkillRow, ability: &str, input: &Value) -> Result<(), Failure> {
    let Some(spec) = skill.manifest.ability(ability) else {
        let names = skill.manifest.ability_names();
        return Err(Failure::from(&InvokeError::NotFound {
            message: format!(
                "skill `{}` has no ability `{ability}`; it has: {}",
                skill.manifest.name,
                names.join(", ")
            ),
        }));
    };
    let key = (skill.id.clone(), skill.digest.clone(), ability.to_owned());
    let validator = schemas::validator(key, || spec.input_schema.clone(), false)
        .map_err(|_| Failure::internal())?;
    match schemas::problems(&validator, input) {
        None => Ok(()),
        Some(message) => Err(Failure::from(&InvokeError::InvalidInput { message })),
    }
}
