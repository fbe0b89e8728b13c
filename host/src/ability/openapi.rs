//! An OpenAPI operation of a source skill (seed 004): the request is built
//! from the stored document and the input, the credential (opened by the
//! invocation) goes where the operation's security scheme says, and the
//! request is sent through the outbound guard to the approved origin only.
use super::instruction::execute::api_output;
use super::outcome::{Account, Category, Executed, Failure};
use crate::capability::{Policy, Redactor};
use crate::outbound::{Limits, Origins, Outbound, Rules};
use crate::sources::openapi::{self, ApiSpec};
use serde_json::{Map, Value};

/// Calls operation `ability` of `spec` with `input` (already checked
/// against its schema) under `policy`; `credential` is the secret's value
/// as the security scheme sends it, hidden by `redactor`.
pub async fn execute(
    outbound: &Outbound,
    spec: &ApiSpec,
    policy: &Policy,
    ability: &str,
    input: &Value,
    credential: Option<&str>,
    redactor: &Redactor,
) -> Executed {
    let mut account = Account::start();
    let call = (spec, policy, ability, input, credential);
    let result = send(outbound, call, redactor, &mut account).await;
    account.finish(result)
}

/// The operation's spec, the policy, which operation, its input and the
/// credential's value.
type OperationCall<'a> = (&'a ApiSpec, &'a Policy, &'a str, &'a Value, Option<&'a str>);

async fn send(
    outbound: &Outbound,
    (spec, policy, ability, input, credential): OperationCall<'_>,
    redactor: &Redactor,
    account: &mut Account,
) -> Result<crate::runtime::Output, Failure> {
    let Some(op) = spec.operations.iter().find(|o| o.name == ability) else {
        return Err(Failure::new(
            Category::NotFound,
            format!("no operation `{ability}`"),
        ));
    };
    let empty = Map::new();
    let fields = input.as_object().unwrap_or(&empty);
    let prepared =
        match openapi::build_request(&spec.base_url, op, &spec.schemes, fields, credential) {
            Ok(prepared) => prepared,
            Err(e @ openapi::RequestError::InvalidInput { .. }) => {
                return Err(Failure::new(
                    Category::InvalidInput,
                    redactor.text(&e.to_string()),
                ));
            }
            Err(e) => {
                return Err(Failure::new(
                    Category::Failed,
                    redactor.text(&e.to_string()),
                ));
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
        Failure::internal()
    })?;
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
    let answer = match outbound.exchange(request, &rules, &account.log).await {
        Ok(answer) => answer,
        Err(error) => return Err(account.outbound_failure(&error, |t| redactor.text(t))),
    };
    api_output(&answer, redactor)
}
