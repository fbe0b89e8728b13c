//! Seed 001's agent tools on `/mcp/agents/{agent}`: `skill_query`,
//! `skill_discover`, `skill_request`, `connector_discover` and
//! `connector_request`, with the parameters and result shapes the seed
//! gives. Requests become tasks an admin decides (`/api/tasks`).
use super::admission::McpCaller;
use super::tools::{failed, success};
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::{SkillFilter, SkillRow};
use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The names of the seed's tools.
pub(crate) const NAMES: &[&str] = &[
    "skill_query",
    "skill_discover",
    "skill_request",
    "connector_discover",
    "connector_request",
];

fn schema(properties: Value, required: &[&str]) -> Arc<JsonObject> {
    let Value::Object(map) = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    }) else {
        unreachable!("a JSON object literal")
    };
    Arc::new(map)
}

/// The seed's tool definitions.
pub(crate) fn tools() -> Vec<Tool> {
    let text = |d: &str| json!({"type": "string", "description": d});
    let read = ToolAnnotations::new().read_only(true).open_world(false);
    let ask = ToolAnnotations::new().read_only(false).open_world(false);
    vec![
        Tool::new(
            "skill_query",
            "Load instructions from an assigned skill. Use when you need domain expertise.",
            schema(
                json!({
                    "skillId": text("Skill ID to query (from available skills list)"),
                    "query": text("The question or topic"),
                    "context": text("Additional context to improve relevance"),
                    "referenceFile": text("Specific reference file to load (e.g., 'ESCALATION-MATRIX.md')"),
                }),
                &["skillId"],
            ),
        )
        .with_annotations(read.clone()),
        Tool::new(
            "skill_discover",
            "Browse the full skill catalog to find skills you don't have yet.",
            schema(
                json!({
                    "category": text("Filter by category (sales, engineering, etc.)"),
                    "query": text("Keyword search across skill names and descriptions"),
                }),
                &[],
            ),
        )
        .with_annotations(read.clone()),
        Tool::new(
            "skill_request",
            "Request assignment of a skill from the catalog.",
            schema(
                json!({
                    "skillId": text("The skill ID to request"),
                    "reason": text("Why you need this skill"),
                }),
                &["skillId", "reason"],
            ),
        )
        .with_annotations(ask.clone()),
        Tool::new(
            "connector_discover",
            "Discover available and connected integrations.",
            schema(
                json!({"category": text("Filter by category (productivity, crm, developer, etc.)")}),
                &[],
            ),
        )
        .with_annotations(read),
        Tool::new(
            "connector_request",
            "Request setup of a missing integration.",
            schema(
                json!({
                    "integrationId": text("The integration slug (e.g., 'github', 'slack')"),
                    "reason": text("Why you need this integration"),
                }),
                &["integrationId", "reason"],
            ),
        )
        .with_annotations(ask),
    ]
}

fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    args.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn json_result(value: Value) -> CallToolResult {
    success(value.to_string())
}

/// Runs one of the seed's tools.
pub(crate) async fn call(
    state: &AppState,
    caller: &McpCaller,
    name: &str,
    args: &Map<String, Value>,
) -> Result<CallToolResult, ApiError> {
    let tenant = &caller.tenant_id;
    let agent = &caller.agent;
    let assigned: BTreeSet<String> = state
        .store
        .agent_skills(tenant, &agent.id)
        .await?
        .into_iter()
        .filter(|(a, _)| a.enabled)
        .flat_map(|(_, s)| [s.id.clone(), s.manifest.name.clone()])
        .collect();
    match name {
        "skill_query" => {
            let Some(id) = arg(args, "skillId") else {
                return Ok(failed("invalid_input", "`skillId` is required"));
            };
            let skill = state.store.skill(tenant, id).await?;
            let Some(skill) =
                skill.filter(|s| assigned.contains(&s.id) || assigned.contains(&s.manifest.name))
            else {
                return Ok(failed(
                    "not_assigned",
                    format!(
                        "skill `{id}` is not assigned to this agent; skill_discover lists the catalog and skill_request asks for it"
                    ),
                ));
            };
            // A SKILL.md skill (seed 004) carries its documents in its
            // source; a component in its package.
            let docs = match skill.detail.as_deref() {
                Some(detail) => detail.docs().cloned().map(std::sync::Arc::new),
                None => state.component_docs(tenant, &skill.digest).await?,
            };
            // Seed 004's promptOverride replaces the instructions for this
            // agent only.
            let prompt_override = state
                .store
                .assignment(tenant, &skill.id, &agent.id)
                .await?
                .and_then(|a| a.prompt_override);
            let none = crate::docs::SkillDocs::default();
            let docs = docs.as_deref().unwrap_or(&none);
            let available: Vec<&str> = docs.references.keys().map(String::as_str).collect();
            let references: Vec<Value> = match arg(args, "referenceFile") {
                Some(file) => match docs.reference(file) {
                    Some((path, content)) => vec![json!({"path": path, "content": content})],
                    None => {
                        let files = if available.is_empty() {
                            "it has none".to_owned()
                        } else {
                            format!("its reference files: {}", available.join(", "))
                        };
                        return Ok(failed(
                            "not_found",
                            format!(
                                "skill `{}` has no reference file `{file}`; {files}",
                                skill.manifest.name
                            ),
                        ));
                    }
                },
                // Without a file named, a query brings the references whose
                // path or text contains it (case-insensitively): a plain
                // substring match, not a ranking.
                None => match arg(args, "query").map(str::to_lowercase) {
                    Some(query) => docs
                        .references
                        .iter()
                        .filter(|(path, text)| {
                            path.to_lowercase().contains(&query)
                                || text.to_lowercase().contains(&query)
                        })
                        .map(|(path, content)| json!({"path": path, "content": content}))
                        .collect(),
                    None => Vec::new(),
                },
            };
            Ok(json_result(json!({
                "skill": summary(&skill),
                "instructions": prompt_override.unwrap_or_else(|| docs
                    .instructions()
                    .map_or_else(|| instructions(&skill), str::to_owned)),
                "references": references,
                "availableReferences": available,
                "availableScripts": &docs.scripts,
            })))
        }
        "skill_discover" => {
            let filter = SkillFilter {
                category: arg(args, "category").map(str::to_owned),
                status: Some("active".into()),
                ..SkillFilter::default()
            };
            let (skills, _) = state.store.list_skills(tenant, &filter).await?;
            let query = arg(args, "query").map(str::to_lowercase);
            let found: Vec<Value> = skills
                .iter()
                .filter(|s| {
                    query.as_ref().is_none_or(|q| {
                        s.manifest.name.to_lowercase().contains(q)
                            || s.manifest.description.to_lowercase().contains(q)
                    })
                })
                .map(|s| {
                    let mut v = summary(s);
                    v["version"] = json!(s.manifest.version.to_string());
                    v["author"] = Value::Null;
                    v["assignedToMe"] = json!(assigned.contains(&s.id));
                    v
                })
                .collect();
            Ok(json_result(
                json!({ "total": found.len(), "skills": found }),
            ))
        }
        "skill_request" => {
            let (Some(id), Some(reason)) = (arg(args, "skillId"), arg(args, "reason")) else {
                return Ok(failed(
                    "invalid_input",
                    "`skillId` and `reason` are required",
                ));
            };
            let Some(skill) = state.store.skill(tenant, id).await? else {
                return Ok(failed(
                    "not_found",
                    format!("no skill `{id}` in the catalog; skill_discover lists it"),
                ));
            };
            if assigned.contains(&skill.id) {
                return Ok(failed(
                    "already_assigned",
                    format!(
                        "skill `{}` is already assigned to this agent",
                        skill.manifest.name
                    ),
                ));
            }
            let (task, _) = state
                .store
                .request_task(tenant, "skill_request", &agent.id, &skill.id, reason)
                .await?;
            Ok(json_result(json!({
                "taskId": task.id,
                "status": task.status,
                "message": "Skill assignment request created. An administrator will review and approve.",
            })))
        }
        "connector_discover" => connectors(state, tenant, arg(args, "category"))
            .await
            .map(json_result),
        "connector_request" => {
            let (Some(id), Some(reason)) = (arg(args, "integrationId"), arg(args, "reason")) else {
                return Ok(failed(
                    "invalid_input",
                    "`integrationId` and `reason` are required",
                ));
            };
            let slug = crate::store::reference_name(id);
            if slug.is_empty() {
                return Ok(failed(
                    "invalid_input",
                    "`integrationId` names a connector, e.g. `github`",
                ));
            }
            let (task, _) = state
                .store
                .request_task(tenant, "connector_request", &agent.id, &slug, reason)
                .await?;
            Ok(json_result(json!({
                "taskId": task.id,
                "status": task.status,
                "message": format!("Integration setup request created for {id}. An administrator will review."),
            })))
        }
        _ => Ok(failed("not_found", format!("no tool `{name}`"))),
    }
}

fn summary(skill: &SkillRow) -> Value {
    json!({
        "id": skill.id,
        "name": skill.manifest.name,
        "description": skill.manifest.description,
        "category": skill.manifest.category,
    })
}

/// A skill's instructions, written from its description and abilities,
/// for a skill that carries no SKILL.md (or one with an empty body).
fn instructions(skill: &SkillRow) -> String {
    let m = &skill.manifest;
    let mut out = format!("# {}\n\n{}\n\n## Abilities\n", m.name, m.description);
    for a in &m.abilities {
        out.push_str(&format!(
            "\n### {}\n\n{}\n\nCall it as the tool `{}`. Input schema:\n\n```json\n{}\n```\n",
            a.name,
            a.description,
            super::tools::tool_name(&m.name, &a.name),
            serde_json::to_string_pretty(&a.input_schema).unwrap_or_default()
        ));
    }
    out
}

/// Connectors are the tenant's credentials for outside services: its
/// secrets are connected; the secrets catalog skills declare that the
/// tenant lacks are available, each with the skills that want it.
async fn connectors(
    state: &AppState,
    tenant: &str,
    category: Option<&str>,
) -> Result<Value, ApiError> {
    let mut connected = Vec::new();
    let mut have = BTreeSet::new();
    let mut page = crate::store::Page {
        take: 100,
        ..Default::default()
    };
    loop {
        let batch = state.store.list_secrets(tenant, &page).await?;
        for s in &batch {
            have.insert(s.reference.clone());
            connected.push(json!({"id": s.reference.to_lowercase(), "name": s.name, "category": s.meta.get("category")}));
        }
        match batch.last() {
            Some(last) if batch.len() == 100 => {
                page.after = Some((last.created_at.clone(), last.id.clone()))
            }
            _ => break,
        }
    }
    let filter = SkillFilter {
        status: Some("active".into()),
        ..SkillFilter::default()
    };
    let (skills, _) = state.store.list_skills(tenant, &filter).await?;
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for skill in &skills {
        for secret in &skill.manifest.capabilities.secrets {
            wanted
                .entry(crate::store::reference_name(secret))
                .or_default()
                .insert(skill.manifest.name.clone());
        }
    }
    let available: Vec<Value> = wanted
        .keys()
        .filter(|k| !have.contains(*k))
        .map(|k| json!({"id": k.to_lowercase(), "name": k, "category": null}))
        .collect();
    let suggested: Vec<Value> = wanted
        .iter()
        .map(|(k, skills)| json!({"integrationId": k.to_lowercase(), "suggestedSkills": skills}))
        .collect();
    let keep = |v: &Value| category.is_none_or(|c| v["category"] == c);
    Ok(json!({
        "connected": connected.into_iter().filter(keep).collect::<Vec<_>>(),
        "available": available.into_iter().filter(keep).collect::<Vec<_>>(),
        "suggestedSkills": suggested,
    }))
}
