//! Invoking a skill as an agent (seed 003's shape): the agent must have the
//! skill assigned and enabled, and the skill must be approved. Every call
//! and every refusal is recorded in the audit trail.
use super::AppState;
use super::agents::find_agent;
use super::auth::Principal;
use super::error::{ApiError, JsonBody};
use super::skills::effective_policy;
use crate::InvokeError;
use crate::runtime::{Call, OutputKind, SessionScope};
use crate::store::{Agent, InvocationRow, now};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// `skillhost_invocations_total{skill,outcome,surface="rest"}`.
static INVOCATIONS: crate::telemetry::CounterFamily = crate::telemetry::CounterFamily::new(
    "skillhost_invocations_total",
    "skill",
    "outcome",
    &[("surface", "rest")],
);

/// The same for calls through MCP.
static MCP_INVOCATIONS: crate::telemetry::CounterFamily = crate::telemetry::CounterFamily::new(
    "skillhost_invocations_total",
    "skill",
    "outcome",
    &[("surface", "mcp")],
);

/// The same for calls through a skill server.
static SKILLSERVER_INVOCATIONS: crate::telemetry::CounterFamily =
    crate::telemetry::CounterFamily::new(
        "skillhost_invocations_total",
        "skill",
        "outcome",
        &[("surface", "skillserver")],
    );

pub fn router() -> Router<AppState> {
    Router::new().route("/api/agents/{agent}/skills/{skill}/invoke", post(invoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invoke {
    /// An array (a command's arguments) or an object (named inputs).
    #[serde(default)]
    args: Option<Value>,
    /// Which ability; optional when the skill has only one.
    #[serde(default)]
    ability: Option<String>,
    /// Session id for session state.
    #[serde(default)]
    session: Option<String>,
}

async fn invoke(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((agent, skill)): Path<(String, String)>,
    JsonBody(body): JsonBody<Invoke>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let call = AgentCall {
        agent,
        skill,
        ability: body.ability,
        args: body.args,
        session: body.session,
        surface: Surface::Rest,
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let invocation = call_assigned(&state, &principal.tenant_id, call).await?;
    let execution_time_ms = invocation.receipt.wall_time_us as f64 / 1000.0;
    Ok(match invocation.outcome {
        Ok(output) => (
            StatusCode::OK,
            Json(json!({
                "success": true,
                "output": output.body,
                "output_type": match output.kind { OutputKind::Json => "json", OutputKind::Text => "text" },
                "exit_code": output.exit_code.unwrap_or(0),
                "execution_time_ms": execution_time_ms,
                "invocation_id": invocation.id,
            })),
        ),
        Err(error) => {
            let status = match &error {
                InvokeError::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                InvokeError::NotFound { .. } => StatusCode::NOT_FOUND,
                InvokeError::Busy => StatusCode::SERVICE_UNAVAILABLE,
                InvokeError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                // The call ran and the skill failed: the request itself succeeded.
                _ => StatusCode::OK,
            };
            let exit_code = match &error {
                InvokeError::Failed { exit_code, .. } => exit_code.unwrap_or(1),
                _ => 1,
            };
            (
                status,
                Json(json!({
                    "success": false,
                    "error": error.to_string(),
                    "code": error.kind(),
                    "output": invocation.stderr,
                    "exit_code": exit_code,
                    "execution_time_ms": execution_time_ms,
                    "invocation_id": invocation.id,
                })),
            )
        }
    })
}

/// The surfaces calls come through, as the audit trail and the metrics
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// `POST /api/agents/{agent}/skills/{skill}/invoke`.
    Rest,
    /// `tools/call` on an MCP endpoint.
    Mcp,
    /// A skill server's runtime URL.
    SkillServer,
}

impl Surface {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Surface::Rest => "rest",
            Surface::Mcp => "mcp",
            Surface::SkillServer => "skillserver",
        }
    }

    /// `skillhost_invocations_total` with this surface's label.
    pub(crate) fn counter(self) -> &'static crate::telemetry::CounterFamily {
        match self {
            Surface::Rest => &INVOCATIONS,
            Surface::Mcp => &MCP_INVOCATIONS,
            Surface::SkillServer => &SKILLSERVER_INVOCATIONS,
        }
    }
}

/// One call of an assigned skill's ability.
pub(crate) struct AgentCall {
    /// The calling agent (already resolved in the caller's tenant).
    pub agent: Agent,
    /// Skill id or name.
    pub skill: String,
    /// Which ability; optional when the skill has only one.
    pub ability: Option<String>,
    /// Its input (seed 003's `args`).
    pub args: Option<Value>,
    /// Session id for session state.
    pub session: Option<String>,
    /// Where the call came from, for the audit and metrics.
    pub surface: Surface,
    /// The HTTP request id.
    pub request_id: Option<String>,
}

/// The one path every agent surface takes: the agent must have the skill
/// assigned and enabled, the skill must be approved; the policy is
/// declared ∩ approved ∩ assignment; the call and every refusal are
/// audited. A refusal is an `Err` (after its audit record is written); a
/// call that ran, whatever its outcome, is `Ok` with the sandbox's account
/// of it (output already redacted).
pub(crate) async fn call_assigned(
    state: &AppState,
    tenant: &str,
    call: AgentCall,
) -> Result<crate::runtime::Invocation, ApiError> {
    let agent = call.agent;
    let skill = state
        .store
        .skill_shared(tenant, &call.skill)
        .await?
        .ok_or(ApiError::NotFound("skill"))?;
    let counter = call.surface.counter();
    let recorded_input = state
        .options
        .record_inputs
        .then(|| call.args.clone().unwrap_or_else(|| json!({})));
    // What every audit record of this request shares; a refusal before the
    // sandbox runs is recorded as it stands.
    let base = InvocationRow {
        id: crate::store::new_id(),
        tenant_id: tenant.to_owned(),
        agent_id: Some(agent.id.clone()),
        agent_name: Some(agent.name.clone()),
        skill_id: Some(skill.id.clone()),
        skill_name: skill.manifest.name.clone(),
        ability: call.ability.clone().unwrap_or_default(),
        outcome: "refused".into(),
        duration_us: 0,
        peak_memory_bytes: 0,
        output_bytes: 0,
        denials: json!([]),
        requests: json!([]),
        input: recorded_input,
        request_id: call.request_id,
        surface: Some(call.surface.as_str().into()),
        integration_id: None,
        created_at: now(),
    };
    let refuse = |error: ApiError, reason: &str| {
        let denials =
            json!([{ "capability": "invoke", "target": skill.manifest.name, "reason": reason }]);
        (
            error,
            InvocationRow {
                denials,
                ..base.clone()
            },
        )
    };
    let refusal = match state.store.assignment(tenant, &skill.id, &agent.id).await? {
        None => Err(refuse(
            ApiError::NotFound("skill assignment for this agent"),
            "not assigned to this agent",
        )),
        Some(a) if !a.enabled => Err(refuse(
            ApiError::Conflict {
                code: "assignment_disabled",
                message: format!(
                    "skill `{}` is disabled for agent `{}`",
                    skill.manifest.name, agent.name
                ),
            },
            "assignment disabled",
        )),
        Some(_) if skill.status != "active" || skill.grant.is_none() => {
            let why = if skill.status == "pending" {
                "is pending capability approval by an operator"
            } else {
                "is not active"
            };
            Err(refuse(
                ApiError::Conflict {
                    code: "skill_not_active",
                    message: format!("skill `{}` {why}", skill.manifest.name),
                },
                &format!("skill status {}", skill.status),
            ))
        }
        Some(a) => Ok(a),
    };
    let assignment = match refusal {
        Ok(a) => a,
        Err((error, record)) => {
            state.store.record_invocation(record).await?;
            counter.increment(&skill.manifest.name, "refused");
            return Err(error);
        }
    };
    let abilities = &skill.manifest.abilities;
    let ability = match (&call.ability, abilities.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, [only]) => only.name.clone(),
        // Nothing to call (a SKILL.md bundle): the executor says so.
        (None, []) => String::new(),
        (None, _) => {
            return Err(ApiError::bad_request(
                "ability_required",
                format!(
                    "skill `{}` has several abilities ({}); name one in `ability`",
                    skill.manifest.name,
                    abilities
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    if let Some(session) = &call.session
        && (session.is_empty() || session.len() > 128)
    {
        return Err(ApiError::bad_request(
            "invalid_session",
            "session ids are 1-128 characters",
        ));
    }
    // Declared ∩ approved ∩ this assignment; its config reaches the guest.
    let policy = match effective_policy(state, &skill, &assignment) {
        Some(Ok(policy)) => policy,
        Some(Err(e)) => {
            return Err(ApiError::Conflict {
                code: "assignment_outdated",
                message: format!(
                    "this agent's capability narrowing no longer fits the approved grant: {e}"
                ),
            });
        }
        None => return Err(ApiError::Internal),
    };
    let input = call.args.unwrap_or_else(|| json!({}));
    let invocation = execute(
        state,
        tenant,
        &skill,
        policy,
        &ability,
        &input,
        call.session,
        assignment.credential_id.as_deref(),
    )
    .await?;
    let outcome = match &invocation.outcome {
        Ok(_) => "success",
        Err(e) => e.kind(),
    };
    let record = InvocationRow {
        id: invocation.id.clone(),
        ability,
        outcome: outcome.to_owned(),
        duration_us: invocation.receipt.wall_time_us as i64,
        peak_memory_bytes: invocation.receipt.peak_memory_bytes as i64,
        output_bytes: invocation.receipt.output_bytes as i64,
        denials: serde_json::to_value(&invocation.denials).expect("JSON"),
        requests: serde_json::to_value(&invocation.requests).expect("JSON"),
        created_at: now(),
        ..base
    };
    state.store.record_invocation(record).await?;
    counter.increment(&skill.manifest.name, outcome);
    Ok(invocation)
}

/// Runs `ability` of `skill` with its kind's executor: a component in the
/// sandbox, a source skill (seed 004) by the host through the outbound
/// guard, with `credential_id` as its credential. Every surface's skill
/// calls end here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn execute(
    state: &AppState,
    tenant: &str,
    skill: &crate::store::SkillRow,
    policy: crate::capability::Policy,
    ability: &str,
    input: &Value,
    session: Option<String>,
    credential_id: Option<&str>,
) -> Result<crate::runtime::Invocation, ApiError> {
    if skill.is_component() {
        run_in_sandbox(state, tenant, skill, policy, ability, input, session).await
    } else {
        // Boxed: a source call's future (HTTP client, OpenAPI, MCP) is
        // large, and inline it would make every call's future as large.
        Box::pin(super::sources::call::run(
            state,
            tenant,
            skill,
            &policy,
            ability,
            input,
            credential_id,
        ))
        .await
    }
}

/// Runs `ability` of `skill` in a fresh sandbox under `policy` (declared ∩
/// approved ∩ whatever narrowed it), with the secrets the grant binds
/// supplied and session state scoped to the tenant and skill.
async fn run_in_sandbox(
    state: &AppState,
    tenant: &str,
    skill: &crate::store::SkillRow,
    mut policy: crate::capability::Policy,
    ability: &str,
    input: &Value,
    session: Option<String>,
) -> Result<crate::runtime::Invocation, ApiError> {
    if let Some(grant) = &skill.grant
        && (!grant.secrets.is_empty() || !grant.inject.is_empty())
    {
        super::skills::supply_secrets(state, tenant, grant, &mut policy).await?;
    }
    let loaded = state
        .loader
        .get(&state.store, tenant, &skill.digest)
        .await?;
    let session = session.map(|id| SessionScope {
        namespace: format!("{tenant}/{}", skill.manifest.name),
        id,
    });
    Ok(state
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
        .await)
}
