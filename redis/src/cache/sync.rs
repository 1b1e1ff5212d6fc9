//! [`SessionCache`]: the cache over a blocking connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionpack::SessionBuf;

use super::get::{cache_accessors, CacheGet};
use super::shared::Shared;
use super::tracking::{self, TrackerHandle};
use super::{CacheOptions, Freshness};
use crate::link::SyncLink;
use crate::otel::{CacheName, Recorder};
use crate::{Error, Target};

/// What every handle of one cache shares; the tracker stops when the last handle is dropped.
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) target: Target,
    _tracker: Option<TrackerHandle>,
}

impl Inner {
    pub(crate) fn new(target: &Target, options: &CacheOptions) -> Result<Arc<Inner>, Error> {
        let recorder = Recorder::new(&options.metrics, CacheName::Session);
        let shared = Arc::new(Shared::new(options, target.is_cluster(), recorder));
        let tracker = match options.freshness {
            Freshness::Tracking => Some(tracking::spawn(
                target,
                &options.tracking,
                Arc::clone(&shared),
            )?),
            Freshness::HeaderCheck => None,
        };
        Ok(Arc::new(Inner {
            shared,
            target: target.clone(),
            _tracker: tracker,
        }))
    }
}

/// The system clock, Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A bounded in-process cache of validated sessions, keyed by their Redis key, over a
/// blocking connection to a server or a cluster. See the [module docs](crate#) and
/// [`Freshness`] for how entries stay fresh and the staleness bound.
///
/// One handle per thread: [`handle`](Self::handle) makes another that shares the entries and
/// the tracker, with a connection of its own.
///
/// ```no_run
/// use sessionpack_redis::{CacheOptions, Freshness, SessionCache, Target};
///
/// let target = Target::standalone("redis://127.0.0.1:6379");
/// let mut cache = SessionCache::connect(&target, CacheOptions::new(Freshness::HeaderCheck))?;
/// match cache.get("session:u1")? {
///     Some(kept) => println!("may see 42: {}", kept.view_now()?.facilities().contains(42)),
///     None => println!("no session: deny"),
/// }
/// let worker = cache.handle()?; // for another thread
/// # drop(worker);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionCache {
    inner: Arc<Inner>,
    link: SyncLink,
}

cache_accessors!(SessionCache);

impl SessionCache {
    /// Connects to `target`. In [`Freshness::Tracking`] mode this starts the tracker and waits
    /// up to the target's connection timeout for tracking to be live (until then, and whenever
    /// it is not, the cache checks headers).
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::InvalidInput`] for a bad URL.
    pub fn connect(target: &Target, options: CacheOptions) -> Result<SessionCache, Error> {
        let link = SyncLink::connect(target)?;
        let inner = Inner::new(link.target(), &options)?;
        let cache = SessionCache { inner, link };
        if options.freshness == Freshness::Tracking {
            cache.wait_for_tracking(target.connect_timeout());
        }
        Ok(cache)
    }

    /// Another handle on the same cache (entries, tracker, counters), with its own connection.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub fn handle(&self) -> Result<SessionCache, Error> {
        let link = SyncLink::connect(&self.inner.target)?;
        Ok(SessionCache {
            inner: Arc::clone(&self.inner),
            link,
        })
    }

    /// The session under `key` at the system clock's time; see [`get_at`](Self::get_at).
    ///
    /// # Errors
    ///
    /// As [`get_at`](Self::get_at).
    pub fn get(&mut self, key: &str) -> Result<Option<Arc<SessionBuf>>, Error> {
        self.get_at(key, now_ms())
    }

    /// The session under `key`, checked at `now_ms` (Unix milliseconds): from the cache when
    /// it is known to be current (tracking live, or the header's digest unchanged), fetched
    /// and validated otherwise. `None` when the key is missing or expired in Redis.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] when the session expired at `now_ms`, is refused by the key rules,
    /// or the value is not a valid blob (`not_a_blob`, `corrupt`, …); [`Error::Timeout`] and
    /// [`Error::Unavailable`] when the server cannot answer — never a session that could be
    /// stale. Deny access on any error.
    pub fn get_at(&mut self, key: &str, now_ms: i64) -> Result<Option<Arc<SessionBuf>>, Error> {
        self.link
            .drive(CacheGet::new(&self.inner.shared, key, now_ms))
    }

    /// Waits up to `timeout` for tracking to be live; whether it is.
    pub fn wait_for_tracking(&self, timeout: Duration) -> bool {
        wait_for(&self.inner.shared, timeout)
    }
}

pub(crate) fn wait_for(shared: &Shared, timeout: Duration) -> bool {
    let start = Instant::now();
    while !shared.tracking_live() {
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}
