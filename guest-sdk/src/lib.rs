//! Write skillhost skills as plain typed Rust functions.
//!
//! A skill is a WebAssembly component built for `wasm32-wasip2`. With this
//! crate its author writes one ordinary function per ability inside a module
//! marked [`skill`]; the attribute generates every binding: the ability list
//! with JSON Schemas (from [`schemars::JsonSchema`]), input decoding, output
//! encoding and the component export.
//!
//! ```no_run
//! use skillhost_sdk::{Error, Json, JsonSchema};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, JsonSchema)]
//! pub struct Greet {
//!     /// Who to greet.
//!     pub name: String,
//! }
//!
//! #[derive(Serialize)]
//! pub struct Greeting {
//!     pub message: String,
//! }
//!
//! #[skillhost_sdk::skill]
//! mod abilities {
//!     use super::*;
//!
//!     /// Greets someone by name.
//!     pub fn greet(input: Greet) -> Result<Json<Greeting>, Error> {
//!         Ok(Json(Greeting { message: format!("Hello, {}!", input.name) }))
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! Everything a skill touches beyond its input goes through the host and is
//! limited to what the skill's `skill.toml` declares and the operator grants:
//! [`http`] for outgoing requests, `std::fs` for mounted directories,
//! `std::env` for declared variables, [`secret`], [`config`], [`session`] and
//! [`log`].
#![deny(missing_docs)]

// Generated bindings name this crate by its absolute path, inside it too.
extern crate self as skillhost_sdk;

mod error;
pub mod http;
pub mod log;
mod output;
pub mod session;

pub use error::Error;
pub use output::{IntoAbilityResult, Json, Output};
pub use schemars::JsonSchema;
pub use skillhost_sdk_macro::skill;

/// Returns the secret `name`, if the manifest declares it and the operator
/// supplied it.
///
/// The value is never logged by the host; keep it that way in your skill.
///
/// ```no_run
/// let key = skillhost_sdk::secret("WEATHER_API")?;
/// # Ok::<(), skillhost_sdk::Error>(())
/// ```
pub fn secret(name: &str) -> Result<String, Error> {
    __private::skillhost::skill::host::secret(name).map_err(Error::Denied)
}

/// Returns the configuration value `key` set for this skill (by the operator
/// or the agent's assignment), or `None`.
///
/// ```no_run
/// let units = skillhost_sdk::config("units").unwrap_or_else(|| "metric".into());
/// ```
pub fn config(key: &str) -> Option<String> {
    __private::skillhost::skill::host::config(key)
}

#[doc(hidden)]
pub mod __private {
    //! Support code for the `#[skill]` macro; not a stable API.
    pub use serde_json;
    pub use wit_bindgen;

    wit_bindgen::generate!({
        path: "../wit",
        world: "skillhost:skill/skill",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::skillhost_sdk::__private",
        runtime_path: "::skillhost_sdk::__private::wit_bindgen::rt",
    });

    use crate::{Error, IntoAbilityResult};
    use exports::skillhost::skill::abilities as wit;

    /// The ability descriptor the macro emits for each function.
    pub fn ability<I: schemars::JsonSchema>(name: &str, description: &str) -> wit::Ability {
        let schema = schemars::schema_for!(I);
        wit::Ability {
            name: name.to_owned(),
            description: description.trim().to_owned(),
            input_schema: serde_json::to_string(&schema).expect("a schema serialises"),
        }
    }

    /// Decodes an ability's JSON input.
    pub fn input<I: serde::de::DeserializeOwned>(json: &str) -> Result<I, wit::Error> {
        serde_json::from_str(json).map_err(|e| wit::Error::InvalidInput(e.to_string()))
    }

    /// Converts what an ability function returned into the WIT result.
    pub fn finish<R: IntoAbilityResult>(result: R) -> Result<wit::Output, wit::Error> {
        match result.into_ability_result() {
            Ok(crate::Output::Text(text)) => Ok(wit::Output::Text(text)),
            Ok(crate::Output::Json(json)) => Ok(wit::Output::Json(json)),
            Err(error) => Err(error.into()),
        }
    }

    /// The error for a name the skill does not have.
    pub fn unknown(name: &str) -> wit::Error {
        wit::Error::InvalidInput(format!("this skill has no ability named `{name}`"))
    }

    impl From<Error> for wit::Error {
        fn from(error: Error) -> Self {
            match error {
                Error::InvalidInput(m) => wit::Error::InvalidInput(m),
                Error::Failed(m) => wit::Error::Failed(m),
                Error::Denied(m) => wit::Error::Denied(m),
            }
        }
    }
}
