//! What a skillset ability takes: its input schema and guidance, from
//! its instruction or from the installed skill behind it.
use crate::server::error::ApiError;
use crate::services::AppState;
use serde_json::Value;

/// What callers see of an ability: its input schema and, for an
/// instruction, the guidance around the template. `None` for the schema
/// when the skill behind a skill ability is gone.
pub(crate) async fn ability_interface(
    state: &AppState,
    tenant_id: &str,
    ability: &crate::store::AbilityRow,
) -> Result<(Option<Value>, String), ApiError> {
    if let Some(text) = &ability.instruction {
        // The runner's parse cache: an instruction is parsed once, not
        // once for its interface and again for the call.
        return Ok(match crate::invocation::parsed_instruction(ability, text) {
            Ok(parsed) => (Some(parsed.input_schema()), parsed.guidance.clone()),
            Err(_) => (None, String::new()),
        });
    }
    let Some(skill_id) = &ability.skill_id else {
        return Ok((None, String::new()));
    };
    let schema = state
        .store
        .skill_shared(tenant_id, skill_id)
        .await?
        .and_then(|skill| {
            let name = ability.ability.as_deref().unwrap_or_default();
            skill
                .manifest
                .abilities
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.input_schema.clone())
        });
    Ok((schema, String::new()))
}
