//! `skillhost build`: the skill folder's language builds the component
//! (cargo for Rust, componentize-py for Python, componentize-js for
//! JavaScript and TypeScript), then it is packaged with the folder's
//! skill.toml and, when the folder has them, its SKILL.md, references/ and
//! scripts/ (names only).

mod js;
mod python;
mod rust;
mod toolchain;

pub(super) use js::write_sdk as write_js_sdk;
pub(super) use python::write_sdk as write_python_sdk;

use super::error::CliError;
use super::local::{DataDir, local_runtime, read_file};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The skill folder: a crate (Cargo.toml), or app.py, or index.js /
    /// index.ts, beside its skill.toml.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the packaged skill; default: `<name>.skill.wasm`
    /// next to cargo's output (Rust) or in the folder's `dist/`.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Rust: build with the dev profile instead of release.
    #[arg(long)]
    debug: bool,
    #[command(flatten)]
    data: DataDir,
}

/// What a skill folder is written in, by the files it has.
enum Language {
    Rust(PathBuf),
    Python,
    JavaScript(PathBuf),
}

impl Language {
    fn of(dir: &Path) -> Result<Language, CliError> {
        let candidates = [
            ("Cargo.toml", Language::Rust as fn(PathBuf) -> Language),
            ("app.py", |_| Language::Python),
            ("index.ts", Language::JavaScript),
            ("index.js", Language::JavaScript),
        ];
        for (file, language) in candidates {
            let path = dir.join(file);
            if path.is_file() {
                return Ok(language(path));
            }
        }
        Err(CliError::new(format!(
            "{} holds no skill to build: a Rust crate (Cargo.toml), a Python skill (app.py) or a JavaScript or TypeScript skill (index.js, index.ts), beside its skill.toml; `skillhost new NAME --lang rust|python|js|ts` makes one",
            dir.display()
        )))
    }
}

pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let (packed, beside) = build_folder(&args.dir, &args.data, args.debug).await?;
    let package = crate::package::read(&packed)?;
    let output = args
        .output
        .unwrap_or_else(|| beside.with_file_name(format!("{}.skill.wasm", package.manifest.name)));
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

/// Builds and packages the skill in `dir`: the package, and a path beside
/// which it goes by default.
pub(super) async fn build_folder(
    dir: &Path,
    data: &DataDir,
    debug: bool,
) -> Result<(Vec<u8>, PathBuf), CliError> {
    let language = Language::of(dir)?;
    let skill_toml_path = dir.join("skill.toml");
    let skill_toml = String::from_utf8(read_file(&skill_toml_path)?)
        .map_err(|_| CliError::new("skill.toml is not UTF-8"))?;
    // Fail fast on a bad manifest or documents before a long compile.
    let manifest = crate::manifest::Manifest::from_toml(&skill_toml)?;
    let docs = crate::docs::SkillDocs::from_dir(dir)?;
    let (component, beside) = match &language {
        Language::Rust(cargo_toml) => {
            rust::ensure_target()?;
            let path = rust::cargo_build(cargo_toml, debug)?;
            (read_file(&path)?, path)
        }
        Language::Python => {
            let component = python::componentize(dir, &manifest)?;
            (component, dist(dir)?)
        }
        Language::JavaScript(entry) => {
            let component = js::componentize(dir, entry, &manifest)?;
            (component, dist(dir)?)
        }
    };
    let runtime = local_runtime(data, Default::default())?;
    let packed =
        crate::pack::pack_with_docs(&runtime, &component, &skill_toml, docs.as_ref()).await?;
    Ok((packed, beside))
}

/// `dir/dist/`, created: where a Python or JavaScript skill's package goes
/// (the path of a file in it, which `with_file_name` replaces).
fn dist(dir: &Path) -> Result<PathBuf, CliError> {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist)?;
    Ok(dist.join("component.wasm"))
}
