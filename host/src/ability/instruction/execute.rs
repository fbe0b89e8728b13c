//! Running an instruction: the template filled in with the input and the
//! secrets the invocation opened, and the request sent through the
//! outbound guard to the one approved origin. Its answer is redacted.
use super::{Instruction, RenderError};
use crate::ability::outcome::{Account, Category, Executed, Failure};
use crate::capability::{Grant, Redactor};
use crate::outbound::{Answer, Limits, Origins, Outbound, Rules};
use crate::runtime::{Output, OutputKind};
use bytes::Bytes;
use serde_json::Value;
use std::time::Duration;

/// Largest answer an instruction reads from its API: more than any model
/// context wants (the platform seed 002 comes from caps it at 0.5 MB too).
const RESPONSE_BYTES: u64 = 512 << 10;
/// An instruction's default time limit.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest error excerpt of an API's answer kept in a message.
const ERROR_EXCERPT_CHARS: usize = 2000;

/// A secret the template names, as the invocation opened it.
pub struct TemplateSecret {
    /// The name in the template (`DEFAULT` for the ability's own).
    pub reference: String,
    /// The value as its kind renders it.
    pub rendered: String,
}

/// Sends `instruction` for `input` (already checked against its schema)
/// under `grant`; `secrets` are the values it names, `redactor` hides them.
pub async fn execute(
    outbound: &Outbound,
    instruction: &Instruction,
    grant: &Grant,
    input: &Value,
    secrets: &[TemplateSecret],
    redactor: &Redactor,
) -> Executed {
    let mut account = Account::start();
    let result = send(
        outbound,
        instruction,
        grant,
        input,
        secrets,
        redactor,
        &mut account,
    )
    .await;
    account.finish(result)
}

async fn send(
    outbound: &Outbound,
    instruction: &Instruction,
    grant: &Grant,
    input: &Value,
    secrets: &[TemplateSecret],
    redactor: &Redactor,
    account: &mut Account,
) -> Result<Output, Failure> {
    let Value::Object(input) = input else {
        return Err(Failure::new(
            Category::InvalidInput,
            "the input must be a JSON object",
        ));
    };
    let mut lookup = |name: &str| {
        secrets
            .iter()
            .find(|s| s.reference == name)
            .map(|s| s.rendered.clone())
    };
    let request = match instruction.render(input, &mut lookup) {
        Ok(request) => request,
        Err(RenderError::InvalidInput { field, message }) => {
            return Err(Failure::new(
                Category::InvalidInput,
                redactor.text(&format!("`{field}` {message}")),
            ));
        }
        Err(e @ RenderError::MissingSecret { .. }) => {
            return Err(Failure::new(Category::SecretNotSet, e.to_string()));
        }
        Err(e @ RenderError::Template(_)) => {
            return Err(Failure::new(
                Category::InvalidRequest,
                redactor.text(&e.to_string()),
            ));
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
            return Err(Failure::new(
                Category::InvalidRequest,
                redactor.text(&format!("`{name}` is not a valid header")),
            ));
        };
        value.set_sensitive(true);
        builder = builder.header(name, value);
    }
    let http_request = builder
        .body(Bytes::from(request.body.clone().unwrap_or_default()))
        .map_err(|e| {
            tracing::error!(error = %e, "building an instruction request");
            Failure::internal()
        })?;
    let limits = Limits {
        total: grant
            .limits
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(TIMEOUT),
        max_response_bytes: grant
            .limits
            .output_kb
            .map(|kb| kb << 10)
            .unwrap_or(RESPONSE_BYTES),
        ..outbound.limits()
    };
    let origins = [instruction.origin.clone()];
    let rules = Rules {
        origins: Origins::Only(&origins),
        allow_private: grant.allow_private_network,
        // Redirects stay on the approved origin: the guard refuses others.
        max_redirects: 5,
        limits,
        inject: &[],
    };
    let answer = match outbound.exchange(http_request, &rules, &account.log).await {
        Ok(answer) => answer,
        Err(error) => return Err(account.outbound_failure(&error, |t| redactor.text(t))),
    };
    api_output(&answer, redactor)
}

/// An API's answer as an ability's output, redacted: JSON when it says so
/// and is; a status other than 2xx is an upstream error, with an excerpt.
pub(crate) fn api_output(answer: &Answer, redactor: &Redactor) -> Result<Output, Failure> {
    let text = redactor.text(&String::from_utf8_lossy(&answer.body));
    if !answer.status.is_success() {
        let excerpt: String = text.chars().take(ERROR_EXCERPT_CHARS).collect();
        return Err(Failure::new(
            Category::UpstreamError,
            format!("the API answered {}: {excerpt}", answer.status),
        ));
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
