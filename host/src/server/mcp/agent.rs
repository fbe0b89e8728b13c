//! The MCP handler of `/mcp/agents/{agent}`: lists the agent's tools and
//! calls them through the same path as a REST invoke.
use super::admission::{McpCaller, admitted};
use super::skills::Catalog;
use super::tasks;
use super::tools::{
    ability_call_input, agent_tools, attached_ability, failed, internal, is_object_schema,
    run_call, tool_input, unknown_tool,
};
use crate::invocation::{Caller, Request, Surface, Target};
use crate::services::AppState;
use rmcp::model::SubscriptionFilter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, Implementation, ListResourcesResult,
    ListSkillsResult, ListToolsResult, PaginatedRequestParams, ReadResourceDirectoryRequestParams,
    ReadResourceDirectoryResult, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

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

impl AgentTools {
    /// Runs `target` for the caller through the one invocation path, as a
    /// tool result, or as an MCP task when the client asked for tasks and
    /// the call is long.
    async fn call(
        &self,
        caller: &McpCaller,
        name: &str,
        target: Target,
        input: Value,
        request_id: Option<String>,
        tasks_declared: bool,
    ) -> Result<CallToolResponse, McpError> {
        let request = Request {
            caller: Caller::agent(&caller.tenant_id, caller.agent.clone()),
            target,
            input,
            session: None,
            surface: Surface::Mcp,
            request_id,
        };
        if tasks_declared && tasks::is_long(&self.state, &request.target) {
            return Ok(tasks::start(&self.state, caller, name, request)
                .await?
                .into());
        }
        // Not boxed: boxing it cost about 90 000 instructions a call more
        // (counted), though rmcp moves the handler's future into a task.
        Ok(run_call(&self.state, name, request).await?.into())
    }

    /// Calls an ability of a skillset attached to the agent.
    async fn call_attached(
        &self,
        caller: McpCaller,
        request: CallToolRequestParams,
        request_id: Option<String>,
        tasks_declared: bool,
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
        let target = Target::SkillsetAbility { skillset, ability };
        self.call(
            &caller,
            &request.name,
            target,
            input,
            request_id,
            tasks_declared,
        )
        .await
    }
}

impl AgentTools {
    /// The skills the admitted agent may read (MCP's skills extension).
    async fn catalog(&self, ctx: &RequestContext<RoleServer>) -> Result<Catalog, McpError> {
        let (caller, _) = admitted::<McpCaller>(ctx)?;
        Catalog::of(&self.state, &caller.tenant_id, &caller.agent).await
    }
}

impl ServerHandler for AgentTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_resources()
                .enable_skills_with_directory_read()
                .enable_tasks()
                .build(),
        )
            .with_server_info(Implementation::new("skillhost", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The skills assigned to this agent, each ability a tool named <skill>__<ability>. A component's call runs in a fresh WebAssembly sandbox, an OpenAPI or registry skill's goes through the host's outbound guard, each with exactly the capabilities the operator approved. skill_query reads a skill's instructions; skills/list and resources/read serve the SKILL.md folders of its skills (MCP's skills extension), which are read, never run.",
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
        let (caller, _) = admitted::<McpCaller>(ctx.request_context())?;
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
        let mut generation = self.state.store.change_generation();
        let mut seen = fingerprint().await?;
        // The client was told it listens before this first look: a change
        // in between may already be in `seen`, so it hears of it now (at
        // worst it lists the same tools once more).
        if generation != caller.admitted_at {
            ctx.sink()
                .notify_tool_list_changed()
                .await
                .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        }
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

    async fn list_skills(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, McpError> {
        let catalog = self.catalog(&ctx).await?;
        Ok(ListSkillsResult::with_all_items(catalog.entries()))
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, McpError> {
        let catalog = self.catalog(&ctx).await?;
        Ok(GetSkillResult::new(catalog.entry(&request.uri)?))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let catalog = self.catalog(&ctx).await?;
        Ok(ListResourcesResult::with_all_items(catalog.skill_mds()))
    }

    async fn read_resource_directory(
        &self,
        request: ReadResourceDirectoryRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceDirectoryResult, McpError> {
        let catalog = self.catalog(&ctx).await?;
        Ok(ReadResourceDirectoryResult::with_all_items(
            catalog.directory(&request.uri)?,
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let (caller, _) = admitted::<McpCaller>(&ctx)?;
        let catalog = Catalog::of(&self.state, &caller.tenant_id, &caller.agent).await?;
        let result = catalog
            .read(&self.state, &caller.tenant_id, &request.uri)
            .await?;
        Ok(result.into())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let (caller, _) = admitted::<McpCaller>(&ctx)?;
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
        let (caller, request_id) = admitted::<McpCaller>(&ctx)?;
        let tasks_declared = tasks::declared(&ctx);
        if super::discovery::NAMES.contains(&request.name.as_ref()) {
            let args = request.arguments.unwrap_or_default();
            let result = super::discovery::call(&self.state, &caller, &request.name, &args)
                .await
                .unwrap_or_else(|error| failed(error.code(), &error));
            return Ok(result.into());
        }
        let tenant = caller.tenant_id.clone();
        // `<skill>__<ability>` or `<server>__<tool>`: skill and server names
        // have no underscores, so the first double underscore splits. A
        // server may not take an installed skill's name; a skill installed
        // later under a server's name claims only its own abilities' names,
        // as the tool list does. Anything else is an attached skillset's
        // ability.
        if let Some((prefix, rest)) = split_tool_name(&request.name) {
            let skill = self
                .state
                .store
                .skill_shared(&tenant, prefix)
                .await
                .map_err(internal)?
                // A skill installed after a server took its name does not
                // hide the server's tools: only an ability it has is its.
                .filter(|s| s.manifest.name == prefix && s.manifest.ability(rest).is_some());
            // Not this agent's skill: its name is the server's, as in the
            // tool list.
            let assignment = match &skill {
                Some(found) => self
                    .state
                    .store
                    .assignment(&tenant, &found.id, &caller.agent.id)
                    .await
                    .map_err(internal)?,
                None => None,
            };
            if let (Some(skill), Some(assignment)) = (skill, assignment) {
                let spec = skill.manifest.ability(rest).expect("filtered on it");
                let wrapped = !is_object_schema(&spec.input_schema);
                let input = tool_input(request.arguments, wrapped);
                let target = Target::Assigned {
                    ability: spec.name.clone(),
                    skill,
                    assignment,
                };
                return self
                    .call(
                        &caller,
                        &request.name,
                        target,
                        input,
                        request_id,
                        tasks_declared,
                    )
                    .await;
            }
            if let Some(server) = self
                .state
                .store
                .mcp_server(&tenant, &caller.agent.id, prefix)
                .await
                .map_err(internal)?
            {
                let target = Target::ServerTool {
                    server,
                    tool: rest.to_owned(),
                };
                let input = Value::Object(request.arguments.clone().unwrap_or_default());
                return self
                    .call(
                        &caller,
                        &request.name,
                        target,
                        input,
                        request_id,
                        tasks_declared,
                    )
                    .await;
            }
        }
        self.call_attached(caller, request, request_id, tasks_declared)
            .await
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, McpError> {
        let (caller, _) = admitted::<McpCaller>(&ctx)?;
        tasks::get(&self.state, &caller, &request.task_id).await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let (caller, _) = admitted::<McpCaller>(&ctx)?;
        tasks::cancel(&self.state, &caller, &request.task_id).await
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let (caller, _) = admitted::<McpCaller>(&ctx)?;
        tasks::update(&self.state, &caller, &request.task_id).await
    }
}

/// `<prefix>__<rest>` split at the first double underscore. By bytes: a
/// `str` pattern builds a substring searcher on every call (about 5 000
/// instructions, counted), for a two-byte needle.
fn split_tool_name(name: &str) -> Option<(&str, &str)> {
    let at = name.as_bytes().windows(2).position(|pair| pair == b"__")?;
    Some((&name[..at], &name[at + 2..]))
}
