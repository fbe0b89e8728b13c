//! What a surface asks the invocation path to do: who calls, what, with
//! which input, from where.
use crate::ability::outcome::Failure;
use crate::runtime::SessionScope;
use crate::store::{AbilityRow, Agent, AssignmentRow, McpServerRow, SkillRow, SkillsetRow};
use serde_json::Value;
use std::sync::Arc;

/// The surfaces calls come through, as the audit trail and the metrics
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// The REST API (`…/skills/{skill}/invoke`, `…/mcp/invoke`).
    Rest,
    /// `tools/call` on an MCP endpoint (an agent's, or an integration's).
    Mcp,
    /// A skill server's runtime URL.
    SkillServer,
}

impl Surface {
    /// The name in audit records and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Rest => "rest",
            Surface::Mcp => "mcp",
            Surface::SkillServer => "skillserver",
        }
    }
}

/// Who calls: always a tenant; an agent when an agent calls (REST, its MCP
/// endpoint), an integration when a skillset's integration does.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's tenant: every lookup is scoped to it.
    pub tenant_id: String,
    /// The calling agent, already resolved in the tenant.
    pub agent: Option<Agent>,
    /// The calling integration (a skill server or MCP server integration).
    pub integration_id: Option<String>,
}

impl Caller {
    /// An agent of `tenant_id` (resolved in that tenant).
    pub fn agent(tenant_id: &str, agent: Agent) -> Caller {
        Caller {
            tenant_id: tenant_id.to_owned(),
            agent: Some(agent),
            integration_id: None,
        }
    }

    /// An integration of `tenant_id` (a skill server or an MCP server
    /// integration).
    pub fn integration(tenant_id: &str, integration_id: &str) -> Caller {
        Caller {
            tenant_id: tenant_id.to_owned(),
            agent: None,
            integration_id: Some(integration_id.to_owned()),
        }
    }

    /// The state session `id` of `skill` names for this caller. The caller
    /// is part of the namespace: a session id is only a name a client
    /// chose, so without it another agent, or an integration, that used the
    /// same id would read and overwrite this caller's state. Ids, not
    /// names: an agent deleted and made again under its name starts afresh.
    pub(super) fn session(&self, skill: &str, id: String) -> Result<SessionScope, Failure> {
        let owner = match (&self.agent, &self.integration_id) {
            (Some(agent), _) => format!("agent:{}", agent.id),
            (None, Some(integration)) => format!("integration:{integration}"),
            (None, None) => {
                // Every surface names its caller; state nobody owns would
                // be shared by every such call, so none is kept.
                tracing::error!("a call with a session but no agent or integration");
                return Err(Failure::internal());
            }
        };
        Ok(SessionScope {
            namespace: format!("{}/{skill}/{owner}", self.tenant_id),
            id,
        })
    }
}

/// What is called. Built once per call and moved once into the path:
/// boxing the larger variants would only add allocations to every call.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Target {
    /// An agent's assigned skill, by id or name (seed 003's invoke); the
    /// ability may be left out when the skill has one.
    Skill {
        /// Id or name.
        skill: String,
        /// Which ability.
        ability: Option<String>,
    },
    /// The same, already looked up by the surface while routing (an MCP
    /// tool name names the skill): not looked up again.
    Assigned {
        /// The skill.
        skill: Arc<SkillRow>,
        /// The caller's assignment of it.
        assignment: AssignmentRow,
        /// Which ability (it exists).
        ability: String,
    },
    /// An ability of a skillset the caller may use (an integration's, or
    /// one attached to the agent).
    SkillsetAbility {
        /// The skillset.
        skillset: SkillsetRow,
        /// The ability.
        ability: AbilityRow,
    },
    /// A tool of one of the agent's remote MCP servers.
    RemoteTool {
        /// The server's name.
        server: String,
        /// The tool's name on that server.
        tool: String,
    },
    /// The same, the server already looked up by the surface while
    /// routing (an MCP tool name names the server).
    ServerTool {
        /// The agent's server.
        server: McpServerRow,
        /// The tool's name on that server.
        tool: String,
    },
}

/// One call.
#[derive(Debug, Clone)]
pub struct Request {
    /// Who calls.
    pub caller: Caller,
    /// What.
    pub target: Target,
    /// Its input (seed 003's `args`, a tool's arguments).
    pub input: Value,
    /// Session id for session state (1-128 characters).
    pub session: Option<String>,
    /// Where the call came from.
    pub surface: Surface,
    /// The HTTP request id, for the audit and the logs.
    pub request_id: Option<String>,
}
