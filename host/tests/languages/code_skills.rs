//! Seed 003's code skills against a real `skillhost serve` with the real
//! interpreters (built once per interpreter source by `skillhost
//! interpreters install` with the pinned tool chains), driven by curl and
//! the official MCP Python SDK.
use super::{EchoServer, curl, toolchains};
use crate::common::{assert_succeeds, bin, run, text, work_dir};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The interpreters for the current sources, built once under target/
/// (in a folder named by the sources' hash, so a change rebuilds them).
fn interpreters() -> PathBuf {
    static BUILT: Mutex<()> = Mutex::new(());
    let _once = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut hasher = Sha256::new();
    for file in [
        "interpreters/python/app.py",
        "interpreters/python/skill.toml",
        "interpreters/javascript/index.js",
        "interpreters/javascript/skill.toml",
        "guest-sdk-python/skillhost/__init__.py",
        "guest-sdk-python/skillhost/http.py",
        "guest-sdk-js/src/registry.js",
        "guest-sdk-js/src/http.js",
        "guest-sdk-js/src/preinit.js",
        "host/src/cli/build/sync_invoke.js",
    ] {
        hasher.update(std::fs::read(root.join(file)).unwrap());
    }
    let hash = hex::encode(&hasher.finalize()[..8]);
    let dir = root.join("target/test-interpreters").join(hash);
    if dir.join("python.skill.wasm").is_file() && dir.join("javascript.skill.wasm").is_file() {
        return dir;
    }
    let result = run(bin()
        .args(["interpreters", "install", "--dir"])
        .arg(&dir)
        .arg("--data-dir")
        .arg(root.join("target/test-interpreters/data"))
        .env("SKILLHOST_TOOLCHAINS", toolchains()));
    assert_succeeds(&result);
    dir
}

const ADMIN: &str = "shk_code_skills_operator";

/// A fresh PostgreSQL database named `name` when the tests have a server
/// (`.ci/test` starts one and sets SKILLHOST_TEST_DATABASE_URL): its URL.
fn postgres_database(name: &str) -> Option<String> {
    use sqlx::Connection;
    let url = std::env::var("SKILLHOST_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let database = format!("lang_{}_{name}", std::process::id());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut admin = sqlx::PgConnection::connect(&url)
            .await
            .expect("PostgreSQL answers");
        for statement in [
            format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            format!("CREATE DATABASE {database}"),
        ] {
            sqlx::Executor::execute(&mut admin, statement.as_str())
                .await
                .unwrap();
        }
    });
    let mut parsed = url::Url::parse(&url).unwrap();
    parsed.set_path(&format!("/{database}"));
    Some(parsed.to_string())
}

/// `skillhost serve` with the interpreters, loopback reachable (for the
/// echo upstream); killed when dropped.
struct Served {
    child: std::process::Child,
    addr: String,
}

impl Served {
    /// On the embedded SQLite.
    fn start(dir: &Path) -> Served {
        Served::start_on(dir, None)
    }

    /// On `database` (PostgreSQL) when given.
    fn start_on(dir: &Path, database: Option<String>) -> Served {
        use std::io::BufRead;
        let mut command = bin();
        if let Some(url) = database {
            command.env("SKILLHOST_DATABASE_URL", url);
        }
        let mut child = command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--allow-private-range",
                "127.0.0.1/32",
            ])
            .arg("--data-dir")
            .arg(dir.join("server"))
            .arg("--interpreters")
            .arg(interpreters())
            .env("SKILLHOST_ADMIN_TOKEN", ADMIN)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("skillhost listening on ").map(str::to_owned))
            .expect("the server prints its address");
        Served { child, addr }
    }

    /// A request with curl (a client nobody here wrote): status and body.
    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.addr);
        match body {
            Some(body) => {
                let body = body.to_string();
                let args = [
                    "-H",
                    "Content-Type: application/json",
                    "--data-binary",
                    &body,
                ];
                curl(method, &url, token, &args)
            }
            None => curl(method, &url, token, &[]),
        }
    }

    fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, token, Some(body))
    }

    fn invoke(&self, token: &str, skill: &str, args: Value) -> (u16, Value) {
        let path = format!("/api/agents/bot/skills/{skill}/invoke");
        self.post(&path, token, json!({ "args": args }))
    }

    /// A token of the operator's tenant with `scopes`.
    fn token(&self, scopes: &[&str]) -> String {
        let (status, reply) = self.post(
            "/api/tokens",
            ADMIN,
            json!({"name": format!("t-{}", scopes.join("-")), "scopes": scopes}),
        );
        assert_eq!(status, 201, "{reply}");
        reply["token"]["secret"].as_str().unwrap().to_owned()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create(server: &Served, token: &str, body: Value) -> (u16, Value) {
    server.post("/api/agents/bot/skills", token, body)
}

fn assert_ran(reply: &(u16, Value), output: &str) {
    let (status, body) = reply;
    assert_eq!(
        (
            *status,
            &body["success"],
            &body["output"],
            &body["exit_code"]
        ),
        (200, &json!(true), &json!(output), &json!(0)),
        "{body}"
    );
}

#[test]
fn code_skills_run_like_commands_in_python_and_javascript() {
    let dir = work_dir("code-skills");
    let server = Served::start(&dir);
    let echo = EchoServer::start();
    let (status, reply) = server.post("/api/agents", ADMIN, json!({"name": "bot"}));
    assert_eq!(status, 201, "{reply}");

    // The same program in each language: arguments, stdin, exit status.
    let programs = [
        (
            "py-args",
            "python",
            "import sys, json\nprint('args:', ' '.join(sys.argv[1:]))\ndata = sys.stdin.read()\nif data:\n    print('path:', json.loads(data)['path'])\nif '--fail' in sys.argv:\n    print('bad flag', file=sys.stderr)\n    sys.exit(3)\n",
        ),
        (
            "js-args",
            "javascript",
            "console.log('args:', args.join(' '));\nif (stdin) console.log('path:', JSON.parse(stdin).path);\nif (args.includes('--fail')) {\n  console.error('bad flag');\n  process.exit(3);\n}\n",
        ),
    ];
    for (name, language, code) in programs {
        let (status, reply) = create(
            &server,
            ADMIN,
            json!({"name": name, "description": "Echoes its input", "code": code, "language": language}),
        );
        assert_eq!(status, 201, "{reply}");
        assert_eq!(
            reply["skill"]["status"], "active",
            "an admin's skill that binds nothing: {reply}"
        );
        assert_ran(
            &server.invoke(ADMIN, name, json!(["ls", "-la"])),
            "args: ls -la\n",
        );
        assert_ran(
            &server.invoke(ADMIN, name, json!({"path": "/home", "recursive": true})),
            "args: \npath: /home\n",
        );
        let (status, reply) = server.invoke(ADMIN, name, json!(["--fail"]));
        assert_eq!(
            (
                status,
                &reply["success"],
                &reply["exit_code"],
                &reply["code"]
            ),
            (200, &json!(false), &json!(3), &json!("failed")),
            "{language}: {reply}"
        );
        assert!(
            reply["error"]
                .as_str()
                .unwrap()
                .contains("exited with code 3: bad flag"),
            "{reply}"
        );
        assert_eq!(
            reply["output"], "args: --fail\nbad flag\n",
            "stdout, then stderr: {reply}"
        );
        let (status, source) = server.call(
            "GET",
            &format!("/api/agents/bot/skills/{name}/source"),
            ADMIN,
            None,
        );
        assert_eq!(
            (status, &source["code"], &source["language"]),
            (200, &json!(code), &json!(language)),
            "{source}"
        );
        assert!(
            source["manifest"]
                .as_str()
                .unwrap()
                .contains(&format!("name = \"{name}\"")),
            "{source}"
        );
    }

    // An uncaught error is exit status 1 with the interpreter's account,
    // pointing at the skill's own line.
    for (name, language, code, expected) in [
        (
            "py-raise",
            "python",
            "x = 1\nraise ValueError('no good')\n",
            "line 2",
        ),
        (
            "js-raise",
            "javascript",
            "const x = 1;\nnull.x;\n",
            "main.js:2",
        ),
    ] {
        let (status, reply) = create(
            &server,
            ADMIN,
            json!({"name": name, "description": "Fails", "code": code, "language": language}),
        );
        assert_eq!(status, 201, "{reply}");
        let (_, reply) = server.invoke(ADMIN, name, json!([]));
        assert_eq!(
            (&reply["exit_code"], &reply["code"]),
            (&json!(1), &json!("failed")),
            "{reply}"
        );
        let output = reply["output"].as_str().unwrap();
        assert!(output.contains(expected), "{language}: {output}");
        assert!(
            !output.contains("bundle.js") && !output.contains("app.py"),
            "the runner's frames stay out: {output}"
        );
    }

    // Refused at create: a syntax error (the interpreter's message), a
    // language without an interpreter, a name that is not a slug; nothing
    // is stored.
    for (language, code, expected) in [
        (
            "python",
            "def broken(:\n    pass\n",
            "SyntaxError: invalid syntax",
        ),
        (
            "javascript",
            "let x = ;",
            "SyntaxError: expected expression, got ';' (main.js, line 1)",
        ),
    ] {
        let (status, reply) = create(
            &server,
            ADMIN,
            json!({"name": "broken", "description": "d", "code": code, "language": language}),
        );
        assert_eq!(
            (status, &reply["code"]),
            (422, &json!("syntax_error")),
            "{reply}"
        );
        assert!(
            reply["error"].as_str().unwrap().contains(expected),
            "{reply}"
        );
    }
    let (status, _) = server.call("GET", "/api/skills/broken", ADMIN, None);
    assert_eq!(status, 404, "a refused create stores nothing");
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({"name": "sh", "description": "d", "code": "echo hi", "language": "bash"}),
    );
    assert_eq!(
        (status, &reply["code"]),
        (422, &json!("unsupported_language")),
        "{reply}"
    );
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("`python` and `javascript`"),
        "{reply}"
    );
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({"name": "my_custom_skill", "description": "d", "code": "print(1)", "language": "python"}),
    );
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("send `my-custom-skill`"),
        "{reply}"
    );
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({"name": "x", "description": "d", "code": "1", "language": "python", "netwrk": []}),
    );
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("netwrk"),
        "{reply}"
    );

    // PUT with new code: a new version, running at once (an admin's change
    // to a skill that binds nothing); a syntax error leaves the old code.
    let (status, reply) = server.call(
        "PUT",
        "/api/agents/bot/skills/py-args",
        ADMIN,
        Some(json!({"code": "print('v2')"})),
    );
    assert_eq!(
        (
            status,
            &reply["skill"]["version"],
            &reply["pendingApproval"]
        ),
        (200, &json!("1.0.1"), &json!(false)),
        "{reply}"
    );
    assert_ran(&server.invoke(ADMIN, "py-args", json!([])), "v2\n");
    let (status, reply) = server.call(
        "PUT",
        "/api/agents/bot/skills/py-args",
        ADMIN,
        Some(json!({"code": "print('v3'"})),
    );
    assert_eq!(
        (status, &reply["code"]),
        (422, &json!("syntax_error")),
        "{reply}"
    );
    assert_ran(&server.invoke(ADMIN, "py-args", json!([])), "v2\n");

    // Limits, with their categories.
    for (name, language, code, limits, category) in [
        (
            "py-loop",
            "python",
            "while True:\n    pass\n",
            json!({"timeout_ms": 300}),
            "timeout",
        ),
        (
            "js-loop",
            "javascript",
            "while (true) {}",
            json!({"timeout_ms": 300}),
            "timeout",
        ),
        (
            "py-hog",
            "python",
            "x = bytearray(200 * 1024 * 1024)\nprint(len(x))\n",
            json!({"memory_mb": 64}),
            "out_of_memory",
        ),
        (
            "py-loud",
            "python",
            "print('x' * 100000)\n",
            json!({"output_kb": 16}),
            "output_too_large",
        ),
        (
            "js-loud",
            "javascript",
            "console.log('x'.repeat(100000));",
            json!({"output_kb": 16}),
            "output_too_large",
        ),
    ] {
        let (status, reply) = create(
            &server,
            ADMIN,
            json!({"name": name, "description": "Limits", "code": code, "language": language, "limits": limits}),
        );
        assert_eq!(status, 201, "{reply}");
        let (_, reply) = server.invoke(ADMIN, name, json!([]));
        assert_eq!(
            (&reply["success"], &reply["code"]),
            (&json!(false), &json!(category)),
            "{name}: {reply}"
        );
    }

    // The network: the declared upstream answers through the guard; any
    // other host is refused inside the sandbox.
    let upstream = format!("http://127.0.0.1:{}", echo.1);
    for (name, language, code) in [
        (
            "py-net",
            "python",
            "import sys\nfrom skillhost import http\nr = http.get(sys.argv[1])\nprint(r.status, 'user-agent' in r.json())\n",
        ),
        (
            "js-net",
            "javascript",
            "const r = await fetch(args[0]);\nconsole.log(r.status, 'user-agent' in (await r.json()));",
        ),
    ] {
        let (status, reply) = create(
            &server,
            ADMIN,
            json!({"name": name, "description": "Fetches", "code": code, "language": language, "network": [format!("{upstream}")]}),
        );
        assert_eq!(
            (status, &reply["skill"]["status"]),
            (201, &json!("active")),
            "{reply}"
        );
        let (_, reply) = server.invoke(ADMIN, name, json!([format!("{upstream}/x")]));
        assert!(
            reply["success"] == json!(true)
                && reply["output"].as_str().unwrap().starts_with("200 "),
            "{name}: {reply}"
        );
        let (_, reply) = server.invoke(ADMIN, name, json!(["https://example.com/"]));
        assert_eq!(
            (&reply["success"], &reply["code"], &reply["exit_code"]),
            (&json!(false), &json!("capability_denied"), &json!(1)),
            "{name}: {reply}"
        );
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains("https://example.com"),
            "{name}: the refusal names the host: {error}"
        );
    }

    // Hostile code: no host files, no host environment, no sockets.
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({
            "name": "py-snoop", "description": "Snoops", "language": "python",
            "code": "import os, socket, skillhost\nprint(sorted(os.environ))\nfor probe in (lambda: open('/etc/passwd').read(), lambda: os.listdir('/'), lambda: socket.create_connection(('127.0.0.1', 22)), lambda: skillhost.secret('API_TOKEN')):\n    try:\n        probe()\n        print('reached')\n    except Exception as e:\n        print('refused:', type(e).__name__)\n"
        }),
    );
    assert_eq!(status, 201, "{reply}");
    let (_, reply) = server.invoke(ADMIN, "py-snoop", json!([]));
    let output = reply["output"].as_str().unwrap();
    assert!(
        output.starts_with("[]\n") && !output.contains("reached"),
        "{output}"
    );
    // Files, the root, a socket, and a secret it did not declare.
    assert_eq!(output.matches("refused:").count(), 4, "{output}");
    assert!(output.contains("refused: Denied"), "{output}");
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({
            "name": "js-snoop", "description": "Snoops", "language": "javascript",
            "code": "for (const probe of [() => typeof require, () => typeof Deno, () => process.env.HOME]) console.log(String(probe()));",
        }),
    );
    assert_eq!(status, 201, "{reply}");
    assert_ran(
        &server.invoke(ADMIN, "js-snoop", json!([])),
        "undefined\nundefined\nundefined\n",
    );
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({"name": "js-env", "description": "d", "code": "1", "language": "javascript", "env": ["HOME"]}),
    );
    assert_eq!(
        (status, &reply["code"]),
        (422, &json!("unsupported_capability")),
        "{reply}"
    );
}

#[test]
fn a_writers_code_skill_waits_for_an_admin_and_answers_over_mcp() {
    let dir = work_dir("code-trust");
    // On PostgreSQL when the tests have one; the other test is on SQLite.
    let server = Served::start_on(&dir, postgres_database("code_trust"));
    let (status, reply) = server.post("/api/agents", ADMIN, json!({"name": "bot"}));
    assert_eq!(status, 201, "{reply}");
    let writer = server.token(&["skills:read", "skills:write"]);
    let reader = server.token(&["skills:read"]);

    // A reader may not create; a writer's skill waits, uncallable.
    let code = "import sys, skillhost\ntoken = skillhost.secret('API_TOKEN')\nprint('token is', token, 'args', sys.argv[1:])\n";
    let body = json!({"name": "py-secret", "description": "Uses a secret", "code": code, "language": "python", "secrets": ["API_TOKEN"]});
    let (status, _) = create(&server, &reader, body.clone());
    assert_eq!(status, 403);
    let (status, reply) = create(&server, &writer, body);
    assert_eq!(
        (status, &reply["skill"]["status"]),
        (201, &json!("pending")),
        "{reply}"
    );
    let (status, reply) = server.invoke(&writer, "py-secret", json!([]));
    assert_eq!(
        (status, &reply["code"]),
        (409, &json!("skill_not_active")),
        "{reply}"
    );

    // The admin binds the secret and approves; its value never comes back.
    const VALUE: &str = "tok-4f9a1c7e2b";
    let (status, reply) = server.post(
        "/api/v1/secret/create",
        ADMIN,
        json!({"name": "api-token", "value": VALUE}),
    );
    assert_eq!(status, 200, "{reply}");
    let secret_id = reply["id"].as_str().unwrap().to_owned();
    let grant = json!({"secrets": {"API_TOKEN": {"secretId": secret_id}}});
    let (status, reply) = server.post("/api/skills/py-secret/approve", ADMIN, grant);
    assert_eq!(
        (status, &reply["skill"]["status"]),
        (200, &json!("active")),
        "{reply}"
    );
    let (status, reply) = server.invoke(&reader, "py-secret", json!(["a"]));
    assert_eq!(status, 200, "{reply}");
    let output = reply["output"].as_str().unwrap();
    assert!(
        output.starts_with("token is ") && output.ends_with(" args ['a']\n"),
        "{output}"
    );
    assert!(!reply.to_string().contains(VALUE), "redacted: {reply}");

    // The writer's new code behind the secret waits; the approved code
    // keeps serving, and the source shows both.
    let (status, reply) = server.call(
        "PUT",
        "/api/agents/bot/skills/py-secret",
        &writer,
        Some(json!({"code": "import skillhost\nprint(skillhost.secret('API_TOKEN')[::-1])\n"})),
    );
    assert_eq!(
        (status, &reply["pendingApproval"]),
        (200, &json!(true)),
        "{reply}"
    );
    let (_, reply) = server.invoke(&reader, "py-secret", json!(["b"]));
    assert!(
        reply["output"].as_str().unwrap().ends_with(" args ['b']\n"),
        "{reply}"
    );
    let (_, source) = server.call(
        "GET",
        "/api/agents/bot/skills/py-secret/source",
        &reader,
        None,
    );
    assert_eq!(source["code"], code, "{source}");
    assert!(
        source["pending"]["code"]
            .as_str()
            .unwrap()
            .contains("[::-1]"),
        "{source}"
    );

    // Another tenant's admin sees none of it.
    let (status, reply) = server.post("/api/tenants", ADMIN, json!({"name": "other"}));
    assert_eq!(status, 201, "{reply}");
    let other = reply["token"]["secret"].as_str().unwrap().to_owned();
    let (status, _) = server.post("/api/agents", &other, json!({"name": "bot"}));
    assert_eq!(status, 201);
    for path in [
        "/api/agents/bot/skills/py-secret/source",
        "/api/skills/py-secret",
    ] {
        let (status, reply) = server.call("GET", path, &other, None);
        assert_eq!(status, 404, "{path}: {reply}");
    }
    let (status, _) = server.invoke(&other, "py-secret", json!([]));
    assert_eq!(status, 404);
    let (status, _) = server.call(
        "PUT",
        "/api/agents/bot/skills/py-secret",
        &other,
        Some(json!({"code": "print(1)"})),
    );
    assert_eq!(status, 404);

    // Over MCP with the official Python SDK: array and object arguments, a
    // failing program as a tool error with its output.
    let (status, reply) = create(
        &server,
        ADMIN,
        json!({
            "name": "js-mcp", "description": "Echoes over MCP", "language": "javascript",
            "code": "if (args[0] === 'fail') { console.error('asked to fail'); process.exit(2); }\nconsole.log(args.length ? args.join('+') : JSON.parse(stdin).n * 2);"
        }),
    );
    assert_eq!(status, 201, "{reply}");
    let python = std::env::var("SKILLHOST_TEST_PYTHON").expect(
        "SKILLHOST_TEST_PYTHON: a python with tests/mcp/requirements.txt (.ci/test makes it)",
    );
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp/client.py");
    let plan = json!([
        {"name": "js-mcp__run", "arguments": {"args": ["a", "b"]}},
        {"name": "js-mcp__run", "arguments": {"args": {"n": 21}}},
        {"name": "js-mcp__run", "arguments": {"args": ["fail"]}},
    ]);
    let out = Command::new(python)
        .arg(client)
        .args([
            &format!("{}/mcp/agents/bot", server.addr),
            &reader,
            "auto",
            &plan.to_string(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools: Vec<&str> = result["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"js-mcp__run") && tools.contains(&"py-secret__run"),
        "{tools:?}"
    );
    let calls = &result["calls"];
    assert_eq!(
        (&calls[0]["isError"], &calls[0]["text"][0]),
        (&json!(false), &json!("a+b\n")),
        "{calls}"
    );
    assert_eq!(
        (&calls[1]["isError"], &calls[1]["text"][0]),
        (&json!(false), &json!("42\n")),
        "{calls}"
    );
    assert_eq!(calls[2]["isError"], true, "{calls}");
    assert!(
        calls[2]["text"][0]
            .as_str()
            .unwrap()
            .contains("asked to fail"),
        "{calls}"
    );
}
