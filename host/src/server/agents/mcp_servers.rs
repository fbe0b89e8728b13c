//! Seed 003's MCP servers of an agent: remote MCP endpoints the agent's
//! tools extend to, reached only through the outbound guard.
//!
//! - `GET/POST /api/agents/{agent}/mcp/servers`, `DELETE …/{server}`,
//!   `POST …/{server}/approve` (admin), `POST …/{server}/refresh`;
//! - `GET /api/agents/{agent}/mcp/tools`: the cached tool lists;
//! - `POST /api/agents/{agent}/mcp/invoke {server, tool, arguments}`.
//!
//! A server added by an admin is approved; one added with `skills:write`
//! waits for an admin, as an instruction's origin does. Only an admin may
//! let a server reach private addresses. A `command` (stdio) server is
//! refused: the host starts no processes.
use crate::invocation::{
    self, Answer, Caller, Listing, Request, Surface, Target, list_remote_tools,
};
use crate::outbound::mcp_client::RESERVED_HEADERS;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, JsonBody};
use crate::server::lookup::find_agent;
use crate::server::request::request_id;
use crate::services::AppState;
use crate::store::{Agent, ApprovalRecord, McpServerRow, StoreError, new_id, now};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub fn router() -> OpenApiRouter<AppState> {
    let base = "/api/agents/{agent}/mcp";
    OpenApiRouter::new()
        .route(&format!("{base}/servers"), get(list).post(create))
        .route(&format!("{base}/servers/{{server}}"), delete(remove))
        .route(&format!("{base}/servers/{{server}}/approve"), post(approve))
        .route(&format!("{base}/servers/{{server}}/refresh"), post(refresh))
        .route(&format!("{base}/tools"), get(tools))
        .route(&format!("{base}/invoke"), post(invoke))
}

/// A server as the API shows it (seed 003's snake_case fields).
fn view(server: &McpServerRow) -> Value {
    json!({
        "name": server.name,
        "url": server.url,
        "status": server.status,
        "tools_count": server.tools.len(),
        "approval": server.approval,
        "error": server.error,
        "headers": server.headers,
        "secret_id": server.secret_id,
        "secret_header": server.secret_header,
        "allow_private_network": server.allow_private_network,
        "refreshed_at": server.refreshed_at,
        "created_at": server.created_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewServer {
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default, alias = "secretId")]
    secret_id: Option<String>,
    #[serde(default, alias = "secretHeader")]
    secret_header: Option<String>,
    #[serde(default, alias = "allowPrivateNetwork")]
    allow_private_network: bool,
    // Seed 003's stdio form, accepted only to be refused precisely.
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    args: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    env: Option<Map<String, Value>>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code,
        message: message.into(),
    }
}

fn is_admin(principal: &Principal) -> bool {
    principal.require("admin").is_ok()
}

async fn server_of(
    state: &AppState,
    principal: &Principal,
    agent: &Agent,
    name: &str,
) -> Result<McpServerRow, ApiError> {
    state
        .store
        .mcp_server(&principal.tenant_id, &agent.id, name)
        .await?
        .ok_or(ApiError::NotFound("MCP server"))
}

/// The server's tools now, listed with its credential (one that no longer
/// exists is the listing's error).
async fn list_tools(
    state: &AppState,
    server: &McpServerRow,
) -> Result<Result<Vec<Value>, String>, ApiError> {
    let listing = Listing {
        tenant_id: &server.tenant_id,
        name: &server.name,
        url: &server.url,
        headers: &server.headers,
        secret_id: server.secret_id.as_deref(),
        secret_header: server.secret_header.as_deref(),
        allow_private_network: server.allow_private_network,
    };
    Ok(list_remote_tools(state, listing).await?)
}

/// Lists the server's tools now and records the outcome.
async fn refresh_tools(state: &AppState, server: &mut McpServerRow) -> Result<(), ApiError> {
    match list_tools(state, server).await? {
        Ok(tools) => {
            state
                .store
                .record_mcp_tools(&server.tenant_id, &server.id, Ok(&tools))
                .await?;
            server.status = "connected".into();
            server.error = None;
            server.tools = tools;
        }
        Err(error) => {
            tracing::warn!(server = %server.name, %error, "listing a remote MCP server's tools failed");
            state
                .store
                .record_mcp_tools(&server.tenant_id, &server.id, Err(&error))
                .await?;
            server.status = "error".into();
            server.error = Some(error);
        }
    }
    server.refreshed_at = Some(now());
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<NewServer>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    if body.command.is_some() {
        return Err(invalid(
            "stdio_transport_unsupported",
            "a `command` (stdio) MCP server would run as a process on the host, and skillhost starts no host processes: \
             run the server remotely and give its streamable HTTP endpoint as `url`, or build its tools as a skill component",
        ));
    }
    if !crate::manifest::is_slug(&body.name, 48) {
        return Err(invalid(
            "invalid_name",
            format!(
                "server name `{}` must be 1-48 lowercase letters, digits and single hyphens (it prefixes the server's tool names)",
                body.name
            ),
        ));
    }
    let Some(url_text) = body.url.as_deref() else {
        return Err(invalid(
            "url_required",
            "`url` is required: the server's streamable HTTP endpoint, e.g. https://mcp.example.com/mcp",
        ));
    };
    let url = url::Url::parse(url_text)
        .map_err(|e| invalid("invalid_url", format!("`url` is not a valid URL: {e}")))?;
    crate::outbound::origin_pattern(&url)
        .map_err(|e| invalid("invalid_url", format!("`url`: {e}")))?;
    for (name, value) in &body.headers {
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(invalid(
                "reserved_header",
                format!(
                    "header `{name}` cannot be set in `headers`: put a credential in a tenant secret and name it in `secret_id` (with `secret_header` for a header other than Authorization)"
                ),
            ));
        }
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(value).is_err()
        {
            return Err(invalid(
                "invalid_header",
                format!("header `{name}` is not a valid HTTP header name and value"),
            ));
        }
    }
    if let Some(header) = &body.secret_header
        && crate::capability::injectable_header(header).is_err()
    {
        return Err(invalid(
            "invalid_header",
            format!("`secret_header` `{header}` is not a header a credential can be sent in"),
        ));
    }
    if let Some(id) = &body.secret_id
        && state
            .store
            .secret(&principal.tenant_id, id)
            .await?
            .is_none()
    {
        return Err(invalid(
            "secret_not_found",
            format!(
                "secret `{id}` does not exist in this tenant: create it at /api/v1/secret/create first"
            ),
        ));
    }
    if body.allow_private_network {
        principal.require("admin")?;
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    if body.secret_id.is_some() && !is_admin(&principal) {
        return Err(ApiError::Call {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: "this token lacks the `admin` scope: `secret_id` sends a tenant secret to the server's URL, and binding a secret to a destination is an admin's decision; add the server without it, or ask an admin".into(),
        });
    }
    // Tool names are `<server>__<tool>` beside `<skill>__<ability>`: a
    // server may not take an installed skill's name.
    if state
        .store
        .skill(&principal.tenant_id, &body.name)
        .await?
        .is_some_and(|s| s.manifest.name == body.name)
    {
        return Err(ApiError::Conflict {
            code: "name_taken",
            message: format!(
                "`{}` is the name of an installed skill, and tool names would collide: choose another server name",
                body.name
            ),
        });
    }
    let admin = is_admin(&principal);
    let at = now();
    let mut server = McpServerRow {
        id: new_id(),
        tenant_id: principal.tenant_id.clone(),
        agent_id: agent.id.clone(),
        name: body.name,
        url: url.to_string(),
        headers: body.headers,
        secret_id: body.secret_id,
        secret_header: body.secret_header,
        allow_private_network: body.allow_private_network,
        approval: if admin { "approved" } else { "pending" }.into(),
        approved_by: admin.then(|| principal.token_id.clone()),
        status: "pending".into(),
        error: None,
        tools: Vec::new(),
        refreshed_at: None,
        created_at: at.clone(),
        updated_at: at,
    };
    match state.store.create_mcp_server(&server).await {
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict {
                code: "server_exists",
                message: format!(
                    "agent `{}` already has an MCP server named `{}`: delete it first or choose another name",
                    agent.name, server.name
                ),
            });
        }
        other => other?,
    }
    if admin {
        refresh_tools(&state, &mut server).await?;
    }
    tracing::info!(agent = %agent.name, server = %server.name, approval = %server.approval, "MCP server added");
    Ok((StatusCode::CREATED, Json(view(&server))))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    refresh: bool,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut servers = state
        .store
        .mcp_servers(&principal.tenant_id, &agent.id)
        .await?;
    if query.refresh {
        for server in servers.iter_mut().filter(|s| s.approval == "approved") {
            refresh_tools(&state, server).await?;
        }
    }
    Ok(Json(
        json!({ "servers": servers.iter().map(view).collect::<Vec<_>>() }),
    ))
}

async fn refresh(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut server = server_of(&state, &principal, &agent, &name).await?;
    if server.approval != "approved" {
        return Err(not_approved(&server));
    }
    refresh_tools(&state, &mut server).await?;
    Ok(Json(view(&server)))
}

fn not_approved(server: &McpServerRow) -> ApiError {
    ApiError::Conflict {
        code: "approval_pending",
        message: format!(
            "MCP server `{}` waits for an admin to approve it (POST …/mcp/servers/{}/approve)",
            server.name, server.name
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Approval {
    /// Lets the server reach non-public addresses (it is on a private
    /// network the operator trusts).
    #[serde(default, alias = "allowPrivateNetwork")]
    allow_private_network: Option<bool>,
}

/// Approves the server's origin (an admin), optionally deciding whether it
/// may be on a private network; an empty body keeps that as it is.
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, name)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require("admin")?;
    let approval: Approval = if body.iter().all(u8::is_ascii_whitespace) {
        Approval::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            code: "invalid_json",
            message: format!(
                "the approval is not valid: {e}; send {{}} or {{\"allow_private_network\": true}}"
            ),
        })?
    };
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut server = server_of(&state, &principal, &agent, &name).await?;
    if let Some(allow) = approval.allow_private_network {
        server.allow_private_network = allow;
    }
    if server.allow_private_network {
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    state
        .store
        .approve_mcp_server(
            &principal.tenant_id,
            &server.id,
            &principal.token_id,
            server.allow_private_network,
        )
        .await?;
    server.approval = "approved".into();
    let mut record = ApprovalRecord::new(
        &principal.tenant_id,
        &principal.token_id,
        "mcp_server",
        &server.id,
        "approved",
    );
    record.detail = json!({
        "url": server.url,
        "secretId": server.secret_id,
        "allowPrivateNetwork": server.allow_private_network,
    });
    crate::server::decisions::record(&state, record).await?;
    refresh_tools(&state, &mut server).await?;
    tracing::info!(agent = %agent.name, server = %server.name, "MCP server approved");
    Ok(Json(view(&server)))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require("skills:write")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    if !state
        .store
        .delete_mcp_server(&principal.tenant_id, &agent.id, &name)
        .await?
    {
        return Err(ApiError::NotFound("MCP server"));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn tools(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let mut listed = Vec::new();
    for server in state
        .store
        .mcp_servers(&principal.tenant_id, &agent.id)
        .await?
        .iter()
        .filter(|s| s.approval == "approved")
    {
        for tool in &server.tools {
            listed.push(json!({
                "server": server.name,
                "name": tool["name"],
                "description": tool.get("description").cloned().unwrap_or(Value::Null),
                "input_schema": tool.get("inputSchema").cloned().unwrap_or(json!({"type": "object"})),
            }));
        }
    }
    Ok(Json(json!({ "tools": listed })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invoke {
    server: String,
    tool: String,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
}

async fn invoke(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<Invoke>,
) -> Result<Json<Value>, ApiError> {
    principal.require("skills:read")?;
    let agent = find_agent(&state, &principal, &agent).await?;
    let request = Request {
        caller: Caller::agent(&principal.tenant_id, agent),
        target: Target::RemoteTool {
            server: body.server,
            tool: body.tool,
        },
        input: Value::Object(body.arguments.unwrap_or_default()),
        session: None,
        surface: Surface::Rest,
        request_id: request_id(&headers),
    };
    let outcome = invocation::invoke(&state, request)
        .await
        .map_err(|failure| ApiError::call(Answer::RestToolCall, failure))?;
    match (outcome.tool_result, outcome.result) {
        (Some(result), _) => {
            let mut answer = json!({
                "success": !result.is_error.unwrap_or(false),
                "content": result.content,
            });
            if let Some(structured) = result.structured_content {
                answer["structured_content"] = structured;
            }
            Ok(Json(answer))
        }
        (None, Err(failure)) => Err(ApiError::call(Answer::RestToolCall, failure)),
        (None, Ok(_)) => {
            tracing::error!("a remote tool call succeeded without the tool's result");
            Err(ApiError::Internal)
        }
    }
}
