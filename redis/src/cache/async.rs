//! [`AsyncSessionCache`]: the cache over a multiplexed tokio connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionpack::{KeyRing, SessionBuf};

use super::sync::{now_ms, Inner};
use super::{CacheOptions, CacheStats, Freshness};
use crate::codec;
use crate::link::{self, AsyncLink, Fetched};
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

impl AsyncSessionCache {
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
        let inner = Inner::new(target, &options)?;
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
    /// # Errors
    ///
    /// As [`SessionCache::get_at`](crate::SessionCache::get_at).
    pub async fn get_at(&self, key: &str, now_ms: i64) -> Result<Option<Arc<SessionBuf>>, Error> {
        let shared = &self.inner.shared;
        if shared.tracking_covers(key) {
            if let Some(entry) = shared.lookup(key) {
                shared.count_hit();
                return shared.admit(key, &entry, now_ms).map(Some);
            }
        } else {
            let prefix: Vec<u8> = self.link.query(key, &link::get_header(key)).await?;
            shared.count_header_check();
            match codec::read_header(&prefix) {
                Err(e) => {
                    shared.remove(key);
                    return Err(e);
                }
                Ok(None) => shared.remove(key),
                Ok(Some(header)) => {
                    if let Some(entry) = shared.lookup(key).filter(|e| e.digest() == header.digest)
                    {
                        shared.count_hit();
                        return shared.admit(key, &entry, now_ms).map(Some);
                    }
                }
            }
        }
        self.fetch(key, now_ms).await
    }

    async fn fetch(&self, key: &str, now_ms: i64) -> Result<Option<Arc<SessionBuf>>, Error> {
        let shared = &self.inner.shared;
        let ticket = shared.begin(key);
        let sent = shared.clock_ms();
        let reply = self
            .link
            .query(key, &link::fetch(key, self.inner.target.is_cluster()))
            .await
            .and_then(Fetched::from_value);
        // A fresh decoder per fetch (fetches are the rare path), under the ring of now.
        let mut decoder = shared.policy().decoder();
        shared.fetched(key, ticket, sent, reply, &mut decoder, now_ms)
    }

    /// Drops the entry of `key`, if any.
    pub fn invalidate(&self, key: &str) {
        self.inner.shared.remove(key);
    }

    /// Empties the cache.
    pub fn clear(&self) {
        self.inner.shared.flush();
    }

    /// Replaces the key ring; the cache empties itself.
    pub fn set_keys(&self, keys: KeyRing) {
        self.inner.shared.set_keys(keys);
    }

    /// Whether tracking is live now.
    pub fn tracking_live(&self) -> bool {
        self.inner.shared.tracking_live()
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

    /// What the cache did so far.
    pub fn stats(&self) -> CacheStats {
        self.inner.shared.stats()
    }

    /// How long ago the tracker last heard from the servers.
    pub fn since_tracking_heard(&self) -> Duration {
        self.inner.shared.since_heard()
    }
}
