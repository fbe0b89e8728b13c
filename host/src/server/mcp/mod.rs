//! MCP over streamable HTTP with the official Rust SDK (rmcp), stateless:
//! every POST carries its own authorization and is served by whichever
//! replica gets it, for `2026-07-28` clients (no sessions) and `2025-11-25`
//! clients (an `initialize` that starts no server-side session) alike.
//!
//! `/mcp/agents/{agent}` (agent by id or name) serves one tool per ability
//! of each enabled skill assigned to the agent. Authorization happens here,
//! in axum, before rmcp sees the request: a bearer API token or JWT with
//! `skills:read` in the agent's tenant (bound to this agent, if bound to
//! one; any other agent is 404 to it); otherwise 401 with the
//! `WWW-Authenticate` challenge that names the protected-resource document.
mod admission;
mod agent;
pub(crate) mod discovery;
mod integration;
mod skills;
mod tasks;
pub(crate) mod tools;

pub(crate) use tasks::sweep as sweep_tasks;

use super::auth::Principal;
use super::error::ApiError;
use crate::services::AppState;
use admission::McpCaller;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::sync::Arc;

/// The MCP routes; `state` builds each request's handler.
pub fn router(state: AppState) -> Router<AppState> {
    let hosts = &state.options.mcp_allowed_hosts;
    let config = StreamableHttpServerConfig::default()
        // Stateless: no Mcp-Session-Id, so any replica can answer any POST.
        .with_legacy_session_mode(false)
        .with_json_response(true);
    // The Host header guards against DNS rebinding: loopback names unless
    // the operator lists the names clients use (`*`: any).
    let config = if hosts.iter().any(|h| h == "*") {
        config.disable_allowed_hosts()
    } else if hosts.is_empty() {
        config
    } else {
        config.with_allowed_hosts(hosts.clone())
    };
    let handler_state = state.clone();
    let agents = Shared::new(StreamableHttpService::new(
        move || Ok(agent::AgentTools::new(handler_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config.clone(),
    ));
    let handler_state = state.clone();
    let integrations = Shared::new(StreamableHttpService::new(
        move || Ok(integration::SkillsetTools::new(handler_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    ));
    // The marker is the outer layer: `authorize` reads it.
    let agent_routes = Router::new()
        .route_service("/mcp/agents/{agent}", agents)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .route_layer(axum::Extension(super::auth::AgentRoute));
    Router::new()
        .route_service("/integration/mcpserver/{id}/mcp", integrations)
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            authorize_integration,
        ))
        .merge(agent_routes)
        .route(
            "/.well-known/oauth-protected-resource",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/{*resource}",
            get(resource_metadata),
        )
}

/// rmcp's service behind an `Arc`. axum clones a route's service for every
/// request, and rmcp's own `call` clones it once more; each clone copies
/// its configuration (the allowed hosts and origins) and registers one
/// more handle on its cancellation token, under that token's lock.
/// `handle` takes `&self`, so one shared instance serves every request.
struct Shared<S: rmcp::ServerHandler>(Arc<StreamableHttpService<S, NeverSessionManager>>);

impl<S: rmcp::ServerHandler> Shared<S> {
    fn new(service: StreamableHttpService<S, NeverSessionManager>) -> Self {
        Shared(Arc::new(service))
    }
}

impl<S: rmcp::ServerHandler> Clone for Shared<S> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<S: rmcp::ServerHandler + Send + 'static> tower::Service<Request> for Shared<S> {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let service = self.0.clone();
        Box::pin(async move { Ok(service.handle(request).await.map(axum::body::Body::new)) })
    }
}

/// RFC 9728's protected-resource document (plain and path-suffixed): the
/// resource, the authorization servers whose tokens it takes, and the
/// scopes (an MCP endpoint needs `skills:read`).
async fn resource_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let base = crate::server::request::public_base(&state, &headers);
    let suffix = request
        .uri()
        .path()
        .strip_prefix("/.well-known/oauth-protected-resource")
        .unwrap_or("");
    let scopes: &[&str] = if suffix.is_empty() {
        super::auth::SCOPES
    } else {
        &["skills:read"]
    };
    let issuers = state
        .oauth
        .as_ref()
        .map(|o| o.issuers())
        .unwrap_or_default();
    axum::Json(json!({
        "resource": format!("{base}{suffix}"),
        "authorization_servers": issuers,
        "bearer_methods_supported": ["header"],
        "scopes_supported": scopes,
        "resource_documentation": "API tokens, HS256 JWTs of the operator's, or access tokens of the authorization servers listed, with the scope the operation needs in the agent's tenant",
    }))
    .into_response()
}

/// 401 with the challenge MCP clients follow to the resource document.
fn unauthorized(state: &AppState, headers: &HeaderMap, path: &str, error: &ApiError) -> Response {
    let mut response = error_response(error);
    if let Ok(value) = HeaderValue::from_str(&super::auth::challenge(state, headers, path)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn error_response(error: &ApiError) -> Response {
    let message = error.to_string();
    let mut response = (
        error.status(),
        axum::Json(json!({ "error": message, "code": error.code() })),
    )
        .into_response();
    if let Some(challenge) = error.scope_challenge() {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// 403 unless a present `Origin` is one the operator allowed.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?;
    let allowed = origin
        .to_str()
        .is_ok_and(|o| state.options.mcp_allowed_origins.iter().any(|a| a == o));
    if allowed {
        return None;
    }
    Some((
        StatusCode::FORBIDDEN,
        axum::Json(json!({
            "error": "this Origin may not call the MCP endpoint; the operator can allow it with --mcp-allowed-origin",
            "code": "origin_not_allowed",
        })),
    )
        .into_response())
}

/// Origin and the integration's static token, checked before rmcp runs.
async fn authorize_integration(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let admitted = admit_integration(&state, &mut parts).await;
    pass(parts, body, admitted, next).await
}

async fn admit_integration(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<integration::IntegrationCaller, Response> {
    if let Some(refused) = check_origin(state, &parts.headers) {
        return Err(refused);
    }
    let path = parts.uri.path().to_owned();
    let Ok(Path(id)) = Path::<String>::from_request_parts(parts, state).await else {
        return Err(error_response(&ApiError::NotFound("MCP server")));
    };
    let kind = crate::server::skillsets::access::Kind::McpServer;
    let integration = match crate::server::skillsets::access::authenticate(
        state,
        kind,
        &id,
        &parts.headers,
    )
    .await
    {
        Ok(Some(i)) => i,
        Ok(None) => {
            let error = ApiError::Unauthorized(
                "send this MCP server's access token as `Authorization: Bearer <token>`",
            );
            return Err(unauthorized(state, &parts.headers, &path, &error));
        }
        Err(e) => return Err(error_response(&e)),
    };
    let skillset = match state
        .store
        .skillset(&integration.tenant_id, &integration.skillset_id)
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return Err(error_response(&ApiError::NotFound("skillset"))),
        Err(e) => return Err(error_response(&e.into())),
    };
    Ok(integration::IntegrationCaller {
        integration,
        skillset,
    })
}

/// An admitted caller goes on to rmcp with its extension; a refusal is
/// answered once the body is read.
async fn pass<C: Clone + Send + Sync + 'static>(
    mut parts: axum::http::request::Parts,
    body: axum::body::Body,
    admitted: Result<C, Response>,
    next: Next,
) -> Response {
    match admitted {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refused_after_reading(body, refusal).await,
    }
}

/// The most of a refused request's body read before answering.
const REFUSED_BODY_READ: usize = 1 << 20;

/// A refusal answered before the body was read: the body is read first (up
/// to a bound). Closing a connection with unread bytes resets it, and a
/// client still sending its body then sees "disconnected" instead of the
/// 401 or 404.
async fn refused_after_reading(body: axum::body::Body, refusal: Response) -> Response {
    let _ = axum::body::to_bytes(body, REFUSED_BODY_READ).await;
    refusal
}

/// Origin, token, scope and agent, checked before rmcp runs. Another
/// tenant's agent, or one a bound token is not bound to, is 404, never a
/// tool list.
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let admitted = admit_agent(&state, &mut parts).await;
    pass(parts, body, admitted, next).await
}

async fn admit_agent(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<McpCaller, Response> {
    if let Some(refused) = check_origin(state, &parts.headers) {
        return Err(refused);
    }
    let path = parts.uri.path().to_owned();
    let principal = match Principal::from_request_parts(parts, state).await {
        Ok(p) => p,
        Err(refused) if refused.error.status() == StatusCode::UNAUTHORIZED => {
            return Err(unauthorized(state, &parts.headers, &path, &refused.error));
        }
        Err(refused) => return Err(error_response(&refused.error)),
    };
    if let Err(e) = principal.require("skills:read") {
        return Err(error_response(&e));
    }
    let Ok(Path(key)) = Path::<String>::from_request_parts(parts, state).await else {
        return Err(error_response(&ApiError::NotFound("agent")));
    };
    // An agent a bound token may not act as is absent, as another
    // tenant's is.
    let agent = match state.store.agent(&principal.tenant_id, &key).await {
        Ok(Some(agent)) if principal.may_act_as(&agent) => agent,
        Ok(_) => return Err(error_response(&ApiError::NotFound("agent"))),
        Err(e) => return Err(error_response(&e.into())),
    };
    Ok(McpCaller {
        owner: principal.token_id,
        tenant_id: principal.tenant_id,
        agent,
        admitted_at: state.store.change_generation(),
    })
}
