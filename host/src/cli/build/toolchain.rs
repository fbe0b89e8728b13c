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

/// What a JavaScript component sets up at build time rather than on every
/// call (the SDK's `preinit.js`): evaluated in the skill's realm by the SDK,
/// and in the bindings' realm by the patch below.
pub const JS_PREINIT: &str = include_str!("../../../../guest-sdk-js/src/preinit.js");

/// What rewrites the bindings' `invoke` export so that a synchronous call
/// makes no promise (see the script); appended to componentize.js and
/// applied to every build's bindings.
const JS_SYNC_INVOKE: &str = include_str!("sync_invoke.js");

/// The line of componentize-js 0.23.0 that writes the bindings' script,
/// which StarlingMonkey evaluates in a realm of its own at build time.
const BINDINGS_WRITE: &str = "await writeFile(initializerPath, jsBindings);";

/// The npm folder holding the JavaScript tool chain (its `node_modules`),
/// installed when missing.
pub fn js_tools() -> Result<PathBuf, CliError> {
    let versions: Vec<String> = JS_PACKAGES.iter().map(|(_, v)| v.to_string()).collect();
    // The patched-in scripts are part of the install: a folder per version
    // of them, so a skillhost with other scripts never reuses another's.
    let patches = {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(JS_PREINIT)
            .chain_update(JS_SYNC_INVOKE)
            .finalize();
        hex::encode(&digest[..4])
    };
    let dir = root()?.join(format!(
        "componentize-js-{}-preinit-{patches}",
        versions.join("-")
    ));
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
        )?;
        preinitialise_bindings(tmp)
    })?;
    Ok(dir)
}

/// Appends [`JS_PREINIT`] to the bindings' script componentize-js writes.
/// That script converts every call's strings and awaits the export in a
/// realm of its own, which nothing else can reach at build time: without
/// this, each call set up String, Promise and the typed arrays there again
/// (about half of an empty JavaScript call). It also passes the bindings
/// through [`JS_SYNC_INVOKE`]. The version is pinned, so the line is known;
/// if it is missing the install fails rather than build slower components
/// silently.
fn preinitialise_bindings(tools: &Path) -> Result<(), CliError> {
    let path = tools.join("node_modules/@bytecodealliance/componentize-js/src/componentize.js");
    let source = std::fs::read_to_string(&path)?;
    if source.matches(BINDINGS_WRITE).count() != 1 {
        return Err(CliError::new(format!(
            "{}: expected the line `{BINDINGS_WRITE}` once; the pinned componentize-js changed, so the bindings' pre-initialisation needs updating",
            path.display()
        )));
    }
    let script = serde_json::to_string(&format!("\n;{JS_PREINIT}")).expect("JSON");
    let mut patched = source.replace(
        BINDINGS_WRITE,
        &format!("await writeFile(initializerPath, skillhostSyncInvoke(jsBindings) + {script});"),
    );
    patched.push_str(JS_SYNC_INVOKE);
    std::fs::write(&path, patched)?;
    Ok(())
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
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    // Not `with_extension`: the versions' dots in the name would make two
    // versions share one lock.
    let lock = std::fs::File::create(parent.join(format!("{name}.lock")))?;
    // SAFETY: flock on a file descriptor this function owns; released when
    // `lock` is dropped.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    if complete.exists() {
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder of this test's own under the system's temp folder.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skillhost-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn componentize_js_in(dir: &Path, source: &str) -> PathBuf {
        let path = dir.join("node_modules/@bytecodealliance/componentize-js/src/componentize.js");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, source).unwrap();
        path
    }

    #[test]
    fn the_bindings_script_gets_the_preinit_appended_once() {
        let dir = scratch("preinit-patch");
        let path = componentize_js_in(
            &dir,
            &format!("let a = 1;\n  {BINDINGS_WRITE}\nlet b = 2;\n"),
        );
        preinitialise_bindings(&dir).unwrap();
        let patched = std::fs::read_to_string(path).unwrap();
        assert!(!patched.contains(BINDINGS_WRITE), "{patched}");
        // The appended text is a JSON (so JavaScript) string of the script.
        let script = serde_json::to_string(&format!("\n;{JS_PREINIT}")).unwrap();
        assert!(
            patched.contains(&format!(
                "await writeFile(initializerPath, skillhostSyncInvoke(jsBindings) + {script});"
            )),
            "{patched}"
        );
        assert!(patched.starts_with("let a = 1;\n"), "{patched}");
        assert!(patched.ends_with(&format!("let b = 2;\n{JS_SYNC_INVOKE}")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_componentize_js_without_the_line_fails_the_install() {
        let dir = scratch("preinit-missing");
        componentize_js_in(&dir, "await writeFile(somewhereElse, jsBindings);\n");
        let error = preinitialise_bindings(&dir).unwrap_err().message;
        assert!(error.contains("pinned componentize-js changed"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
