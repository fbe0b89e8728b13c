//! The language tool chains `skillhost build` runs for Python and
//! JavaScript skills: pinned versions, installed on first use into a cache
//! folder of skillhost's own (a venv, an npm folder), never whatever happens
//! to be on the PATH. Each is installed under a lock and marked complete
//! at the end, so two builds at once share one install and an interrupted
//! one is redone. (In place, not renamed: a venv's scripts name its path.)
use crate::cli::error::CliError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// componentize-py, the Python tool chain (CPython inside).
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// The JavaScript tool chain's npm packages, pinned. preview2-shim is a
/// direct dependency because componentize-js needs it but lists it only
/// for development (a later install would drop it).
pub const JS_PACKAGES: &[(&str, &str)] = &[
    ("@bytecodealliance/componentize-js", "0.23.0"),
    ("@bytecodealliance/preview2-shim", "0.25.0"),
    ("esbuild", "0.28.2"),
];

/// Where the tool chains live: `SKILLHOST_TOOLCHAINS`, else the user's
/// cache folder (`$XDG_CACHE_HOME/skillhost/toolchains` or
/// `~/.cache/skillhost/toolchains`).
pub fn root() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("SKILLHOST_TOOLCHAINS") {
        return Ok(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            CliError::new(
                "set SKILLHOST_TOOLCHAINS (or HOME) to a folder for the language tool chains",
            )
        })?;
    Ok(cache.join("skillhost").join("toolchains"))
}

/// The `componentize-py` executable, installed when missing.
pub fn componentize_py() -> Result<PathBuf, CliError> {
    let dir = root()?.join(format!("componentize-py-{COMPONENTIZE_PY}"));
    install_once(&dir, |tmp| {
        // pip is set up here rather than by venv, which swallows
        // ensurepip's output, the only place its failure says why (no space
        // left on the device, a Python built without ensurepip).
        run(
            Command::new(python())
                .args(["-m", "venv", "--without-pip"])
                .arg(tmp),
            "python3 -m venv",
        )?;
        run_quietly(
            Command::new(tmp.join("bin/python")).args(["-m", "ensurepip", "--default-pip"]),
            "python3 -m ensurepip (pip for the tool chain's venv)",
        )?;
        run(
            Command::new(tmp.join("bin/python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("componentize-py=={COMPONENTIZE_PY}"),
            ]),
            "pip install componentize-py",
        )
    })?;
    Ok(dir.join("bin/componentize-py"))
}

/// The Python of the Python tool chain's venv (for `pip install --target`
/// of a skill's requirements).
pub fn toolchain_python() -> Result<PathBuf, CliError> {
    let componentize = componentize_py()?;
    Ok(componentize.with_file_name("python"))
}

/// The npm folder holding the JavaScript tool chain (its `node_modules`),
/// installed when missing.
pub fn js_tools() -> Result<PathBuf, CliError> {
    let versions: Vec<String> = JS_PACKAGES.iter().map(|(_, v)| v.to_string()).collect();
    let dir = root()?.join(format!("componentize-js-{}", versions.join("-")));
    install_once(&dir, |tmp| {
        let dependencies: serde_json::Map<String, serde_json::Value> = JS_PACKAGES
            .iter()
            .map(|(name, version)| (name.to_string(), serde_json::json!(version)))
            .collect();
        let package = serde_json::json!({
            "name": "skillhost-js-toolchain",
            "private": true,
            "dependencies": dependencies,
        });
        std::fs::write(tmp.join("package.json"), package.to_string())?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(tmp),
            "npm install (the JavaScript tool chain)",
        )
    })?;
    Ok(dir)
}

fn python() -> String {
    std::env::var("SKILLHOST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `install` into `dir` unless a complete install is there; the
/// lock makes concurrent builds wait for one install.
fn install_once(
    dir: &Path,
    install: impl FnOnce(&Path) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let complete = dir.join(".complete");
    if complete.exists() {
        return Ok(());
    }
    let parent = dir.parent().expect("a tool chain folder has a parent");
    std::fs::create_dir_all(parent)?;
    let lock = std::fs::File::create(dir.with_extension("lock"))?;
    // SAFETY: flock on a file descriptor this function owns; released when
    // `lock` is dropped.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    if complete.exists() {
        return Ok(());
    }
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    eprintln!("installing {name} (once) into {}", parent.display());
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    install(dir)?;
    std::fs::write(&complete, b"")?;
    Ok(())
}

/// Runs a command whose progress is noise: its output is shown only when
/// it fails.
fn run_quietly(command: &mut Command, what: &str) -> Result<(), CliError> {
    let output = command
        .output()
        .map_err(|e| CliError::new(format!("cannot run {what}: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let said = [output.stdout, output.stderr]
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_string())
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Err(CliError::new(format!(
        "{what} failed ({}):\n{said}",
        output.status
    )))
}

/// Runs a tool chain's command; its own messages go to the terminal.
pub(super) fn run(command: &mut Command, what: &str) -> Result<(), CliError> {
    let status = command
        .status()
        .map_err(|e| CliError::new(format!("cannot run {what}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::new(format!("{what} failed ({status})")))
    }
}
