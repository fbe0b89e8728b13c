//! In-memory copies of the rows every invocation reads (token, agent, skill,
//! assignment), so the hot path does not go to the database.
//!
//! Correctness rests on one counter: every write through [`Store`] bumps the
//! generation after it commits, and an entry is only served while the
//! generation it was read under is still current. A reader takes the
//! generation *before* its database read, so a row read concurrently with a
//! write is stored under the old generation and never served. Revoking a
//! token or disabling an assignment therefore takes effect on the very next
//! request. Misses are not cached, so unknown tokens cannot fill memory.
//!
//! The cache is per process. On SQLite one server owns the database file,
//! so it is exact; on PostgreSQL every node's writes reach the others
//! through [`super::invalidation`], and a node that cannot hear them stops
//! trusting its cache ([`Generation::distrust`]).
//!
//! [`Store`]: super::Store
use metrics::Counter;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

/// Entries per map before it is emptied; far more than the working set of
/// tokens, agents and skills of a node, small enough to bound memory.
const CAPACITY: usize = 16_384;

/// The write generation shared by every map.
#[derive(Debug)]
pub(super) struct Generation {
    counter: AtomicU64,
    /// Cleared while writes elsewhere could go unheard.
    trusted: AtomicBool,
}

impl Default for Generation {
    fn default() -> Self {
        Generation {
            counter: AtomicU64::new(0),
            trusted: AtomicBool::new(true),
        }
    }
}

impl Generation {
    /// The current generation; take it before reading the database. While
    /// the cache is not trusted every call is a new generation, so nothing
    /// is served from the cache and nothing read is kept.
    pub(super) fn current(&self) -> u64 {
        if self.trusted.load(Ordering::Acquire) {
            self.counter.load(Ordering::Acquire)
        } else {
            self.counter.fetch_add(1, Ordering::AcqRel) + 1
        }
    }

    /// Called after every committed write, here or (on PostgreSQL) on
    /// another node.
    pub(super) fn bump(&self) {
        self.counter.fetch_add(1, Ordering::AcqRel);
    }

    /// Stops serving from the cache until [`Generation::trust`].
    pub(super) fn distrust(&self) {
        self.trusted.store(false, Ordering::Release);
        self.bump();
    }

    /// Serves from the cache again.
    pub(super) fn trust(&self) {
        self.trusted.store(true, Ordering::Release);
    }

    /// Whether the cache is served from.
    pub(super) fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }
}

/// One map of rows, valid for one generation.
#[derive(Debug)]
pub(super) struct Memo<K, V> {
    inner: RwLock<(u64, HashMap<K, V>)>,
    /// The table, for the hit and miss counters.
    table: &'static str,
    /// `skillhost_cache_lookups_total{table,result}` of this table, hit and
    /// miss, each registered on its first lookup (after the recorder
    /// exists) and kept: a lookup costs an atomic add, not a search by
    /// labels.
    hits: OnceLock<Counter>,
    misses: OnceLock<Counter>,
}

impl<K, V> Memo<K, V> {
    /// An empty map for `table`.
    pub(super) fn named(table: &'static str) -> Self {
        Memo {
            inner: RwLock::new((0, HashMap::new())),
            table,
            hits: OnceLock::new(),
            misses: OnceLock::new(),
        }
    }

    /// Counts one lookup.
    fn count(&self, hit: bool) {
        let (handle, result) = if hit {
            (&self.hits, "hit")
        } else {
            (&self.misses, "miss")
        };
        handle
            .get_or_init(|| {
                crate::telemetry::counter(
                    "skillhost_cache_lookups_total",
                    &[("table", self.table), ("result", result)],
                )
            })
            .increment(1);
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// The entry for `key` if it was read under generation `now`.
    pub(super) fn get<Q>(&self, now: u64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let found = {
            let inner = self.inner.read().expect("cache lock");
            if inner.0 != now {
                None
            } else {
                inner.1.get(key).cloned()
            }
        };
        self.count(found.is_some());
        found
    }

    /// Keeps what a lookup found (misses are not kept).
    pub(super) fn remember(
        &self,
        generation: &Generation,
        read_at: u64,
        key: K,
        found: Option<&V>,
    ) {
        if let Some(value) = found {
            self.put(generation, read_at, key, value.clone());
        }
    }

    /// Keeps `value`, read from the database under generation `read_at`,
    /// unless a write has happened since.
    pub(super) fn put(&self, generation: &Generation, read_at: u64, key: K, value: V) {
        let mut inner = self.inner.write().expect("cache lock");
        if generation.current() != read_at {
            return;
        }
        if inner.0 != read_at || inner.1.len() >= CAPACITY {
            inner.0 = read_at;
            inner.1.clear();
        }
        inner.1.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_hides_every_entry_read_before_it() {
        let generation = Generation::default();
        let memo: Memo<String, u32> = Memo::named("test");
        let g = generation.current();
        memo.put(&generation, g, "a".into(), 1);
        assert_eq!(memo.get(generation.current(), "a"), Some(1));
        generation.bump();
        assert_eq!(memo.get(generation.current(), "a"), None);
    }

    #[test]
    fn a_distrusted_cache_serves_and_keeps_nothing_until_trusted_again() {
        let generation = Generation::default();
        let memo: Memo<String, u32> = Memo::named("test");
        memo.put(&generation, generation.current(), "a".into(), 1);
        generation.distrust();
        assert_eq!(memo.get(generation.current(), "a"), None);
        let read_at = generation.current();
        memo.put(&generation, read_at, "b".into(), 2);
        assert_eq!(memo.get(generation.current(), "b"), None);
        generation.trust();
        let read_at = generation.current();
        memo.put(&generation, read_at, "c".into(), 3);
        assert_eq!(memo.get(generation.current(), "c"), Some(3));
        assert_eq!(memo.get(generation.current(), "a"), None);
    }

    #[test]
    fn a_row_read_during_a_write_is_not_kept() {
        let generation = Generation::default();
        let memo: Memo<String, u32> = Memo::named("test");
        let read_at = generation.current();
        // The write commits and bumps while the reader holds a stale row.
        generation.bump();
        memo.put(&generation, read_at, "a".into(), 1);
        assert_eq!(memo.get(generation.current(), "a"), None);
    }
}
