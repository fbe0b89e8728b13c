//! Latency figures of a benchmark: p50, p99 and calls per second.
use std::time::Duration;

/// What a run of calls measured.
pub struct Figures {
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Calls per second of wall time.
    pub per_sec: f64,
}

/// The figures of `samples`, taken over `wall`.
pub fn summarise(mut samples: Vec<Duration>, wall: Duration) -> Figures {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    Figures {
        p50: at(0.50),
        p99: at(0.99),
        per_sec: samples.len() as f64 / wall.as_secs_f64(),
    }
}

/// A count from the environment variable `name`, or `default`; a value
/// that is not a count stops the bench with a message naming it.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |n| {
        n.parse()
            .unwrap_or_else(|_| panic!("{name}: `{n}` is not a count"))
    })
}
