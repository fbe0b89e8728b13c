//! Skills written in Python, JavaScript and TypeScript, built from source
//! by `skillhost build` with the pinned tool chains (installed once under
//! target/) and run in the same sandbox as every other skill.
#[path = "languages/code_skills.rs"]
mod code_skills;
mod common;

use common::{assert_succeeds, bin, run, run_json, text, work_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned Python and JavaScript tool chains, installed once under
/// target/ (which CI may cache) rather than in the user's cache folder.
fn toolchains() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchains")
}

/// A copy in `dir` of the skill folder `folder` of the repository (its
/// files only), so the build's target/ and dist/ stay out of the repository.
fn copy_skill(dir: &Path, folder: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(folder);
    let skill = dir.join(from.file_name().unwrap());
    std::fs::create_dir_all(&skill).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, skill.join(path.file_name().unwrap())).unwrap();
        }
    }
    skill
}

/// `skillhost build SKILL` with the tests' tool chains, as it ended.
fn build(dir: &Path, skill: &Path) -> std::process::Output {
    run(bin()
        .arg("build")
        .arg(skill)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("SKILLHOST_TOOLCHAINS", toolchains()))
}

/// `skillhost build DIR` with the tests' tool chains; the packaged skill.
fn build_language_skill(dir: &Path, skill: &Path, name: &str) -> PathBuf {
    let result = build(dir, skill);
    assert_succeeds(&result);
    let out = skill.join(format!("dist/{name}.skill.wasm"));
    assert!(out.is_file(), "{}", text(&result.stdout));
    out
}

#[test]
fn new_python_javascript_and_typescript_skills_build_and_run() {
    let dir = work_dir("new-langs");
    for lang in ["python", "js", "ts"] {
        let name = format!("hello-{lang}");
        let skill = dir.join(&name);
        let result = run(bin()
            .args(["new", &name, "--lang", lang, "--dir"])
            .arg(&skill));
        assert_succeeds(&result);
        let out = build_language_skill(&dir, &skill, &name);
        let (code, report) = run_json(&dir, &out, "greet", r#"{"name":"Ada"}"#, &[]);
        assert_eq!(code, Some(0), "{lang}: {report}");
        assert_eq!(
            report["output"],
            serde_json::json!({"message": "Hello, Ada!"}),
            "{lang}"
        );
        // The SDK's InvalidInput, and the host's schema check before the
        // guest runs.
        let (code, report) = run_json(&dir, &out, "greet", r#"{"name":" "}"#, &[]);
        assert_eq!(
            (code, &report["error"]["kind"]),
            (Some(1), &serde_json::json!("invalid_input")),
            "{lang}: {report}"
        );
        let (_, report) = run_json(&dir, &out, "greet", r#"{"name":1}"#, &[]);
        assert_eq!(report["error"]["kind"], "invalid_input", "{lang}: {report}");
    }
    // A language the folder does not show is named with what to do.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let result = run(bin().arg("build").arg(&empty));
    assert!(
        text(&result.stderr).contains("skillhost new NAME --lang"),
        "{}",
        text(&result.stderr)
    );
}

#[test]
fn the_python_and_javascript_examples_keep_session_state_and_read_config() {
    let dir = work_dir("lang-examples");
    for name in ["py-notes", "js-words"] {
        copy_skill(&dir, &format!("skills/{name}"));
    }
    let notes = build_language_skill(&dir, &dir.join("py-notes"), "py-notes");
    let session = ["--session", "s1"];
    let (code, report) = run_json(
        &dir,
        &notes,
        "add",
        r#"{"text":"buy milk","tags":["home"],"priority":"high"}"#,
        &session,
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["output"]["id"], 1, "{report}");
    let (_, report) = run_json(
        &dir,
        &notes,
        "render",
        "{}",
        &["--session", "s1", "--config", "title=Today"],
    );
    assert_eq!(
        report["output"], "# Today\n\n- **buy milk** #home (1)",
        "{report}"
    );
    let (_, report) = run_json(&dir, &notes, "find", "{}", &["--session", "s2"]);
    assert_eq!(
        report["output"],
        serde_json::json!([]),
        "another session: {report}"
    );
    let (code, report) = run_json(&dir, &notes, "remove", r#"{"id":9}"#, &session);
    assert_eq!(
        (code, &report["error"]["kind"]),
        (Some(1), &serde_json::json!("invalid_input")),
        "{report}"
    );

    let words = build_language_skill(&dir, &dir.join("js-words"), "js-words");
    let (_, report) = run_json(
        &dir,
        &words,
        "learn",
        r#"{"text":"the cat, the hat"}"#,
        &session,
    );
    assert_eq!(
        report["output"],
        serde_json::json!({"distinct": 3}),
        "{report}"
    );
    let (_, report) = run_json(&dir, &words, "vocabulary", "{}", &session);
    assert_eq!(
        report["output"],
        serde_json::json!(["cat", "hat", "the"]),
        "{report}"
    );
    let (code, report) = run_json(&dir, &words, "learn", r#"{"text":"x"}"#, &[]);
    assert_eq!(code, Some(1), "no session: {report}");
}

/// Python's http.server on 127.0.0.1 answering every GET with the request's
/// headers as JSON; killed when dropped.
struct EchoServer(std::process::Child, u16);

impl EchoServer {
    fn start() -> EchoServer {
        use std::io::BufRead;
        const SCRIPT: &str = r#"
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("a port");
        EchoServer(child, port)
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn python_and_typescript_skills_reach_only_declared_origins_through_the_guard() {
    let dir = work_dir("lang-http");
    for name in ["py-fetch", "ts-fetch"] {
        copy_skill(&dir, &format!("skills/{name}"));
    }
    let echo = EchoServer::start();
    let url = format!("http://127.0.0.1:{}/echo", echo.1);
    const TOKEN: &str = "tok-5e1f0a77c3";
    let secret = format!("API_TOKEN={TOKEN}");
    for (name, auth) in [("py-fetch", "bearer"), ("ts-fetch", "auth")] {
        let out = build_language_skill(&dir, &dir.join(name), name);
        let input = serde_json::json!({"url": url, auth: true}).to_string();
        let (code, report) = run_json(
            &dir,
            &out,
            "request",
            &input,
            &["--allow-private-network", "--secret", &secret],
        );
        assert_eq!(code, Some(0), "{name}: {report}");
        assert_eq!(report["output"]["status"], 200, "{name}: {report}");
        // The upstream echoed the credential; the host redacted it.
        assert_eq!(
            report["output"]["body"]["authorization"], "Bearer [secret:API_TOKEN]",
            "{name}: {report}"
        );
        assert!(!report.to_string().contains(TOKEN), "{name}: {report}");
        // Loopback without the grant's private networks, and a host the
        // manifest does not declare: refused by the guard.
        let plain = serde_json::json!({"url": url}).to_string();
        let (_, report) = run_json(&dir, &out, "request", &plain, &[]);
        assert_eq!(
            report["error"]["kind"], "capability_denied",
            "{name}: {report}"
        );
        let elsewhere =
            serde_json::json!({"url": format!("http://localhost:{}/", echo.1)}).to_string();
        let (_, report) = run_json(
            &dir,
            &out,
            "request",
            &elsewhere,
            &["--allow-private-network"],
        );
        assert_eq!(
            report["error"]["kind"], "capability_denied",
            "{name}: {report}"
        );
        assert!(
            report["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no declared and granted network pattern"),
            "{name}: {report}"
        );
    }
}

/// Copies a test guest from tests/lang-guests/ into `dir`, so the build's
/// target/ and dist/ stay out of the repository; the copy's folder.
fn copy_test_guest(dir: &Path, name: &str) -> PathBuf {
    copy_skill(dir, &format!("tests/lang-guests/{name}"))
}

/// `run_json` with variables set on the `skillhost` process itself.
fn run_json_with_env(
    dir: &Path,
    file: &Path,
    ability: &str,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value) {
    let result = run(bin()
        .arg("run")
        .arg(file)
        .args([ability, "--json", "--data-dir"])
        .arg(dir.join("data"))
        .args(extra)
        .envs(vars.iter().copied()));
    assert_eq!(text(&result.stderr), "");
    let report = serde_json::from_slice(&result.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&result.stdout)));
    (result.status.code(), report)
}

/// The error's kind and the detail's message (the guest's own words for
/// `failed`), of a call that exited 1 with no output.
fn failure(code: Option<i32>, report: &serde_json::Value) -> (String, String) {
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["success"], false, "{report}");
    assert_eq!(report["output"], serde_json::Value::Null, "{report}");
    let error = &report["error"];
    (
        error["kind"].as_str().unwrap_or_default().to_owned(),
        error["detail"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn kind_and_message(kind: &str, message: &str) -> (String, String) {
    (kind.to_owned(), message.to_owned())
}

/// The cases every hostile guest shares, whatever its language: timeout,
/// memory, output floods (returned and printed), secrets and an uncaught
/// exception. `crash` is the message of the exception its `crash` ability
/// throws.
fn assert_limits_secrets_and_exceptions_contained(dir: &Path, out: &Path, lang: &str, crash: &str) {
    // An infinite loop: the grant's 500 ms (not the manifest's 10 s) fires.
    let started = std::time::Instant::now();
    let (code, report) = run_json(dir, out, "spin", "{}", &["--timeout-ms", "500"]);
    let elapsed = started.elapsed();
    assert_eq!(failure(code, &report).0, "timeout", "{lang}: {report}");
    assert_eq!(
        report["error"]["detail"]["limit_ms"], 500,
        "{lang}: {report}"
    );
    assert!(
        report["receipt"]["wall_time_us"].as_u64().unwrap() >= 500_000,
        "{lang}: {report}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "{lang}: {elapsed:?}"
    );

    // A memory bomb (512 MiB) under --memory-mb 64: the limiter refuses the
    // growth and the peak stays under the limit. The runtime raises (CPython
    // MemoryError, SpiderMonkey "out of memory") and the SDK reports a
    // failure, which the host knows for the memory limit: `out_of_memory`,
    // as for a Rust guest.
    let limit = 64u64 << 20;
    let (code, report) = run_json(
        dir,
        out,
        "allocate",
        &(serde_json::json!({"n": 512u64 << 20})).to_string(),
        &["--memory-mb", "64"],
    );
    assert_eq!(
        (code, &report["error"]["kind"]),
        (Some(1), &serde_json::json!("out_of_memory")),
        "{lang}: {report}"
    );
    let peak = report["receipt"]["peak_memory_bytes"].as_u64().unwrap();
    assert!(
        peak <= limit && peak > limit - (8 << 20),
        "{lang}: {report}"
    );
    // Within the limit it works.
    let (code, report) = run_json(
        dir,
        out,
        "allocate",
        &(serde_json::json!({"n": 8u64 << 20})).to_string(),
        &["--memory-mb", "64"],
    );
    assert_eq!(code, Some(0), "{lang}: {report}");
    assert_eq!(
        report["output"],
        format!("allocated {}", 8u64 << 20),
        "{lang}"
    );

    // 1 MiB returned or printed under --output-kb 64.
    for ability in ["flood", "flood_stdout"] {
        let (code, report) = run_json(
            dir,
            out,
            ability,
            r#"{"n":1048576}"#,
            &["--output-kb", "64"],
        );
        assert_eq!(
            failure(code, &report).0,
            "output_too_large",
            "{lang} {ability}: {report}"
        );
        assert_eq!(
            report["error"]["message"], "output too large: more than 65536 bytes",
            "{lang} {ability}"
        );
    }
    let (code, report) = run_json(dir, out, "flood", r#"{"n":1000}"#, &["--output-kb", "64"]);
    assert_eq!(code, Some(0), "{lang}: {report}");
    assert_eq!(report["output"].as_str().unwrap().len(), 1000, "{lang}");

    // A declared secret: refused when not supplied; when supplied the guest
    // holds the value (reversed comes back as is) but what it returns is
    // redacted on the way out.
    const VALUE: &str = "s3cr3t-value";
    let secret = format!("DECLARED_SECRET={VALUE}");
    let target = r#"{"target":"DECLARED_SECRET"}"#;
    let (code, report) = run_json(dir, out, "secret", target, &[]);
    assert_eq!(
        failure(code, &report),
        kind_and_message(
            "capability_denied",
            "declared but not supplied by the operator"
        ),
        "{lang}: {report}"
    );
    assert_eq!(
        (
            &report["error"]["detail"]["capability"],
            &report["error"]["detail"]["target"]
        ),
        (
            &serde_json::json!("secret"),
            &serde_json::json!("DECLARED_SECRET")
        ),
        "{lang}: {report}"
    );
    let (code, report) = run_json(dir, out, "secret", target, &["--secret", &secret]);
    assert_eq!(code, Some(0), "{lang}: {report}");
    assert_eq!(report["output"], "[secret:DECLARED_SECRET]", "{lang}");
    assert!(!report.to_string().contains(VALUE), "{lang}: {report}");
    let (_, report) = run_json(dir, out, "secret_reversed", target, &["--secret", &secret]);
    assert_eq!(report["output"], "eulav-t3rc3s", "{lang}: {report}");
    let (code, report) = run_json(
        dir,
        out,
        "secret",
        r#"{"target":"OTHER_SECRET"}"#,
        &["--secret", &secret],
    );
    assert_eq!(
        failure(code, &report),
        kind_and_message("capability_denied", "not declared in the skill's manifest"),
        "{lang}: {report}"
    );
    assert_eq!(report["denials"][0]["target"], "OTHER_SECRET", "{lang}");
    assert!(!report.to_string().contains(VALUE), "{lang}: {report}");

    // An uncaught exception: `failed` with its message (not a trap).
    let (code, report) = run_json(dir, out, "crash", "{}", &[]);
    assert_eq!(
        failure(code, &report),
        kind_and_message("failed", crash),
        "{lang}: {report}"
    );

    // After every attack the next call runs normally.
    let (code, report) = run_json(dir, out, "ok", "{}", &[]);
    assert_eq!(
        (code, &report["output"]),
        (Some(0), &serde_json::json!("ok"))
    );
}

#[test]
fn a_hostile_python_guest_is_contained() {
    let dir = work_dir("py-hostile");
    let skill = copy_test_guest(&dir, "py-hostile");
    let out = build_language_skill(&dir, &skill, "py-hostile");

    // Files: the declared mount, when granted, is readable; outside the
    // mounts nothing exists (WASI ENOENT, 44); leaving the mount by `..` or
    // a symlink is refused (WASI ENOTCAPABLE, 63). CPython raises OSError,
    // so these are `failed` with its message, where the Rust guest's
    // ENOTCAPABLE becomes `capability_denied`; no denial is recorded.
    let data = dir.join("mounted");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("inside.txt"), "inside").unwrap();
    let outside = dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "outside-secret").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), data.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("/etc", data.join("etc")).unwrap();
    let mount = format!("/data={}", data.display());
    let read = |target: &str, extra: &[&str]| {
        let input = serde_json::json!({"target": target}).to_string();
        run_json(&dir, &out, "read_file", &input, extra)
    };
    let (code, report) = read("/data/inside.txt", &["--mount", &mount]);
    assert_eq!(
        (code, &report["output"]),
        (Some(0), &serde_json::json!("inside")),
        "{report}"
    );
    for (target, errno) in [
        ("/etc/passwd", "[Errno 44] No such file or directory"),
        ("../etc/passwd", "[Errno 44] No such file or directory"),
        ("/proc/self/environ", "[Errno 44] No such file or directory"),
        ("/data/../etc/passwd", "[Errno 63] Operation not permitted"),
        (
            "/data/../../etc/passwd",
            "[Errno 63] Operation not permitted",
        ),
        ("/data/link.txt", "[Errno 63] Operation not permitted"),
        ("/data/etc/passwd", "[Errno 63] Operation not permitted"),
    ] {
        let (code, report) = read(target, &["--mount", &mount]);
        assert_eq!(
            failure(code, &report),
            kind_and_message("failed", &format!("{errno}: '{target}'")),
            "{report}"
        );
        assert!(!report.to_string().contains("root:"), "{report}");
        assert!(!report.to_string().contains("outside-secret"), "{report}");
    }
    // Not even the root: only the mounts are there.
    let (code, report) = run_json(
        &dir,
        &out,
        "list_dir",
        r#"{"target":"/"}"#,
        &["--mount", &mount],
    );
    assert_eq!(
        failure(code, &report),
        kind_and_message("failed", "[Errno 44] No such file or directory: '/'")
    );
    // Without --mount, even the declared path does not exist.
    let (code, report) = read("/data/inside.txt", &[]);
    assert_eq!(
        failure(code, &report),
        kind_and_message(
            "failed",
            "[Errno 44] No such file or directory: '/data/inside.txt'"
        )
    );

    // Environment: nothing of the host process's, not even a declared name
    // without --env; a declared one with --env.
    let host_vars = [("HOST_ONLY_VAR", "leaked"), ("ALLOWED_VAR", "from-host")];
    let (code, report) = run_json_with_env(&dir, &out, "env_all", &[], &host_vars);
    assert_eq!(
        (code, &report["output"]),
        (Some(0), &serde_json::json!({})),
        "{report}"
    );
    let (code, report) = run_json_with_env(
        &dir,
        &out,
        "env_all",
        &["--env", "ALLOWED_VAR=yes"],
        &host_vars,
    );
    assert_eq!(
        (code, &report["output"]),
        (Some(0), &serde_json::json!({"ALLOWED_VAR": "yes"})),
        "{report}"
    );

    // Sockets, against a real listener on 127.0.0.1: every wasi:sockets
    // call is refused. Name lookup (which create_connection does first,
    // even for an IP literal) fails as EAI_FAIL; creating a socket fails
    // as EACCES (WASI errno 2). All `failed`, none a recorded denial.
    let echo = EchoServer::start();
    let port = echo.1;
    let resolve_failure = "[Errno -4] Non-recoverable error";
    for host in ["127.0.0.1", "localhost"] {
        let input = serde_json::json!({"host": host, "port": port}).to_string();
        let (code, report) = run_json(&dir, &out, "connect", &input, &["--allow-private-network"]);
        assert_eq!(
            failure(code, &report),
            kind_and_message("failed", resolve_failure),
            "{host}: {report}"
        );
    }
    for name in ["localhost", "example.com", "127.0.0.1"] {
        let input = serde_json::json!({"name": name}).to_string();
        let (code, report) = run_json(&dir, &out, "resolve", &input, &[]);
        assert_eq!(
            failure(code, &report),
            kind_and_message("failed", resolve_failure),
            "{name}: {report}"
        );
    }
    let input = serde_json::json!({"host": "127.0.0.1", "port": port}).to_string();
    let (code, report) = run_json(&dir, &out, "tcp", &input, &["--allow-private-network"]);
    assert_eq!(
        failure(code, &report),
        kind_and_message("failed", TCP_REFUSAL),
        "{report}"
    );
    let (code, report) = run_json(&dir, &out, "udp", &input, &[]);
    assert_eq!(
        failure(code, &report),
        kind_and_message("failed", "[Errno 2] Permission denied"),
        "{report}"
    );
    assert_eq!(report["denials"], serde_json::json!([]));
    drop(echo);

    assert_limits_secrets_and_exceptions_contained(
        &dir,
        &out,
        "python",
        "hostile guest raised on purpose",
    );
}

#[test]
fn a_hostile_javascript_guest_is_contained() {
    let dir = work_dir("js-hostile");
    let skill = copy_test_guest(&dir, "js-hostile");
    let out = build_language_skill(&dir, &skill, "js-hostile");

    // The engine offers JavaScript no way to files, the environment or
    // sockets: none of the usual globals exist, and `fetch` is only the
    // web API.
    let (code, report) = run_json(&dir, &out, "reach", "{}", &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["output"],
        serde_json::json!({
            "process": "undefined", "require": "undefined", "Deno": "undefined",
            "Bun": "undefined", "WebSocket": "undefined", "XMLHttpRequest": "undefined",
            "Worker": "undefined", "SharedArrayBuffer": "undefined", "fetch": "function",
        }),
        "{report}"
    );
    // Without a declared network the component imports no wasi:http; the
    // engine's fetch to a real listener traps (`unreachable`) rather than
    // reach it, even with private networks granted.
    let echo = EchoServer::start();
    let input = serde_json::json!({"url": format!("http://127.0.0.1:{}/", echo.1)}).to_string();
    let (code, report) = run_json(&dir, &out, "fetch", &input, &["--allow-private-network"]);
    assert_eq!(
        failure(code, &report),
        kind_and_message(
            "guest_trap",
            "wasm trap: wasm `unreachable` instruction executed"
        ),
        "{report}"
    );
    assert_eq!(report["requests"], serde_json::json!([]), "{report}");
    // The SDK's fetch says why instead.
    let (code, report) = run_json(
        &dir,
        &out,
        "sdk_fetch",
        &input,
        &["--allow-private-network"],
    );
    let (kind, message) = failure(code, &report);
    assert_eq!(kind, "capability_denied", "{report}");
    assert!(message.contains("declares no network"), "{report}");
    assert_eq!(report["requests"], serde_json::json!([]), "{report}");
    drop(echo);

    assert_limits_secrets_and_exceptions_contained(
        &dir,
        &out,
        "javascript",
        "hostile guest threw on purpose",
    );
}

/// What the Python guest's `tcp` reports: the socket is refused at
/// creation (wasi:sockets `create-tcp-socket` denied, EACCES), before any
/// connect.
const TCP_REFUSAL: &str = "[Errno 2] socket(): Permission denied";

/// `curl` (a client nobody here wrote) against the server: status and body.
fn curl(method: &str, url: &str, token: &str, body: &[&str]) -> (u16, serde_json::Value) {
    let result = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-X", method, url])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(body)
        .output()
        .expect("curl runs");
    let out = text(&result.stdout);
    let (json, status) = out.rsplit_once('\n').expect("a status line");
    let json = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
    (status.trim().parse().expect("a status"), json)
}

#[test]
fn a_python_skill_installs_is_approved_and_answers_over_rest() {
    use std::io::BufRead;
    let dir = work_dir("lang-serve");
    let skill = copy_skill(&dir, "skills/py-notes");
    let package = build_language_skill(&dir, &skill, "py-notes");
    const TOKEN: &str = "shk_lang_test_token";
    let mut server = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("server"))
        .env("SKILLHOST_ADMIN_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let addr = lines
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("skillhost listening on ").map(str::to_owned))
        .expect("the server prints its address");
    let api = |path: &str| format!("{addr}{path}");
    let json = |body: serde_json::Value| {
        vec![
            "-H".to_owned(),
            "Content-Type: application/json".to_owned(),
            "--data".to_owned(),
            body.to_string(),
        ]
    };

    // Installed as any component: pending until an admin approves it.
    let upload = format!("@{}", package.display());
    let (status, reply) = curl(
        "POST",
        &api("/api/skills"),
        TOKEN,
        &[
            "-H",
            "Content-Type: application/wasm",
            "--data-binary",
            &upload,
        ],
    );
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["skill"]["status"], "pending", "{reply}");
    let id = reply["skill"]["id"].as_str().unwrap().to_owned();
    let (status, reply) = curl(
        "POST",
        &api(&format!("/api/skills/{id}/approve")),
        TOKEN,
        &[],
    );
    assert_eq!(
        (status, &reply["skill"]["status"]),
        (200, &serde_json::json!("active")),
        "{reply}"
    );
    for (path, body) in [
        ("/api/agents".to_owned(), serde_json::json!({"name": "bot"})),
        (
            format!("/api/skills/{id}/assign"),
            serde_json::json!({"agentId": "bot"}),
        ),
    ] {
        let body = json(body);
        let body: Vec<&str> = body.iter().map(String::as_str).collect();
        let (status, reply) = curl("POST", &api(&path), TOKEN, &body);
        assert_eq!(status, 201, "{path}: {reply}");
    }
    let invoke = api("/api/agents/bot/skills/py-notes/invoke");
    let call = |ability: &str, args: serde_json::Value| {
        let body = json(serde_json::json!({"ability": ability, "args": args, "session": "s1"}));
        let body = body.iter().map(String::as_str).collect::<Vec<_>>();
        curl("POST", &invoke, TOKEN, &body)
    };
    let (status, reply) = call("add", serde_json::json!({"text": "from REST"}));
    assert_eq!(
        (status, &reply["success"]),
        (200, &serde_json::json!(true)),
        "{reply}"
    );
    let (_, reply) = call("render", serde_json::json!({}));
    assert_eq!(reply["output"], "# Notes\n\n- from REST (1)", "{reply}");
    let (_, reply) = call("find", serde_json::json!({"limit": "many"}));
    assert_eq!(
        reply["code"], "invalid_input",
        "checked before the guest runs: {reply}"
    );
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
}

#[test]
fn third_party_packages_are_bundled_and_native_code_is_refused() {
    let dir = work_dir("lang-deps");
    // A pure-Python package from requirements.txt; an npm package, which
    // the build installs (no node_modules beforehand) and bundles.
    for (name, ability, input, expected) in [
        (
            "py-deps",
            "ascii",
            r#"{"text":"Crème brûlée"}"#,
            serde_json::json!("Creme brulee"),
        ),
        (
            "js-deps",
            "millis",
            r#"{"duration":"2h"}"#,
            serde_json::json!({"ms": 7_200_000}),
        ),
    ] {
        let skill = copy_test_guest(&dir, name);
        assert!(!skill.join("node_modules").exists());
        let out = build_language_skill(&dir, &skill, name);
        let (code, report) = run_json(&dir, &out, ability, input, &[]);
        assert_eq!(
            (code, &report["output"]),
            (Some(0), &expected),
            "{name}: {report}"
        );
    }

    // Native code is refused by the build, naming the package.
    let py = copy_test_guest(&dir, "py-deps");
    std::fs::write(py.join("requirements.txt"), "markupsafe==3.0.2\n").unwrap();
    let js = copy_test_guest(&dir, "js-deps");
    // The first build's lockfile and modules go: this is another package.json.
    std::fs::remove_file(js.join("package-lock.json")).unwrap();
    std::fs::remove_dir_all(js.join("node_modules")).unwrap();
    let addon = js.join("vendor/addon");
    std::fs::create_dir_all(&addon).unwrap();
    std::fs::write(
        addon.join("package.json"),
        r#"{"name":"addon","version":"1.0.0","main":"index.js"}"#,
    )
    .unwrap();
    std::fs::write(
        addon.join("binding.gyp"),
        r#"{"targets":[{"target_name":"addon","sources":["addon.cc"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        addon.join("index.js"),
        "module.exports = require('./build/Release/addon.node');\n",
    )
    .unwrap();
    std::fs::write(
        js.join("package.json"),
        r#"{"name":"js-deps","private":true,"type":"module","dependencies":{"ms":"2.1.3","addon":"file:./vendor/addon"}}"#,
    )
    .unwrap();
    for (skill, expected) in [
        (
            &py,
            "requirements.txt installs native code, which a Python skill cannot load: markupsafe/",
        ),
        (
            &js,
            "npm packages with native code cannot run in a JavaScript skill (it has no Node.js and loads no .node addons): addon;",
        ),
    ] {
        let result = build(&dir, skill);
        assert_eq!(result.status.code(), Some(1), "{}", text(&result.stdout));
        let stderr = text(&result.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
}
