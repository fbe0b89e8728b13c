//! Sustained load: prints figures, and exits 1 when an error, a lost audit
//! record or a failed shutdown shows up. Not a CI test;
//! run it with `tests/benches/soak.sh` (a release build of the server).
//!
//! Against a `skillhost serve` process (`SKILLHOST_BIN`), on SQLite, or on
//! PostgreSQL when `SKILLHOST_TEST_DATABASE_URL` names a server, it drives
//! `SKILLHOST_SOAK_SECONDS` (default 60) of saturating mixed load over 32
//! keep-alive connections: REST invoke, MCP `tools/call` and skill-server
//! calls on 31 of them, installs with their approvals back to back on one.
//! It prints the errors (must be 0), p50/p99 per kind, the server's
//! resident memory and open file descriptors after warm-up and at the end,
//! and audit rows against acknowledged calls (equal). Then it loads the server again and sends
//! SIGTERM mid-load: in-flight calls finish, and every acknowledged call
//! has its audit record once the process has exited.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use skillhost_tests::figures::summarise;
use sqlx::Connection as _;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "shk_soak_operator_token_0123456789abcdef";
const CONNECTIONS: usize = 32;
/// Packages made ahead, one per install (`SKILLHOST_SOAK_PACKAGES`).
fn package_count() -> usize {
    std::env::var("SKILLHOST_SOAK_PACKAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

/// One kind of request of the mix, with its share (in 100ths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Rest,
    Mcp,
    SkillServer,
    Install,
}

impl Kind {
    /// The call mix of every worker but the installer.
    fn pick(n: usize) -> Kind {
        match n % 100 {
            0..60 => Kind::Rest,
            60..80 => Kind::Mcp,
            _ => Kind::SkillServer,
        }
    }

    /// An acknowledged call of this kind leaves one audit record.
    fn audited(self) -> bool {
        self != Kind::Install
    }
}

struct Server {
    child: Child,
    addr: SocketAddr,
    data: PathBuf,
    database: Option<String>,
}

impl Server {
    fn start(data: &Path, database: Option<String>) -> Server {
        use std::io::BufRead;
        let bin = std::env::var("SKILLHOST_BIN")
            .expect("SKILLHOST_BIN: the release skillhost (tests/benches/soak.sh builds it)");
        let mut command = Command::new(bin);
        if let Some(url) = &database {
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
            .arg(data)
            .env("SKILLHOST_ADMIN_TOKEN", TOKEN)
            .env("SKILLHOST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("skillhost listening on http://")
                    .map(str::to_owned)
            })
            .expect("the server prints its address");
        Server {
            child,
            addr: addr.parse().unwrap(),
            data: data.to_owned(),
            database,
        }
    }

    /// Resident memory (KiB) and open descriptors of the server process.
    fn resources(&self) -> (u64, usize) {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
        (rss, fds)
    }

    /// Invocation audit records in the server's database.
    async fn audit_rows(&self) -> i64 {
        let url = match &self.database {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=ro",
                self.data.join("skillhost.db").display()
            ),
        };
        let query = "SELECT COUNT(*) FROM invocations";
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(query).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(query).fetch_one(&mut c).await.unwrap()
        }
    }
}

/// One keep-alive connection to the server.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Connection {
    async fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(conn);
        Ok(Connection { sender, addr })
    }

    /// Status and body, or why there is none.
    async fn send(
        &mut self,
        path: &str,
        token: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Bytes), String> {
        let mut b = hyper::Request::builder()
            .uri(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {token}"));
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        let request = match body {
            Body::Json(v) => b
                .method("POST")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(v.to_string()))),
            Body::Wasm(bytes) => b
                .method("POST")
                .header("content-type", "application/wasm")
                .body(Full::new(bytes)),
        }
        .unwrap();
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
}

enum Body {
    Json(Value),
    Wasm(Bytes),
}

/// One request on a fresh connection, for the set-up.
async fn once(addr: SocketAddr, path: &str, body: Body) -> Value {
    let mut c = Connection::open(addr).await.unwrap();
    let (status, bytes) = c.send(path, TOKEN, body, &[]).await.unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{path}: {status} {value}");
    value
}

/// What the load needs: the skill server's path and token.
struct Targets {
    skill_server: String,
    access: String,
    packages: Vec<Bytes>,
    next_package: AtomicUsize,
}

async fn set_up(addr: SocketAddr, run: &str) -> Targets {
    let started = Instant::now();
    let f = skillhost_tests::fixture();
    println!("  fixture ready in {:.1?}", started.elapsed());
    once(addr, "/api/agents", Body::Json(json!({"name": "bot"}))).await;
    let wasm = Bytes::from(f.packed["text-tools"].clone());
    let skill = once(addr, "/api/skills", Body::Wasm(wasm)).await;
    let id = skill["skill"]["id"].as_str().unwrap().to_owned();
    once(
        addr,
        &format!("/api/skills/{id}/approve"),
        Body::Json(json!({})),
    )
    .await;
    once(
        addr,
        &format!("/api/skills/{id}/assign"),
        Body::Json(json!({"agentId": "bot"})),
    )
    .await;
    let set = once(
        addr,
        "/api/v1/skillset/create",
        Body::Json(json!({"name": "soak", "description": "d"})),
    )
    .await;
    let set = set["id"].as_str().unwrap().to_owned();
    let ability =
        json!({"name": "slug", "description": "d", "skillId": "text-tools", "ability": "slugify"});
    once(
        addr,
        &format!("/api/v1/skillset/{set}/ability/create"),
        Body::Json(ability),
    )
    .await;
    let integration = once(
        addr,
        "/api/v1/integration/skillserver/create",
        Body::Json(json!({"skillsetId": set})),
    )
    .await;
    // Distinct skills to install under load: text-tools under other names.
    let guest = skillhost_tests::guests::TEXT_TOOLS;
    let component = guest.component_bytes();
    let mut packages = Vec::with_capacity(package_count());
    for i in 0..package_count() {
        let manifest = guest.manifest_text().replacen(
            "name = \"text-tools\"",
            &format!("name = \"soak-{run}-{i}\""),
            1,
        );
        let packed = skillhost::pack::pack(&f.runtime, &component, &manifest)
            .await
            .unwrap();
        packages.push(Bytes::from(packed));
    }
    Targets {
        skill_server: format!(
            "/integration/skillserver/{}",
            integration["id"].as_str().unwrap()
        ),
        access: integration["accessToken"].as_str().unwrap().to_owned(),
        packages,
        next_package: AtomicUsize::new(0),
    }
}

/// Why a request was not acknowledged.
enum Failure {
    /// The connection failed or closed.
    Transport(String),
    /// The server answered, but not with success.
    Answer(u16, String),
}

/// One request of `kind`: whether there was one to make (installs run
/// out), and the server acknowledged it.
async fn request(c: &mut Connection, kind: Kind, targets: &Targets) -> Result<bool, Failure> {
    let mcp_headers = [
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let sent = match kind {
        Kind::Rest => {
            let body = json!({"ability": "slugify", "args": {"text": "Hello, soak"}});
            c.send(
                "/api/agents/bot/skills/text-tools/invoke",
                TOKEN,
                Body::Json(body),
                &[],
            )
            .await
        }
        Kind::Mcp => {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "text-tools__slugify", "arguments": {"text": "Hello, soak"}}});
            c.send("/mcp/agents/bot", TOKEN, Body::Json(body), &mcp_headers)
                .await
        }
        Kind::SkillServer => {
            let body = json!({"ability": "slug", "input": {"text": "Hello, soak"}});
            c.send(
                &targets.skill_server,
                &targets.access,
                Body::Json(body),
                &[],
            )
            .await
        }
        Kind::Install => {
            let n = targets.next_package.fetch_add(1, Ordering::Relaxed);
            let Some(package) = targets.packages.get(n) else {
                return Ok(false);
            };
            let sent = c
                .send("/api/skills", TOKEN, Body::Wasm(package.clone()), &[])
                .await;
            let (status, body) = sent.map_err(Failure::Transport)?;
            if status != 201 {
                return Err(Failure::Answer(
                    status,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
            }
            let installed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = installed["skill"]["id"].as_str().unwrap_or_default();
            c.send(
                &format!("/api/skills/{id}/approve"),
                TOKEN,
                Body::Json(json!({})),
                &[],
            )
            .await
        }
    };
    let (status, body) = sent.map_err(Failure::Transport)?;
    // A tool call that failed is still 200 in MCP: its result says so.
    let tool_failed = kind == Kind::Mcp && body.windows(14).any(|w| w == b"\"isError\":true");
    if (status == 200 || status == 201) && !tool_failed {
        Ok(true)
    } else {
        Err(Failure::Answer(
            status,
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }
}

/// What a load run saw.
#[derive(Default)]
struct Seen {
    samples: BTreeMap<Kind, Vec<Duration>>,
    acknowledged_audited: usize,
    installs: usize,
    errors: Vec<String>,
}

/// Drives the mix until `stop` says so; with `tolerate_disconnects`, a
/// connection the server closes (shutting down) ends that worker quietly.
async fn drive(
    addr: SocketAddr,
    targets: Arc<Targets>,
    deadline: Instant,
    tolerate_disconnects: bool,
) -> Seen {
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let targets = targets.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            let Ok(mut c) = Connection::open(addr).await else {
                if !tolerate_disconnects {
                    seen.errors.push("cannot connect".into());
                }
                return seen;
            };
            let mut n = worker * 7;
            while Instant::now() < deadline {
                n += 1;
                // One connection installs and approves, as an operator
                // would, back to back; the others call.
                let kind = if worker == 0 {
                    Kind::Install
                } else {
                    Kind::pick(n * 37)
                };
                let started = Instant::now();
                match request(&mut c, kind, &targets).await {
                    Ok(true) => {
                        seen.samples
                            .entry(kind)
                            .or_default()
                            .push(started.elapsed());
                        if kind.audited() {
                            seen.acknowledged_audited += 1;
                        } else {
                            seen.installs += 1;
                        }
                    }
                    Ok(false) => {}
                    // Shutting down, the server closes its connections.
                    Err(Failure::Transport(_)) if tolerate_disconnects => break,
                    Err(failure) => {
                        seen.errors.push(match failure {
                            Failure::Transport(e) => format!("{kind:?}: {e}"),
                            Failure::Answer(status, body) => format!("{kind:?}: {status} {body}"),
                        });
                        if seen.errors.len() > 20 {
                            break;
                        }
                    }
                }
            }
            seen
        }));
    }
    let mut all = Seen::default();
    for t in tasks {
        let seen = t.await.unwrap();
        for (kind, samples) in seen.samples {
            all.samples.entry(kind).or_default().extend(samples);
        }
        all.acknowledged_audited += seen.acknowledged_audited;
        all.installs += seen.installs;
        all.errors.extend(seen.errors);
    }
    all
}

fn report(seen: &Seen, wall: Duration) {
    for (kind, samples) in &seen.samples {
        let f = summarise(samples.clone(), wall);
        println!(
            "  {:<12} calls={:>7}  p50={:>9.2?}  p99={:>9.2?}  per second={:>7.0}",
            format!("{kind:?}"),
            samples.len(),
            f.p50,
            f.p99,
            f.per_sec
        );
    }
    println!("  errors: {}", seen.errors.len());
    for e in seen.errors.iter().take(5) {
        println!("    {e}");
    }
}

/// One backend's run; what did not hold, if anything.
async fn soak(label: &str, database: Option<String>) -> Vec<String> {
    let mut broken = Vec::new();
    let seconds: u64 = std::env::var("SKILLHOST_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let data = std::env::temp_dir().join(format!("skillhost-soak-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    println!("== {label}: {seconds} s of mixed load over {CONNECTIONS} connections ==");
    let mut server = Server::start(&data, database.clone());
    let targets = Arc::new(set_up(server.addr, "a").await);
    println!(
        "  set up: text-tools for agent bot, a skill server, {} packages to install",
        targets.packages.len()
    );
    // Warm-up: pool slots, caches, connections.
    let warm = drive(
        server.addr,
        targets.clone(),
        Instant::now() + Duration::from_secs(3),
        false,
    )
    .await;
    let before_rows = server.audit_rows().await;
    let (rss0, fds0) = server.resources();
    let started = Instant::now();
    let seen = drive(
        server.addr,
        targets.clone(),
        started + Duration::from_secs(seconds),
        false,
    )
    .await;
    let wall = started.elapsed();
    let (rss1, fds1) = server.resources();
    report(&seen, wall);
    println!(
        "  server: rss {} MiB -> {} MiB, open fds {fds0} -> {fds1}; skills installed during the run: {}",
        rss0 / 1024,
        rss1 / 1024,
        seen.installs
    );
    // The audit writer commits in groups: give the last group its moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = server.audit_rows().await - before_rows;
    println!(
        "  audit rows {rows} vs acknowledged calls {} ({})",
        seen.acknowledged_audited,
        verdict(rows, seen.acknowledged_audited, &mut broken)
    );
    if !warm.errors.is_empty() || !seen.errors.is_empty() {
        broken.push(format!("{label}: errors under load"));
    }

    // SIGTERM mid-load: in-flight calls finish; every acknowledged call
    // has its record once the process is gone.
    let rows_before = server.audit_rows().await;
    let load = tokio::spawn(drive(
        server.addr,
        targets.clone(),
        Instant::now() + Duration::from_secs(10),
        true,
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let signalled = Instant::now();
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let seen = load.await.unwrap();
    let status = server.child.wait().unwrap();
    let stopped = signalled.elapsed();
    let rows = server.audit_rows().await - rows_before;
    println!(
        "  SIGTERM under load: exited {status} in {stopped:.2?}; acknowledged {} calls, audit rows {rows} ({}); errors {}",
        seen.acknowledged_audited,
        verdict(rows, seen.acknowledged_audited, &mut broken),
        seen.errors.len()
    );
    if !status.success() || !seen.errors.is_empty() {
        broken.push(format!("{label}: the shutdown under load"));
    }
    for e in seen.errors.iter().take(5) {
        println!("    {e}");
    }
    let _ = std::fs::remove_dir_all(&data);
    broken
}

/// `equal` when every acknowledged call has its audit record; else the
/// difference is noted in `broken`.
fn verdict(rows: i64, acknowledged: usize, broken: &mut Vec<String>) -> &'static str {
    if rows == acknowledged as i64 {
        "equal"
    } else {
        broken.push(format!(
            "{rows} audit rows for {acknowledged} acknowledged calls"
        ));
        "DIFFERENT"
    }
}

async fn postgres(url: &str) -> String {
    let database = format!("soak_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    for statement in [
        format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
        format!("CREATE DATABASE {database}"),
    ] {
        sqlx::Executor::execute(&mut admin, statement.as_str())
            .await
            .unwrap();
    }
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let broken = rt.block_on(async {
        let mut broken = soak("sqlite", None).await;
        if let Ok(url) = std::env::var("SKILLHOST_TEST_DATABASE_URL")
            && !url.is_empty()
        {
            let database = postgres(&url).await;
            broken.extend(soak("postgres", Some(database)).await);
        }
        broken
    });
    if !broken.is_empty() {
        eprintln!("the soak found: {}", broken.join("; "));
        std::process::exit(1);
    }
}
