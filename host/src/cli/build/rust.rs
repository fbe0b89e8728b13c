//! A Rust skill: cargo builds the crate for wasm32-wasip2.
use crate::cli::error::CliError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-wasip2";

/// Installs the wasm32-wasip2 target through rustup when it is missing.
pub(super) fn ensure_target() -> Result<(), CliError> {
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

pub(super) fn cargo_build(manifest_path: &Path, debug: bool) -> Result<PathBuf, CliError> {
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
