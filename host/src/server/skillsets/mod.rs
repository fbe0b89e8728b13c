//! Skillsets (seed 002): their abilities, and the integrations that serve
//! them (skill servers, MCP server integrations).
mod abilities;
pub(crate) mod access;
mod crud;
mod integrations;
pub(crate) mod interface;

use crate::services::AppState;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crud::router())
        .merge(abilities::router())
        .merge(integrations::router())
}

/// A request body that must be a JSON object. serde's derived
/// `Deserialize` also reads a struct from an array of its fields in
/// order, so `[null, null]` would pass for a partial update whose fields
/// are all optional; the API's bodies are objects.
pub(super) struct ObjectBody<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for ObjectBody<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = serde_json::Map::deserialize(d)?;
        T::deserialize(serde_json::Value::Object(fields))
            .map(ObjectBody)
            .map_err(D::Error::custom)
    }
}
