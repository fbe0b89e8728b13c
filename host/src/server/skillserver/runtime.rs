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
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(
            "/integration/skillserver/{id}",
            get(read_manual).post(invoke),
        )
        .route("/integration/skillserver/{id}/manual", get(read_manual))
        .route(
            "/integration/skillserver/{id}/invoke",
            axum::routing::post(invoke),
        )
}

/// How the caller wants answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Default, Deserialize)]
struct RuntimeParams {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    session: Option<String>,
}

fn format_of(params: &RuntimeParams, headers: &HeaderMap) -> Format {
    match params.format.as_deref() {
        Some("json") => Format::Json,
        Some(_) => Format::Text,
        None => {
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
    }
}

/// An error in the format asked for.
fn failure(format: Format, status: StatusCode, code: &str, message: &str) -> Response {
    let mut response = match format {
        Format::Json => (
            status,
            Json(json!({ "result": null, "error": { "code": code, "message": message } })),
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

async fn read_manual(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<RuntimeParams>,
    headers: HeaderMap,
) -> Response {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeBody {
    #[serde(default, alias = "name")]
    ability: Option<String>,
    #[serde(default)]
    input: Option<Value>,
}

async fn invoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<RuntimeParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
                Json(json!({ "result": value, "error": null })).into_response()
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
