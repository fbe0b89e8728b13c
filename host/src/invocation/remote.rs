//! A tool of one of the agent's remote MCP servers (seed 003): the server
//! must be the agent's and approved, the tool one it listed; its secret is
//! the credential.
use super::audit::{Called, Context, Subject};
use super::credentials;
use super::outcome::Outcome;
use crate::ability::mcp_tool;
use crate::ability::outcome::{Category, Executed, Failure};
use crate::outbound::mcp_client::McpEndpoint;
use crate::services::{Internal, Services};
use crate::store::McpServerRow;
use serde_json::Value;

/// Calls `tool` of the agent's server named `server` with `input` (an
/// object).
pub(super) async fn by_name(
    services: &Services,
    ctx: &Context<'_>,
    server: &str,
    tool: &str,
    input: &Value,
) -> Result<Outcome, Failure> {
    let Some(agent) = ctx.caller.agent.as_ref() else {
        tracing::error!("a remote tool call without an agent reached the invocation path");
        return Err(Failure::internal());
    };
    let server = services
        .store
        .mcp_server(&ctx.caller.tenant_id, &agent.id, server)
        .await
        .map_err(Internal::from)?
        .ok_or_else(|| Failure::new(Category::NotFound, "MCP server not found"))?;
    call(services, ctx, &server, tool, input).await
}

/// Calls `tool` of `server` (the agent's) with `input` (an object).
pub(super) async fn call(
    services: &Services,
    ctx: &Context<'_>,
    server: &McpServerRow,
    tool: &str,
    input: &Value,
) -> Result<Outcome, Failure> {
    let tenant = &ctx.caller.tenant_id;
    let subject = || Subject {
        kind: Called::McpServer,
        skill_id: None,
        skill_name: format!("mcp:{}", server.name),
        ability: tool.to_owned(),
    };
    if server.approval != "approved" {
        let failure = Failure::new(
            Category::ApprovalPending,
            format!(
                "MCP server `{}` waits for an admin to approve it (POST …/mcp/servers/{}/approve)",
                server.name, server.name
            ),
        );
        let id = crate::runtime::unique_id();
        ctx.refused(services, &id, subject(), "server pending approval")
            .await?;
        return Ok(Outcome::refused(id, failure));
    }
    if !server.tools.iter().any(|t| t["name"] == tool) {
        return Err(Failure::new(
            Category::NotFound,
            "MCP tool (refresh the server if it is new) not found",
        ));
    }
    let opened = credentials::mcp_credential(
        services,
        tenant,
        &server.name,
        server.secret_id.as_deref(),
        server.secret_header.as_deref(),
    )
    .await?;
    let (executed, result) = match opened {
        Err(failure) => (Executed::refused(failure), None),
        Ok((credential, redactor)) => {
            let endpoint = McpEndpoint {
                name: &server.name,
                url: &server.url,
                headers: &server.headers,
                credential,
                allow_private_network: server.allow_private_network,
            };
            let arguments = input.as_object().cloned().unwrap_or_default();
            let outbound = services.loader.outbound();
            let call = mcp_tool::execute(outbound, &endpoint, &redactor, tool, arguments).await;
            (call.executed, call.result)
        }
    };
    ctx.executed(services, subject(), &executed).await?;
    Ok(Outcome::ran(executed, result))
}

/// A remote MCP server to list, with the tenant secret it takes.
pub struct Listing<'a> {
    /// The tenant whose secret is the credential.
    pub tenant_id: &'a str,
    /// The server's name, in messages.
    pub name: &'a str,
    /// The streamable HTTP endpoint.
    pub url: &'a str,
    /// Plain headers.
    pub headers: &'a std::collections::BTreeMap<String, String>,
    /// The tenant secret sent as its credential.
    pub secret_id: Option<&'a str>,
    /// The header it goes in (`Authorization` when unset).
    pub secret_header: Option<&'a str>,
    /// Whether non-public addresses are reachable.
    pub allow_private_network: bool,
}

/// The server's tools now (MCP `Tool` objects, the credential redacted),
/// or why they could not be listed, redacted.
pub async fn list_tools(
    services: &Services,
    server: Listing<'_>,
) -> Result<Result<Vec<Value>, String>, Internal> {
    let opened = credentials::mcp_credential(
        services,
        server.tenant_id,
        server.name,
        server.secret_id,
        server.secret_header,
    )
    .await?;
    let (credential, redactor) = match opened {
        Ok(opened) => opened,
        Err(failure) => return Ok(Err(failure.message)),
    };
    let endpoint = McpEndpoint {
        name: server.name,
        url: server.url,
        headers: server.headers,
        credential,
        allow_private_network: server.allow_private_network,
    };
    let listed =
        crate::outbound::mcp_client::list_tools(services.loader.outbound(), &endpoint, &redactor)
            .await;
    Ok(listed.map_err(|e| e.shown()))
}
