//! `skillhost build`: cargo build for wasm32-wasip2, then package the
//! component with the crate's skill.toml and, when the folder has them, its
//! SKILL.md, references/ and scripts/ (names only).
use super::error::CliError;
use super::local::{DataDir, local_runtime, read_file};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The skill crate (holding Cargo.toml and skill.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the packaged skill; default: next to cargo's output,
    /// as `<name>.skill.wasm`.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Build with the dev profile instead of release.
    #[arg(long)]
    debug: bool,
    #[command(flatten)]
    data: DataDir,
}

const TARGET: &str = "wasm32-wasip2";

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let manifest_path = args.dir.join("Cargo.toml");
    let skill_toml_path = args.dir.join("skill.toml");
    if !manifest_path.exists() {
        return Err(CliError::new(format!(
            "{} has no Cargo.toml; is it a skill crate?",
            args.dir.display()
        )));
    }
    let skill_toml = String::from_utf8(read_file(&skill_toml_path)?)
        .map_err(|_| CliError::new("skill.toml is not UTF-8"))?;
    // Fail fast on a bad manifest or documents before a long compile.
    crate::manifest::Manifest::from_toml(&skill_toml)?;
    let docs = crate::docs::SkillDocs::from_dir(&args.dir)?;
    ensure_target()?;
    let component_path = cargo_build(&manifest_path, args.debug)?;
    let component = read_file(&component_path)?;
    let runtime = local_runtime(&args.data, Default::default())?;
    let packed =
        crate::pack::pack_with_docs(&runtime, &component, &skill_toml, docs.as_ref()).await?;
    let package = crate::package::read(&packed)?;
    let output = args.output.unwrap_or_else(|| {
        component_path.with_file_name(format!("{}.skill.wasm", package.manifest.name))
    });
    std::fs::write(&output, &packed)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", output.display())))?;
    println!(
        "built {} {} ({} abilities: {})\n  -> {}",
        package.manifest.name,
        package.manifest.version,
        package.manifest.abilities.len(),
        package
            .manifest
            .abilities
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        output.display()
    );
    if let Some(docs) = &package.docs {
        println!("  {}", super::docs_line::docs_line(docs));
    }
    Ok(ExitCode::SUCCESS)
}

/// Installs the wasm32-wasip2 target through rustup when it is missing.
pub fn ensure_target() -> Result<(), CliError> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            eprintln!("installing the {TARGET} target with rustup");
            let status = Command::new("rustup")
                .args(["target", "add", TARGET])
                .status()?;
            if status.success() {
                Ok(())
            } else {
                Err(CliError::new(format!(
                    "`rustup target add {TARGET}` failed"
                )))
            }
        }
        // Without rustup the toolchain may still have the target; let cargo say.
        Err(_) => Ok(()),
    }
}

fn cargo_build(manifest_path: &Path, debug: bool) -> Result<PathBuf, CliError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--target",
            TARGET,
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if !debug {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|e| CliError::new(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        return Err(CliError::new("cargo build failed (see the messages above)"));
    }
    let wanted = std::fs::canonicalize(manifest_path)?;
    let mut found = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(path) = msg["manifest_path"].as_str() else {
            continue;
        };
        if std::fs::canonicalize(path).ok().as_deref() != Some(wanted.as_path()) {
            continue;
        }
        let kinds = msg["target"]["kind"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !kinds.iter().any(|k| k == "cdylib" || k == "bin") {
            continue;
        }
        if let Some(files) = msg["filenames"].as_array() {
            for f in files.iter().filter_map(|f| f.as_str()) {
                if f.ends_with(".wasm") {
                    found = Some(PathBuf::from(f));
                }
            }
        }
    }
    found.ok_or_else(|| {
        CliError::new("cargo produced no .wasm; a skill crate is a `cdylib` (SDK skill) or a binary (command skill)")
    })
}
