//! HTTP benchmark: prints figures, asserts nothing.
//!
//! `cargo bench -p skillhost-tests --bench http` drives, from an in-repo
//! load generator on 127.0.0.1 with 32 keep-alive connections, (1) a bare
//! axum handler returning a constant and (2) a real skillhost server
//! invoking `text-tools.slugify` in a fresh sandbox per request, both in one
//! run, and prints requests/s, p50 and p99 for each; plus the server's
//! `/healthz`, which shows what its middleware alone costs. The invoke runs
//! on SQLite and, when `SKILLHOST_TEST_DATABASE_URL` names a PostgreSQL
//! server, on PostgreSQL too; each prints its ratio to the bare handler.
//! MCP `tools/call` of the same ability on the agent's MCP endpoint, and
//! the skill server's runtime URL are driven too: a skillset ability backed
//! by the same component, and an instruction ability whose upstream is the
//! bare handler (so the figure is the host's cost plus one upstream call).
//! Last, the audit cost per record on each backend: 64 writers committing
//! records through the group-commit writer.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use skillhost::store::{Store, StoreConfig};
use skillhost_tests::figures::env_count;
use skillhost_tests::http::{OPERATOR_TOKEN, TestServer};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 32;
/// Long enough for a stable figure, short enough for a quick run.
const DURATION: Duration = Duration::from_secs(5);

struct Target {
    addr: SocketAddr,
    path: String,
    token: Option<String>,
    body: Option<String>,
    /// Extra request headers.
    headers: Vec<(&'static str, &'static str)>,
}

/// A target's figures: one second of unmeasured load first (the sandbox
/// pool's slots, connections and caches warm up; without it whichever
/// target runs first pays for that), then `DURATION` measured.
async fn load(target: &Target) -> (f64, Duration, Duration) {
    measure(target, WARM_UP).await;
    measure(target, DURATION).await
}

/// Unmeasured load before each measured run.
const WARM_UP: Duration = Duration::from_secs(1);

async fn measure(target: &Target, duration: Duration) -> (f64, Duration, Duration) {
    let (rps, p50, p99, _) = drive(target, Until::Deadline(Instant::now() + duration)).await;
    (rps, p50, p99)
}

/// When a load run stops.
#[derive(Clone, Copy)]
enum Until {
    /// At this instant.
    Deadline(Instant),
    /// After this many requests per connection (a fixed amount of work, for
    /// counting instructions).
    Requests(usize),
}

/// Requests/s, p50, p99 and the number of requests of one load run.
async fn drive(target: &Target, until: Until) -> (f64, Duration, Duration, usize) {
    let run_started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (addr, path, token, body, headers) = (
            target.addr,
            target.path.clone(),
            target.token.clone(),
            target.body.clone(),
            target.headers.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut samples = Vec::new();
            let mut sent = 0;
            while match until {
                Until::Deadline(deadline) => Instant::now() < deadline,
                Until::Requests(n) => sent < n,
            } {
                sent += 1;
                let mut b = hyper::Request::builder()
                    .uri(&path)
                    .header("host", addr.to_string());
                if let Some(t) = &token {
                    b = b.header("authorization", format!("Bearer {t}"));
                }
                for (name, value) in &headers {
                    b = b.header(*name, *value);
                }
                let request = match &body {
                    Some(body) => b
                        .method("POST")
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body.clone()))),
                    None => b.method("GET").body(Full::new(Bytes::new())),
                }
                .unwrap();
                let started = Instant::now();
                sender.ready().await.unwrap();
                let response = sender.send_request(request).await.unwrap();
                assert_eq!(response.status(), 200);
                response.into_body().collect().await.unwrap();
                samples.push(started.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let p = |q: f64| all[((all.len() - 1) as f64 * q) as usize];
    let elapsed = match until {
        Until::Deadline(deadline) => deadline.saturating_duration_since(run_started),
        Until::Requests(_) => run_started.elapsed(),
    };
    (
        all.len() as f64 / elapsed.as_secs_f64(),
        p(0.5),
        p(0.99),
        all.len(),
    )
}

/// `SKILLHOST_BENCH_PROFILE=bare|health|invoke|mcp|skillserver`: drives
/// only that target (all on SQLite; mcp: `tools/call` of the invoke's
/// ability on the agent's MCP endpoint; skillserver: the skill server's
/// component ability, the same `slugify`), a fixed amount of work for a
/// profiler or callgrind:
/// `SKILLHOST_BENCH_REQUESTS` requests (default 3200, spread over the
/// connections) after `SKILLHOST_BENCH_WARMUP` (default 10) unmeasured
/// ones per connection (and, with
/// `SKILLHOST_BENCH_WAIT`, a wait for a go file). Instructions per
/// request are the difference of two runs with different counts, divided
/// by the difference of the counts (start-up cancels out).
async fn profile_run(which: &str, target: &Target) {
    let requests = env_count("SKILLHOST_BENCH_REQUESTS", 3200);
    let warm_up = env_count("SKILLHOST_BENCH_WARMUP", 10);
    drive(target, Until::Requests(warm_up)).await;
    // `SKILLHOST_BENCH_WAIT=<file>`: say so and wait for the file before the
    // measured requests, so a profiler can be switched on after start-up
    // (`valgrind --tool=callgrind --instr-atstart=no`, then
    // `callgrind_control -i on`).
    if let Some(go) = std::env::var_os("SKILLHOST_BENCH_WAIT") {
        println!("profile {which}: ready");
        while !std::path::Path::new(&go).exists() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (rps, p50, p99, done) =
        drive(target, Until::Requests(requests.div_ceil(CONNECTIONS))).await;
    println!("profile {which}: {done} requests  req/s={rps:.0}  p50={p50:.2?}  p99={p99:.2?}");
}

async fn bare_axum() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A server on `backend` (None: SQLite) with text-tools installed,
/// approved and assigned to agent `bench`; the invoke target.
async fn invoke_target(name: &str, backend: Option<&str>) -> (TestServer, Target) {
    let server = TestServer::start_on(name, backend).await;
    server
        .install_for_agent(OPERATOR_TOKEN, "text-tools", "bench")
        .await;
    let target = Target {
        addr: server.addr,
        path: "/api/agents/bench/skills/text-tools/invoke".into(),
        token: Some(OPERATOR_TOKEN.into()),
        body: Some(json!({"ability": "slugify", "args": {"text": "Hello, World"}}).to_string()),
        headers: Vec::new(),
    };
    // One call first: the measured run is the steady state, not the
    // component's first compilation on this node.
    let r = server
        .request(
            "POST",
            &target.path,
            Some(OPERATOR_TOKEN),
            Some(json!({"ability": "slugify", "args": {"text": "warm"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    (server, target)
}

/// MCP `tools/call` of text-tools' `slugify` on agent `bench`'s MCP
/// endpoint on `server` (stateless, protocol 2025-11-25).
fn mcp_target(server: &TestServer) -> Target {
    Target {
        addr: server.addr,
        path: "/mcp/agents/bench".into(),
        token: Some(OPERATOR_TOKEN.into()),
        body: Some(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "text-tools__slugify", "arguments": {"text": "Hello, World"}}})
            .to_string(),
        ),
        headers: vec![
            ("accept", "application/json, text/event-stream"),
            ("mcp-protocol-version", "2025-11-25"),
        ],
    }
}

/// Skill server targets on `server` (which has text-tools installed): a
/// skillset with text-tools' `slugify` and an instruction that GETs the
/// bare handler at `upstream`, behind one integration.
async fn skillserver_targets(server: &TestServer, upstream: SocketAddr) -> (Target, Target) {
    let token = Some(OPERATOR_TOKEN);
    let r = server
        .request(
            "POST",
            "/api/v1/skillset/create",
            token,
            Some(json!({"name": "bench", "description": "bench"})),
        )
        .await;
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    let abilities = format!("/api/v1/skillset/{skillset}/ability");
    let r = server
        .request("POST", &format!("{abilities}/create"), token, Some(json!({"name": "slug", "description": "d", "skillId": "text-tools", "ability": "slugify"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let instruction = format!("```fetch\nGET http://{upstream}/\n```");
    let r = server
        .request(
            "POST",
            &format!("{abilities}/create"),
            token,
            Some(json!({"name": "ping", "description": "d", "instruction": instruction})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().unwrap();
    let r = server
        .request(
            "POST",
            &format!("{abilities}/{id}/approve"),
            token,
            Some(json!({"allowPrivateNetwork": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            token,
            Some(json!({"skillsetId": skillset})),
        )
        .await;
    let path = format!(
        "/integration/skillserver/{}",
        r.json["id"].as_str().unwrap()
    );
    let access = r.json["accessToken"].as_str().map(str::to_owned);
    let target = |body: serde_json::Value| Target {
        addr: server.addr,
        path: path.clone(),
        token: access.clone(),
        body: Some(body.to_string()),
        headers: Vec::new(),
    };
    (
        target(json!({"ability": "slug", "input": {"text": "Hello, World"}})),
        target(json!({"ability": "ping", "input": {}})),
    )
}

/// Records/s and µs per record of `RECORDS` audit records from 64
/// concurrent writers.
async fn audit_cost(name: &str, backend: Option<&str>) -> (f64, f64) {
    const RECORDS: usize = 20_000;
    const WRITERS: usize = 64;
    let dir = std::env::temp_dir().join(format!(
        "skillhost-audit-bench-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let config = match backend {
        Some(url) => skillhost_tests::backend::fresh_database_on(url, &dir).await,
        None => StoreConfig::default(),
    };
    let store = Store::connect(&dir, &config).await.unwrap();
    let tenant = store.create_tenant("bench").await.unwrap();
    let started = Instant::now();
    skillhost_tests::audit::pour_invocations(&store, &tenant.id, WRITERS, RECORDS / WRITERS).await;
    let elapsed = started.elapsed();
    let written = (RECORDS / WRITERS * WRITERS) as f64;
    let _ = std::fs::remove_dir_all(&dir);
    (
        written / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / written,
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let postgres = skillhost_tests::backend::postgres_url();
        let bare_addr = bare_axum().await;
        let bare = Target { addr: bare_addr, path: "/".into(), token: None, body: None, headers: Vec::new() };
        let (server, on_sqlite) = invoke_target("http-bench", None).await;
        let health = Target { addr: server.addr, path: "/healthz".into(), token: None, body: None, headers: Vec::new() };
        if let Ok(which) = std::env::var("SKILLHOST_BENCH_PROFILE") {
            let target = match which.as_str() {
                "bare" => bare,
                "health" => health,
                "invoke" => on_sqlite,
                "mcp" => mcp_target(&server),
                "skillserver" => skillserver_targets(&server, bare_addr).await.0,
                other => panic!(
                    "SKILLHOST_BENCH_PROFILE: unknown target `{other}` (bare, health, invoke, mcp, skillserver)"
                ),
            };
            profile_run(&which, &target).await;
            return;
        }

        println!("== {CONNECTIONS} connections, {DURATION:?} each after {WARM_UP:?} of warm-up, load generator in the same process ==");
        let (bare_rps, bare_p50, bare_p99) = load(&bare).await;
        println!("bare axum constant         req/s={bare_rps:>9.0}  p50={bare_p50:>9.2?}  p99={bare_p99:>9.2?}");
        let (h_rps, h_p50, h_p99) = load(&health).await;
        println!("skillhost GET /healthz      req/s={h_rps:>9.0}  p50={h_p50:>9.2?}  p99={h_p99:>9.2?}  (the service's middleware, no handler work)");
        let (rest_rps, p50, p99) = load(&on_sqlite).await;
        println!("invoke on SQLite           req/s={rest_rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}  {:.0}% of bare", 100.0 * rest_rps / bare_rps);
        let mcp = mcp_target(&server);
        let (rps, p50, p99) = load(&mcp).await;
        println!("MCP tools/call            req/s={rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}  {:.0}% of bare, {:.0}% of invoke  (SQLite, the same ability, stateless 2025-11-25)", 100.0 * rps / bare_rps, 100.0 * rps / rest_rps);
        let (component, instruction) = skillserver_targets(&server, bare_addr).await;
        let (rps, p50, p99) = load(&component).await;
        println!("skill server, component    req/s={rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}  {:.0}% of bare, {:.0}% of invoke  (SQLite)", 100.0 * rps / bare_rps, 100.0 * rps / rest_rps);
        let (rps, p50, p99) = load(&instruction).await;
        println!("skill server, instruction  req/s={rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}  {:.0}% of bare  (SQLite; its upstream is the bare handler)", 100.0 * rps / bare_rps);
        drop(server);
        match &postgres {
            Some(url) => {
                let (server, on_pg) = invoke_target("http-bench-pg", Some(url)).await;
                let (rps, p50, p99) = load(&on_pg).await;
                println!("invoke on PostgreSQL       req/s={rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}  {:.0}% of bare", 100.0 * rps / bare_rps);
                drop(server);
            }
            None => println!("invoke on PostgreSQL: not run (set SKILLHOST_TEST_DATABASE_URL to a PostgreSQL server)"),
        }
        println!("(targets: invoke >= 30% of the bare handler with p99 <= 2ms; MCP >= 80% and the skill server's component call >= 95% of invoke)");

        println!("== audit records: 64 writers, group commit ==");
        let (per_sec, us) = audit_cost("sqlite", None).await;
        println!("SQLite       records/s={per_sec:>9.0}  {us:.1} us per record");
        if let Some(url) = &postgres {
            let (per_sec, us) = audit_cost("pg", Some(url)).await;
            println!("PostgreSQL   records/s={per_sec:>9.0}  {us:.1} us per record");
        }
    });
}
