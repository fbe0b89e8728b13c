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
