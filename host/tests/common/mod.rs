//! What the tests that run the `skillhost` binary share.
#![allow(dead_code)] // each test binary uses its own part

#[path = "../../../tests/support/work_dir.rs"]
mod work_dir;

pub use work_dir::work_dir;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skillhost"));
    // Stderr is compared whole: no log lines from the caller's environment.
    cmd.env_remove("SKILLHOST_LOG");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("running skillhost")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit code 1 for a call the command refused or that failed, with
/// `message` as the whole of stderr, and nothing on stdout.
pub fn assert_fails(result: &Output, message: &str) {
    assert_eq!(
        (result.status.code(), text(&result.stderr).as_str()),
        (Some(1), format!("{message}\n").as_str()),
        "stdout: {}",
        text(&result.stdout)
    );
    assert_eq!(text(&result.stdout), "");
}

/// Exit code 0, with stderr shown if not.
pub fn assert_succeeds(result: &Output) {
    assert_eq!(
        result.status.code(),
        Some(0),
        "stderr: {}",
        text(&result.stderr)
    );
}

/// Runs an ability with `--json`: the exit code and the report.
pub fn run_json(
    dir: &Path,
    file: &Path,
    ability: &str,
    input: &str,
    extra: &[&str],
) -> (Option<i32>, Value) {
    let result = run(bin()
        .arg("run")
        .arg(file)
        .args([ability, "--input", input, "--json", "--data-dir"])
        .arg(dir.join("data"))
        .args(extra));
    let report: Value = serde_json::from_slice(&result.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} / {}",
            text(&result.stdout),
            text(&result.stderr)
        )
    });
    assert_eq!(
        text(&result.stderr),
        "",
        "--json reports on stdout, failures included"
    );
    (result.status.code(), report)
}
