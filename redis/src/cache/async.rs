//! [`AsyncSessionCache`]: the cache over a multiplexed tokio connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionpack::SessionBuf;

use super::get::{cache_accessors, CacheGet};
use super::sync::{now_ms, Inner};
use super::{CacheOptions, Freshness};
use crate::link::AsyncLink;
use crate::{Error, Target};

/// [`SessionCache`](crate::SessionCache) for tokio: the same entries, modes, rules and
/// staleness bound, over a multiplexed connection. Cheap to clone; clones share everything.
///
/// ```no_run
/// use sessionpack_redis::{AsyncSessionCache, CacheOptions, Freshness, Target};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let target = Target::parse("redis://127.0.0.1:7000,redis://127.0.0.1:7001")?;
/// let cache = AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?;
/// if let Some(kept) = cache.get("session:u1").await? {
///     println!("may see 42: {}", kept.view_now()?.facilities().contains(42));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncSessionCache {
    inner: Arc<Inner>,
    link: AsyncLink,
}

cache_accessors!(AsyncSessionCache);

impl AsyncSessionCache {
    /// The cache's counts for the metrics of METRICS.md (the axum extractor counts its
    /// requests there, a rollout reader its shadow probes).
    pub(crate) fn recorder(&self) -> &crate::otel::Recorder {
        self.inner.shared.recorder()
    }

    /// Connects to `target`; in [`Freshness::Tracking`] mode, starts the tracker (a thread of
    /// its own) and waits up to the connection timeout for tracking to be live.
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::InvalidInput`] for a bad URL.
    pub async fn connect(
        target: &Target,
        options: CacheOptions,
    ) -> Result<AsyncSessionCache, Error> {
        let link = AsyncLink::connect(target).await?;
        let inner = Inner::new(link.target(), &options)?;
        let cache = AsyncSessionCache { inner, link };
        if options.freshness == Freshness::Tracking {
            cache.wait_for_tracking(target.connect_timeout()).await;
        }
        Ok(cache)
    }

    /// The session under `key` at the system clock's time; see [`get_at`](Self::get_at).
    ///
    /// # Errors
    ///
    /// As [`get_at`](Self::get_at).
    pub async fn get(&self, key: &str) -> Result<Option<Arc<SessionBuf>>, Error> {
        self.get_at(key, now_ms()).await
    }

    /// As [`SessionCache::get_at`](crate::SessionCache::get_at).
    ///
    /// Each call takes one unit of tokio's cooperative budget
    /// ([`tokio::task::consume_budget`]): a hit while tracking is live does no I/O, so without
    /// it a loop of hits would never yield and would starve the other tasks of a
    /// current-thread runtime. Once the task's budget (128 units) is spent, the call yields
    /// once and then goes on; other calls cost a few nanoseconds more.
    ///
    /// # Errors
    ///
    /// As [`SessionCache::get_at`](crate::SessionCache::get_at).
    pub async fn get_at(&self, key: &str, now_ms: i64) -> Result<Option<Arc<SessionBuf>>, Error> {
        let out = self
            .link
            .drive(CacheGet::new(&self.inner.shared, key, now_ms))
            .await;
        tokio::task::consume_budget().await;
        out
    }

    /// Waits up to `timeout` for tracking to be live; whether it is.
    pub async fn wait_for_tracking(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while !self.inner.shared.tracking_live() {
            if start.elapsed() >= timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }
}
