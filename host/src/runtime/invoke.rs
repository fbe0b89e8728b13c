//! One call: validate the input, build a store from the policy, run the
//! ability under its limits, and turn whatever happened into an output or
//! exactly one error category, with a receipt.
use super::bindings::exports::skillhost::skill::abilities as wit;
use super::sandbox::Runtime;
use super::session::SessionScope;
use super::skill::{Entry, LoadedSkill};
use super::state::{CallInfo, Denial, HostState};
use crate::capability::{LimitPolicy, Policy};
use crate::error::InvokeError;
use crate::outbound::Exchange;
use crate::telemetry::StaticHistogram;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use wasmtime::{Store, Trap};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder};

/// Captured stderr per call: enough for a panic message and a backtrace.
const STDERR_CAPACITY: usize = 64 << 10;
/// How much of stderr goes into an error message.
const STDERR_IN_MESSAGE: usize = 2048;

static INSTANTIATE_SECONDS: StaticHistogram =
    StaticHistogram::new("skillhost_sandbox_instantiate_seconds");
static CALL_SECONDS: StaticHistogram = StaticHistogram::new("skillhost_sandbox_call_seconds");

/// What to run.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// Ability name.
    pub ability: &'a str,
    /// Input document.
    pub input: &'a serde_json::Value,
    /// Session state scope, if the caller has a session.
    pub session: Option<SessionScope>,
}

/// Output kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Plain text.
    Text,
    /// A JSON document.
    Json,
}

/// A successful call's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    /// Text or JSON.
    pub kind: OutputKind,
    /// The output itself (JSON as text when `kind` is JSON).
    pub body: String,
    /// A command skill's exit code (always 0 on success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// What a call cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Wall-clock time from validation to result.
    pub wall_time_us: u64,
    /// Highest linear memory reached, in bytes.
    pub peak_memory_bytes: usize,
    /// Bytes of output returned (or produced before the failure).
    pub output_bytes: usize,
}

/// The result of one call.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Unique id, also on every log line of the call.
    pub id: String,
    /// Output or the error category.
    pub outcome: Result<Output, InvokeError>,
    /// Costs.
    pub receipt: Receipt,
    /// What the sandbox refused, even if the skill recovered.
    pub denials: Vec<Denial>,
    /// The outbound requests the call made, refused ones included (the
    /// first hundred).
    pub requests: Vec<Exchange>,
    /// A command's stderr, or a guest's diagnostic output (bounded).
    pub stderr: String,
}

pub(super) fn empty_policy(limits: &LimitPolicy) -> Policy {
    Policy {
        network: Vec::new(),
        allow_private_network: false,
        mounts: Vec::new(),
        env: Vec::new(),
        secrets: Default::default(),
        declared_secrets: Vec::new(),
        inject: Vec::new(),
        config: Default::default(),
        limits: limits.default,
    }
}

/// A unique id (invocations, requests). Ids are not secrets, so a random
/// per-process prefix and a counter do (one getrandom per process, not per
/// call).
pub(crate) fn unique_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    uuid::Uuid::from_u64_pair(prefix, COUNTER.fetch_add(1, Ordering::Relaxed)).to_string()
}

pub(super) fn new_store(
    runtime: &Runtime,
    policy: Arc<Policy>,
    session: Option<SessionScope>,
    skill: &str,
    invocation: &str,
    wasi: WasiCtx,
) -> Store<HostState> {
    let info = CallInfo {
        skill: skill.into(),
        invocation: invocation.into(),
    };
    let state = HostState::new(
        wasi,
        policy,
        session,
        runtime.inner.sessions.clone(),
        runtime.inner.config.outbound.clone(),
        info,
    );
    let mut store = Store::new(&runtime.inner.engine, state);
    store.limiter(|s| &mut s.limiter);
    // The guest yields to the executor at every epoch tick: a guest that
    // computes then holds no worker thread for longer than a tick, and
    // whoever awaits the call can stop it by dropping the future (the
    // timeout below, an MCP task's cancellation). A call shorter than a
    // tick never yields.
    store.set_epoch_deadline(1);
    store.epoch_deadline_async_yield_and_update(1);
    store
}

/// What the guest produced before classification.
enum Raw {
    Sdk(Result<wit::Output, wit::Error>),
    Command(Result<(), ()>),
}

impl Runtime {
    /// Runs one call. See [`Call`].
    pub async fn invoke(
        &self,
        skill: &LoadedSkill,
        policy: Arc<Policy>,
        call: Call<'_>,
    ) -> Invocation {
        run(self, skill, policy, call).await
    }

    /// A policy that grants nothing, with the operator's default limits.
    pub fn nothing_granted(&self) -> Policy {
        empty_policy(self.limits())
    }
}

pub(super) async fn run(
    runtime: &Runtime,
    skill: &LoadedSkill,
    policy: Arc<Policy>,
    call: Call<'_>,
) -> Invocation {
    let id = unique_id();
    let span = tracing::info_span!("invoke", skill = %skill.name(), ability = %call.ability, invocation_id = %id);
    let started = Instant::now();
    async {
        let result = execute(runtime, skill, policy.clone(), &call, &id).await;
        let wall_time_us = started.elapsed().as_micros() as u64;
        CALL_SECONDS.record(wall_time_us as f64 / 1e6);
        let Finished {
            mut outcome,
            peak,
            denials,
            requests,
            mut stderr,
        } = result.unwrap_or_else(|early| Finished {
            outcome: Err(early),
            peak: 0,
            denials: Vec::new(),
            requests: Vec::new(),
            stderr: String::new(),
        });
        // Nothing the guest was given leaves the host in what it says.
        if !policy.secrets.is_empty() || !policy.inject.is_empty() {
            let redactor = policy.redactor();
            match &mut outcome {
                Ok(output) => redactor.in_place(&mut output.body),
                Err(error) => error.redact(&redactor),
            }
            redactor.in_place(&mut stderr);
        }
        let output_bytes = outcome.as_ref().map(|o| o.body.len()).unwrap_or(0);
        match &outcome {
            Ok(_) => tracing::info!(
                wall_time_us,
                peak_memory_bytes = peak,
                output_bytes,
                "invocation succeeded"
            ),
            Err(e) => tracing::info!(
                wall_time_us,
                peak_memory_bytes = peak,
                outcome = e.kind(),
                "invocation failed"
            ),
        }
        Invocation {
            id: id.clone(),
            outcome,
            receipt: Receipt {
                wall_time_us,
                peak_memory_bytes: peak,
                output_bytes,
            },
            denials,
            requests,
            stderr,
        }
    }
    .instrument(span)
    .await
}

/// Everything a call that reached the sandbox leaves behind.
struct Finished {
    outcome: Result<Output, InvokeError>,
    peak: usize,
    denials: Vec<Denial>,
    requests: Vec<Exchange>,
    stderr: String,
}

async fn execute(
    runtime: &Runtime,
    skill: &LoadedSkill,
    policy: Arc<Policy>,
    call: &Call<'_>,
    id: &str,
) -> Result<Finished, InvokeError> {
    let manifest = &skill.package.manifest;
    if manifest.ability(call.ability).is_none() {
        let names: Vec<&str> = manifest.abilities.iter().map(|a| a.name.as_str()).collect();
        return Err(InvokeError::NotFound {
            message: format!(
                "skill `{}` has no ability `{}`; it has: {}",
                manifest.name,
                call.ability,
                names.join(", ")
            ),
        });
    }
    validate(skill, call)?;

    let limits = policy.limits;
    // One byte more than the limit: a guest that writes past the limit
    // leaves proof of it here, whatever it does after its write fails.
    let stdout = MemoryOutputPipe::new(limits.output_bytes + 1);
    let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
    let wasi = wasi_context(runtime, skill, &policy, call, &stdout, &stderr)?;
    let mut store = new_store(
        runtime,
        policy,
        call.session.clone(),
        skill.name(),
        id,
        wasi,
    );

    let input = call.input.to_string();
    let ability = call.ability;
    let running = async {
        match &skill.entry {
            Entry::Sdk(pre) => {
                let started = Instant::now();
                let instance = pre.instantiate_async(&mut store).await?;
                INSTANTIATE_SECONDS.record(started.elapsed().as_secs_f64());
                let result = instance
                    .skillhost_skill_abilities()
                    .call_invoke(&mut store, ability, &input)
                    .await?;
                Ok(Raw::Sdk(result))
            }
            Entry::Command(pre) => {
                let started = Instant::now();
                let instance = pre.instantiate_async(&mut store).await?;
                INSTANTIATE_SECONDS.record(started.elapsed().as_secs_f64());
                let result = instance.wasi_cli_run().call_run(&mut store).await?;
                Ok(Raw::Command(result))
            }
        }
    };
    // Epoch interruption stops a guest that computes; this timer stops one
    // parked in a host call (a slow upstream), which epochs cannot reach.
    let result: Result<wasmtime::Result<Raw>, _> =
        tokio::time::timeout(limits.timeout, running).await;

    let state = store.data();
    let peak = state.limiter.peak;
    let denials = state.denials.snapshot();
    let requests = state.exchanges.snapshot();
    let stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
    let stdout_bytes = stdout.contents();
    let stdout_over = stdout_bytes.len() > limits.output_bytes;
    let stderr_full = stderr_text.len() >= STDERR_CAPACITY;

    let outcome = match result {
        // Output past the limit decides the outcome, whatever the guest did
        // once its write failed (exit non-zero, trap, or carry on).
        _ if stdout_over => Err(InvokeError::OutputTooLarge {
            limit_bytes: limits.output_bytes,
        }),
        Err(_elapsed) => Err(InvokeError::Timeout {
            limit_ms: limits.timeout.as_millis() as u64,
        }),
        Ok(Err(error)) => match error.downcast_ref::<I32Exit>() {
            Some(exit) => exit_outcome(exit.0, &skill.entry, &stdout_bytes, &stderr_text),
            None => Err(classify_error(
                &error,
                state.limiter.refused,
                state.host_failed,
                stderr_full,
                &stderr_text,
                limits.timeout,
                limits.memory_bytes,
                limits.output_bytes,
            )),
        },
        Ok(Ok(Raw::Sdk(Ok(output)))) => {
            let (kind, body) = match output {
                wit::Output::Text(t) => (OutputKind::Text, t),
                wit::Output::Json(j) => (OutputKind::Json, j),
            };
            if body.len() > limits.output_bytes {
                Err(InvokeError::OutputTooLarge {
                    limit_bytes: limits.output_bytes,
                })
            } else {
                Ok(Output {
                    kind,
                    body,
                    exit_code: None,
                })
            }
        }
        // A language runtime (CPython, SpiderMonkey) turns refused growth
        // into an exception its SDK reports as a failure: that failure is
        // the memory limit.
        Ok(Ok(Raw::Sdk(Err(wit::Error::Failed(_))))) if state.limiter.refused => {
            Err(InvokeError::OutOfMemory {
                limit_bytes: limits.memory_bytes,
            })
        }
        Ok(Ok(Raw::Sdk(Err(error)))) => Err(guest_error(error, &denials)),
        Ok(Ok(Raw::Command(result))) => {
            if result.is_ok() {
                Ok(command_output(&stdout_bytes))
            } else {
                Err(InvokeError::Failed {
                    message: stderr_summary(&stderr_text, 1),
                    exit_code: Some(1),
                })
            }
        }
    };
    Ok(Finished {
        outcome,
        peak,
        denials,
        requests,
        stderr: tail(&stderr_text, STDERR_IN_MESSAGE).to_owned(),
    })
}

/// A guest called `exit`: for a command that is its result; for an SDK
/// skill, which should return instead, it is a trap.
fn exit_outcome(
    code: i32,
    entry: &Entry,
    stdout: &[u8],
    stderr: &str,
) -> Result<Output, InvokeError> {
    match (entry, code) {
        (Entry::Command(_), 0) => Ok(command_output(stdout)),
        (Entry::Command(_), code) => Err(InvokeError::Failed {
            message: stderr_summary(stderr, code),
            exit_code: Some(code),
        }),
        (Entry::Sdk(_), code) => Err(InvokeError::GuestTrap {
            message: with_panic(&format!("the guest called exit({code})"), stderr),
        }),
    }
}

fn command_output(stdout: &[u8]) -> Output {
    let text = String::from_utf8_lossy(stdout).into_owned();
    Output {
        kind: OutputKind::Text,
        body: text,
        exit_code: Some(0),
    }
}

/// `exited with code N`, and the end of what the program wrote to stderr.
pub(crate) fn stderr_summary(stderr: &str, code: i32) -> String {
    let stderr = tail(stderr.trim(), STDERR_IN_MESSAGE);
    if stderr.is_empty() {
        format!("exited with code {code}")
    } else {
        format!("exited with code {code}: {stderr}")
    }
}

fn validate(skill: &LoadedSkill, call: &Call<'_>) -> Result<(), InvokeError> {
    let Some(validator) = skill.validators.get(call.ability) else {
        return Ok(());
    };
    match schema_problems(validator, call.input) {
        None => Ok(()),
        Some(problems) => Err(InvokeError::InvalidInput {
            message: format!(
                "input does not match the schema of `{}`: {problems}",
                call.ability
            ),
        }),
    }
}

/// What is wrong with `input` under `validator` (the first five problems,
/// each with where it is), or `None` when it fits.
pub(crate) fn schema_problems(
    validator: &jsonschema::Validator,
    input: &serde_json::Value,
) -> Option<String> {
    if validator.is_valid(input) {
        return None;
    }
    let problems: Vec<String> = validator
        .iter_errors(input)
        .take(5)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("at `{path}`: {e}")
            }
        })
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn wasi_context(
    runtime: &Runtime,
    skill: &LoadedSkill,
    policy: &Policy,
    call: &Call<'_>,
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> Result<WasiCtx, InvokeError> {
    let mut builder = WasiCtxBuilder::new();
    builder.stdout(stdout.clone()).stderr(stderr.clone());
    // Language runtimes (CPython) import wasi:sockets whatever the skill
    // does; they are linked, and refuse everything: no TCP, no UDP, no
    // name lookup, no address (outgoing HTTP goes through wasi:http and
    // the outbound guard instead).
    builder
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    for (name, value) in &policy.env {
        builder.env(name, value);
    }
    for mount in &policy.mounts {
        let perms = if mount.writable {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        // Resolved again at every call: a link planted in a writable volume
        // since the approval must not lead outside it.
        let opened = runtime.volumes().open(&mount.source, mount.writable);
        let dir = opened.map_err(|error| {
            tracing::error!(guest = %mount.guest, %error, "mount unavailable");
            InvokeError::Internal
        })?;
        builder.preopened_dir(&dir, mount.guest.as_str(), perms).map_err(|error| {
            // The host path is operator detail: log it, do not return it.
            tracing::error!(guest = %mount.guest, host = %dir.display(), %error, "mount unavailable");
            InvokeError::Internal
        })?;
    }
    if let Entry::Command(_) = skill.entry {
        // A JSON array of strings is the argument list; anything else is stdin.
        let strings: Option<Vec<&str>> = call
            .input
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_str()).collect());
        builder.arg(skill.name());
        match strings {
            Some(args) => {
                for arg in args {
                    builder.arg(arg);
                }
            }
            None => {
                builder.stdin(MemoryInputPipe::new(call.input.to_string()));
            }
        }
    }
    Ok(builder.build())
}

/// Prefix the guest SDK puts on denials that come from file operations.
const FILESYSTEM_TAG: &str = "filesystem: ";

fn guest_error(error: wit::Error, denials: &[Denial]) -> InvokeError {
    let denied = |message: String| match denials.last() {
        Some(d) => InvokeError::CapabilityDenied {
            capability: d.capability.to_owned(),
            target: d.target.clone(),
            message: d.reason.clone(),
        },
        // The SDK tags refusals of file operations; the host cannot see them.
        None => match message.strip_prefix(FILESYSTEM_TAG) {
            Some(rest) => InvokeError::CapabilityDenied {
                capability: "filesystem".into(),
                target: String::new(),
                message: rest.to_owned(),
            },
            None => InvokeError::CapabilityDenied {
                capability: "unspecified".into(),
                target: String::new(),
                message,
            },
        },
    };
    match error {
        wit::Error::InvalidInput(message) => InvokeError::InvalidInput { message },
        wit::Error::Denied(message) => denied(message),
        // A refused request reaches many guests only as an opaque failure
        // (JavaScript's fetch says "NetworkError"), so a failure after one
        // is that refusal. Other refusals (a secret) the guest saw as they
        // are: a failure after a caught one is its own.
        wit::Error::Failed(message)
            if denials.last().is_some_and(|d| d.capability == "network") =>
        {
            denied(message)
        }
        wit::Error::Failed(message) => InvokeError::Failed {
            message,
            exit_code: None,
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn classify_error(
    error: &wasmtime::Error,
    memory_refused: bool,
    host_failed: bool,
    output_full: bool,
    stderr: &str,
    timeout: Duration,
    memory_limit: usize,
    output_limit: usize,
) -> InvokeError {
    if host_failed {
        return InvokeError::Internal;
    }
    if memory_refused {
        return InvokeError::OutOfMemory {
            limit_bytes: memory_limit,
        };
    }
    if output_full {
        return InvokeError::OutputTooLarge {
            limit_bytes: output_limit,
        };
    }
    if error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return InvokeError::Busy;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => InvokeError::Timeout {
            limit_ms: timeout.as_millis() as u64,
        },
        Some(Trap::StackOverflow) => InvokeError::GuestTrap {
            message: "stack overflow: the guest recursed too deeply".into(),
        },
        Some(trap) => InvokeError::GuestTrap {
            message: with_panic(&trap.to_string(), stderr),
        },
        None => {
            tracing::debug!(error = %format!("{error:#}"), "call failed without a trap");
            InvokeError::GuestTrap {
                message: with_panic(&error.to_string(), stderr),
            }
        }
    }
}

/// A Rust guest prints its panic message to stderr before aborting; it is
/// the most useful part of a trap report.
fn with_panic(trap: &str, stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        trap.to_owned()
    } else {
        format!("{trap}; guest stderr: {}", tail(stderr, STDERR_IN_MESSAGE))
    }
}

/// The last `max` bytes of `s`, from a character boundary.
pub(crate) fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
