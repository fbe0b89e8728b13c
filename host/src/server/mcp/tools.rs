//! An agent's skills as MCP tools.
//!
//! Naming: a tool is `<skill>__<ability>` — the skill's name (lowercase
//! letters, digits and `-`) and the ability's name (lowercase letters,
//! digits, `_` and `-`) joined by two underscores. Both parts are
//! validated at install, so the name is stable, unique per agent and
//! within MCP's `[A-Za-z0-9_.-]{1,128}` (and the stricter 64-character
//! `[A-Za-z0-9_-]` many model APIs require, for names up to that length).
use crate::capability::Policy;
use crate::invocation::{
    self, Category, Failure, Outcome, Request, approved_policy, effective_policy,
};
use crate::server::error::ApiError;
use crate::server::skillsets::interface::ability_interface;
use crate::services::AppState;
use crate::store::AbilityStatus;
use crate::store::Agent;
use crate::store::SkillStatus;
use crate::store::{AbilityRow, SkillsetRow};
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use std::sync::Arc;

/// `<skill>__<ability>`.
pub(crate) fn tool_name(skill: &str, ability: &str) -> String {
    format!("{skill}__{ability}")
}

/// Whether an input schema is an object's, as MCP wants a tool's; any
/// other (a command's array of arguments) is wrapped by `object_schema`.
pub(crate) fn is_object_schema(schema: &Value) -> bool {
    schema.is_object()
        && (schema.get("type").and_then(Value::as_str) == Some("object")
            || (schema.get("type").is_none() && schema.get("properties").is_some()))
}

/// An MCP input schema is an object; anything else (a command's array of
/// arguments) becomes the `args` property of one. The call path needs only
/// `is_object_schema`: this copies the schema.
pub(crate) fn object_schema(schema: &Value) -> JsonObject {
    match schema {
        Value::Object(map) if is_object_schema(schema) => map.clone(),
        other => {
            let wrapped = json!({
                "type": "object",
                "properties": { "args": other },
                "required": ["args"],
                "additionalProperties": false,
            });
            let Value::Object(map) = wrapped else {
                unreachable!("a JSON object literal")
            };
            map
        }
    }
}

/// Hints from what a call may do: open world with network; read-only with
/// neither network nor a writable mount.
pub(crate) fn annotations(policy: &Policy) -> ToolAnnotations {
    let network = !policy.network.is_empty();
    let writes = policy.mounts.iter().any(|m| m.writable);
    ToolAnnotations::new()
        .read_only(!network && !writes)
        .open_world(network)
}

/// A call's output as a tool result: the text, and the same as structured
/// content when it is a JSON object (a command's stdout included).
pub(crate) fn success(body: String) -> CallToolResult {
    let structured = serde_json::from_str::<Value>(body.trim())
        .ok()
        .filter(Value::is_object);
    let mut result = CallToolResult::success(vec![ContentBlock::text(body)]);
    result.structured_content = structured;
    result
}

/// A tool call's arguments as the ability's input: the `args` property
/// when the tool wraps a command's array input.
pub(crate) fn tool_input(arguments: Option<JsonObject>, wrapped: bool) -> Value {
    let input = Value::Object(arguments.unwrap_or_default());
    if wrapped {
        input
            .get("args")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
    } else {
        input
    }
}

/// A call's failure as a tool result: `isError` with its category's code
/// first, then what happened (not the category's words again).
pub(crate) fn failure(failure: &Failure) -> CallToolResult {
    failed(failure.code(), &failure.detail)
}

/// A failed call as a tool result: `isError` with its category first.
pub(crate) fn failed(code: &str, message: impl std::fmt::Display) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{code}: {message}"))])
}

/// An outcome as a tool result: a remote tool's own result as it is, an
/// output as text (and structured content), a failure as `isError`.
pub(crate) fn outcome_result(outcome: Outcome) -> CallToolResult {
    if let Some(result) = outcome.tool_result {
        return result;
    }
    match outcome.result {
        Ok(output) => success(output.body),
        Err(error) => failure(&error),
    }
}

/// Every tool the agent may call now, in this order (a later tool whose
/// name is taken is left out): each ability of each enabled assignment of
/// an active, approved skill; each tool of each approved remote MCP server
/// (`<server>__<tool>`, from the cached list); each active ability of each
/// attached skillset (its own tool name; one dedicated to another agent
/// is left out).
pub(crate) async fn agent_tools(
    state: &AppState,
    tenant_id: &str,
    agent: &Agent,
) -> Result<Vec<Tool>, ApiError> {
    let mut tools = Vec::new();
    for (assignment, skill) in state.store.agent_skills(tenant_id, &agent.id).await? {
        if !assignment.enabled || skill.status != SkillStatus::Active {
            continue;
        }
        let limits = state.loader.runtime().limits();
        let Some(Ok(policy)) = effective_policy(limits, &skill, &assignment) else {
            continue;
        };
        let hints = annotations(&policy);
        let name = &skill.manifest.name;
        for ability in &skill.manifest.abilities {
            let schema = object_schema(&ability.input_schema);
            let tool = Tool::new(
                tool_name(name, &ability.name),
                ability.description.clone(),
                Arc::new(schema),
            )
            .with_title(format!("{name}: {}", ability.name))
            .with_annotations(hints.clone());
            tools.push(tool);
        }
    }
    let mut taken: std::collections::HashSet<String> =
        tools.iter().map(|t| t.name.to_string()).collect();
    for server in state.store.mcp_servers(tenant_id, &agent.id).await? {
        if server.approval != "approved" {
            continue;
        }
        for remote in &server.tools {
            let Ok(mut tool) = serde_json::from_value::<Tool>(remote.clone()) else {
                continue;
            };
            let name = tool_name(&server.name, &tool.name);
            // A remote may name tools as it likes; ours stay valid MCP names.
            let valid = name.len() <= 128
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !valid || !taken.insert(name.clone()) {
                tracing::debug!(server = %server.name, tool = %tool.name, "remote tool left out: its name is invalid or taken");
                continue;
            }
            tool.name = name.into();
            // It runs outside the sandbox, somewhere on the network.
            if tool.annotations.is_none() {
                tool.annotations = Some(ToolAnnotations::new().open_world(true));
            }
            tools.push(tool);
        }
    }
    for ability in attached_abilities(state, tenant_id, agent).await? {
        if taken.contains(&ability.tool_name) {
            continue;
        }
        let tool = ability_tool(state, tenant_id, &ability)
            .await
            .map_err(|_| ApiError::Internal)?;
        if let Some(tool) = tool {
            taken.insert(ability.tool_name.clone());
            tools.push(tool);
        }
    }
    Ok(tools)
}

/// Whether an attached skillset's ability is one `agent` may call.
fn callable_by(ability: &AbilityRow, agent: &Agent) -> bool {
    let dedicated_elsewhere = ability
        .bot_id
        .as_ref()
        .is_some_and(|bot| bot != &agent.id && bot != &agent.name);
    ability.status == AbilityStatus::Active && !dedicated_elsewhere
}

/// The first ability called `tool_name` of the skillsets attached to
/// `agent` that it may call (cached lookups by name: the call path reads
/// no whole skillset).
pub(crate) async fn attached_ability(
    state: &AppState,
    tenant_id: &str,
    agent: &Agent,
    tool_name: &str,
) -> Result<Option<(SkillsetRow, AbilityRow)>, ApiError> {
    for id in state.store.agent_skillset_ids(tenant_id, &agent.id).await? {
        let found = state
            .store
            .ability_by_name(tenant_id, &id, tool_name)
            .await?;
        if let Some(ability) = found.filter(|a| a.tool_name == tool_name && callable_by(a, agent))
            && let Some(skillset) = state.store.skillset(tenant_id, &id).await?
        {
            return Ok(Some((skillset, ability)));
        }
    }
    Ok(None)
}

/// The active abilities of the skillsets attached to `agent` that it may
/// call, in attach order.
async fn attached_abilities(
    state: &AppState,
    tenant_id: &str,
    agent: &Agent,
) -> Result<Vec<AbilityRow>, ApiError> {
    let mut out = Vec::new();
    for id in state.store.agent_skillset_ids(tenant_id, &agent.id).await? {
        let abilities = state.store.skillset_abilities(tenant_id, &id).await?;
        out.extend(abilities.into_iter().filter(|a| callable_by(a, agent)));
    }
    Ok(out)
}

/// An ability's own input schema; `None` when it cannot be called (its
/// skill is gone).
async fn ability_input_schema(
    state: &AppState,
    tenant: &str,
    ability: &AbilityRow,
) -> Result<Option<Value>, McpError> {
    let (schema, _) = ability_interface(state, tenant, ability)
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    Ok(schema)
}

/// A call's input for an ability, or `None` when it cannot be called: the
/// call path needs only this, not the whole tool.
pub(crate) async fn ability_call_input(
    state: &AppState,
    tenant: &str,
    ability: &AbilityRow,
    arguments: Option<JsonObject>,
) -> Result<Option<Value>, McpError> {
    let schema = ability_input_schema(state, tenant, ability).await?;
    Ok(schema.map(|s| tool_input(arguments, !is_object_schema(&s))))
}

/// An ability as a tool; `None` when it cannot be called (its skill is
/// gone).
pub(crate) async fn ability_tool(
    state: &AppState,
    tenant: &str,
    ability: &AbilityRow,
) -> Result<Option<Tool>, McpError> {
    let Some(schema) = ability_input_schema(state, tenant, ability).await? else {
        return Ok(None);
    };
    let schema = object_schema(&schema);
    let hints = if ability.instruction.is_some() {
        // An instruction reaches its one origin.
        ToolAnnotations::new().read_only(false).open_world(true)
    } else {
        match skill_policy(state, tenant, ability).await? {
            Some(policy) => annotations(&policy),
            None => ToolAnnotations::new(),
        }
    };
    let tool = Tool::new(
        ability.tool_name.clone(),
        ability.description.clone(),
        Arc::new(schema),
    )
    .with_title(ability.name.clone())
    .with_annotations(hints);
    Ok(Some(tool))
}

/// The approved policy of the skill behind a skill ability.
async fn skill_policy(
    state: &AppState,
    tenant: &str,
    ability: &AbilityRow,
) -> Result<Option<Policy>, McpError> {
    let Some(skill_id) = &ability.skill_id else {
        return Ok(None);
    };
    let skill = state
        .store
        .skill_shared(tenant, skill_id)
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    let limits = state.loader.runtime().limits();
    Ok(skill.and_then(|s| approved_policy(limits, &s)?.ok()))
}

/// A name that is none of this agent's tools (or not this agent's to call:
/// never told apart).
pub(super) fn unknown_tool(name: &str) -> McpError {
    McpError::invalid_params(
        format!("no tool `{name}` for this agent; tools/list names the ones it may call"),
        None,
    )
}

/// Runs a tool call through the one invocation path; a target the caller
/// cannot name is an unknown tool.
pub(super) async fn run_call(
    state: &AppState,
    name: &str,
    request: Request,
) -> Result<CallToolResult, McpError> {
    Ok(match invocation::invoke(state, request).await {
        Err(error) if error.category == Category::NotFound => return Err(unknown_tool(name)),
        Err(error) => failure(&error),
        Ok(outcome)
            if !outcome.ran
                && matches!(&outcome.result, Err(e) if e.category == Category::NotFound) =>
        {
            return Err(unknown_tool(name));
        }
        Ok(outcome) => outcome_result(outcome),
    })
}

/// A failure of ours, as a protocol error (its detail is logged where it
/// happened).
pub(super) fn internal(error: impl std::fmt::Display) -> McpError {
    McpError::internal_error(error.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_schemas_pass_and_arrays_are_wrapped() {
        let object = json!({"type": "object", "properties": {"a": {}}});
        assert!(is_object_schema(&object));
        assert!(object_schema(&object)["properties"]["a"].is_object());
        let array = json!({"type": "array", "items": {"type": "string"}});
        assert!(!is_object_schema(&array));
        let s = object_schema(&array);
        assert_eq!(s["properties"]["args"]["type"], "array");
        assert_eq!(s["required"], json!(["args"]));
        assert_eq!(tool_name("text-tools", "slugify"), "text-tools__slugify");
        assert!(is_object_schema(&json!({"properties": {"a": {}}})));
        assert!(!is_object_schema(&json!(true)));
    }
}
