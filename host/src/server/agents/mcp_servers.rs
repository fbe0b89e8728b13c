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
use crate::server::error::{ApiError, ErrorBody, JsonBody, QueryParams};
use crate::server::lookup::find_agent;
use crate::server::request::request_id;
use crate::services::AppState;
use crate::store::{Agent, ApprovalRecord, McpServerRow, StoreError, new_id, now};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use rmcp::model::ContentBlock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
        .routes(routes!(approve))
        .routes(routes!(refresh))
        .routes(routes!(tools))
        .routes(routes!(invoke))
}

/// A remote MCP server as the API shows it (seed 003's snake_case fields).
#[derive(Serialize, ToSchema)]
pub(crate) struct ServerView {
    name: String,
    url: String,
    /// `pending` until its tools are first listed, then `connected` or
    /// `error`.
    status: String,
    tools_count: usize,
    /// `pending` until an admin approves the origin, then `approved`.
    approval: String,
    /// Why the last refresh failed.
    error: Option<String>,
    headers: BTreeMap<String, String>,
    secret_id: Option<String>,
    secret_header: Option<String>,
    allow_private_network: bool,
    refreshed_at: Option<String>,
    created_at: String,
}

/// An agent's server awaiting an admin's approval, with its agent.
#[derive(Serialize, ToSchema)]
pub(crate) struct AwaitingServer {
    /// The agent's id.
    agent_id: String,
    #[serde(flatten)]
    server: ServerView,
}

/// The tenant's MCP servers awaiting an admin's approval (for the one
/// queue of everything waiting).
pub(crate) async fn awaiting(
    state: &AppState,
    tenant_id: &str,
) -> Result<Vec<AwaitingServer>, ApiError> {
    let rows = state.store.mcp_servers_awaiting_approval(tenant_id).await?;
    Ok(rows
        .iter()
        .map(|row| AwaitingServer {
            agent_id: row.agent_id.clone(),
            server: view(row),
        })
        .collect())
}

fn view(server: &McpServerRow) -> ServerView {
    ServerView {
        name: server.name.clone(),
        url: server.url.clone(),
        status: server.status.clone(),
        tools_count: server.tools.len(),
        approval: server.approval.clone(),
        error: server.error.clone(),
        headers: server.headers.clone(),
        secret_id: server.secret_id.clone(),
        secret_header: server.secret_header.clone(),
        allow_private_network: server.allow_private_network,
        refreshed_at: server.refreshed_at.clone(),
        created_at: server.created_at.clone(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewServer {
    /// Prefixes the server's tool names: a slug of at most 48 characters.
    #[schema(max_length = 48, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: String,
    /// The server's streamable HTTP endpoint (http or https). Required;
    /// optional in parsing only so that a missing one is told precisely.
    #[serde(default)]
    #[schema(
        required = true,
        value_type = String,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#]\S*)?$"
    )]
    url: Option<String>,
    /// Plain headers sent with every request; not credentials (see
    /// `secret_id`).
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// A tenant secret sent to the server (admin only).
    #[serde(default, alias = "secretId")]
    secret_id: Option<String>,
    /// The header the secret goes in; `Authorization` (as a bearer token)
    /// when absent.
    #[serde(default, alias = "secretHeader")]
    #[schema(pattern = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    secret_header: Option<String>,
    /// Lets the server be on a private network (admin only).
    #[serde(default, alias = "allowPrivateNetwork")]
    allow_private_network: bool,
    // Seed 003's stdio form, accepted only to be refused precisely; not
    // part of the contract.
    #[serde(default)]
    #[schema(ignore)]
    command: Option<String>,
    /// Seed 003's stdio form; ignored.
    #[serde(default)]
    #[allow(dead_code)]
    args: Option<Vec<String>>,
    /// Seed 003's stdio form; ignored.
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

/// Adds a remote MCP server to an agent (seed 003); an admin's is
/// approved and its tools listed at once, a writer's waits for an admin.
#[utoipa::path(post, operation_id = "add_mcp_server", path = "/api/agents/{agent}/mcp/servers", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body = NewServer,
    responses(
        (status = 201, description = "Added", body = ServerView),
        (status = 403, description = "The token lacks the scope; `secret_id` and `allow_private_network` need `admin`, and the latter the operator's leave", body = ErrorBody),
        (status = 409, description = "The agent has a server of that name, or a skill has it", body = ErrorBody),
        (status = 422, description = "A `command` (stdio) server, no `url` or one that is not valid, a reserved or invalid header (`secret_header` may not name one the host sets), or `secret_id` names no secret", body = ErrorBody),
    ),
    security(("bearer" = ["skills:write"])))]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<NewServer>,
) -> Result<(StatusCode, Json<ServerView>), ApiError> {
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct McpServerListQuery {
    /// List each approved server's tools again first.
    #[serde(default)]
    refresh: bool,
}

/// An agent's remote MCP servers.
#[derive(Serialize, ToSchema)]
struct ServerList {
    servers: Vec<ServerView>,
}

/// Lists an agent's remote MCP servers (seed 003).
#[utoipa::path(get, operation_id = "list_mcp_servers", path = "/api/agents/{agent}/mcp/servers", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name"), McpServerListQuery),
    responses((status = 200, description = "The servers", body = ServerList)),
    security(("bearer" = ["skills:read"])))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    QueryParams(query): QueryParams<McpServerListQuery>,
) -> Result<Json<ServerList>, ApiError> {
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
    Ok(Json(ServerList {
        servers: servers.iter().map(view).collect(),
    }))
}

/// Lists an approved server's tools again (seed 003); a failure to reach
/// it is recorded in the server's `status` and `error`.
#[utoipa::path(post, operation_id = "refresh_mcp_server", path = "/api/agents/{agent}/mcp/servers/{server}/refresh", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name"), ("server" = String, Path, description = "The server's name")),
    responses(
        (status = 200, description = "Refreshed", body = ServerView),
        (status = 409, description = "The server waits for an admin's approval", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn refresh(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, name)): Path<(String, String)>,
) -> Result<Json<ServerView>, ApiError> {
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

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct McpServerApproval {
    /// Lets the server reach non-public addresses (it is on a private
    /// network the operator trusts).
    #[serde(default, alias = "allowPrivateNetwork")]
    allow_private_network: Option<bool>,
}

/// Approves the server's origin (an admin), optionally deciding whether it
/// may be on a private network; an empty body keeps that as it is.
#[utoipa::path(post, operation_id = "approve_mcp_server", path = "/api/agents/{agent}/mcp/servers/{server}/approve", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name"), ("server" = String, Path, description = "The server's name")),
    request_body(content = Option<McpServerApproval>, description = "Optional: an empty body keeps `allow_private_network` as it is"),
    responses(
        (status = 200, description = "Approved, and its tools listed", body = ServerView),
        (status = 403, description = "The token lacks `admin`, or the tenant may not open private networks", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path((agent, name)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<ServerView>, ApiError> {
    principal.require("admin")?;
    // An empty body, like `null`, keeps what was decided.
    let approval: McpServerApproval = if body.iter().all(u8::is_ascii_whitespace) {
        McpServerApproval::default()
    } else {
        serde_json::from_slice::<Option<McpServerApproval>>(&body)
            .map(Option::unwrap_or_default)
            .map_err(|e| ApiError::BadRequest {
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

/// Removes a remote MCP server from an agent (seed 003).
#[utoipa::path(delete, operation_id = "remove_mcp_server", path = "/api/agents/{agent}/mcp/servers/{server}", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name"), ("server" = String, Path, description = "The server's name")),
    responses((status = 204, description = "Removed")),
    security(("bearer" = ["skills:write"])))]
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

/// The tools of an agent's approved remote servers.
#[derive(Serialize, ToSchema)]
struct RemoteTools {
    tools: Vec<RemoteTool>,
}

/// A tool of a remote server, from its last listing.
#[derive(Serialize, ToSchema)]
struct RemoteTool {
    /// The server's name.
    server: String,
    /// The tool's name, as the server lists it.
    name: Value,
    description: Value,
    /// The tool's input schema, as the server lists it.
    input_schema: Value,
}

/// The cached tool lists of an agent's approved remote servers (seed 003).
#[utoipa::path(get, operation_id = "list_mcp_tools", path = "/api/agents/{agent}/mcp/tools", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    responses((status = 200, description = "The tools", body = RemoteTools)),
    security(("bearer" = ["skills:read"])))]
async fn tools(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
) -> Result<Json<RemoteTools>, ApiError> {
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
            listed.push(RemoteTool {
                server: server.name.clone(),
                name: tool["name"].clone(),
                description: tool.get("description").cloned().unwrap_or(Value::Null),
                input_schema: tool
                    .get("inputSchema")
                    .cloned()
                    .unwrap_or(json!({"type": "object"})),
            });
        }
    }
    Ok(Json(RemoteTools { tools: listed }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ToolCall {
    /// The server's name.
    server: String,
    /// The tool's name, as the server lists it.
    tool: String,
    /// The tool's arguments; `{}` when absent.
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
}

/// A remote tool's own result (`success: false` is the tool's error).
#[derive(Serialize, ToSchema)]
struct ToolCallAnswer {
    success: bool,
    /// MCP content items.
    #[schema(value_type = Vec<Object>)]
    content: Vec<ContentBlock>,
    /// The tool's structured result, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_content: Option<Value>,
}

/// Calls a tool of one of an agent's approved remote servers (seed 003).
#[utoipa::path(post, operation_id = "invoke_mcp_tool", path = "/api/agents/{agent}/mcp/invoke", tag = "agents",
    params(("agent" = String, Path, description = "The agent's id or name")),
    request_body = ToolCall,
    responses(
        (status = 200, description = "The tool answered (perhaps with its own error)", body = ToolCallAnswer),
        (status = 404, description = "No such agent, server or tool", body = ErrorBody),
        (status = 409, description = "The server waits for approval, or the call is not allowed now", body = ErrorBody),
        (status = 422, description = "The arguments do not satisfy the tool's input schema, or the server's secret is not set", body = ErrorBody),
        (status = 502, description = "The server could not be reached or failed", body = ErrorBody),
        (status = 503, description = "Too many calls at once; retry", body = ErrorBody),
    ),
    security(("bearer" = ["skills:read"])))]
async fn invoke(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(agent): Path<String>,
    JsonBody(body): JsonBody<ToolCall>,
) -> Result<Json<ToolCallAnswer>, ApiError> {
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
        (Some(result), _) => Ok(Json(ToolCallAnswer {
            success: !result.is_error.unwrap_or(false),
            content: result.content,
            structured_content: result.structured_content,
        })),
        (None, Err(failure)) => Err(ApiError::call(Answer::RestToolCall, failure)),
        (None, Ok(_)) => {
            tracing::error!("a remote tool call succeeded without the tool's result");
            Err(ApiError::Internal)
        }
    }
}
