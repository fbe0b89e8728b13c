//! Several `skillhost serve` processes on one PostgreSQL, as an operator
//! runs them behind a load balancer: what one node writes, every other node
//! honours at once; replicas started together migrate once and create one
//! operator token; a node killed mid-burst loses no acknowledged call's
//! audit record. Needs PostgreSQL: `bash .ci/test` starts one, or set
//! SKILLHOST_TEST_DATABASE_URL.
mod common;

use common::work_dir;
use serde_json::{Value, json};
use skillhost_guests as guests;
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "shk_fleet_operator_token_0123456789";

fn server_url() -> String {
    std::env::var("SKILLHOST_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect(
            "the fleet tests need PostgreSQL: run `bash .ci/test` (it starts one), \
             or set SKILLHOST_TEST_DATABASE_URL to a PostgreSQL server",
        )
}

/// A fresh database for one test; returns its URL.
async fn fresh_database(name: &str) -> String {
    let url = server_url();
    let database = format!("fleet_{}_{name}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::Executor::execute(
        &mut admin,
        format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str(),
    )
    .await
    .unwrap();
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    let mut parsed = url::Url::parse(&url).unwrap();
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// An HTTP client for talking to the nodes (plain HTTP on loopback; rustls
/// still wants a provider chosen).
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// One `skillhost serve` process.
struct Node {
    child: Child,
    base: String,
    /// What it printed on stdout before it was ready.
    printed: Vec<String>,
}

impl Node {
    fn spawn(database_url: &str, dir: &Path, admin_token: Option<&str>) -> Child {
        Node::spawn_with(database_url, dir, admin_token, &[])
    }

    fn spawn_with(
        database_url: &str,
        dir: &Path,
        admin_token: Option<&str>,
        flags: &[&str],
    ) -> Child {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skillhost"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir)
            .args(["--database-url", database_url])
            .env("SKILLHOST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(token) = admin_token {
            cmd.args(["--admin-token", token]);
        }
        cmd.args(flags);
        cmd.spawn().expect("starting skillhost serve")
    }

    /// Waits for the `listening on` line.
    fn ready(mut child: Child) -> Node {
        let stdout = child.stdout.take().unwrap();
        let mut printed = Vec::new();
        let mut base = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(addr) = line.strip_prefix("skillhost listening on ") {
                base = Some(addr.to_owned());
                break;
            }
            printed.push(line);
        }
        Node {
            child,
            base: base.expect("the node printed where it listens"),
            printed,
        }
    }

    fn start(database_url: &str, dir: &Path) -> Node {
        Node::ready(Node::spawn(database_url, dir, Some(TOKEN)))
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = client();
        let mut request = client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Mints a `skills:read` token; returns its secret and id.
    async fn mint_reader(&self) -> (String, String) {
        let body = json!({"name": "agent", "scopes": ["skills:read"]});
        let (status, minted) = self.call("POST", "/api/tokens", TOKEN, Some(body)).await;
        assert_eq!(status, 201, "{minted}");
        let field = |name: &str| minted["token"][name].as_str().unwrap().to_owned();
        (field("secret"), field("id"))
    }

    /// Revokes a token.
    async fn revoke(&self, token_id: &str) {
        let (status, body) = self
            .call("DELETE", &format!("/api/tokens/{token_id}"), TOKEN, None)
            .await;
        assert_eq!((status, body), (200, json!({"success": true})));
    }

    /// Installs `bytes`, approves it, creates `agent` and assigns the skill.
    async fn install_for(&self, bytes: Vec<u8>, agent: &str) -> String {
        self.install_granted(bytes, agent, None).await
    }

    /// [`Node::install_for`], approved with `grant` (none: as declared).
    async fn install_granted(&self, bytes: Vec<u8>, agent: &str, grant: Option<Value>) -> String {
        let response = client()
            .post(format!("{}/api/skills", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "{text}");
        let installed: Value = serde_json::from_str(&text).unwrap();
        let id = installed["skill"]["id"].as_str().unwrap().to_owned();
        let (status, body) = self
            .call("POST", &format!("/api/skills/{id}/approve"), TOKEN, grant)
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = self
            .call("POST", "/api/agents", TOKEN, Some(json!({"name": agent})))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/skills/{id}/assign"),
                TOKEN,
                Some(json!({"agentId": agent})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        id
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// text-tools, packaged by the CLI.
fn packed_text_tools(dir: &Path) -> Vec<u8> {
    packed(dir, guests::TEXT_TOOLS)
}

/// A guest, packaged by the CLI.
fn packed(dir: &Path, guest: guests::Guest) -> Vec<u8> {
    let out = dir.join(format!("{}.skill.wasm", guest.name));
    let status = Command::new(env!("CARGO_BIN_EXE_skillhost"))
        .args(["pack", "--manifest", guest.manifest, guest.component, "-o"])
        .arg(&out)
        .arg("--data-dir")
        .arg(dir.join("pack"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn slugify() -> Value {
    json!({"ability": "slugify", "args": {"text": "Fleet Of Nodes"}})
}

/// How long a change written on one node may take to be honoured on
/// another, as these tests measure it. The README promises one second
/// (600 ms at most for a node whose listener died silently, plus a
/// heartbeat); here it is measured from outside, through HTTP round trips,
/// on a machine that may be running other builds on two shared cores, so
/// the limit leaves a margin. What it must catch is a node that goes on
/// answering from its row cache, which has no expiry: that never ends.
const HONOURED_WITHIN: Duration = Duration::from_secs(5);

/// Polls `check` until it holds, for at most `limit` (a check started
/// before the limit may still finish after it); returns how long it took.
async fn within<F, Fut>(limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        let sent = started.elapsed();
        if check().await {
            return started.elapsed();
        }
        assert!(
            sent < limit,
            "not honoured within {limit:?} (still not at a check started after {sent:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether `(status, body)` is slugify's answer to [`slugify`].
fn served(status: u16, body: &Value) -> bool {
    status == 200 && body["success"] == json!(true) && body["output"] == json!("fleet-of-nodes")
}

/// Calls `path` on `node` with `token` until it is no longer served, within
/// [`HONOURED_WITHIN`]; the first answer that is not slugify's must be
/// exactly `status` and `body`. Returns how long it took.
async fn refused_within(
    node: &Node,
    path: &str,
    token: &str,
    status: u16,
    body: Value,
) -> Duration {
    let expected = (status, body);
    within(HONOURED_WITHIN, || async {
        let answer = node.call("POST", path, token, Some(slugify())).await;
        if served(answer.0, &answer.1) {
            return false;
        }
        assert_eq!(answer, expected);
        true
    })
    .await
}

/// The answer to a token that was revoked (or never existed).
fn revoked() -> Value {
    json!({"error": "Invalid or revoked token", "code": "unauthorized"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_writes_every_node_honours_at_once() {
    let url = fresh_database("writes").await;
    let dir = work_dir("fleet-writes");
    let a = Node::start(&url, &dir.join("a"));
    let b = Node::start(&url, &dir.join("b"));
    let invoke = "/api/agents/keeper/skills/text-tools/invoke";

    // Installed and approved on A; B has never seen it and compiles it from
    // the bytes in the database on first use.
    let skill = a.install_for(packed_text_tools(&dir), "keeper").await;
    let (status, body) = b.call("POST", invoke, TOKEN, Some(slugify())).await;
    assert_eq!(
        (status, &body["output"]),
        (200, &json!("fleet-of-nodes")),
        "{body}"
    );

    // A token minted on A works on B (and is now in B's cache) ...
    let (secret, token_id) = a.mint_reader().await;
    let (status, body) = b.call("POST", invoke, &secret, Some(slugify())).await;
    assert!(served(status, &body), "{status} {body}");
    // ... until A revokes it.
    a.revoke(&token_id).await;
    let took = refused_within(&b, invoke, &secret, 401, revoked()).await;
    println!("revocation honoured on B after {took:?}");

    // Disabled on A, refused on B.
    let (status, body) = a
        .call(
            "PATCH",
            &format!("/api/skills/{skill}/assignments/keeper"),
            TOKEN,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let disabled = json!({
        "error": "Skill `text-tools` is disabled for agent `keeper`",
        "code": "assignment_disabled",
    });
    let took = refused_within(&b, invoke, TOKEN, 409, disabled.clone()).await;
    println!("disabled assignment honoured on B after {took:?}");
    // And it stays refused, on both nodes.
    for node in [&b, &a] {
        let answer = node.call("POST", invoke, TOKEN, Some(slugify())).await;
        assert_eq!(answer, (409, disabled.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_started_at_once_migrate_once_and_make_one_operator_token() {
    let url = fresh_database("bootstrap").await;
    let dir = work_dir("fleet-bootstrap");
    let children: Vec<Child> = (0..3)
        .map(|i| Node::spawn(&url, &dir.join(format!("n{i}")), None))
        .collect();
    let nodes: Vec<Node> = children.into_iter().map(Node::ready).collect();
    let printed: Vec<String> = nodes
        .iter()
        .flat_map(|n| n.printed.iter())
        .filter_map(|l| l.strip_prefix("operator token (shown once, store it now): "))
        .map(str::to_owned)
        .collect();
    assert_eq!(printed.len(), 1, "{printed:?}");
    // That one token works on every node.
    for node in &nodes {
        let (status, _) = node.call("GET", "/api/agents", &printed[0], None).await;
        assert_eq!(status, 200);
    }
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (operators,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_tokens WHERE operator = 1")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(operators, 1);
    let (tenants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenants")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(tenants, 1);
    let (migrations, failed): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT success) FROM _sqlx_migrations",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    assert_eq!((migrations, failed), (files, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_burst_loses_no_acknowledged_audit_record() {
    let url = fresh_database("sigkill").await;
    let dir = work_dir("fleet-sigkill");
    let mut a = Node::start(&url, &dir.join("a"));
    let b = Node::start(&url, &dir.join("b"));
    a.install_for(packed_text_tools(&dir), "burst").await;
    let invoke = format!("{}/api/agents/burst/skills/text-tools/invoke", a.base);

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (invoke, acknowledged) = (invoke.clone(), acknowledged.clone());
        tasks.spawn(async move {
            let client = client();
            for _ in 0..400 {
                let sent = client
                    .post(&invoke)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(slugify().to_string())
                    .send()
                    .await;
                // Once A is killed, sending or reading fails: the burst ends.
                let Ok(response) = sent else { return };
                let status = response.status().as_u16();
                let Ok(text) = response.text().await else {
                    return;
                };
                // A whole answer before the kill is slugify's, every one.
                let body: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{status}, not JSON ({e}): {text}"));
                assert!(served(status, &body), "{status} {body}");
                let id = body["invocation_id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push(id);
            }
        });
    }
    // Kill A (SIGKILL: no shutdown, no flush) once the burst is well under way.
    within(Duration::from_secs(60), || async {
        acknowledged.lock().unwrap().len() >= 150
    })
    .await;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    while let Some(task) = tasks.join_next().await {
        task.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 150);

    let mut recorded = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = b
            .call(
                "GET",
                &format!("/api/audit?limit=1000{cursor}"),
                TOKEN,
                None,
            )
            .await;
        assert_eq!(status, 200);
        for record in page["invocations"].as_array().unwrap() {
            recorded.insert(record["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !recorded.contains(*id))
        .collect();
    println!(
        "{} calls acknowledged before the kill, {} records",
        acknowledged.len(),
        recorded.len()
    );
    assert!(
        missing.is_empty(),
        "{} acknowledged calls have no audit record",
        missing.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_loses_its_listener_does_not_serve_from_its_cache() {
    let url = fresh_database("listener").await;
    let dir = work_dir("fleet-listener");
    let a = Node::start(&url, &dir.join("a"));
    let b = Node::start(&url, &dir.join("b"));
    let invoke = "/api/agents/keeper/skills/text-tools/invoke";
    a.install_for(packed_text_tools(&dir), "keeper").await;
    let (secret, token_id) = a.mint_reader().await;
    // B has the token cached.
    for _ in 0..3 {
        let (status, body) = b.call("POST", invoke, &secret, Some(slugify())).await;
        assert!(served(status, &body), "{status} {body}");
    }
    // Every listening connection is cut (as a failover or a proxy would),
    // and the revocation's notification is sent while nobody listens.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (cut,): (i64,) = sqlx::query_as(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(cut, 2, "each node has one listening connection");
    a.revoke(&token_id).await;
    let took = refused_within(&b, invoke, &secret, 401, revoked()).await;
    println!("revocation honoured on B after its listener was cut: {took:?}");
    // And B serves normally once its listener is back.
    let (status, body) = b.call("POST", invoke, TOKEN, Some(slugify())).await;
    assert!(served(status, &body), "{status} {body}");
}

/// Runs `tests/mcp/tasks.mjs` (MCP's tasks extension through its official
/// client) with `plan`; what each step observed.
async fn tasks_client(token: &str, plan: Value) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/mcp/tasks.mjs");
    let out = tokio::process::Command::new("node")
        .args([script, token, &plan.to_string()])
        .output()
        .await
        .expect("node runs (tests/mcp needs `npm ci`; `bash .ci/test` does it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn labelled<'a>(steps: &'a [Value], label: &str, op: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["label"] == label && s["op"] == op)
        .unwrap_or_else(|| panic!("no {op} step {label} in {steps:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_task_is_read_and_cancelled_on_any_node_and_failed_when_its_node_dies() {
    let url = fresh_database("tasks").await;
    let dir = work_dir("fleet-tasks");
    let flags = ["--mcp-task-after-ms", "1000", "--mcp-task-lease-ms", "1000"];
    let mut a = Node::ready(Node::spawn_with(&url, &dir.join("a"), Some(TOKEN), &flags));
    let b = Node::ready(Node::spawn_with(&url, &dir.join("b"), Some(TOKEN), &flags));
    // hostile's spin runs until its limit: 30 s here, past anything below.
    let grant = json!({"limits": {"timeoutMs": 30000}});
    a.install_granted(packed(&dir, guests::HOSTILE), "keeper", Some(grant))
        .await;
    let (token, _) = a.mint_reader().await;
    let on = |node: &Node| format!("{}/mcp/agents/keeper", node.base);

    // Started on A; read on B. One is cancelled on B: A stops the guest.
    let steps = tasks_client(
        &token,
        json!([
            {"op": "start", "label": "kept", "url": on(&a), "name": "hostile__spin", "detach": true},
            {"op": "start", "label": "stopped", "url": on(&a), "name": "hostile__spin"},
            {"op": "get", "label": "kept", "url": on(&b)},
            {"op": "raw", "label": "stopped", "url": on(&b), "method": "tasks/cancel"},
            {"op": "sleep", "ms": 1500},
            {"op": "get", "label": "stopped", "url": on(&b)},
        ]),
    )
    .await;
    assert_eq!(
        labelled(&steps, "kept", "start")["kind"],
        "task",
        "{steps:?}"
    );
    assert_eq!(
        labelled(&steps, "kept", "get")["task"]["status"],
        "working",
        "{steps:?}"
    );
    assert_eq!(
        labelled(&steps, "stopped", "raw")["result"]["resultType"],
        "complete",
        "{steps:?}"
    );
    assert_eq!(
        labelled(&steps, "stopped", "get")["task"]["status"],
        "cancelled",
        "{steps:?}"
    );
    let kept = labelled(&steps, "kept", "start")["taskId"]
        .as_str()
        .unwrap()
        .to_owned();

    // A dies mid-call: B fails its task once A's lease has passed.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let plan = json!([{"op": "get", "label": "kept", "taskId": kept, "url": on(&b)}]);
    let took = within(Duration::from_secs(15), || async {
        let steps = tasks_client(&token, plan.clone()).await;
        let task = &labelled(&steps, "kept", "get")["task"];
        match task["status"].as_str() {
            Some("working") => false,
            _ => {
                assert_eq!(task["status"], "failed", "{steps:?}");
                assert!(
                    task["statusMessage"].as_str().unwrap().contains("stopped"),
                    "{steps:?}"
                );
                true
            }
        }
    })
    .await;
    println!("a dead node's task failed on B after {took:?}");
}
