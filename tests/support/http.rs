//! A real server on 127.0.0.1 port 0 with a real SQLite file, and a small
//! HTTP client for talking to it.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use skillhost::server::{AppState, Loader, ServiceOptions, Services, bootstrap, serve};
use skillhost::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The operator token every test server is bootstrapped with.
pub const OPERATOR_TOKEN: &str = "shk_test_operator_token";

/// The HS256 secret test servers accept JWTs for.
pub const JWT_SECRET: &str = "test-secret-of-at-least-32-bytes!!";

/// A running server; stopped (gracefully) when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on a fresh data directory (and, on PostgreSQL, a
    /// fresh database).
    pub async fn start(name: &str) -> TestServer {
        TestServer::start_with(name, ServiceOptions::default()).await
    }

    /// Starts a server with operator switches on a fresh data directory.
    pub async fn start_with(name: &str, options: ServiceOptions) -> TestServer {
        let data_dir =
            std::env::temp_dir().join(format!("skillhost-server-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        crate::backend::fresh_database(&data_dir).await;
        TestServer::start_in_with(data_dir, options).await
    }

    /// Starts a server with operator switches whose sandbox pool has
    /// `slots` slots: a call while every slot is in use fails as busy.
    pub async fn start_with_pool(name: &str, options: ServiceOptions, slots: u32) -> TestServer {
        let data_dir =
            std::env::temp_dir().join(format!("skillhost-server-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        crate::backend::fresh_database(&data_dir).await;
        let config = crate::backend::store_config(&data_dir);
        TestServer::launch_with_pool(data_dir, options, config, Some(slots)).await
    }

    /// Starts a server on a fresh data directory with its database on
    /// PostgreSQL at `server_url` (a fresh database there) or, for `None`,
    /// SQLite, whatever the environment says (benchmarks compare both).
    pub async fn start_on(name: &str, server_url: Option<&str>) -> TestServer {
        let data_dir =
            std::env::temp_dir().join(format!("skillhost-server-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let config = match server_url {
            Some(url) => crate::backend::fresh_database_on(url, &data_dir).await,
            None => skillhost::store::StoreConfig::default(),
        };
        TestServer::launch(data_dir, ServiceOptions::default(), config).await
    }

    /// Starts a server on an existing data directory and database (a
    /// restart).
    pub async fn start_in(data_dir: PathBuf) -> TestServer {
        TestServer::start_in_with(data_dir, ServiceOptions::default()).await
    }

    async fn start_in_with(data_dir: PathBuf, options: ServiceOptions) -> TestServer {
        let config = crate::backend::store_config(&data_dir);
        TestServer::launch(data_dir, options, config).await
    }

    async fn launch(
        data_dir: PathBuf,
        options: ServiceOptions,
        config: skillhost::store::StoreConfig,
    ) -> TestServer {
        TestServer::launch_with_pool(data_dir, options, config, None).await
    }

    async fn launch_with_pool(
        data_dir: PathBuf,
        options: ServiceOptions,
        config: skillhost::store::StoreConfig,
        slots: Option<u32>,
    ) -> TestServer {
        let store = Store::connect(&data_dir, &config)
            .await
            .expect("store opens");
        let vault = skillhost::vault::Vault::open(&data_dir, None, None).expect("secret key");
        skillhost::server::prepare_secrets(&store, &vault)
            .await
            .expect("secrets prepared");
        bootstrap(&store, Some(OPERATOR_TOKEN))
            .await
            .expect("bootstrap");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut config = crate::runtime_config(Some(data_dir.join("cache")));
        if let Some(slots) = slots {
            config.max_concurrent_calls = slots;
        }
        let runtime =
            skillhost::runtime::Runtime::new(config, std::sync::Arc::new(store.clone())).unwrap();
        let loader = Loader::new(runtime);
        let jwt = Some(skillhost::server::JwtVerifier::new(JWT_SECRET.as_bytes()));
        let task = tokio::spawn(serve(
            listener,
            AppState::new(Services {
                store,
                loader,
                jwt,
                vault,
                options: std::sync::Arc::new(options),
            }),
            async {
                let _ = rx.await;
            },
        ));
        TestServer {
            addr,
            data_dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> PathBuf {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.data_dir.clone()
    }

    /// Creates a tenant (as the operator) and returns its first admin token.
    pub async fn tenant(&self, name: &str) -> String {
        let r = self
            .request(
                "POST",
                "/api/tenants",
                Some(OPERATOR_TOKEN),
                Some(serde_json::json!({"name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["token"]["secret"].as_str().unwrap().to_owned()
    }

    /// Mints a token with `scopes` using an admin token.
    pub async fn token(&self, admin: &str, scopes: &[&str]) -> String {
        let r = self
            .request(
                "POST",
                "/api/tokens",
                Some(admin),
                Some(serde_json::json!({"name": "t", "scopes": scopes})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["token"]["secret"].as_str().unwrap().to_owned()
    }

    /// Installs a packaged example or test guest as `application/wasm`.
    pub async fn install(&self, token: &str, guest: &str) -> Reply {
        let bytes = crate::fixture().packed[guest].clone();
        self.raw(
            "POST",
            "/api/skills",
            Some(token),
            Some(&bytes),
            Some("application/wasm"),
        )
        .await
    }

    /// Installs a guest, approves it as declared, creates `agent` and
    /// assigns the skill to it; returns the skill's id.
    pub async fn install_for_agent(&self, token: &str, guest: &str, agent: &str) -> String {
        let r = self.install(token, guest).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json["skill"]["id"].as_str().unwrap().to_owned();
        let steps = [
            (format!("/api/skills/{id}/approve"), None),
            (
                "/api/agents".to_owned(),
                Some(serde_json::json!({"name": agent})),
            ),
            (
                format!("/api/skills/{id}/assign"),
                Some(serde_json::json!({"agentId": agent})),
            ),
        ];
        for (path, body) in steps {
            let r = self.request("POST", &path, Some(token), body).await;
            assert!(r.status == 200 || r.status == 201, "{path}: {}", r.text);
        }
        id
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let body = body.map(|b| b.to_string().into_bytes());
        self.raw(
            method,
            path,
            token,
            body.as_deref(),
            Some("application/json"),
        )
        .await
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        content_type: Option<&str>,
    ) -> Reply {
        let headers: Vec<(&str, &str)> = match (body, content_type) {
            (Some(_), Some(ct)) => vec![("content-type", ct)],
            _ => Vec::new(),
        };
        self.send(method, path, token, &headers, body).await
    }

    /// Sends a request with these extra headers (and the bearer token, if
    /// any), for tests that look at the protocol itself.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut builder = hyper::Request::builder().method(method).uri(path);
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            builder = builder.header("host", self.addr.to_string());
        }
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default().to_vec())))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Reply {
            status,
            json,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            request_id,
            headers,
        }
    }
}

impl Drop for TestServer {
    /// A server dropped without [`TestServer::stop`] is done with: its data
    /// directory goes too.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body as JSON (Null when not JSON).
    pub json: serde_json::Value,
    /// Body as text.
    pub text: String,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
    /// Every response header.
    pub headers: http::HeaderMap,
}

/// What a [`FileServer`] path answers.
#[derive(Clone)]
pub enum Served {
    /// 200 with these bytes.
    Bytes(Vec<u8>),
    /// 302 to this location.
    Redirect(String),
    /// This status, empty body.
    Status(u16),
}

/// A real HTTP server on 127.0.0.1 serving what a test puts in it: the
/// upstream of URL installs and syncs.
pub struct FileServer {
    /// Where it listens.
    pub addr: SocketAddr,
    files: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Served>>>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FileServer {
    /// Binds port 0 and serves in the background.
    pub async fn start() -> FileServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let files: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Served>>> =
            Default::default();
        let shared = files.clone();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let served = shared.lock().unwrap().get(uri.path()).cloned();
            async move {
                use axum::response::IntoResponse;
                match served {
                    Some(Served::Bytes(b)) => b.into_response(),
                    Some(Served::Redirect(to)) => {
                        (axum::http::StatusCode::FOUND, [("location", to)]).into_response()
                    }
                    Some(Served::Status(code)) => axum::http::StatusCode::from_u16(code)
                        .unwrap()
                        .into_response(),
                    None => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FileServer { addr, files, hits }
    }

    /// Requests served so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Serves `what` at `path`.
    pub fn put(&self, path: &str, what: Served) {
        self.files.lock().unwrap().insert(path.to_owned(), what);
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}
