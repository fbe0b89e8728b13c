//! A Python skill: componentize-py makes the component from the skill's
//! `app.py` and the SDK (which this binary carries), against our WIT world,
//! or, when the skill declares a network, a world that also imports
//! wasi:http. A `requirements.txt` beside it is installed into the
//! component when every package in it is pure Python.
use super::toolchain;
use crate::cli::error::CliError;
use crate::manifest::Manifest;
use std::path::Path;
use std::process::Command;

/// The SDK as this binary carries it: (path, text).
const SDK: &[(&str, &str)] = &[
    (
        "skillhost_app.py",
        include_str!("../../../../guest-sdk-python/skillhost_app.py"),
    ),
    (
        "skillhost/__init__.py",
        include_str!("../../../../guest-sdk-python/skillhost/__init__.py"),
    ),
    (
        "skillhost/_bindings.py",
        include_str!("../../../../guest-sdk-python/skillhost/_bindings.py"),
    ),
    (
        "skillhost/_export.py",
        include_str!("../../../../guest-sdk-python/skillhost/_export.py"),
    ),
    (
        "skillhost/_poll_loop.py",
        include_str!("../../../../guest-sdk-python/skillhost/_poll_loop.py"),
    ),
    (
        "skillhost/_registry.py",
        include_str!("../../../../guest-sdk-python/skillhost/_registry.py"),
    ),
    (
        "skillhost/_schema.py",
        include_str!("../../../../guest-sdk-python/skillhost/_schema.py"),
    ),
    (
        "skillhost/errors.py",
        include_str!("../../../../guest-sdk-python/skillhost/errors.py"),
    ),
    (
        "skillhost/http.py",
        include_str!("../../../../guest-sdk-python/skillhost/http.py"),
    ),
    (
        "skillhost/log.py",
        include_str!("../../../../guest-sdk-python/skillhost/log.py"),
    ),
    (
        "skillhost/session.py",
        include_str!("../../../../guest-sdk-python/skillhost/session.py"),
    ),
    (
        "wit/skill-http.wit",
        include_str!("../../../../guest-sdk-python/wit/skill-http.wit"),
    ),
    (
        "wit/deps/cli/cli.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/cli/cli.wit"),
    ),
    (
        "wit/deps/clocks/clocks.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/clocks/clocks.wit"),
    ),
    (
        "wit/deps/filesystem/filesystem.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/filesystem/filesystem.wit"),
    ),
    (
        "wit/deps/http/http.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/http/http.wit"),
    ),
    (
        "wit/deps/io/io.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/io/io.wit"),
    ),
    (
        "wit/deps/random/random.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/random/random.wit"),
    ),
    (
        "wit/deps/sockets/sockets.wit",
        include_str!("../../../../guest-sdk-python/wit/deps/sockets/sockets.wit"),
    ),
];

/// Writes the SDK (for editors, and for componentize-py) under `dir`.
pub(crate) fn write_sdk(dir: &Path) -> Result<(), CliError> {
    crate::cli::local::write_files(dir, SDK)
}

/// Builds the component for the skill in `dir`.
pub(super) fn componentize(dir: &Path, manifest: &Manifest) -> Result<Vec<u8>, CliError> {
    let componentize_py = toolchain::componentize_py()?;
    let dir = std::fs::canonicalize(dir)?;
    let work = dir.join("target/python");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("wit"))?;
    std::fs::write(work.join("wit/skill.wit"), super::js::WIT)?;
    let sdk = work.join("sdk");
    write_sdk(&sdk)?;
    let mut command = Command::new(&componentize_py);
    command.arg("-d").arg(work.join("wit"));
    // With two WIT folders componentize-py has no default world, so it is
    // named in full. The types interface gets one module name in both
    // worlds, so the SDK imports it one way.
    if manifest.capabilities.network.is_empty() {
        command.args(["-w", "skillhost:skill/skill@0.1.0"]);
    } else {
        command.arg("-d").arg(sdk.join("wit")).args([
            "-w",
            "skillhost:skill-http/skill-http@0.1.0",
            "--import-interface-name",
            "wasi:http/types@0.2.12=http_types",
        ]);
    }
    command
        .args([
            "--import-interface-name",
            "skillhost:skill/types@0.1.0=skill_types",
            "componentize",
            "skillhost_app",
        ])
        // The skill first, then the SDK, then its dependencies.
        .arg("-p")
        .arg(&dir)
        .arg("-p")
        .arg(&sdk);
    if dir.join("requirements.txt").is_file() {
        let site = work.join("site");
        install_requirements(&dir.join("requirements.txt"), &site)?;
        command.arg("-p").arg(&site);
    }
    let out = work.join("component.wasm");
    command.arg("-o").arg(&out);
    toolchain::run(&mut command, "componentize-py")?;
    Ok(std::fs::read(&out)?)
}

/// Installs a skill's requirements into `site`, refusing native code: a
/// component cannot load a compiled extension.
fn install_requirements(requirements: &Path, site: &Path) -> Result<(), CliError> {
    toolchain::run(
        Command::new(toolchain::toolchain_python()?)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-compile",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(site)
            .arg("-r")
            .arg(requirements),
        "pip install -r requirements.txt",
    )?;
    let mut native = Vec::new();
    find_native(site, site, &mut native)?;
    if native.is_empty() {
        return Ok(());
    }
    native.sort();
    Err(CliError::new(format!(
        "requirements.txt installs native code, which a Python skill cannot load: {}; use a pure-Python package (or the package's pure-Python build) instead",
        native.join(", ")
    )))
}

fn find_native(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), CliError> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_native(root, &path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "so" || e == "pyd" || e == "dylib")
        {
            let shown = path.strip_prefix(root).unwrap_or(&path);
            out.push(shown.display().to_string());
        }
    }
    Ok(())
}
