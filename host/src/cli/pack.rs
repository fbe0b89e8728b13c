//! `skillhost pack`: any WASI 0.2 component + skill.toml (+ optionally a
//! SKILL.md with the references/ and scripts/ beside it) → a skill file.
use super::error::CliError;
use super::local::{DataDir, local_runtime, read_file};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The skill.toml describing the program.
    #[arg(long)]
    manifest: PathBuf,
    /// A SKILL.md to embed, with the other .md files, references/ and the
    /// names under scripts/ beside it.
    #[arg(long)]
    skill_md: Option<PathBuf>,
    /// The component: a `wasi:cli/run` program or an SDK-world component.
    component: PathBuf,
    /// Where to write the packaged skill.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    data: DataDir,
}

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let component = read_file(&args.component)?;
    let manifest = String::from_utf8(read_file(&args.manifest)?)
        .map_err(|_| CliError::new(format!("{} is not UTF-8", args.manifest.display())))?;
    let docs = args
        .skill_md
        .as_deref()
        .map(crate::docs::SkillDocs::from_skill_md)
        .transpose()?;
    let runtime = local_runtime(&args.data, Default::default())?;
    let packed =
        crate::pack::pack_with_docs(&runtime, &component, &manifest, docs.as_ref()).await?;
    std::fs::write(&args.output, &packed)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", args.output.display())))?;
    let package = crate::package::read(&packed)?;
    println!(
        "packed {} {} ({:?}, {} abilities) -> {}\nsha256 {}",
        package.manifest.name,
        package.manifest.version,
        package.kind,
        package.manifest.abilities.len(),
        args.output.display(),
        package.digest
    );
    if let Some(docs) = &package.docs {
        println!("{}", super::docs_line::docs_line(docs));
    }
    Ok(ExitCode::SUCCESS)
}
