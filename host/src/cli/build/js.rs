//! A JavaScript or TypeScript skill: esbuild bundles the skill with the
//! SDK (which this binary carries), then componentize-js makes the
//! component against our WIT world. Both come from the pinned tool chain.
use super::toolchain;
use crate::cli::error::CliError;
use crate::manifest::Manifest;
use std::path::Path;
use std::process::Command;

/// The SDK as this binary carries it: (path, text).
const SDK: &[(&str, &str)] = &[
    (
        "src/index.js",
        include_str!("../../../../guest-sdk-js/src/index.js"),
    ),
    (
        "src/registry.js",
        include_str!("../../../../guest-sdk-js/src/registry.js"),
    ),
    (
        "src/schema.js",
        include_str!("../../../../guest-sdk-js/src/schema.js"),
    ),
    (
        "src/output.js",
        include_str!("../../../../guest-sdk-js/src/output.js"),
    ),
    (
        "src/errors.js",
        include_str!("../../../../guest-sdk-js/src/errors.js"),
    ),
    (
        "src/host.js",
        include_str!("../../../../guest-sdk-js/src/host.js"),
    ),
    (
        "src/http.js",
        include_str!("../../../../guest-sdk-js/src/http.js"),
    ),
    ("src/preinit.js", toolchain::JS_PREINIT),
    (
        "index.d.ts",
        include_str!("../../../../guest-sdk-js/index.d.ts"),
    ),
    (
        "package.json",
        include_str!("../../../../guest-sdk-js/package.json"),
    ),
];

/// The WIT world the component is made against.
pub(super) const WIT: &str = include_str!("../../../../wit/skill.wit");

/// Writes the SDK (for editors and the bundler) under `dir`.
pub(crate) fn write_sdk(dir: &Path) -> Result<(), CliError> {
    crate::cli::local::write_files(dir, SDK)
}

/// Builds the component for the skill in `dir` whose entry is `entry`.
pub(super) fn componentize(
    dir: &Path,
    entry: &Path,
    manifest: &Manifest,
) -> Result<Vec<u8>, CliError> {
    let tools = toolchain::js_tools()?;
    let bin = tools.join("node_modules/.bin");
    install_dependencies(dir)?;
    let work = std::fs::canonicalize(dir)?.join("target/js");
    std::fs::create_dir_all(work.join("wit"))?;
    std::fs::write(work.join("wit/skill.wit"), WIT)?;
    write_sdk(&work.join("sdk"))?;
    // The skill registers abilities as a side effect of being imported; the
    // SDK owns the `abilities` export componentize-js matches to the world.
    let entry = std::fs::canonicalize(entry)?;
    let entry_text = serde_json::to_string(&entry.to_string_lossy()).expect("JSON");
    // The SDK's fetch refuses with a clear error in a component without
    // wasi:http, where the engine's own would trap.
    let network = !manifest.capabilities.network.is_empty();
    std::fs::write(
        work.join("entry.js"),
        format!(
            "globalThis.__skillhostNetwork = {network};\nimport {entry_text};\nexport {{ abilities }} from 'skillhost-sdk';\n"
        ),
    )?;
    // --bundle: componentize-js evaluates one module, npm packages inlined.
    // --platform=neutral with --main-fields: no Node or browser shims, yet
    // ordinary npm packages resolve. The SDK by alias (no npm install in the
    // skill folder); the host's and WASI's interfaces stay imports.
    // TypeScript is stripped, not type-checked (tsc --noEmit does that).
    let sdk_index = work.join("sdk/src/index.js");
    toolchain::run(
        Command::new(bin.join("esbuild"))
            .arg(work.join("entry.js"))
            .args([
                "--bundle",
                "--format=esm",
                "--platform=neutral",
                "--main-fields=module,main",
                "--external:skillhost:*",
                "--external:wasi:*",
                "--log-level=warning",
            ])
            .arg(format!("--alias:skillhost-sdk={}", sdk_index.display()))
            .arg(format!("--outfile={}", work.join("bundle.js").display())),
        "esbuild (bundling the skill)",
    )?;
    // Without a declared network the component must not import wasi:http
    // (install refuses it): `-d http fetch-event` drops all of it. stdio,
    // random and clocks stay: without them errors trap.
    let out = work.join("component.wasm");
    let mut componentize = Command::new(bin.join("componentize-js"));
    componentize
        .arg(work.join("bundle.js"))
        .arg("--wit")
        .arg(work.join("wit"))
        .args(["--world-name", "skill"]);
    if manifest.capabilities.network.is_empty() {
        componentize.args(["-d", "http", "fetch-event"]);
    }
    componentize.arg("-o").arg(&out);
    toolchain::run(&mut componentize, "componentize-js")?;
    Ok(std::fs::read(&out)?)
}

/// The skill's npm dependencies (its package.json's `dependencies`),
/// installed into its node_modules when missing or older than package.json
/// (`npm ci` with a lockfile), without their install scripts; then refused
/// when one carries native code, which a component cannot load.
fn install_dependencies(dir: &Path) -> Result<(), CliError> {
    let package_json = dir.join("package.json");
    let Ok(text) = std::fs::read_to_string(&package_json) else {
        return Ok(());
    };
    let package: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::new(format!("{}: {e}", package_json.display())))?;
    let dependencies: Vec<String> = package["dependencies"]
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    if dependencies.is_empty() {
        return Ok(());
    }
    let modules = dir.join("node_modules");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&modules), modified(&package_json)) {
        (Some(installed), Some(declared)) => installed < declared,
        _ => true,
    };
    if stale {
        let verb = if dir.join("package-lock.json").is_file() {
            "ci"
        } else {
            "install"
        };
        toolchain::run(
            Command::new("npm")
                .args([
                    verb,
                    "--omit=dev",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ])
                .current_dir(dir),
            &format!("npm {verb} (the skill's dependencies)"),
        )?;
    }
    let mut native = Vec::new();
    for name in &dependencies {
        let package = modules.join(name);
        if package.join("binding.gyp").is_file() || has_addon(&package)? {
            native.push(name.clone());
        }
    }
    if native.is_empty() {
        return Ok(());
    }
    Err(CliError::new(format!(
        "npm packages with native code cannot run in a JavaScript skill (it has no Node.js and loads no .node addons): {}; use a pure-JavaScript package instead",
        native.join(", ")
    )))
}

/// Whether `dir` holds a compiled Node.js addon (a `.node` file).
fn has_addon(dir: &Path) -> Result<bool, CliError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(false);
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "node") && path.is_file() {
            return Ok(true);
        }
        if path.is_dir()
            && path.file_name().is_some_and(|n| n != "node_modules")
            && has_addon(&path)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}
