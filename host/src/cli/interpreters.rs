//! `skillhost interpreters install`: builds the language interpreters that
//! run seed 003's code skills (one component per language, shared by every
//! code skill of it) from the sources this binary carries, with the same
//! pinned tool chains as `skillhost build`, into the folder `serve` loads
//! them from.
use super::build::build_folder;
use super::error::CliError;
use super::local::{DataDir, write_files};
use crate::ability::code::file_name;
use crate::sources::code::Language;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Build the interpreters (both, or the languages named) and install
    /// them where `serve` looks: `<data-dir>/interpreters` unless `--dir`.
    Install {
        /// Only these languages: python, javascript.
        #[arg(long = "language", value_parser = parse_language)]
        languages: Vec<Language>,
        /// Where to install them (`serve --interpreters`).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
}

fn parse_language(text: &str) -> Result<Language, String> {
    Language::parse(text).map_err(|e| e.message)
}

/// Each interpreter's sources: (path, text).
fn sources(language: Language) -> &'static [(&'static str, &'static str)] {
    match language {
        Language::Python => &[
            (
                "skill.toml",
                include_str!("../../../interpreters/python/skill.toml"),
            ),
            (
                "app.py",
                include_str!("../../../interpreters/python/app.py"),
            ),
        ],
        Language::Javascript => &[
            (
                "skill.toml",
                include_str!("../../../interpreters/javascript/skill.toml"),
            ),
            (
                "index.js",
                include_str!("../../../interpreters/javascript/index.js"),
            ),
        ],
    }
}

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let Command::Install {
        mut languages,
        dir,
        data,
    } = args.command;
    if languages.is_empty() {
        languages = Language::ALL.to_vec();
    }
    let dir = dir.unwrap_or_else(|| data.data_dir.join("interpreters"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
    for language in languages {
        let work = dir.join(".build").join(language.as_str());
        let _ = std::fs::remove_dir_all(&work);
        write_files(&work, sources(language))?;
        let (packed, _) = build_folder(&work, &data, false).await?;
        let out = dir.join(file_name(language));
        // Written whole, then renamed: a server starting meanwhile never
        // reads half a component.
        let partial = out.with_extension("partial");
        std::fs::write(&partial, &packed)
            .and_then(|()| std::fs::rename(&partial, &out))
            .map_err(|e| CliError::new(format!("cannot write {}: {e}", out.display())))?;
        let _ = std::fs::remove_dir_all(&work);
        println!(
            "installed the {} interpreter -> {}",
            language.as_str(),
            out.display()
        );
    }
    let _ = std::fs::remove_dir(dir.join(".build"));
    println!("restart `skillhost serve` to load them");
    Ok(ExitCode::SUCCESS)
}
