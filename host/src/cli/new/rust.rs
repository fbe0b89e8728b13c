//! A Rust skill crate, with the SDK this skillhost speaks written beside
//! it (`sdk/`): the binary carries the SDK's sources and the WIT, so a
//! skill made anywhere builds without this repository.
use crate::cli::error::CliError;
use std::path::Path;

/// The SDK's files as this binary carries them: (path under `sdk/`, text).
const SDK: &[(&str, &str)] = &[
    (
        "skillhost-sdk/src/lib.rs",
        include_str!("../../../../guest-sdk/src/lib.rs"),
    ),
    (
        "skillhost-sdk/src/error.rs",
        include_str!("../../../../guest-sdk/src/error.rs"),
    ),
    (
        "skillhost-sdk/src/http.rs",
        include_str!("../../../../guest-sdk/src/http.rs"),
    ),
    (
        "skillhost-sdk/src/log.rs",
        include_str!("../../../../guest-sdk/src/log.rs"),
    ),
    (
        "skillhost-sdk/src/output.rs",
        include_str!("../../../../guest-sdk/src/output.rs"),
    ),
    (
        "skillhost-sdk/src/session.rs",
        include_str!("../../../../guest-sdk/src/session.rs"),
    ),
    (
        "skillhost-sdk/macro/src/lib.rs",
        include_str!("../../../../guest-sdk/macro/src/lib.rs"),
    ),
    ("wit/skill.wit", include_str!("../../../../wit/skill.wit")),
];

/// The SDK crate's manifest, standalone (the repository's inherits from
/// its workspace). The dependency versions are the repository's.
const SDK_CARGO_TOML: &str = r#"[package]
name = "skillhost-sdk"
description = "Write skillhost skills as plain typed Rust functions"
edition = "2024"
version = "0.1.0"
license = "Apache-2.0"

[dependencies]
skillhost-sdk-macro = { path = "macro", version = "0.1.0" }
wit-bindgen = "0.61"
wasip2 = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
schemars = "1"
"#;

const MACRO_CARGO_TOML: &str = r#"[package]
name = "skillhost-sdk-macro"
description = "The #[skill] attribute of the skillhost guest SDK"
edition = "2024"
version = "0.1.0"
license = "Apache-2.0"

[lib]
proc-macro = true

[dependencies]
proc-macro2 = "1"
quote = "1"
syn = { version = "2", features = ["full"] }
"#;

/// Writes the crate and its SDK into `dir`.
pub(super) fn write(dir: &Path, name: &str) -> Result<(), CliError> {
    let sdk = dir.join("sdk");
    crate::cli::local::write_files(&sdk, SDK)?;
    crate::cli::local::write_files(
        &sdk,
        &[
            ("skillhost-sdk/Cargo.toml", SDK_CARGO_TOML),
            ("skillhost-sdk/macro/Cargo.toml", MACRO_CARGO_TOML),
        ],
    )?;
    std::fs::create_dir_all(dir.join("src"))?;
    let files = [
        ("Cargo.toml", cargo_toml(name)),
        (
            "skill.toml",
            super::manifest::skill_toml(name, "skillhost_sdk::secret"),
        ),
        ("src/lib.rs", LIB_RS.to_owned()),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (file, text) in files {
        std::fs::write(dir.join(file), text)?;
    }
    Ok(())
}

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
skillhost-sdk = {{ path = "sdk/skillhost-sdk" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
schemars = "1"

# A skill crate is its own workspace, even when created inside another one.
[workspace]

[profile.release]
opt-level = "s"
strip = "debuginfo"
"#
    )
}

const LIB_RS: &str = r#"//! A skillhost skill. Each `pub fn` in the `#[skill]` module is an ability;
//! its doc comment is the description agents read.
use serde::{Deserialize, Serialize};
use skillhost_sdk::{Error, Json, JsonSchema};

/// Input of `greet`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Who to greet.
    pub name: String,
}

/// Output of `greet`.
#[derive(Serialize)]
pub struct Greeting {
    pub message: String,
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Greets a person by name.
    pub fn greet(input: Person) -> Result<Json<Greeting>, Error> {
        if input.name.trim().is_empty() {
            return Err(Error::invalid_input("`name` must not be empty"));
        }
        Ok(Json(Greeting { message: format!("Hello, {}!", input.name.trim()) }))
    }
}
"#;

#[cfg(test)]
mod tests {
    /// The standalone manifests written beside a new skill depend on what
    /// the repository's SDK crates depend on.
    #[test]
    fn the_written_sdk_depends_on_what_the_repository_sdk_does() {
        let dependencies = |text: &str| -> toml::Table {
            let table: toml::Table = toml::from_str(text).unwrap();
            table["dependencies"].as_table().unwrap().clone()
        };
        let repository = [
            include_str!("../../../../guest-sdk/Cargo.toml"),
            include_str!("../../../../guest-sdk/macro/Cargo.toml"),
        ];
        let written = [super::SDK_CARGO_TOML, super::MACRO_CARGO_TOML];
        for (repository, written) in repository.into_iter().zip(written) {
            assert_eq!(dependencies(repository), dependencies(written));
        }
    }
}
