//! The skill server's runtime URL: `GET` the manual, `POST` an invocation,
//! both behind the integration's access token (compared in constant time).
//! Answers are plain text for an agent to read unless JSON is asked for
//! (`?format=json` or `Accept: application/json`), errors included.
use super::manual;
use crate::invocation::{self, Answer, Caller, Failure, Request, Surface, Target};
use crate::runtime::OutputKind;
use crate::server::error::ApiError;
use crate::server::skillsets::access::Kind;
use crate::server::skillsets::access::authenticate;
use crate::services::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_manual, invoke))
        .routes(routes!(read_manual_at_manual))
        .routes(routes!(invoke_at_invoke))
}

const TAG: &str = "skillserver";
const ID: &str = "The skill server integration's id";

/// How the caller wants answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RuntimeParams {
    /// `json` answers in JSON; any other value in plain text. Absent: JSON
    /// when `Accept` names `application/json`, else plain text.
    #[serde(default)]
    format: Option<String>,
    /// Groups calls into one session (recorded with each call).
    #[serde(default)]
    session: Option<String>,
}

/// A JSON answer: the ability's result, or the error.
#[derive(Serialize, ToSchema)]
struct RuntimeAnswer {
    /// The ability's output (JSON as it returned it, or its text); `null`
    /// on an error.
    result: Value,
    /// `null` on success.
    error: Option<RuntimeError>,
}

/// What went wrong, in a JSON answer.
#[derive(Serialize, ToSchema)]
struct RuntimeError {
    /// `unauthorized`, `not_found`, `invalid_body`, or a call's category.
    code: String,
    message: String,
}

fn format_of(params: &RuntimeParams, headers: &HeaderMap) -> Format {
    match params.format.as_deref() {
        Some("json") => Format::Json,
        Some(_) => Format::Text,
        None => format_of_accept(headers),
    }
}

fn format_of_accept(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/json") {
        Format::Json
    } else {
        Format::Text
    }
}

/// The query, or the answer to one that does not parse (in the format the
/// `Accept` header asks for, since `format` itself could not be read).
fn params_or_failure(
    params: Result<Query<RuntimeParams>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<RuntimeParams, Response> {
    params.map(|Query(p)| p).map_err(|rejection| {
        failure(
            format_of_accept(headers),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            &rejection.body_text(),
        )
    })
}

/// An error in the format asked for.
fn failure(format: Format, status: StatusCode, code: &str, message: &str) -> Response {
    let mut response = match format {
        Format::Json => (
            status,
            Json(RuntimeAnswer {
                result: Value::Null,
                error: Some(RuntimeError {
                    code: code.to_owned(),
                    message: message.to_owned(),
                }),
            }),
        )
            .into_response(),
        Format::Text => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("error ({code}): {message}\n"),
        )
            .into_response(),
    };
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"skill server\""),
        );
    }
    response
}

/// A call's failure: the status from the path's table; JSON keeps the
/// whole message beside the code, text shows the code and what happened.
fn call_failure(format: Format, error: &Failure) -> Response {
    let status = Answer::SkillServer.status(error.category);
    let message = match format {
        Format::Json => &error.message,
        Format::Text => &error.detail,
    };
    failure(format, status, error.code(), message)
}

fn api_failure(format: Format, error: ApiError) -> Response {
    failure(format, error.status(), error.code(), &error.to_string())
}

const UNAUTHORIZED: &str =
    "send this skill server's access token as `Authorization: Bearer <token>`";

/// Reads the skill server's manual: every ability, its input and how to call it.
///
/// Secured by the integration's access token (`Authorization: Bearer
/// <token>`), not an API token. The manual is plain text; errors are plain
/// text or, with `?format=json` or `Accept: application/json`, JSON.
#[utoipa::path(get, path = "/integration/skillserver/{id}", tag = TAG,
    params(("id" = String, Path, description = ID), RuntimeParams),
    responses(
        (status = 200, description = "The manual", content_type = "text/plain", body = String),
        (status = 400, description = "The query does not parse", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 401, description = "No access token, not this integration's, or no such integration", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 404, description = "The integration's skillset was deleted", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 500, description = "A failure of the server's; the detail is logged", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
    ),
    security(("bearer" = [])))]
async fn read_manual(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<RuntimeParams>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let params = match params_or_failure(params, &headers) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let format = format_of(&params, &headers);
    let integration = match authenticate(&state, Kind::SkillServer, &id, &headers).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return failure(
                format,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                UNAUTHORIZED,
            );
        }
        Err(e) => return api_failure(format, e),
    };
    let url = format!(
        "{}/integration/skillserver/{}",
        crate::server::request::base_url(&headers),
        integration.id
    );
    match manual::write(&state, &integration, &url).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Err(e) => api_failure(format, e),
    }
}

/// The manual at its own URL (the same as `GET /integration/skillserver/{id}`).
///
/// Secured by the integration's access token, not an API token.
#[utoipa::path(get, path = "/integration/skillserver/{id}/manual", tag = TAG,
    params(("id" = String, Path, description = ID), RuntimeParams),
    responses(
        (status = 200, description = "The manual", content_type = "text/plain", body = String),
        (status = 400, description = "The query does not parse", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 401, description = "No access token, not this integration's, or no such integration", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 404, description = "The integration's skillset was deleted", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 500, description = "A failure of the server's; the detail is logged", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
    ),
    security(("bearer" = [])))]
async fn read_manual_at_manual(
    state: State<AppState>,
    id: Path<String>,
    params: Result<Query<RuntimeParams>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    read_manual(state, id, params, headers).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InvokeBody {
    /// The ability to call (`name` is accepted too); required.
    #[serde(default, alias = "name")]
    #[schema(value_type = String, required = true, min_length = 1)]
    ability: Option<String>,
    /// The ability's input, as its schema in the manual says (`{}` when absent).
    #[serde(default)]
    input: Option<Value>,
}

/// Calls one of the skill server's abilities.
///
/// Secured by the integration's access token (`Authorization: Bearer
/// <token>`), not an API token. The answer is the ability's output as plain
/// text, or with `?format=json` or `Accept: application/json`
/// `{"result": …, "error": null}`; errors likewise. `x-invocation-id` names
/// the recorded call.
#[utoipa::path(post, path = "/integration/skillserver/{id}", tag = TAG,
    params(("id" = String, Path, description = ID), RuntimeParams),
    request_body = InvokeBody,
    responses(
        (status = 200, description = "The ability's output", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 400, description = "The body or query does not parse, or names no ability", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 401, description = "No access token, not this integration's, or no such integration", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 404, description = "No such ability here, or the skillset was deleted", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 409, description = "The ability cannot be called now: not approved, its skill not active, a secret not set", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 413, description = "The body exceeds the limit", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 422, description = "The input does not match the ability's schema", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 500, description = "A failure of the server's; the detail is logged", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 502, description = "The ability failed, or the service it calls did", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 503, description = "Too many calls at once; retry", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 504, description = "The ability ran out of time", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
    ),
    security(("bearer" = [])))]
async fn invoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<RuntimeParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match params_or_failure(params, &headers) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let format = format_of(&params, &headers);
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "invalid_body"
            };
            return failure(format, status, code, &rejection.body_text());
        }
    };
    let integration = match authenticate(&state, Kind::SkillServer, &id, &headers).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return failure(
                format,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                UNAUTHORIZED,
            );
        }
        Err(e) => return api_failure(format, e),
    };
    let bad = |message: String| failure(format, StatusCode::BAD_REQUEST, "invalid_body", &message);
    let body: InvokeBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return bad(format!(
                "the body must be JSON: {{\"ability\": NAME, \"input\": {{…}}}} ({e})"
            ));
        }
    };
    let tenant = integration.tenant_id.clone();
    let skillset = match state
        .store
        .skillset(&tenant, &integration.skillset_id)
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => {
            return failure(
                format,
                StatusCode::NOT_FOUND,
                "not_found",
                "this skill server's skillset was deleted",
            );
        }
        Err(e) => return api_failure(format, e.into()),
    };
    let Some(name) = body.ability.filter(|n| !n.is_empty()) else {
        return bad("name the ability to call in `ability`; GET this URL for the manual".into());
    };
    let ability = match state
        .store
        .ability_by_name(&tenant, &skillset.id, &name)
        .await
    {
        Ok(Some(a)) => a,
        Ok(None) => {
            let known = match state.store.skillset_abilities(&tenant, &skillset.id).await {
                Ok(all) => all
                    .into_iter()
                    .map(|a| a.tool_name)
                    .collect::<Vec<_>>()
                    .join(", "),
                Err(e) => return api_failure(format, e.into()),
            };
            return failure(
                format,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no ability `{name}` here; this server offers: {known}"),
            );
        }
        Err(e) => return api_failure(format, e.into()),
    };
    let request = Request {
        caller: Caller::integration(&tenant, &integration.id),
        target: Target::SkillsetAbility { skillset, ability },
        input: body.input.unwrap_or_else(|| json!({})),
        session: params.session.clone(),
        surface: Surface::SkillServer,
        request_id: crate::server::request::request_id(&headers),
    };
    let result = match invocation::invoke(&state, request).await {
        Ok(outcome) => outcome,
        Err(error) => return call_failure(format, &error),
    };
    let mut response = match result.result {
        Ok(output) => match format {
            Format::Json => {
                let value = match output.kind {
                    OutputKind::Json => {
                        serde_json::from_str(&output.body).unwrap_or(Value::String(output.body))
                    }
                    OutputKind::Text => Value::String(output.body),
                };
                Json(RuntimeAnswer {
                    result: value,
                    error: None,
                })
                .into_response()
            }
            Format::Text => {
                let text = match output.kind {
                    OutputKind::Json => serde_json::from_str::<Value>(&output.body)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or(output.body),
                    OutputKind::Text => output.body,
                };
                ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
            }
        },
        Err(error) => call_failure(format, &error),
    };
    if let Ok(id) = HeaderValue::from_str(&result.invocation_id) {
        response.headers_mut().insert("x-invocation-id", id);
    }
    response
}

/// The call at its own URL (the same as `POST /integration/skillserver/{id}`).
///
/// Secured by the integration's access token, not an API token.
#[utoipa::path(post, path = "/integration/skillserver/{id}/invoke", tag = TAG,
    params(("id" = String, Path, description = ID), RuntimeParams),
    request_body = InvokeBody,
    responses(
        (status = 200, description = "The ability's output", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 400, description = "The body or query does not parse, or names no ability", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 401, description = "No access token, not this integration's, or no such integration", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 404, description = "No such ability here, or the skillset was deleted", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 409, description = "The ability cannot be called now: not approved, its skill not active, a secret not set", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 413, description = "The body exceeds the limit", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 422, description = "The input does not match the ability's schema", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 500, description = "A failure of the server's; the detail is logged", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 502, description = "The ability failed, or the service it calls did", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 503, description = "Too many calls at once; retry", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
        (status = 504, description = "The ability ran out of time", content((String = "text/plain"), (RuntimeAnswer = "application/json"))),
    ),
    security(("bearer" = [])))]
async fn invoke_at_invoke(
    state: State<AppState>,
    id: Path<String>,
    params: Result<Query<RuntimeParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    invoke(state, id, params, headers, body).await
}
