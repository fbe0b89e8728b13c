//! The process's metrics recorder, and cached metric handles for the hot
//! paths. Building a labelled key and looking it up in the recorder on
//! every event cost the invoke path several percent of its throughput; a
//! handle registered once and kept costs an atomic add.
//!
//! The recorder is installed by whatever starts first (the store, the
//! runtime, the HTTP app), before any handle is registered: a handle taken
//! before a recorder exists records nothing, ever.
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

/// Latency buckets, in seconds: from a sandbox call (~10 µs) to the
/// longest call a skill may make (60 s).
const BUCKETS: &[f64] = &[
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The process-wide recorder (one per process, whatever the number of
/// services in it, as in the tests).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding
        // program); then this one renders only the scrape-time gauges.
        let _ = metrics::set_global_recorder(recorder);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let upkeep = handle.clone();
            runtime.spawn(async move {
                // Histograms keep raw samples until upkeep folds them.
                let mut tick = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

/// A histogram without labels, registered on first use.
pub struct StaticHistogram {
    name: &'static str,
    handle: OnceLock<Histogram>,
}

impl StaticHistogram {
    /// A histogram called `name`.
    pub const fn new(name: &'static str) -> Self {
        StaticHistogram {
            name,
            handle: OnceLock::new(),
        }
    }

    /// Records one value.
    pub fn record(&self, value: f64) {
        self.handle
            .get_or_init(|| {
                recorder();
                metrics::histogram!(self.name)
            })
            .record(value);
    }
}

/// A counter with constant labels, registered now (after the recorder is
/// installed, so the handle records); keep it and increment it per event.
pub fn counter(name: &'static str, labels: &[(&'static str, &'static str)]) -> Counter {
    recorder();
    let labels: Vec<metrics::Label> = labels
        .iter()
        .map(|(k, v)| metrics::Label::new(*k, *v))
        .collect();
    metrics::counter!(name, labels)
}

/// Counter handles by first label value, then by second: a few dozen
/// pairs at most, so short lists scanned beat hashing the key.
type CounterHandles = RwLock<Vec<(&'static str, &'static str, Counter)>>;

/// Counters keyed by two labels, each from a fixed set (a kind, an
/// outcome), registered once per pair. The values are `&'static str`, so
/// no name a tenant chose can become a label: `/metrics` is read by the
/// operator, and a tenant's names would both grow the series without bound
/// and show every tenant's activity to whoever reads them.
pub struct CounterFamily {
    name: &'static str,
    labels: (&'static str, &'static str),
    extra: &'static [(&'static str, &'static str)],
    handles: OnceLock<CounterHandles>,
}

impl CounterFamily {
    /// Counters called `name` with labels `first` and `second`, plus
    /// constant `extra` labels.
    pub const fn new(
        name: &'static str,
        first: &'static str,
        second: &'static str,
        extra: &'static [(&'static str, &'static str)],
    ) -> Self {
        CounterFamily {
            name,
            labels: (first, second),
            extra,
            handles: OnceLock::new(),
        }
    }

    /// Adds one to the counter of (`first`, `second`).
    pub fn increment(&self, first: &'static str, second: &'static str) {
        let handles = self.handles.get_or_init(Default::default);
        if let Some((.., counter)) = handles
            .read()
            .expect("metric handles")
            .iter()
            .find(|(f, s, _)| *f == first && *s == second)
        {
            counter.increment(1);
            return;
        }
        recorder();
        let mut labels = vec![
            metrics::Label::new(self.labels.0, first),
            metrics::Label::new(self.labels.1, second),
        ];
        labels.extend(self.extra.iter().map(|(k, v)| metrics::Label::new(*k, *v)));
        let counter = metrics::counter!(self.name, labels);
        counter.increment(1);
        let mut handles = handles.write().expect("metric handles");
        if !handles.iter().any(|(f, s, _)| *f == first && *s == second) {
            handles.push((first, second, counter));
        }
    }
}
