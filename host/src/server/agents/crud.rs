//! Agents and runners: named principals per tenant. Seed 003 addresses
//! agents by name, seeds 001 and 004 by id; every path accepts either.
//! Runners (seed 004) are managed at `/api/runners` and are otherwise
//! principals like agents: skills are attached to them and they call
//! abilities through the same surfaces.
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody, JsonBody};
use crate::server::lookup::{Agents, Kind, Runners, find_kind};
use crate::services::AppState;
use crate::store::{Agent, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(fetch_agent, remove_agent))
        .routes(routes!(list_runners, create_runner))
        .routes(routes!(fetch_runner, remove_runner))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    /// Unique within the tenant among agents and runners; it appears in
    /// URL paths.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._-]+$")]
    name: String,
}

/// One agent, as created or fetched.
#[derive(Serialize, ToSchema)]
struct OneAgent {
    agent: Agent,
}

/// One runner, as created or fetched.
#[derive(Serialize, ToSchema)]
struct OneRunner {
    runner: Agent,
}

/// The agents the caller may act as.
#[derive(Serialize, ToSchema)]
struct AgentList {
    agents: Vec<Agent>,
    total: usize,
}

/// The runners the caller may act as.
#[derive(Serialize, ToSchema)]
struct RunnerList {
    runners: Vec<Agent>,
    total: usize,
}

/// Seed 001's answer to a delete: `{success: true, message}`.
#[derive(Serialize, ToSchema)]
pub(super) struct Deleted {
    /// Always `true`.
    pub success: bool,
    /// What was deleted, for people.
    pub message: String,
}

/// Agent names appear in URL paths: keep them to a safe alphabet.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// Creates an agent.
#[utoipa::path(post, path = "/api/agents", tag = "agents",
    request_body = NewAgent,
    responses(
        (status = 201, description = "Created", body = OneAgent),
        (status = 409, description = "An agent or runner of that name exists", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn create_agent(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewAgent>,
) -> Result<(StatusCode, Json<OneAgent>), ApiError> {
    let agent = create::<Agents>(&state, &principal, body).await?;
    Ok((StatusCode::CREATED, Json(OneAgent { agent })))
}

/// Creates a runner (seed 004).
#[utoipa::path(post, path = "/api/runners", tag = "runners",
    request_body = NewAgent,
    responses(
        (status = 201, description = "Created", body = OneRunner),
        (status = 409, description = "An agent or runner of that name exists", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn create_runner(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewAgent>,
) -> Result<(StatusCode, Json<OneRunner>), ApiError> {
    let runner = create::<Runners>(&state, &principal, body).await?;
    Ok((StatusCode::CREATED, Json(OneRunner { runner })))
}

async fn create<K: Kind>(
    state: &AppState,
    principal: &Principal,
    body: NewAgent,
) -> Result<Agent, ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound("create agents or runners")?;
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!(
                "{} name must be 1-64 characters: letters, digits, `-`, `_` or `.`",
                K::ONE
            ),
        ));
    }
    state
        .store
        .create_agent(&principal.tenant_id, &body.name, K::KIND)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::Conflict {
                code: "agent_exists",
                message: format!(
                    "an agent or runner named `{}` already exists (they share names within a tenant)",
                    body.name
                ),
            },
            other => other.into(),
        })
}

/// Lists the agents the caller may act as.
#[utoipa::path(get, path = "/api/agents", tag = "agents",
    responses((status = 200, description = "The agents", body = AgentList)),
    security(("bearer" = ["skills:read"])))]
async fn list_agents(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<AgentList>, ApiError> {
    let agents = list::<Agents>(&state, &principal).await?;
    let total = agents.len();
    Ok(Json(AgentList { agents, total }))
}

/// Lists the runners the caller may act as.
#[utoipa::path(get, path = "/api/runners", tag = "runners",
    responses((status = 200, description = "The runners", body = RunnerList)),
    security(("bearer" = ["skills:read"])))]
async fn list_runners(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<RunnerList>, ApiError> {
    let runners = list::<Runners>(&state, &principal).await?;
    let total = runners.len();
    Ok(Json(RunnerList { runners, total }))
}

async fn list<K: Kind>(state: &AppState, principal: &Principal) -> Result<Vec<Agent>, ApiError> {
    principal.require("skills:read")?;
    let mut agents = state
        .store
        .list_agents(&principal.tenant_id, K::KIND)
        .await?;
    agents.retain(|a| principal.may_act_as(a));
    Ok(agents)
}

/// Fetches an agent.
#[utoipa::path(get, path = "/api/agents/{agent}", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The agent", body = OneAgent)),
    security(("bearer" = ["skills:read"])))]
async fn fetch_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<OneAgent>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_kind::<Agents>(&state, &principal, &agent).await?;
    Ok(Json(OneAgent { agent }))
}

/// Fetches a runner.
#[utoipa::path(get, path = "/api/runners/{runner}", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    responses((status = 200, description = "The runner", body = OneRunner)),
    security(("bearer" = ["skills:read"])))]
async fn fetch_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
) -> Result<Json<OneRunner>, ApiError> {
    principal.require("skills:read")?;
    let runner = find_kind::<Runners>(&state, &principal, &runner).await?;
    Ok(Json(OneRunner { runner }))
}

/// Deletes an agent.
#[utoipa::path(delete, path = "/api/agents/{agent}", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "Deleted", body = Deleted)),
    security(("bearer" = ["skills:write"])))]
async fn remove_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    remove::<Agents>(&state, &principal, &agent).await.map(Json)
}

/// Deletes a runner.
#[utoipa::path(delete, path = "/api/runners/{runner}", tag = "runners",
    params(("runner" = String, Path, description = "The runner's id or name")),
    responses((status = 200, description = "Deleted", body = Deleted)),
    security(("bearer" = ["skills:write"])))]
async fn remove_runner(
    State(state): State<AppState>,
    principal: Principal,
    Path(runner): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    remove::<Runners>(&state, &principal, &runner)
        .await
        .map(Json)
}

async fn remove<K: Kind>(
    state: &AppState,
    principal: &Principal,
    agent: &str,
) -> Result<Deleted, ApiError> {
    principal.require("skills:write")?;
    principal.require_unbound("delete agents or runners")?;
    let found = find_kind::<K>(state, principal, agent).await?;
    state
        .store
        .delete_agent(&principal.tenant_id, &found.id)
        .await?;
    Ok(Deleted {
        success: true,
        message: format!("{} '{}' deleted", K::NOUN, found.name),
    })
}
