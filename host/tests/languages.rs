//! Skills written in Python, JavaScript and TypeScript, built from source
//! by `skillhost build` with the pinned tool chains (installed once under
//! target/) and run in the same sandbox as every other skill.
mod common;

use common::{assert_succeeds, bin, run, run_json, text, work_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned Python and JavaScript tool chains, installed once under
/// target/ (which CI may cache) rather than in the user's cache folder.
fn toolchains() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchains")
}

/// `skillhost build DIR` with the tests' tool chains; the packaged skill.
fn build_language_skill(dir: &Path, skill: &Path, name: &str) -> PathBuf {
    let result = run(bin()
        .arg("build")
        .arg(skill)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("SKILLHOST_TOOLCHAINS", toolchains()));
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
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Copies, so the build's target/ and dist/ stay out of the repository.
    for name in ["py-notes", "js-words"] {
        let skill = dir.join(name);
        std::fs::create_dir_all(&skill).unwrap();
        for entry in std::fs::read_dir(repo.join("skills").join(name)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, skill.join(path.file_name().unwrap())).unwrap();
            }
        }
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
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["py-fetch", "ts-fetch"] {
        let skill = dir.join(name);
        std::fs::create_dir_all(&skill).unwrap();
        for entry in std::fs::read_dir(repo.join("skills").join(name)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, skill.join(path.file_name().unwrap())).unwrap();
            }
        }
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
