//! The MCP handler of `/integration/mcpserver/{id}/mcp`: the linked
//! skillset's abilities as tools, called through the one invocation path
//! (audited with the integration as the caller).
use super::admission::admitted;
use super::tools::{ability_call_input, ability_tool as tool, failure, internal, outcome_result};
use crate::invocation::{self, Caller, Request, Surface, Target};
use crate::services::AppState;
use crate::store::{IntegrationRow, SkillsetRow};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

/// The integration [`super::authorize_integration`] admitted.
#[derive(Debug, Clone)]
pub(crate) struct IntegrationCaller {
    /// The integration.
    pub integration: IntegrationRow,
    /// Its skillset now.
    pub skillset: SkillsetRow,
}

/// One request's handler.
#[derive(Clone)]
pub(crate) struct SkillsetTools {
    state: AppState,
}

impl SkillsetTools {
    pub(crate) fn new(state: AppState) -> Self {
        SkillsetTools { state }
    }
}

impl ServerHandler for SkillsetTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("skillhost", env!("CARGO_PKG_VERSION")))
            .with_instructions("The abilities of one skillset, each a tool.")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let (caller, _) = admitted::<IntegrationCaller>(&ctx)?;
        let tenant = &caller.integration.tenant_id;
        let abilities = self
            .state
            .store
            .skillset_abilities(tenant, &caller.skillset.id)
            .await
            .map_err(internal)?;
        let mut tools = Vec::new();
        for ability in &abilities {
            if let Some(tool) = tool(&self.state, tenant, ability).await? {
                tools.push(tool);
            }
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let (caller, request_id) = admitted::<IntegrationCaller>(&ctx)?;
        let tenant = caller.integration.tenant_id.clone();
        let unknown = || {
            McpError::invalid_params(
                format!(
                    "no tool `{}` here; tools/list names the ones this server offers",
                    request.name
                ),
                None,
            )
        };
        let ability = self
            .state
            .store
            .ability_by_name(&tenant, &caller.skillset.id, &request.name)
            .await
            .map_err(internal)?
            .filter(|a| a.tool_name == request.name)
            .ok_or_else(unknown)?;
        let Some(input) =
            ability_call_input(&self.state, &tenant, &ability, request.arguments).await?
        else {
            return Err(unknown());
        };
        let request = Request {
            caller: Caller::integration(&tenant, &caller.integration.id),
            target: Target::SkillsetAbility {
                skillset: caller.skillset.clone(),
                ability,
            },
            input,
            session: None,
            surface: Surface::Mcp,
            request_id,
        };
        let result = match invocation::invoke(&self.state, request).await {
            Ok(outcome) => outcome_result(outcome),
            Err(error) => failure(&error),
        };
        Ok(result.into())
    }
}
