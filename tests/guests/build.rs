//! Builds every crate of `skills/` for wasm32-wasip2 (release) into
//! `target/guests`, and exposes each component's path to the tests as a
//! compile-time environment variable. Guests are built from source on every
//! change; no binary is committed.
use std::path::{Path, PathBuf};
use std::process::Command;

const GUESTS: &[(&str, &str)] = &[
    ("text-tools", "text_tools"),
    ("fetch", "fetch"),
    ("files", "files"),
    ("scratchpad", "scratchpad"),
    ("calc", "calc"),
    ("hostile", "hostile"),
    ("sockets-probe", "sockets-probe"),
    ("flood-cmd", "flood-cmd"),
];

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = here.join("../..").canonicalize().unwrap();
    let skills = root.join("skills");
    for dir in ["skills", "guest-sdk", "wit"] {
        rerun_tree(&root.join(dir));
    }
    ensure_target();
    let target_dir = root.join("target/guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(skills.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // Flags meant for the host build must not leak into the guests'.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_PROFILE_RELEASE_DEBUG")
        .status()
        .expect("running cargo for the guests");
    assert!(status.success(), "building the guest skills failed");
    let out = target_dir.join("wasm32-wasip2/release");
    for (name, artifact) in GUESTS {
        let wasm = out.join(format!("{artifact}.wasm"));
        assert!(wasm.exists(), "missing {}", wasm.display());
        let var = name.to_uppercase().replace('-', "_");
        println!("cargo:rustc-env=GUEST_{var}={}", wasm.display());
        println!(
            "cargo:rustc-env=MANIFEST_{var}={}",
            skills.join(name).join("skill.toml").display()
        );
    }
}

fn ensure_target() {
    let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        return;
    };
    if !String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-wasip2")
    {
        let ok = Command::new("rustup")
            .args(["target", "add", "wasm32-wasip2"])
            .status()
            .map(|s| s.success());
        assert!(
            matches!(ok, Ok(true)),
            "`rustup target add wasm32-wasip2` failed"
        );
    }
}

fn rerun_tree(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            rerun_tree(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
