//! The `skillhost` binary, run as a user would: pack, inspect, run, build,
//! new. Each test gets its own data directory.
mod common;

use common::{assert_fails, assert_succeeds, bin, run, run_json, text, work_dir};
use serde_json::Value;
use skillhost_guests as guests;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Packs a guest with `skillhost pack` and returns the packaged file.
fn pack(guest: guests::Guest, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{}.skill.wasm", guest.name));
    let result = run(bin()
        .args(["pack", "--manifest", guest.manifest, guest.component, "-o"])
        .arg(&out)
        .arg("--data-dir")
        .arg(dir.join("data")));
    assert_succeeds(&result);
    assert!(
        text(&result.stdout).starts_with(&format!("packed {} ", guest.name)),
        "{}",
        text(&result.stdout)
    );
    out
}

#[test]
fn pack_inspect_and_run_a_command_skill() {
    let dir = work_dir("command");
    let file = pack(guests::CALC, &dir);
    let result = run(bin().arg("inspect").arg(&file).arg("--json"));
    assert_succeeds(&result);
    let info: Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(info["name"], "calc");
    assert_eq!(info["kind"], "command");
    assert_eq!(info["abilities"][0]["name"], "evaluate");
    assert_eq!(info["digest"].as_str().unwrap().len(), 64);
    assert!(
        info["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i.as_str().unwrap().starts_with("wasi:cli/"))
    );

    let (code, report) = run_json(&dir, &file, "evaluate", r#"["2*21"]"#, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["success"], true);
    assert_eq!(report["output"], "42\n");
    assert_eq!(report["exit_code"], 0);
    assert!(report["execution_time_ms"].as_f64().unwrap() > 0.0);
    assert!(report["receipt"]["peak_memory_bytes"].as_u64().unwrap() > 0);

    let (code, report) = run_json(&dir, &file, "evaluate", r#"["2*"]"#, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["success"], false);
    assert_eq!(report["output"], Value::Null);
    assert_eq!(report["error"]["kind"], "failed");
    assert_eq!(report["exit_code"], 1);
    assert_eq!(
        report["error"]["message"],
        "failed: exited with code 1: calc: the expression ends too early"
    );
}

#[test]
fn run_prints_output_and_errors_with_their_category() {
    let dir = work_dir("text");
    let file = pack(guests::TEXT_TOOLS, &dir);
    let result = run(bin()
        .arg("run")
        .arg(&file)
        .args([
            "slugify",
            "--input",
            r#"{"text":"Hello World"}"#,
            "--data-dir",
        ])
        .arg(dir.join("data")));
    assert_succeeds(&result);
    assert_eq!(text(&result.stdout), "hello-world\n");

    let result = run(bin()
        .arg("run")
        .arg(&file)
        .args(["slugify", "--input", "{}", "--data-dir"])
        .arg(dir.join("data")));
    assert_fails(
        &result,
        "error[invalid_input]: invalid input: input does not match the schema of `slugify`: \
         \"text\" is a required property",
    );

    let result = run(bin()
        .arg("run")
        .arg(&file)
        .args(["slugify", "--input", "{not json", "--data-dir"])
        .arg(dir.join("data")));
    // Refused before anything runs: no category, the CLI's own `error:`.
    assert_fails(
        &result,
        "error: --input is not valid JSON: key must be a string at line 1 column 2",
    );
}

#[test]
fn run_flags_are_the_grant_and_cannot_widen_it() {
    let dir = work_dir("grant");
    let file = pack(guests::HOSTILE, &dir);
    let data = dir.join("mounted");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("a.txt"), "mounted text").unwrap();
    let mount = format!("/data={}", data.display());

    let (code, report) = run_json(
        &dir,
        &file,
        "read_file",
        r#"{"target":"/data/a.txt"}"#,
        &["--mount", &mount],
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["output"], "mounted text");

    let (code, report) = run_json(&dir, &file, "env_all", "{}", &["--env", "ALLOWED_VAR=1"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["output"], serde_json::json!([["ALLOWED_VAR", "1"]]));

    // A secret by name only is read from this process's environment. The
    // guest holds it (reversed, it comes back); as is, it is redacted, as
    // it would be for an agent.
    let result = run(bin()
        .arg("run")
        .arg(&file)
        .args([
            "secret",
            "--input",
            r#"{"target":"DECLARED_SECRET"}"#,
            "--secret",
            "DECLARED_SECRET",
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .env("DECLARED_SECRET", "from-env"));
    assert_succeeds(&result);
    assert_eq!(text(&result.stdout), "[secret:DECLARED_SECRET]\n");
    let result = run(bin()
        .arg("run")
        .arg(&file)
        .args([
            "secret_reversed",
            "--input",
            r#"{"target":"DECLARED_SECRET"}"#,
            "--secret",
            "DECLARED_SECRET",
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .env("DECLARED_SECRET", "from-env"));
    assert_succeeds(&result);
    assert_eq!(text(&result.stdout), "vne-morf\n");

    // Refused before anything runs (no category), and host paths stay
    // out of the message.
    for (flag, value, message) in [
        (
            "--env",
            "HOME=/root",
            "error: the grant widens the declaration: env `HOME` is not declared",
        ),
        (
            "--secret",
            "OTHER=x",
            "error: the grant widens the declaration: secret `OTHER` is not declared",
        ),
        (
            "--mount",
            "/etc=/etc",
            "error: the grant widens the declaration: path `/etc` is not declared in fs_read or fs_write",
        ),
        (
            "--timeout-ms",
            "99999999",
            "error: limit timeout_ms = 99999999 exceeds the maximum of 60000",
        ),
        (
            "--mount",
            "/data=/no/such/dir",
            "error: mount /data: host directory cannot be opened (entity not found)",
        ),
    ] {
        let result = run(bin()
            .arg("run")
            .arg(&file)
            .args(["ok", flag, value, "--data-dir"])
            .arg(dir.join("data")));
        assert_fails(&result, message);
    }
}

#[test]
fn run_sessions_persist_between_processes() {
    let dir = work_dir("session");
    let file = pack(guests::SCRATCHPAD, &dir);
    for expected in 1..=2 {
        let (code, report) = run_json(&dir, &file, "increment", "{}", &["--session", "s1"]);
        assert_eq!(code, Some(0), "{report}");
        assert_eq!(report["output"], expected);
    }
    let (code, report) = run_json(&dir, &file, "increment", "{}", &["--session", "s2"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["output"], 1);
}

#[test]
fn pack_links_sockets_refusing_every_one_and_refuses_garbage() {
    let dir = work_dir("refuse");
    let manifest = dir.join("skill.toml");
    std::fs::write(&manifest, "name = \"probe\"\nversion = \"1.0.0\"\ndescription = \"d\"\n[[abilities]]\nname = \"run\"\ndescription = \"d\"\ninput_schema = {}\n").unwrap();
    // A component that imports wasi:sockets (as CPython's always does)
    // packs: the host links sockets that refuse everything, so its
    // connect to 127.0.0.1 fails inside the sandbox.
    let result = run(bin()
        .args(["pack", "--manifest"])
        .arg(&manifest)
        .arg(guests::SOCKETS_PROBE.component)
        .arg("-o")
        .arg(dir.join("out.wasm"))
        .arg("--data-dir")
        .arg(dir.join("data")));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let result = run(bin()
        .arg("run")
        .arg(dir.join("out.wasm"))
        .arg("run")
        .args(["--input", "[]", "--data-dir"])
        .arg(dir.join("data")));
    assert_eq!(
        (result.status.code(), text(&result.stdout)),
        (Some(0), "false\n".to_owned()),
        "{}",
        text(&result.stderr)
    );

    std::fs::write(
        &manifest,
        "name = \"probe\"\nversion = \"1\"\ndescription = \"d\"\n",
    )
    .unwrap();
    let result = run(bin()
        .args(["pack", "--manifest"])
        .arg(&manifest)
        .arg(guests::CALC.component)
        .arg("-o")
        .arg(dir.join("o.wasm"))
        .arg("--data-dir")
        .arg(dir.join("data")));
    assert_fails(
        &result,
        "error: skill.toml line 2: version `1` is not semver (e.g. 1.0.0): \
         unexpected end of input while parsing major version number",
    );
    assert!(!dir.join("o.wasm").exists());

    let garbage = dir.join("garbage.wasm");
    std::fs::write(&garbage, b"nope").unwrap();
    let result = run(bin().arg("inspect").arg(&garbage));
    // The rest of the message is the WebAssembly parser's own words.
    assert_eq!(result.status.code(), Some(1));
    assert!(
        text(&result.stderr)
            .starts_with("error: not a WebAssembly component: magic header not detected"),
        "{}",
        text(&result.stderr)
    );
    assert_eq!(text(&result.stdout), "");
}

#[test]
fn new_scaffolds_a_skill_that_builds_and_runs() {
    let dir = work_dir("new");
    let skill = dir.join("hello-skill");
    let result = run(bin().args(["new", "hello-skill", "--dir"]).arg(&skill));
    assert_succeeds(&result);
    // The SDK travels with the binary: written beside the skill, not a
    // path into this repository.
    let cargo_toml = std::fs::read_to_string(skill.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains(r#"path = "sdk/skillhost-sdk""#),
        "{cargo_toml}"
    );
    assert!(skill.join("sdk/wit/skill.wit").is_file());
    let result = run(bin().args(["new", "Bad_Name"]).current_dir(&dir));
    assert_fails(
        &result,
        "error: `Bad_Name` is not a valid skill name: use lowercase letters, digits and \
         single hyphens, e.g. `my-skill`",
    );
    assert!(!dir.join("Bad_Name").exists());

    // Share the guests' target directory so the SDK's dependencies are not
    // compiled again for this crate.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/guests");
    let out = dir.join("hello.wasm");
    let result = run(bin()
        .arg("build")
        .arg(&skill)
        .arg("-o")
        .arg(&out)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("CARGO_TARGET_DIR", &target));
    assert_succeeds(&result);
    assert!(
        text(&result.stdout).contains("built hello-skill 0.1.0 (1 abilities: greet)"),
        "{}",
        text(&result.stdout)
    );

    let (code, report) = run_json(&dir, &out, "greet", r#"{"name":"Ada"}"#, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["output"],
        serde_json::json!({"message": "Hello, Ada!"})
    );
    let (code, report) = run_json(&dir, &out, "greet", r#"{"name":" "}"#, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["success"], false);
    assert_eq!(report["error"]["kind"], "invalid_input");
    assert_eq!(
        report["error"]["message"],
        "invalid input: `name` must not be empty"
    );
}

#[test]
fn serve_preloads_skills_and_answers_over_http() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = work_dir("serve");
    let skills = dir.join("skills");
    std::fs::create_dir_all(&skills).unwrap();
    pack(guests::TEXT_TOOLS, &skills);
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--preload")
        .arg(&skills)
        .env("SKILLHOST_ADMIN_TOKEN", "shk_cli_test_token")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("skillhost listening on http://") {
            addr = Some(rest.to_owned());
        }
        if line.starts_with("preloaded skills") {
            assert!(line.contains("text-tools"), "{line}");
            break;
        }
    }
    let addr = addr.expect("the server prints its address");
    let body = r#"{"ability":"slugify","args":{"text":"Hello, skillhost"}}"#;
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /api/agents/demo/skills/text-tools/invoke HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer shk_cli_test_token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""output":"hello-skillhost""#),
        "{response}"
    );
    assert_eq!(
        status.code(),
        Some(0),
        "graceful shutdown on SIGTERM: {status:?}"
    );
}

#[test]
fn serve_refuses_bad_operator_settings_before_listening() {
    let dir = work_dir("serve-bad");
    // (flags, exit code, the `error:` line, whether that line is all of it
    // or only its start: the rest is the database driver's or clap's words).
    for (args, code, expected, whole) in [
        (
            vec!["--install-root", "/nonexistent/skills"],
            1,
            "error: --install-root /nonexistent/skills is not a directory",
            true,
        ),
        (
            vec!["--jwt-secret", "short"],
            1,
            "error: --jwt-secret must be at least 32 bytes",
            true,
        ),
        (
            vec!["--database-url", "mysql://db/skillhost"],
            1,
            "error: cannot open the database: database error: error with configuration: \
             the database URL must start with postgres:// (leave it unset for SQLite in the \
             data directory)",
            true,
        ),
        (
            vec![
                "--database-url",
                "postgres://op:pw-not-to-show@127.0.0.1:1/skillhost",
            ],
            1,
            "error: cannot open the database: database error: ",
            false,
        ),
        // A value clap cannot parse: a usage error, exit code 2.
        (
            vec!["--allow-private-range", "10.0.0.0/33"],
            2,
            "error: invalid value '10.0.0.0/33' for '--allow-private-range <ALLOW_PRIVATE_RANGE>': ",
            false,
        ),
    ] {
        let out = run(bin()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .args(&args)
            .env("SKILLHOST_ADMIN_TOKEN", "shk_cli_test_token"));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert_eq!(text(&out.stdout), "", "{args:?}: refused before listening");
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        if whole {
            assert_eq!(errors[0], expected, "{args:?}");
        } else {
            assert!(errors[0].starts_with(expected), "{args:?}: {stderr}");
        }
        assert!(
            !stderr.contains("pw-not-to-show"),
            "the password leaked: {stderr}"
        );
    }
}

#[test]
fn run_into_a_closed_pipe_exits_quietly() {
    use std::process::Stdio;
    let dir = work_dir("closed-pipe");
    let file = pack(guests::TEXT_TOOLS, &dir);
    let text_in = "word ".repeat(20_000);
    let mut child = bin()
        .arg("run")
        .arg(&file)
        .args(["slugify", "--input"])
        .arg(serde_json::json!({ "text": text_in }).to_string())
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is printed, as `| head -c0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(stderr, "", "no panic, no `Broken pipe` message");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        output.status.signal(),
        Some(libc_sigpipe()),
        "ends the way a command-line tool does when its reader goes away: {:?}",
        output.status
    );
}

/// SIGPIPE's number on Linux.
fn libc_sigpipe() -> i32 {
    13
}

#[test]
fn pack_embeds_a_skill_md_with_its_references_and_script_names() {
    let dir = work_dir("skill-md");
    let guest = guests::TEXT_TOOLS;
    let folder = Path::new(guest.manifest).parent().unwrap();
    let out = dir.join("text-tools.skill.wasm");
    let pack = |skill_md: &Path| {
        run(bin()
            .args(["pack", "--manifest", guest.manifest, guest.component, "-o"])
            .arg(&out)
            .arg("--skill-md")
            .arg(skill_md)
            .arg("--data-dir")
            .arg(dir.join("data")))
    };
    let result = pack(&folder.join("SKILL.md"));
    assert_succeeds(&result);
    let docs_line = "docs: SKILL.md; references: references/json-pointer.md, \
                     references/regex-syntax.md; scripts: scripts/text-input.py";
    assert!(
        text(&result.stdout).contains(docs_line),
        "{}",
        text(&result.stdout)
    );
    let result = run(bin().arg("inspect").arg(&out).arg("--json"));
    assert_succeeds(&result);
    let info: Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(info["docs"]["skillMd"], true);
    assert_eq!(info["docs"]["scripts"][0], "scripts/text-input.py");

    // A reference that is not text is refused by name, and nothing is written.
    let copy = dir.join("copy");
    std::fs::create_dir_all(copy.join("references")).unwrap();
    std::fs::copy(folder.join("SKILL.md"), copy.join("SKILL.md")).unwrap();
    std::fs::write(copy.join("references/logo.png"), [0x89, b'P', 0xff]).unwrap();
    std::fs::remove_file(&out).unwrap();
    let result = pack(&copy.join("SKILL.md"));
    assert_fails(
        &result,
        "error: references/logo.png is not UTF-8 text; SKILL.md and references/ carry text \
         only (keep other files out of them)",
    );
    assert!(!out.exists());
}
