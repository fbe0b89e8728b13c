//! A real server on 127.0.0.1 port 0 with a real SQLite file, and a small
//! HTTP client for talking to it.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use skillhost::server::{AppState, Loader, ServiceOptions, Services, bootstrap, serve};
use skillhost::store::Store;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The operator token every test server is bootstrapped with.
pub const OPERATOR_TOKEN: &str = "shk_test_operator_token";

/// The HS256 secret test servers accept JWTs for.
pub const JWT_SECRET: &str = "test-secret-of-at-least-32-bytes!!";

/// Where a test server keeps compiled skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// The compile cache every test shares ([`crate::compile_cache`]).
    Shared,
    /// `<data dir>/cache`, as `skillhost serve` lays it out, for the tests
    /// of the cache itself.
    DataDir,
}

/// A running server on a thread and tokio runtime of its own, as if it were
/// another process: dropping it, even from a test's single-threaded
/// runtime or while a failed test unwinds, stops it and waits for it before
/// its data directory goes.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Says when the server's thread is done (dropped as it ends).
    done: std::sync::mpsc::Receiver<()>,
}

/// How long a dropped server may take to stop before its data directory is
/// left behind rather than removed under it.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl TestServer {
    /// Starts a server on a fresh data directory (and, on PostgreSQL, a
    /// fresh database).
    pub async fn start(name: &str) -> TestServer {
        TestServer::start_with(name, ServiceOptions::default()).await
    }

    /// Starts a server with operator switches on a fresh data directory.
    pub async fn start_with(name: &str, options: ServiceOptions) -> TestServer {
        let data_dir = crate::work_dir(&format!("server-{name}")).into_path();
        crate::backend::fresh_database(&data_dir).await;
        TestServer::start_in_with(data_dir, options, Cache::Shared).await
    }

    /// Starts a server on a fresh data directory that compiles skills into
    /// that directory, as `skillhost serve` does.
    pub async fn start_with_cache(name: &str, cache: Cache) -> TestServer {
        let data_dir = crate::work_dir(&format!("server-{name}")).into_path();
        crate::backend::fresh_database(&data_dir).await;
        TestServer::start_in_with(data_dir, ServiceOptions::default(), cache).await
    }

    /// Starts a server with operator switches whose sandbox pool has
    /// `slots` slots: a call while every slot is in use fails as busy.
    pub async fn start_with_pool(name: &str, options: ServiceOptions, slots: u32) -> TestServer {
        let data_dir = crate::work_dir(&format!("server-{name}")).into_path();
        crate::backend::fresh_database(&data_dir).await;
        let config = crate::backend::store_config(&data_dir);
        TestServer::launch_with_pool(
            data_dir,
            options,
            config,
            Cache::Shared,
            Some(slots),
            Vec::new(),
        )
        .await
    }

    /// Starts a server on a fresh data directory with its database on
    /// PostgreSQL at `server_url` (a fresh database there) or, for `None`,
    /// SQLite, whatever the environment says (benchmarks compare both).
    pub async fn start_on(name: &str, server_url: Option<&str>) -> TestServer {
        let data_dir = crate::work_dir(&format!("server-{name}")).into_path();
        let config = match server_url {
            Some(url) => crate::backend::fresh_database_on(url, &data_dir).await,
            None => skillhost::store::StoreConfig::default(),
        };
        TestServer::launch(data_dir, ServiceOptions::default(), config, Cache::Shared).await
    }

    /// Starts a server whose operator offers `volumes` (name, host
    /// directory, writable) to grants.
    pub async fn start_with_volumes(name: &str, volumes: &[(&str, &Path, bool)]) -> TestServer {
        let data_dir = crate::work_dir(&format!("server-{name}")).into_path();
        crate::backend::fresh_database(&data_dir).await;
        TestServer::restart_with_volumes(data_dir, volumes).await
    }

    /// A restart on an existing data directory and database with
    /// `volumes`: the upgrade of stored grants runs against them.
    pub async fn restart_with_volumes(
        data_dir: PathBuf,
        volumes: &[(&str, &Path, bool)],
    ) -> TestServer {
        let config = crate::backend::store_config(&data_dir);
        let volumes = volumes
            .iter()
            .map(|(name, dir, writable)| (name.to_string(), dir.to_path_buf(), *writable))
            .collect();
        TestServer::launch_with_pool(
            data_dir,
            ServiceOptions::default(),
            config,
            Cache::Shared,
            None,
            volumes,
        )
        .await
    }

    /// Starts a server on an existing data directory and database (a
    /// restart).
    pub async fn start_in(data_dir: PathBuf) -> TestServer {
        TestServer::start_in_with(data_dir, ServiceOptions::default(), Cache::Shared).await
    }

    /// A restart whose compile cache is `cache`.
    pub async fn start_in_with(
        data_dir: PathBuf,
        options: ServiceOptions,
        cache: Cache,
    ) -> TestServer {
        let config = crate::backend::store_config(&data_dir);
        TestServer::launch(data_dir, options, config, cache).await
    }

    async fn launch(
        data_dir: PathBuf,
        options: ServiceOptions,
        config: skillhost::store::StoreConfig,
        cache: Cache,
    ) -> TestServer {
        TestServer::launch_with_pool(data_dir, options, config, cache, None, Vec::new()).await
    }

    /// [`TestServer::launch`] with a sandbox pool of `slots` slots.
    async fn launch_with_pool(
        data_dir: PathBuf,
        options: ServiceOptions,
        config: skillhost::store::StoreConfig,
        cache: Cache,
        slots: Option<u32>,
        volumes: Vec<(String, PathBuf, bool)>,
    ) -> TestServer {
        // The fixture compiles every packaged guest into the shared cache
        // first, so servers only read those artifacts.
        let cache_dir = match cache {
            Cache::Shared => {
                crate::fixture();
                crate::compile_cache()
            }
            Cache::DataDir => data_dir.join("cache"),
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<SocketAddr>();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        let dir = data_dir.clone();
        let thread = std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                let _done = done_tx;
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("the server's runtime");
                rt.block_on(async move {
                    let store = Store::connect(&dir, &config).await.expect("store opens");
                    let vault =
                        skillhost::vault::Vault::open(&dir, None, None).expect("secret key");
                    skillhost::server::prepare_secrets(&store, &vault)
                        .await
                        .expect("secrets prepared");
                    bootstrap(&store, Some(OPERATOR_TOKEN))
                        .await
                        .expect("bootstrap");
                    let volumes = skillhost::capability::Volumes::new(volumes, &[dir.as_path()])
                        .expect("the test's volumes");
                    skillhost::server::upgrade_grants(&store, &volumes)
                        .await
                        .expect("the upgrade of stored grants");
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                    let mut runtime_config = crate::runtime_config(Some(cache_dir));
                    if let Some(slots) = slots {
                        runtime_config.max_concurrent_calls = slots;
                    }
                    runtime_config.volumes = volumes;
                    let runtime = skillhost::runtime::Runtime::new(
                        runtime_config,
                        std::sync::Arc::new(store.clone()),
                    )
                    .expect("the server's runtime");
                    let loader = Loader::new(runtime);
                    let jwt = Some(skillhost::server::JwtVerifier::new(JWT_SECRET.as_bytes()));
                    // Audiences are checked against the public URL: here,
                    // the address just bound.
                    let mut options = options;
                    if options.public_url.is_none() && !options.oauth.issuers.is_empty() {
                        let url = format!("http://{}", listener.local_addr()?);
                        options.public_url = Some(url::Url::parse(&url).expect("a URL"));
                    }
                    let oauth = skillhost::oauth::OAuth::configured(&options.oauth);
                    let state = AppState::new(Services {
                        store,
                        loader,
                        jwt,
                        oauth,
                        vault,
                        options: std::sync::Arc::new(options),
                        // Interpreters are built by the language tool
                        // chains: code skills run in tests/languages.rs.
                        interpreters: Default::default(),
                        tasks: Default::default(),
                    });
                    let _ = ready_tx.send(listener.local_addr()?);
                    serve(listener, state, async {
                        let _ = rx.await;
                    })
                    .await
                })
            })
            .expect("spawning the server's thread");
        let addr = match ready_rx.await {
            Ok(addr) => addr,
            // It failed before listening: report why.
            Err(_) => match thread.join() {
                Ok(result) => panic!("the test server did not start: {result:?}"),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        };
        TestServer {
            addr,
            data_dir,
            shutdown: Some(tx),
            thread: Some(thread),
            done,
        }
    }

    /// Stops the server, waits for it, and keeps its data directory (for a
    /// restart or a look at what it left).
    pub async fn stop(mut self) -> PathBuf {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let thread = self.thread.take().expect("a running server");
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .unwrap()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .expect("the server stopped cleanly");
        self.data_dir.clone()
    }

    /// Creates a tenant (as the operator) whose admins may approve private
    /// networks, as the tests' upstreams are on loopback, and returns its
    /// first admin token.
    pub async fn tenant(&self, name: &str) -> String {
        let token = self.tenant_confined(name).await;
        let r = self
            .request(
                "PATCH",
                &format!("/api/tenants/{name}"),
                Some(OPERATOR_TOKEN),
                Some(serde_json::json!({"allowPrivateNetwork": true})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        token
    }

    /// Creates a tenant (as the operator) as a new one is: its admins may
    /// not approve private networks. Returns its first admin token.
    pub async fn tenant_confined(&self, name: &str) -> String {
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

    /// Installs a packaged guest (201) and returns the skill's id.
    pub async fn installed(&self, token: &str, guest: &str) -> String {
        let r = self.install(token, guest).await;
        assert_eq!(r.status, 201, "installing {guest}: {}", r.text);
        r.json["skill"]["id"].as_str().unwrap().to_owned()
    }

    /// Approves skill `id` with `grant` (none: as declared); asserts 200.
    pub async fn approve(&self, token: &str, id: &str, grant: Option<serde_json::Value>) {
        let path = format!("/api/skills/{id}/approve");
        let r = match grant {
            Some(grant) => self.request("POST", &path, Some(token), Some(grant)).await,
            None => self.raw("POST", &path, Some(token), None, None).await,
        };
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.json["skill"]["status"], "active", "{path}: {}", r.text);
    }

    /// Creates agent `name`; asserts 201.
    pub async fn agent(&self, token: &str, name: &str) {
        let r = self
            .request(
                "POST",
                "/api/agents",
                Some(token),
                Some(serde_json::json!({"name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "creating agent {name}: {}", r.text);
    }

    /// Adds a remote MCP server to `agent` with `body` (`name`, `url` and
    /// any settings); asserts 201.
    pub async fn mcp_server(&self, token: &str, agent: &str, body: serde_json::Value) {
        let path = format!("/api/agents/{agent}/mcp/servers");
        let r = self.request("POST", &path, Some(token), Some(body)).await;
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }

    /// Assigns skill `id` with `body` (`{"agentId": …}` and any per-agent
    /// settings); asserts 201.
    pub async fn assign(&self, token: &str, id: &str, body: serde_json::Value) {
        let path = format!("/api/skills/{id}/assign");
        let r = self.request("POST", &path, Some(token), Some(body)).await;
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }

    /// Installs a guest, approves it as declared, creates `agent` and
    /// assigns the skill to it; returns the skill's id.
    pub async fn install_for_agent(&self, token: &str, guest: &str, agent: &str) -> String {
        let id = self.installed(token, guest).await;
        self.approve(token, &id, None).await;
        self.agent(token, agent).await;
        self.assign(token, &id, serde_json::json!({"agentId": agent}))
            .await;
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
    /// A server dropped without [`TestServer::stop`] is done with: it is
    /// stopped and waited for, then its data directory goes too.
    fn drop(&mut self) {
        let Some(tx) = self.shutdown.take() else {
            return;
        };
        let _ = tx.send(());
        match self.done.recv_timeout(STOP_WAIT) {
            // The thread ended (the channel closed as it returned).
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) | Ok(()) => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
                let _ = std::fs::remove_dir_all(&self.data_dir);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => eprintln!(
                "test server on {} did not stop within {STOP_WAIT:?}; leaving {}",
                self.addr,
                self.data_dir.display()
            ),
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
