//! Seed 003's invoke: `POST /api/agents/{agent}/skills/{skill}/invoke`
//! with `{args, ability?, session?}`, a thin translation onto the one
//! invocation path. A call that ran answers in the seed's result shape
//! (`success`, `output`, `exit_code`, …) with the status the path's table
//! gives; a refusal answers as every API error does.
use crate::invocation::{self, Answer, Caller, Request, Surface, Target};
use crate::runtime::OutputKind;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, JsonBody};
use crate::server::lookup::find_agent;
use crate::server::request::request_id;
use crate::services::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/api/agents/{agent}/skills/{skill}/invoke", post(invoke))
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
    let request = Request {
        caller: Caller::agent(&principal.tenant_id, agent),
        target: Target::Skill {
            skill,
            ability: body.ability,
        },
        input: body.args.unwrap_or_else(|| json!({})),
        session: body.session,
        surface: Surface::Rest,
        request_id: request_id(&headers),
    };
    let outcome = invocation::invoke(&state, request)
        .await
        .map_err(|failure| ApiError::call(Answer::RestInvoke, failure))?;
    let execution_time_ms = outcome.receipt.wall_time_us as f64 / 1000.0;
    match outcome.result {
        Ok(output) => Ok((
            StatusCode::OK,
            Json(json!({
                "success": true,
                "output": output.body,
                "output_type": match output.kind { OutputKind::Json => "json", OutputKind::Text => "text" },
                "exit_code": output.exit_code.unwrap_or(0),
                "execution_time_ms": execution_time_ms,
                "invocation_id": outcome.invocation_id,
            })),
        )),
        Err(failure) if !outcome.ran => Err(ApiError::call(Answer::RestInvoke, failure)),
        Err(failure) => Ok((
            Answer::RestInvoke.status(failure.category),
            Json(json!({
                "success": false,
                "error": failure.message,
                "code": failure.code(),
                "output": outcome.stderr,
                "exit_code": failure.exit_code.unwrap_or(1),
                "execution_time_ms": execution_time_ms,
                "invocation_id": outcome.invocation_id,
            })),
        )),
    }
}
