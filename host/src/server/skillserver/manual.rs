//! The skill server's manual: plain text, generated from the skillset at
//! request time, enough for an agent that has read nothing else to call
//! every ability correctly.
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::AbilityStatus;
use crate::store::{AbilityRow, IntegrationRow};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// One ability as the manual presents it.
struct Entry {
    name: String,
    description: String,
    schema: Value,
    guidance: String,
    note: Option<String>,
}

async fn entry(state: &AppState, tenant_id: &str, ability: &AbilityRow) -> Result<Entry, ApiError> {
    let (schema, guidance) =
        crate::server::skillsets::interface::ability_interface(state, tenant_id, ability).await?;
    let note = if ability.instruction.is_some() && ability.status != AbilityStatus::Active {
        Some("awaiting an admin's approval: calls fail until then".to_owned())
    } else if schema.is_none() {
        Some("its skill is no longer installed: calls fail".to_owned())
    } else {
        None
    };
    Ok(Entry {
        name: ability.tool_name.clone(),
        description: ability.description.clone(),
        schema: schema.unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        guidance,
        note,
    })
}

/// A placeholder value of a schema's type, for examples.
fn example(schema: &Value) -> Value {
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("number") => json!(1),
        Some("integer") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => json!("<text>"),
    }
}

fn parameters(out: &mut String, schema: &Value) -> Value {
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut sample = Map::new();
    if properties.is_empty() {
        if schema.get("type").and_then(Value::as_str) == Some("array") {
            out.push_str("Input: a JSON array of arguments (strings).\n");
            return json!([]);
        }
        out.push_str("Parameters: none; send \"input\": {}.\n");
        return json!({});
    }
    out.push_str("Parameters:\n");
    for (name, p) in &properties {
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("any");
        let is_required = required.contains(&name.as_str());
        let mut facts = vec![
            kind.to_owned(),
            if is_required { "required" } else { "optional" }.to_owned(),
        ];
        if let Some(default) = p.get("default") {
            facts.push(format!("default {default}"));
        }
        if let Some(choices) = p.get("enum").and_then(Value::as_array) {
            let choices: Vec<String> = choices.iter().map(Value::to_string).collect();
            facts.push(format!("one of {}", choices.join(", ")));
        }
        let _ = write!(out, "- {name} ({})", facts.join(", "));
        if let Some(d) = p.get("description").and_then(Value::as_str) {
            let _ = write!(out, ": {d}");
        }
        out.push('\n');
        if is_required {
            sample.insert(name.clone(), example(p));
        }
    }
    if sample.is_empty()
        && let Some((name, p)) = properties.iter().next()
    {
        sample.insert(name.clone(), example(p));
    }
    Value::Object(sample)
}

/// The manual for `integration`, whose runtime URL is `url`.
pub async fn write(
    state: &AppState,
    integration: &IntegrationRow,
    url: &str,
) -> Result<String, ApiError> {
    let tenant = &integration.tenant_id;
    let skillset = state
        .store
        .skillset(tenant, &integration.skillset_id)
        .await?
        .ok_or(ApiError::NotFound("skillset"))?;
    let abilities = state.store.skillset_abilities(tenant, &skillset.id).await?;
    let title = integration
        .name
        .clone()
        .unwrap_or_else(|| skillset.name.clone());
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    if let Some(d) = integration.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "{d}\n");
    }
    let _ = writeln!(out, "{}\n", skillset.description);
    let _ = writeln!(
        out,
        "This skill server offers {} abilit{}. To call one, send:\n\n  POST {url}\n  Authorization: Bearer <your access token>\n  Content-Type: application/json\n\n  {{\"ability\": \"<name>\", \"input\": {{<parameters>}}}}\n",
        abilities.len(),
        if abilities.len() == 1 { "y" } else { "ies" }
    );
    let _ = writeln!(
        out,
        "The answer is the ability's result as plain text. Add ?format=json to the URL (or send Accept: application/json) to get {{\"result\": ..., \"error\": null}}, or {{\"result\": null, \"error\": {{\"code\": ..., \"message\": ...}}}} when it fails. Errors come with an HTTP status: 400 for a malformed request, 401 without the right token, 404 for an unknown ability, 422 for input that does not fit the parameters, 502 or 504 when the ability or the service behind it fails.\n\nAdd ?session=<id> (1-128 characters of your choosing) to let abilities that keep state between calls share it across calls with the same id.\n\nThis manual: GET {url} (or {url}/manual) with the same token.\n"
    );
    for ability in &abilities {
        let e = entry(state, tenant, ability).await?;
        let _ = writeln!(out, "## {}\n", e.name);
        let _ = writeln!(out, "{}\n", e.description);
        if let Some(note) = &e.note {
            let _ = writeln!(out, "Note: {note}\n");
        }
        let sample_input = parameters(&mut out, &e.schema);
        out.push('\n');
        if !e.guidance.is_empty() {
            let _ = writeln!(out, "Guidance:\n{}\n", e.guidance);
        }
        let body = json!({"ability": e.name, "input": sample_input}).to_string();
        let _ = writeln!(
            out,
            "Example:\n  curl -s -X POST '{url}' \\\n    -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{}'\n",
            body.replace('\'', "'\\''")
        );
    }
    Ok(out)
}
