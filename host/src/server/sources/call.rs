//! Calling an ability of a source skill, outside the sandbox but under the
//! same policy: an OpenAPI operation is built from the stored spec and sent
//! through the outbound guard to the approved origin only; a registry
//! skill's tool is called through the remote MCP client. The credential is
//! the attachment's `credentialId` (a tenant secret), filled in by the
//! host and redacted from whatever comes back. The result is an
//! [`Invocation`] like a sandbox's, so every surface and the audit treat
//! both alike.
use crate::InvokeError;
use crate::capability::{Policy, Redactor};
use crate::outbound::{Answer, Exchanges, Limits, Origins, OutboundError, Rules};
use crate::runtime::{Denial, Invocation, Output, OutputKind, Receipt};
use crate::server::AppState;
use crate::server::agent_mcp::remote::{self, Endpoint};
use crate::server::error::ApiError;
use crate::sources::{SourceBody, openapi};
use crate::store::SkillRow;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// The largest error excerpt of an API's answer kept in a message.
const ERROR_EXCERPT_CHARS: usize = 2000;

/// Runs `ability` of source skill `skill` under `policy`, with the secret
/// `credential_id` (if any) as its credential.
pub(crate) async fn run(
    state: &AppState,
    tenant: &str,
    skill: &SkillRow,
    policy: &Policy,
    ability: &str,
    input: &Value,
    credential_id: Option<&str>,
) -> Result<Invocation, ApiError> {
    let started = Instant::now();
    let mut done = Done {
        id: crate::runtime::unique_id(),
        denials: Vec::new(),
        log: Exchanges::default(),
    };
    let outcome = match skill.detail.as_ref().map(|d| &d.body) {
        Some(SourceBody::OpenapiAction { spec }) => match check(skill, ability, input) {
            Ok(()) => {
                operation(
                    state,
                    tenant,
                    spec,
                    policy,
                    ability,
                    input,
                    credential_id,
                    &mut done,
                )
                .await?
            }
            Err(error) => Err(error),
        },
        Some(SourceBody::McpRegistry { remote }) => match check(skill, ability, input) {
            Ok(()) => {
                tool(
                    state,
                    tenant,
                    skill,
                    remote,
                    policy,
                    ability,
                    input,
                    credential_id,
                    &done,
                )
                .await?
            }
            Err(error) => Err(error),
        },
        _ => Err(InvokeError::NotFound {
            message: format!(
                "skill `{}` has no callable abilities: its instructions are read with skill_query",
                skill.manifest.name
            ),
        }),
    };
    let output_bytes = outcome.as_ref().map(|o| o.body.len()).unwrap_or(0);
    Ok(Invocation {
        id: done.id,
        outcome,
        receipt: Receipt {
            wall_time_us: started.elapsed().as_micros() as u64,
            peak_memory_bytes: 0,
            output_bytes,
        },
        denials: done.denials,
        requests: done.log.snapshot(),
        stderr: String::new(),
    })
}

/// What a call records beside its outcome.
struct Done {
    id: String,
    denials: Vec<Denial>,
    log: Exchanges,
}

/// The ability exists and the input fits its schema (compiled once per
/// skill version and ability).
fn check(skill: &SkillRow, ability: &str, input: &Value) -> Result<(), InvokeError> {
    let Some(spec) = skill.manifest.ability(ability) else {
        let names: Vec<&str> = skill
            .manifest
            .abilities
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        return Err(InvokeError::NotFound {
            message: format!(
                "skill `{}` has no ability `{ability}`; it has: {}",
                skill.manifest.name,
                names.join(", ")
            ),
        });
    };
    let validator = validator(skill, ability, &spec.input_schema)?;
    match crate::runtime::schema_problems(&validator, input) {
        None => Ok(()),
        Some(message) => Err(InvokeError::InvalidInput { message }),
    }
}

fn validator(
    skill: &SkillRow,
    ability: &str,
    schema: &Value,
) -> Result<Arc<jsonschema::Validator>, InvokeError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Key = (String, String, String);
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (skill.id.clone(), skill.digest.clone(), ability.to_owned());
    if let Some(hit) = cache.lock().expect("validator cache").get(&key) {
        return Ok(hit.clone());
    }
    // A schema a source wrote that does not compile accepts anything: the
    // API or server behind it still checks its own input.
    let validator = jsonschema::validator_for(schema)
        .or_else(|_| jsonschema::validator_for(&serde_json::json!({})))
        .map_err(|_| InvokeError::Internal)?;
    let validator = Arc::new(validator);
    let mut map = cache.lock().expect("validator cache");
    // Bounded: old versions are dropped wholesale.
    if map.len() >= 4096 {
        map.clear();
    }
    map.insert(key, validator.clone());
    Ok(validator)
}

/// The credential's value and a redactor for it (its raw value and every
/// rendered form the guard sends).
async fn credential(
    state: &AppState,
    tenant: &str,
    credential_id: Option<&str>,
) -> Result<Option<(String, Redactor)>, ApiError> {
    let Some(id) = credential_id else {
        return Ok(None);
    };
    let Some((secret, value)) = crate::server::secrets::open_secret(state, tenant, id).await?
    else {
        tracing::warn!(secret_id = %id, "an attachment names a credential that was deleted");
        return Ok(None);
    };
    let redactor = Redactor::new([(secret.name.as_str(), value.as_str())]);
    Ok(Some((value, redactor)))
}

#[allow(clippy::too_many_arguments)]
async fn operation(
    state: &AppState,
    tenant: &str,
    spec: &openapi::ApiSpec,
    policy: &Policy,
    ability: &str,
    input: &Value,
    credential_id: Option<&str>,
    done: &mut Done,
) -> Result<Result<Output, InvokeError>, ApiError> {
    let Some(op) = spec.operations.iter().find(|o| o.name == ability) else {
        return Ok(Err(InvokeError::NotFound {
            message: format!("no operation `{ability}`"),
        }));
    };
    let empty = Map::new();
    let fields = input.as_object().unwrap_or(&empty);
    let (secret, redactor) = match credential(state, tenant, credential_id).await? {
        Some((value, redactor)) => (Some(value), redactor),
        None => (None, Redactor::default()),
    };
    let prepared = match openapi::build_request(
        &spec.base_url,
        op,
        &spec.schemes,
        fields,
        secret.as_deref(),
    ) {
        Ok(prepared) => prepared,
        Err(e @ openapi::RequestError::InvalidInput { .. }) => {
            return Ok(Err(InvokeError::InvalidInput {
                message: redactor.text(&e.to_string()),
            }));
        }
        Err(e) => {
            return Ok(Err(InvokeError::Failed {
                message: redactor.text(&e.to_string()),
                exit_code: None,
            }));
        }
    };
    let mut builder = http::Request::builder()
        .method(prepared.method.clone())
        .uri(prepared.url.as_str());
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let body = match &prepared.body {
        Some((content_type, bytes)) => {
            builder = builder.header(http::header::CONTENT_TYPE, content_type.as_str());
            bytes::Bytes::from(bytes.clone())
        }
        None => bytes::Bytes::new(),
    };
    let request = builder.body(body).map_err(|e| {
        tracing::error!(error = %e, "building an OpenAPI request");
        ApiError::Internal
    })?;
    let outbound = state.loader.outbound();
    let limits = Limits {
        total: policy.limits.timeout,
        max_response_bytes: policy.limits.output_bytes as u64,
        ..outbound.limits()
    };
    let rules = Rules {
        origins: Origins::Only(&policy.network),
        allow_private: policy.allow_private_network,
        // Redirects are followed only within the approved origin.
        max_redirects: 5,
        limits,
        inject: &[],
    };
    let answer = match outbound.exchange(request, &rules, &done.log).await {
        Ok(answer) => answer,
        Err(error) => return Ok(Err(outbound_failure(error, policy, &redactor, done))),
    };
    Ok(
        api_output(&answer, &redactor).map_err(|message| InvokeError::Failed {
            message,
            exit_code: None,
        }),
    )
}

/// An API's answer as an ability's output, redacted: JSON when it says so
/// and is; a status other than 2xx is the error message, with an excerpt.
pub(crate) fn api_output(answer: &Answer, redactor: &Redactor) -> Result<Output, String> {
    let text = redactor.text(&String::from_utf8_lossy(&answer.body));
    if !answer.status.is_success() {
        let excerpt: String = text.chars().take(ERROR_EXCERPT_CHARS).collect();
        return Err(format!("the API answered {}: {excerpt}", answer.status));
    }
    let kind = if answer.json && serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        OutputKind::Json
    } else {
        OutputKind::Text
    };
    Ok(Output {
        kind,
        body: text,
        exit_code: None,
    })
}

/// A guard refusal or a network failure, as the sandbox reports them.
fn outbound_failure(
    error: OutboundError,
    policy: &Policy,
    redactor: &Redactor,
    done: &mut Done,
) -> InvokeError {
    let message = redactor.text(&error.to_string());
    match &error {
        OutboundError::OriginNotAllowed { origin, .. }
        | OutboundError::AddressRefused { origin, .. } => {
            done.denials.push(Denial {
                capability: "network",
                target: origin.clone(),
                reason: message.clone(),
            });
            InvokeError::CapabilityDenied {
                capability: "network".into(),
                target: origin.clone(),
                message,
            }
        }
        OutboundError::Timeout { .. } => InvokeError::Timeout {
            limit_ms: policy.limits.timeout.as_millis() as u64,
        },
        OutboundError::ResponseTooLarge { .. } => InvokeError::OutputTooLarge {
            limit_bytes: policy.limits.output_bytes,
        },
        _ => InvokeError::Failed {
            message,
            exit_code: None,
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn tool(
    state: &AppState,
    tenant: &str,
    skill: &SkillRow,
    remote: &crate::sources::registry::Remote,
    policy: &Policy,
    ability: &str,
    input: &Value,
    credential_id: Option<&str>,
    done: &Done,
) -> Result<Result<Output, InvokeError>, ApiError> {
    if remote.needs_credential() && credential_id.is_none() {
        return Ok(Err(InvokeError::Failed {
            message: format!(
                "MCP server `{}` requires a credential: attach the skill with a `credentialId` naming a tenant secret",
                remote.server_name
            ),
            exit_code: None,
        }));
    }
    let endpoint = Endpoint {
        name: &skill.manifest.name,
        tenant_id: tenant,
        url: &remote.url,
        headers: &remote.headers,
        secret_id: credential_id,
        secret_header: remote.secret_header.as_deref(),
        allow_private_network: policy.allow_private_network,
    };
    let arguments = input.as_object().cloned().unwrap_or_default();
    let result = match remote::call_tool(state, &endpoint, ability, arguments, &done.log).await {
        Ok(result) => result,
        // The credential's secret is gone: ours to fix, said plainly.
        Err(ApiError::Unprocessable { message, .. }) => {
            return Ok(Err(InvokeError::Failed {
                message,
                exit_code: None,
            }));
        }
        Err(other) => return Err(other),
    };
    let result = match result {
        Ok(result) => result,
        Err(error) => {
            let outcome = match error.code {
                "origin_not_allowed" => InvokeError::CapabilityDenied {
                    capability: "network".into(),
                    target: remote.url.clone(),
                    message: error.message,
                },
                "timeout" => InvokeError::Timeout {
                    limit_ms: policy.limits.timeout.as_millis() as u64,
                },
                _ => InvokeError::Failed {
                    message: error.message,
                    exit_code: None,
                },
            };
            return Ok(Err(outcome));
        }
    };
    let text: Vec<String> = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.clone()))
        .collect();
    if result.is_error == Some(true) {
        return Ok(Err(InvokeError::Failed {
            message: text.join("\n"),
            exit_code: None,
        }));
    }
    Ok(Ok(match result.structured_content {
        Some(structured) => Output {
            kind: OutputKind::Json,
            body: structured.to_string(),
            exit_code: None,
        },
        None => Output {
            kind: OutputKind::Text,
            body: text.join("\n"),
            exit_code: None,
        },
    }))
}
