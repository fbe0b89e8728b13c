//! Shared test support: one runtime per test binary with every guest
//! packaged and loaded, a real server on 127.0.0.1 (`http`), the peers it
//! talks to (`upstream`, `mcp`), and helpers to call abilities.
use skillhost::capability::{Grant, Policy};
use skillhost::runtime::{
    Call, Invocation, LoadedSkill, MemorySessions, Runtime, RuntimeConfig, SessionScope,
};
use skillhost_guests::Guest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use skillhost_guests as guests;

pub mod audit;
pub mod backend;
pub mod figures;
pub mod http;
pub mod mcp;
pub mod upstream;
pub use upstream::{Upstream, pattern};
mod work_dir;
pub use work_dir::{WorkDir, work_dir};

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
///
/// Its runtime compiles into the shared [`compile_cache`], so every guest
/// here is compiled once for all test processes and servers (and before
/// any test server loads it: they only ever read these artifacts).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let runtime = new_runtime(Some(compile_cache()));
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

/// The compile cache every test process and test server shares:
/// `<target>/test-compile-cache`, next to the test binary's profile
/// directory. Artifacts are keyed by component digest and engine, and
/// written by rename, so sharing one is what the service itself does
/// across restarts.
pub fn compile_cache() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // A test or bench binary is `<target>/<profile>/deps/<name>-<hash>`.
        let exe = std::env::current_exe().expect("the test binary's path");
        let target = exe
            .parent()
            .filter(|deps| deps.file_name().is_some_and(|n| n == "deps"))
            .and_then(Path::parent)
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
            .unwrap_or_else(std::env::temp_dir);
        let dir = target.join("test-compile-cache");
        std::fs::create_dir_all(&dir).expect("creating the shared compile cache");
        dir
    })
    .clone()
}

/// Lowercase hex SHA-256 of `bytes` (how the service names digests).
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A runtime with in-memory sessions and an optional compile cache.
pub fn new_runtime(cache_dir: Option<PathBuf>) -> Runtime {
    Runtime::new(
        runtime_config(cache_dir),
        Arc::new(MemorySessions::default()),
    )
    .unwrap()
}

/// The volume [`runtime_config`] offers: the temporary directory, which
/// holds every [`work_dir`].
pub const TEST_VOLUME: &str = "tmp";

/// A grant's mount of `dir` (a [`work_dir`] or a directory in one) from
/// [`TEST_VOLUME`].
pub fn volume_mount(dir: &Path) -> skillhost::capability::MountSource {
    let tmp = std::fs::canonicalize(std::env::temp_dir()).unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    skillhost::capability::MountSource::Volume(skillhost::capability::VolumeMount {
        volume: TEST_VOLUME.to_owned(),
        path: dir.strip_prefix(&tmp).unwrap().to_str().unwrap().to_owned(),
    })
}

/// The tests' runtime settings: the defaults with `cache_dir`, and with
/// `SKILLHOST_BENCH_POOL=n` a smaller instance pool, for running under
/// valgrind (whose address space cannot hold the default pool's
/// reservations).
pub fn runtime_config(cache_dir: Option<PathBuf>) -> RuntimeConfig {
    let defaults = RuntimeConfig::default();
    RuntimeConfig {
        cache_dir,
        // Test directories are made under the temporary directory
        // ([`work_dir`]): the sandbox tests mount them from this volume.
        volumes: skillhost::capability::Volumes::new(
            [(TEST_VOLUME.to_owned(), std::env::temp_dir(), true)],
            &[],
        )
        .expect("the temporary directory as a volume"),
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
