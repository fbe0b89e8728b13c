//! The MCP handler of `/mcp/agents/{agent}`: lists the agent's tools and
//! calls them through the same path as a REST invoke.
use super::McpCaller;
use super::tools::{
    ability_call_input, ability_result, agent_tools, attached_ability, failure, object_schema,
    success, tool_input,
};
use crate::server::AppState;
use crate::server::agent_mcp::{RemoteCall, call_remote};
use crate::server::error::ApiError;
use crate::server::invoke::{AgentCall, Surface, call_assigned};
use crate::server::skillsets::run::AbilityCall;
use rmcp::model::SubscriptionFilter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

/// One request's handler (rmcp builds one per POST in stateless mode).
#[derive(Clone)]
pub(crate) struct AgentTools {
    state: AppState,
}

impl AgentTools {
    pub(crate) fn new(state: AppState) -> Self {
        AgentTools { state }
    }
}

/// A name that is none of this agent's tools (or not this agent's to call:
/// never told apart).
fn unknown_tool(name: &str) -> McpError {
    McpError::invalid_params(
        format!("no tool `{name}` for this agent; tools/list names the ones it may call"),
        None,
    )
}

fn internal(error: impl std::fmt::Display) -> McpError {
    McpError::internal_error(error.to_string(), None)
}

impl AgentTools {
    /// Calls an ability of a skillset attached to the agent.
    async fn call_attached(
        &self,
        caller: McpCaller,
        request: CallToolRequestParams,
        request_id: Option<String>,
    ) -> Result<CallToolResponse, McpError> {
        let tenant = &caller.tenant_id;
        let Some((skillset, ability)) =
            attached_ability(&self.state, tenant, &caller.agent, &request.name)
                .await
                .map_err(internal)?
        else {
            return Err(unknown_tool(&request.name));
        };
        let Some(input) =
            ability_call_input(&self.state, tenant, &ability, request.arguments).await?
        else {
            return Err(unknown_tool(&request.name));
        };
        let call = AbilityCall {
            tenant_id: tenant,
            skillset: &skillset,
            ability: &ability,
            input,
            session: None,
            surface: Surface::Mcp,
            agent: Some(&caller.agent),
            integration_id: None,
            request_id,
        };
        let result = ability_result(&self.state, call).await?;
        Ok(result.into())
    }
}

impl ServerHandler for AgentTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
            .with_server_info(Implementation::new("skillhost", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The skills assigned to this agent, each ability a tool named <skill>__<ability>. A component's call runs in a fresh WebAssembly sandbox, an OpenAPI or registry skill's goes through the host's outbound guard, each with exactly the capabilities the operator approved. skill_query reads a skill's instructions.",
            )
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    /// `subscriptions/listen` (2026-07-28): `notifications/tools/list_changed`
    /// whenever what this caller may call changes — an assignment, an
    /// approval, an update — on any replica (writes elsewhere reach this
    /// node's change generation through PostgreSQL notifications). Looks
    /// again at each change, and every few seconds regardless.
    async fn listen(&self, ctx: SubscriptionContext) -> Result<(), McpError> {
        let (caller, _) = super::admitted::<McpCaller>(ctx.request_context())?;
        let fingerprint = || async {
            let tools = agent_tools(&self.state, &caller.tenant_id, &caller.agent)
                .await
                .map_err(internal)?;
            Ok::<_, McpError>(
                tools
                    .iter()
                    .map(|t| serde_json::to_string(t).unwrap_or_default())
                    .collect::<Vec<_>>(),
            )
        };
        let mut seen = fingerprint().await?;
        let mut generation = self.state.store.change_generation();
        let mut since_look = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = ctx.cancelled() => return Ok(()),
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            }
            let now = self.state.store.change_generation();
            if now == generation && since_look.elapsed() < std::time::Duration::from_secs(5) {
                continue;
            }
            generation = now;
            since_look = std::time::Instant::now();
            let current = fingerprint().await?;
            if current != seen {
                seen = current;
                ctx.sink()
                    .notify_tool_list_changed()
                    .await
                    .map_err(|e| McpError::internal_error(e.to_string(), None))?;
            }
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let (caller, _) = super::admitted::<McpCaller>(&ctx)?;
        let tools = agent_tools(&self.state, &caller.tenant_id, &caller.agent)
            .await
            .map_err(internal)?;
        let mut listed = tools;
        listed.extend(super::discovery::tools());
        Ok(ListToolsResult::with_all_items(listed))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let (caller, request_id) = super::admitted::<McpCaller>(&ctx)?;
        if super::discovery::NAMES.contains(&request.name.as_ref()) {
            let args = request.arguments.unwrap_or_default();
            let result = super::discovery::call(&self.state, &caller, &request.name, &args)
                .await
                .unwrap_or_else(|error| failure(error.code(), &error));
            return Ok(result.into());
        }
        let unknown = || unknown_tool(&request.name);
        let tenant = caller.tenant_id.clone();
        // `<skill>__<ability>` or `<server>__<tool>`: skill and server names
        // have no underscores, so the first double underscore splits. A
        // server may not take an installed skill's name; a skill installed
        // later under a server's name claims only its own abilities' names,
        // as the tool list does. Anything else is an attached skillset's
        // ability.
        let mut skill = None;
        if let Some((prefix, rest)) = request.name.split_once("__") {
            skill = self
                .state
                .store
                .skill_shared(&tenant, prefix)
                .await
                .map_err(internal)?
                // A skill installed after a server took its name does not
                // hide the server's tools: only an ability it has is its.
                .filter(|s| s.manifest.name == prefix && s.manifest.ability(rest).is_some())
                .map(|s| (s, rest.to_owned()));
            // Not this agent's skill: its name is the server's, as in the
            // tool list.
            if let Some((found, _)) = &skill
                && self
                    .state
                    .store
                    .assignment(&tenant, &found.id, &caller.agent.id)
                    .await
                    .map_err(internal)?
                    .is_none()
            {
                skill = None;
            }
            if skill.is_none()
                && let Some(server) = self
                    .state
                    .store
                    .mcp_server(&tenant, &caller.agent.id, prefix)
                    .await
                    .map_err(internal)?
            {
                let call = RemoteCall {
                    agent: &caller.agent,
                    server: &server.name,
                    tool: rest,
                    arguments: request.arguments.unwrap_or_default(),
                    surface: Surface::Mcp,
                    request_id,
                };
                return match call_remote(&self.state, call).await {
                    Ok(Ok(result)) => Ok(result.into()),
                    Ok(Err(error)) => Ok(failure(error.code, &error.message).into()),
                    Err(ApiError::NotFound(_)) => Err(unknown()),
                    Err(error) => Ok(failure(error.code(), &error).into()),
                };
            }
        }
        let Some((skill, ability_name)) = skill else {
            return self.call_attached(caller, request, request_id).await;
        };
        let spec = skill.manifest.ability(&ability_name).ok_or_else(unknown)?;
        let (_, wrapped) = object_schema(&spec.input_schema);
        let arguments = tool_input(request.arguments, wrapped);
        let call = AgentCall {
            agent: caller.agent,
            skill: skill.manifest.name.clone(),
            ability: Some(spec.name.clone()),
            args: Some(arguments),
            session: None,
            surface: Surface::Mcp,
            request_id,
        };
        let result = match call_assigned(&self.state, &caller.tenant_id, call).await {
            // Gone since the lookup: as unknown as any other name.
            Err(ApiError::NotFound(_)) => return Err(unknown()),
            // Disabled for this agent, or not approved (yet, or any more).
            Err(error) => failure(error.code(), &error),
            Ok(invocation) => match invocation.outcome {
                Ok(output) => success(output.body),
                Err(error) => failure(error.kind(), &error),
            },
        };
        Ok(result.into())
    }
}
