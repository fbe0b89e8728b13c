//! Keeping every replica's row cache honest on PostgreSQL.
//!
//! Each committed write to a cached table is followed by a `NOTIFY` on
//! [`CHANNEL`]; every node `LISTEN`s and, on each notification, bumps its
//! cache generation, so its next request reads the database again.
//!
//! A node whose listening connection is gone would miss notifications, so it
//! must not trust its cache then. Liveness is checked end to end: every
//! [`BEAT`] the node notifies the channel with a heartbeat of its own, and
//! while its own heartbeat has not come back within [`STALE`] (or the
//! listener is reconnecting) the cache is bypassed: every lookup reads the
//! database. When a heartbeat comes back through a new connection, the
//! generation is bumped (whatever was missed is forgotten) and the cache is
//! used again. The bound on a stale read is therefore the notification's
//! delivery time while the listener is healthy, and [`STALE`] at most when
//! it silently dies.
use super::cache::Generation;
use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The channel every node listens on.
pub(super) const CHANNEL: &str = "skillhost_cache";
/// How often a node sends itself a heartbeat.
const BEAT: Duration = Duration::from_millis(200);
/// A node whose heartbeat has not come back for this long bypasses its
/// cache: well under the one second within which a change must be seen.
const STALE: Duration = Duration::from_millis(600);
/// Wait before reconnecting a failed listener.
const RECONNECT: Duration = Duration::from_millis(250);

/// Starts the listener and heartbeat tasks; they end when `generation` is
/// the last reference left (the store is gone).
pub(super) fn start(url: String, pool: AnyPool, generation: Arc<Generation>) {
    let node = uuid::Uuid::new_v4().to_string();
    let own_beat = format!("beat:{node}");
    let started = Instant::now();
    // Milliseconds since `started` at which our heartbeat last came back.
    let last_beat = Arc::new(AtomicU64::new(0));
    generation.distrust();

    let (beat_generation, beat_seen) = (Arc::downgrade(&generation), last_beat.clone());
    let payload = own_beat.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(BEAT);
        loop {
            ticker.tick().await;
            let Some(generation) = beat_generation.upgrade() else {
                return;
            };
            if let Err(error) = notify(&pool, &payload).await {
                tracing::warn!(%error, "cache heartbeat could not be sent");
            }
            let seen = Duration::from_millis(beat_seen.load(Ordering::Acquire));
            if started.elapsed().saturating_sub(seen) > STALE && generation.is_trusted() {
                tracing::warn!(
                    "cache invalidation listener is silent; reading the database until it is back"
                );
                generation.distrust();
            }
        }
    });

    let weak = Arc::downgrade(&generation);
    drop(generation);
    tokio::spawn(async move {
        loop {
            let mut listener = match connect(&url).await {
                Ok(l) => l,
                Err(error) => {
                    tracing::warn!(%error, "cache invalidation listener cannot connect");
                    if weak.strong_count() == 0 {
                        return;
                    }
                    tokio::time::sleep(RECONNECT).await;
                    continue;
                }
            };
            loop {
                let message = listener.try_recv().await;
                let Some(generation) = weak.upgrade() else {
                    return;
                };
                match message {
                    Ok(Some(n)) if n.payload() == own_beat => {
                        last_beat.store(started.elapsed().as_millis() as u64, Ordering::Release);
                        if !generation.is_trusted() {
                            // Forget whatever was cached before; notifications
                            // may have been missed.
                            generation.bump();
                            generation.trust();
                            tracing::info!("cache invalidation listener is live");
                        }
                    }
                    Ok(Some(n)) if n.payload().starts_with("beat:") => {}
                    Ok(Some(_)) => {
                        generation.bump();
                        metrics::counter!("skillhost_cache_invalidations_total", "source" => "remote")
                            .increment(1);
                    }
                    Ok(None) | Err(_) => {
                        tracing::warn!("cache invalidation listener lost its connection");
                        generation.distrust();
                        break;
                    }
                }
            }
            tokio::time::sleep(RECONNECT).await;
        }
    });
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Tells every node (this one included) that `payload` happened.
pub(super) async fn notify(pool: &AnyPool, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .map(|_| ())
}
