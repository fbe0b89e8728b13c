//! Shared test support: one runtime per test binary with every guest
//! packaged and loaded, a real HTTP server on 127.0.0.1, and helpers to
//! build grants and call abilities.
use skillhost::capability::{Grant, Policy};
use skillhost::runtime::{
    Call, Invocation, LoadedSkill, MemorySessions, Runtime, RuntimeConfig, SessionScope,
};
use skillhost_guests::Guest;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use skillhost_guests as guests;

pub mod backend;
pub mod http;
pub mod mcp;
pub mod upstream;
pub use upstream::{Upstream, pattern};

/// The runtime and the packaged, loaded guests.
pub struct Fixture {
    /// The runtime every test shares (one engine, as in production).
    pub runtime: Runtime,
    /// Packaged skill files by guest name.
    pub packed: HashMap<&'static str, Vec<u8>>,
    /// Loaded skills by guest name.
    pub skills: HashMap<&'static str, Arc<LoadedSkill>>,
}

const PACKAGED: &[Guest] = &[
    guests::TEXT_TOOLS,
    guests::FETCH,
    guests::FILES,
    guests::SCRATCHPAD,
    guests::CALC,
    guests::HOSTILE,
    guests::FLOOD_CMD,
];

/// The fixture, built on first use. Packing an SDK guest runs its
/// `describe` export, which needs an async executor of its own.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let runtime = new_runtime(None);
                let mut packed = HashMap::new();
                let mut skills = HashMap::new();
                for guest in PACKAGED {
                    let bytes = skillhost::pack::pack(
                        &runtime,
                        &guest.component_bytes(),
                        &guest.manifest_text(),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("packing {}: {e}", guest.name));
                    skills.insert(guest.name, runtime.load(&bytes).unwrap());
                    packed.insert(guest.name, bytes);
                }
                Fixture {
                    runtime,
                    packed,
                    skills,
                }
            })
        })
        .join()
        .unwrap()
    })
}

/// A runtime with in-memory sessions and an optional compile cache.
pub fn new_runtime(cache_dir: Option<std::path::PathBuf>) -> Runtime {
    Runtime::new(
        runtime_config(cache_dir),
        Arc::new(MemorySessions::default()),
    )
    .unwrap()
}

/// The tests' runtime settings: the defaults with `cache_dir`, and with
/// `SKILLHOST_BENCH_POOL=n` a smaller instance pool, for running under
/// valgrind (whose address space cannot hold the default pool's
/// reservations).
pub fn runtime_config(cache_dir: Option<std::path::PathBuf>) -> RuntimeConfig {
    let defaults = RuntimeConfig::default();
    RuntimeConfig {
        cache_dir,
        max_concurrent_calls: std::env::var("SKILLHOST_BENCH_POOL")
            .ok()
            .map(|n| n.parse().expect("SKILLHOST_BENCH_POOL is a number"))
            .unwrap_or(defaults.max_concurrent_calls),
        ..defaults
    }
}

impl Fixture {
    /// A loaded guest.
    pub fn skill(&self, name: &str) -> &Arc<LoadedSkill> {
        &self.skills[name]
    }

    /// Calls `ability` of guest `name` with `grant`.
    pub async fn call(
        &self,
        name: &str,
        ability: &str,
        input: serde_json::Value,
        grant: &Grant,
    ) -> Invocation {
        self.call_in_session(name, ability, input, grant, None)
            .await
    }

    /// Calls with a session id.
    pub async fn call_in_session(
        &self,
        name: &str,
        ability: &str,
        input: serde_json::Value,
        grant: &Grant,
        session: Option<&str>,
    ) -> Invocation {
        self.call_full(name, ability, input, grant, &[], session)
            .await
    }

    /// Calls with declared secrets' values supplied.
    pub async fn call_with_secrets(
        &self,
        name: &str,
        ability: &str,
        input: serde_json::Value,
        grant: &Grant,
        secrets: &[(&str, &str)],
    ) -> Invocation {
        self.call_full(name, ability, input, grant, secrets, None)
            .await
    }

    async fn call_full(
        &self,
        name: &str,
        ability: &str,
        input: serde_json::Value,
        grant: &Grant,
        secrets: &[(&str, &str)],
        session: Option<&str>,
    ) -> Invocation {
        let skill = self.skill(name);
        let mut policy = Policy::resolve(&skill.package.manifest, grant, self.runtime.limits())
            .expect("grant resolves");
        for (secret, value) in secrets {
            policy
                .supply_secret(secret, skillhost::capability::SecretValue::new(*value))
                .expect("a declared secret");
        }
        let session = session.map(|id| SessionScope {
            namespace: name.to_owned(),
            id: id.to_owned(),
        });
        let call = Call {
            ability,
            input: &input,
            session,
        };
        self.runtime.invoke(skill, Arc::new(policy), call).await
    }
}

/// Unwraps a successful invocation's output body.
pub fn ok_body(inv: &Invocation) -> &str {
    match &inv.outcome {
        Ok(output) => &output.body,
        Err(e) => panic!("expected success, got {} ({e})", e.kind()),
    }
}

/// The error category of a failed invocation.
pub fn err_kind(inv: &Invocation) -> &'static str {
    match &inv.outcome {
        Ok(output) => panic!("expected a failure, got output {:?}", output.body),
        Err(e) => e.kind(),
    }
}

/// Asserts that a call was refused a network request, with `reason` in the
/// refusal's message.
pub fn assert_network_denied(inv: &Invocation, reason: &str) {
    match &inv.outcome {
        Err(skillhost::InvokeError::CapabilityDenied {
            capability,
            message,
            ..
        }) => {
            assert_eq!(capability, "network");
            assert!(message.contains(reason), "{message}");
        }
        other => panic!("expected a network denial, got {other:?}"),
    }
}

/// A minimal real HTTP/1.1 server on 127.0.0.1: answers every request
/// with a JSON echo of the method and path, and counts requests so tests
/// can prove a refused request never arrived.
pub struct EchoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl EchoServer {
    /// Binds port 0 and serves in the background of the current runtime.
    pub async fn start() -> EchoServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let head = String::from_utf8_lossy(&buf);
                    let mut parts = head.split_whitespace();
                    let method = parts.next().unwrap_or("").to_owned();
                    let path = parts.next().unwrap_or("").to_owned();
                    let host = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("host: ")
                                .or_else(|| l.strip_prefix("Host: "))
                        })
                        .unwrap_or("")
                        .to_owned();
                    let body = serde_json::json!({ "method": method, "path": path, "host": host })
                        .to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        EchoServer { addr, hits }
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
