//! `skillhost new NAME`: a skill crate that builds and runs at once.
use super::error::CliError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Skill name: lowercase letters, digits and hyphens.
    name: String,
    /// Directory to create; default: ./NAME.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Path to the skillhost-sdk crate; default: the SDK this skillhost was
    /// built from.
    #[arg(long, env = "SKILLHOST_SDK_PATH")]
    sdk_path: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if !crate::manifest::is_slug(&args.name, 64) {
        return Err(CliError::new(format!(
            "`{}` is not a valid skill name: use lowercase letters, digits and single hyphens, e.g. `my-skill`",
            args.name
        )));
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        return Err(CliError::new(format!(
            "{} already exists and is not empty",
            dir.display()
        )));
    }
    let sdk = args
        .sdk_path
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk"));
    let sdk = std::fs::canonicalize(&sdk).map_err(|_| {
        CliError::new(format!(
            "the SDK is not at {}; pass --sdk-path",
            sdk.display()
        ))
    })?;
    std::fs::create_dir_all(dir.join("src"))?;
    let files = [
        ("Cargo.toml", cargo_toml(&args.name, &sdk)),
        ("skill.toml", skill_toml(&args.name)),
        ("src/lib.rs", LIB_RS.to_owned()),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    println!(
        "created {name} in {dir}\n\nnext:\n  skillhost build {dir}\n  skillhost run <printed path> greet --input '{{\"name\":\"Ada\"}}'",
        name = args.name,
        dir = dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn cargo_toml(name: &str, sdk: &Path) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
skillhost-sdk = {{ path = "{sdk}" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
schemars = "1"

# A skill crate is its own workspace, even when created inside another one.
[workspace]

[profile.release]
opt-level = "s"
strip = "debuginfo"
"#,
        sdk = sdk.display()
    )
}

fn skill_toml(name: &str) -> String {
    format!(
        r#"name = "{name}"
version = "0.1.0"
description = "Greets people by name"
# category = "demo"

# Everything not declared here is denied. For example:
[capabilities]
# network = ["https://api.example.com"]   # outgoing HTTP destinations
# fs_read = ["/data"]                      # read-only mounts (the operator maps them)
# fs_write = ["/scratch"]                  # read-write mounts
# env = ["TZ"]                             # environment variables
# secrets = ["API_KEY"]                    # secrets, read with skillhost_sdk::secret

# [limits]
# timeout_ms = 5000
# memory_mb = 64
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
