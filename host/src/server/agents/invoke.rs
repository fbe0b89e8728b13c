//! Seed 003's invoke: `POST /api/agents/{agent}/skills/{skill}/invoke`
//! with `{args, ability?, session?}`, a thin translation onto the one
//! invocation path. A call that ran answers in the seed's result shape
//! (`success`, `output`, `exit_code`, …) with the status the path's table
//! gives; a refusal answers as every API error does.
use crate::invocation::{self, Answer, Caller, Request, Surface, Target};
use crate::runtime::OutputKind;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody, JsonBody};
use crate::server::lookup::find_agent;
use crate::server::request::request_id;
use crate::services::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(invoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SkillCall {
    /// An array (a command's arguments) or an object (named inputs); `{}`
    /// when absent.
    #[serde(default)]
    args: Option<Value>,
    /// Which ability; optional when the skill has only one.
    #[serde(default)]
    ability: Option<String>,
    /// Session id for session state.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    session: Option<String>,
}

/// A call that ran: seed 003's result shape.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum SkillCallAnswer {
    SkillCallSucceeded(SkillCallSucceeded),
    SkillCallFailed(SkillCallFailed),
}

/// The call ran and answered.
#[derive(Serialize, ToSchema)]
struct SkillCallSucceeded {
    /// Always `true`.
    success: bool,
    /// The output as text (JSON text when `output_type` is `json`).
    output: String,
    output_type: SkillOutputType,
    /// A command's exit code; 0 for an SDK skill.
    exit_code: i32,
    execution_time_ms: f64,
    /// The audit record's id.
    invocation_id: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SkillOutputType {
    Json,
    Text,
}

/// The call ran and failed (a non-zero exit, a trap, a timeout, …).
#[derive(Serialize, ToSchema)]
struct SkillCallFailed {
    /// Always `false`.
    success: bool,
    /// What went wrong.
    error: String,
    /// The failure's category code.
    code: &'static str,
    /// The guest's stderr or diagnostics (bounded).
    output: String,
    exit_code: i32,
    execution_time_ms: f64,
    /// The audit record's id.
    invocation_id: String,
}

/// Calls one of the agent's skills (seed 003).
#[utoipa::path(post, operation_id = "invoke_skill", path = "/api/agents/{agent}/skills/{skill}/invoke", tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's id or name"),
        ("skill" = String, Path, description = "The skill's id or name"),
    ),
    request_body = SkillCall,
    responses(
        (status = 200, description = "The call ran: `success` says whether it answered", body = SkillCallAnswer),
        (status = 400, description = "The skill has several abilities and `ability` is missing, the session is not valid, or the body is malformed", body = ErrorBody),
        (status = 404, description = "No such agent, skill or ability, or the agent does not have the skill", body = ErrorBody),
        (status = 409, description = "The skill is not active, the assignment is disabled or outdated, or the ability is not approved", body = ErrorBody),
        (status = 422, description = "`args` does not satisfy the ability's input schema", body = ErrorBody),
        (status = 503, description = "Too many calls at once; retry", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn invoke(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((agent, skill)): Path<(String, String)>,
    JsonBody(body): JsonBody<SkillCall>,
) -> Result<(StatusCode, Json<SkillCallAnswer>), ApiError> {
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
            Json(SkillCallAnswer::SkillCallSucceeded(SkillCallSucceeded {
                success: true,
                output: output.body,
                output_type: match output.kind {
                    OutputKind::Json => SkillOutputType::Json,
                    OutputKind::Text => SkillOutputType::Text,
                },
                exit_code: output.exit_code.unwrap_or(0),
                execution_time_ms,
                invocation_id: outcome.invocation_id,
            })),
        )),
        Err(failure) if !outcome.ran => Err(ApiError::call(Answer::RestInvoke, failure)),
        Err(failure) => Ok((
            Answer::RestInvoke.status(failure.category),
            Json(SkillCallAnswer::SkillCallFailed(SkillCallFailed {
                success: false,
                code: failure.code(),
                error: failure.message,
                output: outcome.stderr,
                exit_code: failure.exit_code.unwrap_or(1),
                execution_time_ms,
                invocation_id: outcome.invocation_id,
            })),
        )),
    }
}
