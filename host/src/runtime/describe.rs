//! Asking a bare SDK component for its abilities, when packaging.
use super::bindings;
use super::invoke::{empty_policy, new_store, unique_id};
use super::sandbox::Runtime;
use crate::error::LoadError;
use crate::manifest::AbilitySpec;
use std::sync::Arc;
use wasmtime::component::Component;

impl Runtime {
    /// Asks a bare SDK component for its abilities, in a sandbox granted
    /// nothing. Used when packaging: the result is embedded so that
    /// installing never has to run the skill.
    pub async fn describe(&self, component_bytes: &[u8]) -> Result<Vec<AbilitySpec>, LoadError> {
        let component = Component::new(&self.inner.engine, component_bytes)
            .map_err(|e| LoadError::Component(format!("{e:#}")))?;
        super::engine::prepare_memory_images(&component)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let pre =
            bindings::SkillPre::new(pre).map_err(|e| LoadError::Component(format!("{e:#}")))?;
        let policy = Arc::new(empty_policy(&self.inner.config.limits));
        let id = unique_id();
        let mut store = new_store(
            self,
            policy,
            None,
            "describe",
            &id,
            wasmtime_wasi::WasiCtxBuilder::new().build(),
        );
        let abilities = async {
            let skill = pre.instantiate_async(&mut store).await?;
            skill
                .skillhost_skill_abilities()
                .call_describe(&mut store)
                .await
        }
        .await
        .map_err(|e| LoadError::Component(format!("describing abilities: {e:#}")))?;
        abilities
            .into_iter()
            .map(|a| {
                let schema =
                    serde_json::from_str(&a.input_schema).map_err(|e| LoadError::Schema {
                        ability: a.name.clone(),
                        message: format!("not JSON: {e}"),
                    })?;
                Ok(AbilitySpec {
                    name: a.name,
                    description: a.description,
                    input_schema: schema,
                })
            })
            .collect()
    }
}
