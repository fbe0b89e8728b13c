//! HTTP benchmark: prints figures, asserts nothing.
//!
//! `cargo bench -p skillhost-tests --bench http` drives, from an in-repo
//! load generator on 127.0.0.1 with 32 keep-alive connections, (1) a bare
//! axum handler returning a constant and (2) a real skillhost server
//! invoking `text-tools.slugify` in a fresh sandbox per request, both in one
//! run, and prints requests/s, p50 and p99 for each; plus the server's
//! `/healthz`, which shows what its middleware alone costs.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
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
}

async fn load(target: &Target) -> (f64, Duration, Duration) {
    let deadline = Instant::now() + DURATION;
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (addr, path, token, body) = (
            target.addr,
            target.path.clone(),
            target.token.clone(),
            target.body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let mut b = hyper::Request::builder()
                    .uri(&path)
                    .header("host", addr.to_string());
                if let Some(t) = &token {
                    b = b.header("authorization", format!("Bearer {t}"));
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
    (all.len() as f64 / DURATION.as_secs_f64(), p(0.5), p(0.99))
}

async fn bare_axum() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bare = Target { addr: bare_axum().await, path: "/".into(), token: None, body: None };

        let server = TestServer::start("http-bench").await;
        let bytes = skillhost_tests::fixture().packed["text-tools"].clone();
        let r = server.raw("POST", "/api/skills", Some(OPERATOR_TOKEN), Some(&bytes), Some("application/wasm")).await;
        let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
        server.raw("POST", &format!("/api/skills/{id}/approve"), Some(OPERATOR_TOKEN), None, None).await;
        server.request("POST", "/api/agents", Some(OPERATOR_TOKEN), Some(json!({"name": "bench"}))).await;
        server.request("POST", &format!("/api/skills/{id}/assign"), Some(OPERATOR_TOKEN), Some(json!({"agentId": "bench"}))).await;
        let invoke = Target {
            addr: server.addr,
            path: "/api/agents/bench/skills/text-tools/invoke".into(),
            token: Some(OPERATOR_TOKEN.into()),
            body: Some(json!({"ability": "slugify", "args": {"text": "Hello, World"}}).to_string()),
        };

        println!("== {CONNECTIONS} connections, {DURATION:?} each, load generator in the same process ==");
        let (bare_rps, bare_p50, bare_p99) = load(&bare).await;
        println!("bare axum constant      req/s={bare_rps:>9.0}  p50={bare_p50:>9.2?}  p99={bare_p99:>9.2?}");
        let health = Target { addr: server.addr, path: "/healthz".into(), token: None, body: None };
        let (h_rps, h_p50, h_p99) = load(&health).await;
        println!("skillhost GET /healthz   req/s={h_rps:>9.0}  p50={h_p50:>9.2?}  p99={h_p99:>9.2?}  (the service's middleware, no handler work)");
        let (rps, p50, p99) = load(&invoke).await;
        println!("skillhost invoke        req/s={rps:>9.0}  p50={p50:>9.2?}  p99={p99:>9.2?}");
        println!(
            "invoke throughput is {:.0}% of the bare handler's (target >= 50%); p99 {p99:.2?} (target <= 2ms)",
            100.0 * rps / bare_rps
        );
    });
}
