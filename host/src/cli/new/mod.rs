//! `skillhost new NAME`: a skill that builds and runs at once, in Rust,
//! Python, JavaScript or TypeScript. Everything it needs travels with this
//! binary (the SDK pinned to the WIT this host speaks), so it works from an
//! installed skillhost on any machine.
mod js;
mod manifest;
mod python;
mod rust;

use super::error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;

/// The languages a skill can be written in.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// A Rust crate with the skillhost SDK.
    Rust,
    /// Python with the Python SDK (componentize-py).
    Python,
    /// JavaScript with the JS SDK (componentize-js).
    Js,
    /// TypeScript with the JS SDK (types stripped by esbuild).
    Ts,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Skill name: lowercase letters, digits and hyphens.
    name: String,
    /// Directory to create; default: ./NAME.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The language to write it in.
    #[arg(long, value_enum, default_value = "rust")]
    lang: Lang,
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
    std::fs::create_dir_all(&dir)?;
    match args.lang {
        Lang::Rust => rust::write(&dir, &args.name)?,
        Lang::Python => python::write(&dir, &args.name)?,
        Lang::Js => js::write(&dir, &args.name, false)?,
        Lang::Ts => js::write(&dir, &args.name, true)?,
    }
    println!(
        "created {name} in {dir}\n\nnext:\n  skillhost build {dir}\n  skillhost run <printed path> greet --input '{{\"name\":\"Ada\"}}'",
        name = args.name,
        dir = dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
