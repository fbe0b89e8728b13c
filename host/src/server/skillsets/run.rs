//! Running one skillset ability, whatever executes it: an instruction the
//! host sends through the outbound guard, or an installed skill's ability
//! in the sandbox under that skill's approved grant. Every call is
//! redacted and audited here, so each surface (skill server, MCP) only
//! translates its protocol.
use crate::ability::instruction::{Instruction, RenderError};
use crate::capability::{Policy, Redactor};
use crate::outbound::{Exchanges, Limits, Origins, OutboundError, Rules};
use crate::runtime::Output;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::invoke::Surface;
use crate::store::{AbilityRow, InvocationRow, SkillsetRow, now};
use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest answer an instruction reads from its API: more than any model
/// context wants (the platform seed 002 comes from caps it at 0.5 MB too).
const INSTRUCTION_RESPONSE_BYTES: u64 = 512 << 10;
/// An instruction's default time limit.
const INSTRUCTION_TIMEOUT: Duration = Duration::from_secs(30);

/// One call of an ability.
pub(crate) struct AbilityCall<'a> {
    /// The caller's tenant.
    pub tenant_id: &'a str,
    /// The skillset the ability belongs to.
    pub skillset: &'a SkillsetRow,
    /// The ability.
    pub ability: &'a AbilityRow,
    /// Its input.
    pub input: Value,
    /// Session id, for skill abilities that keep state.
    pub session: Option<String>,
    /// Where the call came from.
    pub surface: Surface,
    /// The agent making the call (an attached skillset's ability).
    pub agent: Option<&'a crate::store::Agent>,
    /// The integration making the call.
    pub integration_id: Option<&'a str>,
    /// The HTTP request id.
    pub request_id: Option<String>,
}

/// Why an ability produced no result: a category, a message and the
/// status a surface answers with.
#[derive(Debug, Clone)]
pub(crate) struct CallError {
    /// Category (`invalid_input`, `upstream_error`, …).
    pub code: &'static str,
    /// What happened, redacted.
    pub message: String,
    /// HTTP status.
    pub status: StatusCode,
}

impl CallError {
    fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> CallError {
        CallError {
            code,
            message: message.into(),
            status,
        }
    }

    /// The status for a sandbox failure category.
    fn from_invoke(error: &crate::InvokeError) -> CallError {
        use crate::InvokeError as E;
        let status = match error {
            E::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::NotFound { .. } => StatusCode::NOT_FOUND,
            E::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            E::Busy => StatusCode::SERVICE_UNAVAILABLE,
            E::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            // The ability ran and failed: the service in between is fine.
            _ => StatusCode::BAD_GATEWAY,
        };
        CallError::new(error.kind(), status, error.to_string())
    }
}

/// What a call produced.
pub(crate) struct AbilityResult {
    /// The audit record's id.
    pub invocation_id: String,
    /// The output or why there is none.
    pub outcome: Result<Output, CallError>,
}

/// Runs `call` and records it in the audit trail.
pub(crate) async fn run(
    state: &AppState,
    call: AbilityCall<'_>,
) -> Result<AbilityResult, ApiError> {
    let started = Instant::now();
    let mut record = InvocationRow {
        id: crate::store::new_id(),
        tenant_id: call.tenant_id.to_owned(),
        agent_id: call.agent.map(|a| a.id.clone()),
        agent_name: call.agent.map(|a| a.name.clone()),
        skill_id: call.ability.skill_id.clone(),
        skill_name: format!("skillset:{}", call.skillset.name),
        ability: call.ability.tool_name.clone(),
        outcome: String::new(),
        duration_us: 0,
        peak_memory_bytes: 0,
        output_bytes: 0,
        denials: json!([]),
        requests: json!([]),
        input: state.options.record_inputs.then(|| call.input.clone()),
        request_id: call.request_id.clone(),
        surface: Some(call.surface.as_str().to_owned()),
        integration_id: call.integration_id.map(str::to_owned),
        created_at: String::new(),
    };
    let outcome = match (&call.ability.instruction, &call.ability.skill_id) {
        (Some(text), _) => instruction(state, &call, text, &mut record).await?,
        (None, Some(skill_id)) => skill(state, &call, skill_id, &mut record).await?,
        (None, None) => Err(CallError::new(
            "internal",
            StatusCode::INTERNAL_SERVER_ERROR,
            "this ability has neither an instruction nor a skill",
        )),
    };
    // A sandbox call reports its own wall time; an instruction's is this.
    if call.ability.instruction.is_some() {
        record.duration_us = started.elapsed().as_micros() as i64;
    }
    let outcome_label: &'static str = match &outcome {
        Ok(_) => "success",
        Err(e) => e.code,
    };
    record.outcome = outcome_label.to_owned();
    record.output_bytes = outcome.as_ref().map(|o| o.body.len() as i64).unwrap_or(0);
    record.created_at = now();
    let invocation_id = record.id.clone();
    let skill_label = record.skill_name.clone();
    call.surface
        .counter()
        .increment(&skill_label, outcome_label);
    tracing::info!(invocation_id = %invocation_id, ability = %call.ability.tool_name, outcome = %record.outcome, surface = call.surface.as_str(), "ability called");
    state.store.record_invocation(record).await?;
    Ok(AbilityResult {
        invocation_id,
        outcome,
    })
}

/// An installed skill's ability, in the sandbox, under the skill's
/// approved grant (following the skill to its active version).
async fn skill(
    state: &AppState,
    call: &AbilityCall<'_>,
    skill_id: &str,
    record: &mut InvocationRow,
) -> Result<Result<Output, CallError>, ApiError> {
    let store = &state.store;
    let mut skill = store.skill_shared(call.tenant_id, skill_id).await?;
    if let Some(row) = &skill
        && row.status != "active"
    {
        let name = row.manifest.name.clone();
        skill = store.skill_shared(call.tenant_id, &name).await?;
    }
    let Some(skill) = skill else {
        return Ok(Err(CallError::new(
            "not_found",
            StatusCode::NOT_FOUND,
            "the skill behind this ability is no longer installed",
        )));
    };
    record.skill_id = Some(skill.id.clone());
    record.skill_name = skill.manifest.name.clone();
    let (Some(grant), "active") = (&skill.grant, skill.status.as_str()) else {
        return Ok(Err(CallError::new(
            "skill_not_active",
            StatusCode::CONFLICT,
            format!(
                "skill `{}` is {}, not active",
                skill.manifest.name, skill.status
            ),
        )));
    };
    let ability = call.ability.ability.clone().unwrap_or_default();
    let policy = Policy::resolve(&skill.manifest, grant, state.loader.runtime().limits())
        .map_err(|e| {
            tracing::error!(error = %e, skill_id = %skill.id, "an approved grant no longer resolves");
            ApiError::Internal
        })?;
    // A skillset names no credential: a source skill behind it calls
    // without one.
    let invocation = crate::server::invoke::execute(
        state,
        call.tenant_id,
        &skill,
        policy,
        &ability,
        &call.input,
        call.session.clone(),
        None,
    )
    .await?;
    record.id = invocation.id.clone();
    record.duration_us = invocation.receipt.wall_time_us as i64;
    record.peak_memory_bytes = invocation.receipt.peak_memory_bytes as i64;
    record.denials = serde_json::to_value(&invocation.denials).expect("JSON");
    record.requests = serde_json::to_value(&invocation.requests).expect("JSON");
    Ok(invocation.outcome.map_err(|e| CallError::from_invoke(&e)))
}

/// An instruction: input checked, secrets read, the template filled in and
/// sent through the outbound guard to its one approved origin.
async fn instruction(
    state: &AppState,
    call: &AbilityCall<'_>,
    text: &str,
    record: &mut InvocationRow,
) -> Result<Result<Output, CallError>, ApiError> {
    let ability = call.ability;
    let compiled = compiled(ability, text)?;
    let (parsed, validator) = (&compiled.0, &compiled.1);
    let grant = match (&ability.grant, ability.status.as_str()) {
        (Some(grant), "active") => grant.clone(),
        _ => {
            return Ok(Err(CallError::new(
                "ability_not_approved",
                StatusCode::CONFLICT,
                format!(
                    "ability `{}` is pending approval by an admin (it reaches {} with secrets {:?})",
                    ability.tool_name, parsed.origin, parsed.secrets
                ),
            )));
        }
    };
    if let Err(message) = check_input(validator, &call.input) {
        return Ok(Err(CallError::new(
            "invalid_input",
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )));
    }
    let Value::Object(input) = &call.input else {
        return Ok(Err(CallError::new(
            "invalid_input",
            StatusCode::UNPROCESSABLE_ENTITY,
            "the input must be a JSON object",
        )));
    };
    // Secrets named by the template, read once, rendered by their type.
    let mut values: Vec<(String, String, String)> = Vec::new();
    for reference in &parsed.secrets {
        let found = if reference == "DEFAULT" {
            match &ability.secret_id {
                Some(id) => crate::server::secrets::open_secret(state, call.tenant_id, id).await?,
                None => None,
            }
        } else {
            match state
                .store
                .secret_by_reference(call.tenant_id, reference)
                .await?
            {
                Some(secret) => {
                    crate::server::secrets::open_secret(state, call.tenant_id, &secret.id).await?
                }
                None => None,
            }
        };
        if let Some((secret, value)) = found {
            values.push((
                reference.clone(),
                secret.kind.render(&value),
                secret.name.clone(),
            ));
            values.push((String::new(), value, secret.name));
        }
    }
    let redactor = Redactor::new(
        values
            .iter()
            .map(|(_, v, name)| (name.as_str(), v.as_str())),
    );
    let mut lookup = |name: &str| {
        values
            .iter()
            .find(|(r, _, _)| r == name)
            .map(|(_, v, _)| v.clone())
    };
    let request = match parsed.render(input, &mut lookup) {
        Ok(request) => request,
        Err(RenderError::InvalidInput { field, message }) => {
            return Ok(Err(CallError::new(
                "invalid_input",
                StatusCode::UNPROCESSABLE_ENTITY,
                redactor.text(&format!("`{field}` {message}")),
            )));
        }
        Err(e @ RenderError::MissingSecret { .. }) => {
            return Ok(Err(CallError::new(
                "secret_not_set",
                StatusCode::CONFLICT,
                e.to_string(),
            )));
        }
        Err(e @ RenderError::Template(_)) => {
            return Ok(Err(CallError::new(
                "invalid_request",
                StatusCode::UNPROCESSABLE_ENTITY,
                redactor.text(&e.to_string()),
            )));
        }
    };
    let mut builder = http::Request::builder()
        .method(request.method.clone())
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        let (Ok(name), Ok(mut value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) else {
            return Ok(Err(CallError::new(
                "invalid_request",
                StatusCode::UNPROCESSABLE_ENTITY,
                redactor.text(&format!("`{name}` is not a valid header")),
            )));
        };
        value.set_sensitive(true);
        builder = builder.header(name, value);
    }
    let http_request = builder
        .body(Bytes::from(request.body.clone().unwrap_or_default()))
        .map_err(|e| {
            tracing::error!(error = %e, "building an instruction request");
            ApiError::Internal
        })?;
    let outbound = state.loader.outbound();
    let limits = Limits {
        total: grant
            .limits
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(INSTRUCTION_TIMEOUT),
        max_response_bytes: grant
            .limits
            .output_kb
            .map(|kb| kb << 10)
            .unwrap_or(INSTRUCTION_RESPONSE_BYTES),
        ..outbound.limits()
    };
    let origins = [parsed.origin.clone()];
    let rules = Rules {
        origins: Origins::Only(&origins),
        allow_private: grant.allow_private_network,
        // Redirects stay on the approved origin: the guard refuses others.
        max_redirects: 5,
        limits,
        inject: &[],
    };
    let exchanges = Exchanges::default();
    let result = outbound.exchange(http_request, &rules, &exchanges).await;
    record.requests = serde_json::to_value(exchanges.snapshot()).expect("JSON");
    let answer = match result {
        Ok(answer) => answer,
        Err(error) => {
            if let OutboundError::OriginNotAllowed { origin, reason } = &error {
                record.denials =
                    json!([{ "capability": "network", "target": origin, "reason": reason }]);
            }
            if let OutboundError::AddressRefused { origin, refused } = &error {
                record.denials = json!([{ "capability": "network", "target": origin, "reason": refused.to_string() }]);
            }
            let (code, status) = match &error {
                OutboundError::OriginNotAllowed { .. } | OutboundError::AddressRefused { .. } => {
                    ("capability_denied", StatusCode::BAD_GATEWAY)
                }
                OutboundError::Timeout { .. } => ("timeout", StatusCode::GATEWAY_TIMEOUT),
                OutboundError::ResponseTooLarge { .. } => {
                    ("output_too_large", StatusCode::BAD_GATEWAY)
                }
                _ => ("upstream_unreachable", StatusCode::BAD_GATEWAY),
            };
            return Ok(Err(CallError::new(
                code,
                status,
                redactor.text(&error.to_string()),
            )));
        }
    };
    Ok(crate::server::sources::call::api_output(&answer, &redactor)
        .map_err(|message| CallError::new("upstream_error", StatusCode::BAD_GATEWAY, message)))
}

/// An instruction parsed, with its input validator compiled.
pub(crate) type Compiled = Arc<(Instruction, jsonschema::Validator)>;

/// Parsed instructions by (ability id, last change): parsing and compiling
/// the schema once, not per call.
pub(crate) fn compiled(ability: &AbilityRow, text: &str) -> Result<Compiled, ApiError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (ability.id.clone(), ability.updated_at.clone());
    if let Some(hit) = cache.lock().expect("instruction cache").get(&key) {
        return Ok(hit.clone());
    }
    let parsed = Instruction::parse(text).map_err(|e| {
        tracing::error!(error = %e, ability_id = %ability.id, "a stored instruction no longer parses");
        ApiError::Internal
    })?;
    let validator = jsonschema::validator_for(&parsed.input_schema()).map_err(|e| {
        tracing::error!(error = %e, ability_id = %ability.id, "an instruction's input schema does not compile");
        ApiError::Internal
    })?;
    let entry: Compiled = Arc::new((parsed, validator));
    let mut map = cache.lock().expect("instruction cache");
    // Bounded: old versions of edited abilities are dropped wholesale.
    if map.len() >= 4096 {
        map.clear();
    }
    map.insert(key, entry.clone());
    Ok(entry)
}

/// Checks `input` against an ability's input schema; the message names
/// each field that is wrong.
fn check_input(validator: &jsonschema::Validator, input: &Value) -> Result<(), String> {
    match crate::runtime::schema_problems(validator, input) {
        None => Ok(()),
        Some(problems) => Err(problems),
    }
}
