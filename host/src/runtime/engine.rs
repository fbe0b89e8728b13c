//! The one wasmtime engine of the process, tuned for a fresh instance per
//! call, and the epoch ticker that enforces wall-clock limits.
use crate::error::LoadError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. A timeout fires within one tick of its
/// limit; 1 ms keeps that error small for a negligible cost (one atomic
/// increment per millisecond).
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Guest stack. 1 MiB is wasmtime's own default and ample for real skills;
/// deep recursion beyond it traps as a stack overflow.
const MAX_WASM_STACK: usize = 1 << 20;

/// How the pool is sized.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    /// Concurrent component instances (calls in flight).
    pub instances: u32,
    /// Largest linear memory any call may have.
    pub max_memory_bytes: usize,
}

/// Builds the engine. Settings that change compiled code (epochs) are part
/// of the engine's compatibility hash, so cached artifacts follow them.
pub fn build(pool: PoolSize) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    // WASI 0.2 guests do not use component-model async; turning it off
    // removes per-call bookkeeping (and backtrace capture on store drop).
    config.concurrency_support(false);
    config.max_wasm_stack(MAX_WASM_STACK);
    config.async_stack_size(MAX_WASM_STACK + (1 << 20));

    let mut pooling = PoolingAllocationConfig::default();
    // A std Rust component holds a few core instances (main module, shims)
    // and one or two memories and tables; a CPython component (componentize-
    // py) holds 14 core instances, a componentize-js one fewer. Size for the
    // largest, so every slot can run any skill (counts cost no memory).
    pooling.total_component_instances(pool.instances);
    pooling.total_core_instances(pool.instances * 16);
    pooling.total_memories(pool.instances * 2);
    pooling.total_tables(pool.instances * 4);
    pooling.total_stacks(pool.instances);
    pooling.max_core_instances_per_component(32);
    pooling.max_memories_per_component(4);
    pooling.max_tables_per_component(8);
    pooling.max_memory_size(pool.max_memory_bytes);
    // Keeping a small resident set per slot avoids page faults on every
    // call; it pays off only together with pagemap_scan (Linux 6.7+), and
    // `Auto` still starts on older kernels.
    pooling.linear_memory_keep_resident(1 << 20);
    pooling.table_keep_resident(64 << 10);
    pooling.pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    // For profiling guests with `perf`: names their compiled functions in
    // /tmp/perf-PID.map. Off by default (it writes a file per process).
    if std::env::var_os("SKILLHOST_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config)
}

/// Waits between attempts at a component's memory images.
const IMAGE_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(20),
    Duration::from_millis(200),
    Duration::from_secs(1),
];

/// Makes a component's copy-on-write memory images now, at load, rather
/// than at its first call. On Linux each is a sealed memfd, and the kernel
/// refuses the write seal (EBUSY) while something else briefly holds the
/// file's pages, which happens under memory pressure. Wasmtime keeps only a
/// successful image, so trying again is sound; a call never makes one,
/// and never fails for this. Blocks while it waits (only after a refusal):
/// call it where [`super::Runtime::load`] runs, off the async executor, or
/// where nothing else waits on the thread (packaging's `describe`).
pub fn prepare_memory_images(component: &Component) -> Result<(), LoadError> {
    let mut delays = IMAGE_RETRY_DELAYS.iter();
    loop {
        match component.initialize_copy_on_write_image() {
            Ok(()) => return Ok(()),
            Err(error) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(error = %format!("{error:#}"), retry_in_ms = delay.as_millis() as u64, "memory image not ready");
                    std::thread::sleep(*delay);
                }
                None => return Err(LoadError::Host(format!("its memory image: {error:#}"))),
            },
        }
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("skillhost-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
