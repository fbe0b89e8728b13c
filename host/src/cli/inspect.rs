//! `skillhost inspect`: what does this skill ask for? Reads the file only;
//! nothing is compiled or run.
use super::docs_line::docs_line;
use super::error::CliError;
use super::local::read_file;
use crate::package::Package;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The packaged skill.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let bytes = read_file(&args.file)?;
    let package = crate::package::read(&bytes)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&package)).expect("JSON")
        );
    } else {
        print!("{}", to_text(&package));
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON form of `inspect --json`.
pub fn to_json(p: &Package) -> serde_json::Value {
    serde_json::json!({
        "name": p.manifest.name,
        "version": p.manifest.version.to_string(),
        "description": p.manifest.description,
        "category": p.manifest.category,
        "kind": p.kind,
        "digest": p.digest,
        "capabilities": p.manifest.capabilities,
        "limits": p.manifest.limits,
        "abilities": p.manifest.abilities,
        "imports": p.imports,
        "exports": p.exports,
        "docs": p.docs.as_ref().map(|d| serde_json::json!({
            "skillMd": d.skill_md.is_some(),
            "references": d.references.keys().collect::<Vec<_>>(),
            "scripts": d.scripts,
        })),
    })
}

fn to_text(p: &Package) -> String {
    let m = &p.manifest;
    let mut out = format!(
        "{} {} ({:?} skill)\n{}\n",
        m.name, m.version, p.kind, m.description
    );
    if let Some(category) = &m.category {
        out += &format!("category: {category}\n");
    }
    out += &format!("sha256: {}\n\ncapabilities:\n", p.digest);
    let c = &m.capabilities;
    if c.is_empty() {
        out += "  none (no network, files, environment or secrets)\n";
    }
    let list = |items: Vec<String>| items.join(", ");
    if !c.network.is_empty() {
        out += &format!(
            "  network:  {}\n",
            list(c.network.iter().map(|p| p.to_string()).collect())
        );
    }
    if !c.fs_read.is_empty() {
        out += &format!(
            "  fs_read:  {}\n",
            list(c.fs_read.iter().map(|p| p.to_string()).collect())
        );
    }
    if !c.fs_write.is_empty() {
        out += &format!(
            "  fs_write: {}\n",
            list(c.fs_write.iter().map(|p| p.to_string()).collect())
        );
    }
    if !c.env.is_empty() {
        out += &format!("  env:      {}\n", list(c.env.clone()));
    }
    if !c.secrets.is_empty() {
        out += &format!("  secrets:  {}\n", list(c.secrets.clone()));
    }
    let l = &m.limits;
    if l.timeout_ms.is_some() || l.memory_mb.is_some() || l.output_kb.is_some() {
        out += &format!(
            "limits requested: {}\n",
            serde_json::to_string(l).expect("JSON")
        );
    }
    out += "\nabilities:\n";
    for a in &m.abilities {
        out += &format!(
            "  {}: {}\n    input: {}\n",
            a.name,
            a.description.replace('\n', " "),
            a.input_schema
        );
    }
    if let Some(docs) = &p.docs {
        out += &format!("\n{}\n", docs_line(docs));
    }
    out += "\nimports:\n";
    for i in &p.imports {
        out += &format!("  {i}\n");
    }
    out
}
