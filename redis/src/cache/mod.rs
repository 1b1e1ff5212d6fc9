//! The session cache: validated [`SessionBuf`](sessionpack::SessionBuf)s kept in process,
//! bounded by entries and bytes, fresh by header checks or by RESP3 client tracking.
//!
//! # Freshness, and the staleness bound
//!
//! - [`Freshness::HeaderCheck`]: every use sends `GETRANGE key 0 39` and compares the digest
//!   with the kept copy's; the blob is fetched again only when it changed. A rewrite is seen
//!   on the **next read**; a missing key is `None` on the next read.
//! - [`Freshness::Tracking`]: a tracker thread holds one RESP3 connection per server (per
//!   master of a cluster) with `CLIENT TRACKING ON BCAST` (optionally limited to
//!   [`TrackingOptions::with_prefix`]es), so the server pushes an invalidation whenever a key
//!   is written, deleted, expires or is evicted; the push evicts the entry. While tracking is
//!   **live** an unchanged session is served with no round trip at all.
//!
//!   Tracking is live only while the tracker has heard from every server within the
//!   **staleness bound**, [`TrackingOptions::staleness_bound`] = heartbeat + heartbeat
//!   timeout (100 ms + 200 ms by default), and only while every node that can own a kept
//!   key's slot is tracked. Each heartbeat it reads a standalone server's marker key (see
//!   [`TrackingOptions::without_marker`]; a missing or changed marker means the database was
//!   swapped or replaced without an invalidation) and each tracked master's `CLUSTER NODES`
//!   (which, unlike `CLUSTER SLOTS`, lists masters that own no slot yet): a change of the
//!   masters, of who owns which slot, or of a migration's state starts tracking anew. When a
//!   connection drops, a check fails or goes unanswered, or a fetch is answered by a cluster
//!   node the tracker does not track (one reached by `ASK` or `MOVED`: the fetch names the
//!   node that answered), the cache empties itself and every use falls back to header checks
//!   until tracking is on again (then it empties itself once more, since what it fetched
//!   meanwhile was not tracked). So a rewrite is seen by the next read after its invalidation
//!   arrives (the invalidation latency, measured by the tests: well under a millisecond on
//!   loopback), and never later than the staleness bound after the server was last heard
//!   from, whatever the network does. A fetch that races an invalidation is not kept (a
//!   pending slot, as the Redis client-side caching documentation recommends).
//!
//! A key's time to live is not announced: Redis sends the invalidation only when it actually
//! deletes the key, lazily on access or by its active-expiry cycle, which can lag by tens of
//! seconds. So every fetch reads the key's `PTTL` with its value (one script, one round trip)
//! and the cache keeps the deadline, dated from when the fetch was sent (it errs early): from
//! the deadline on, the kept copy is dropped and the server asked, in both modes.
//!
//! Either way, every use re-applies the decoder's rules at use time: an expired session is
//! refused (and dropped), and so is an unsigned entry once the key ring holds keys, or one
//! signed with a key no longer in the ring.

mod r#async;
mod get;
pub(crate) mod shared;
mod sync;
pub(crate) mod tracking;

use std::time::Duration;

use sessionpack::{KeyRing, Limits, MacKey};

pub use r#async::AsyncSessionCache;
pub use sync::SessionCache;
pub(crate) use sync::{now_ms, wait_for};

/// How a [`SessionCache`] learns that a kept session changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Freshness {
    /// `GETRANGE key 0 39` before each use; refetch only when the digest changed.
    HeaderCheck,
    /// RESP3 `CLIENT TRACKING` invalidations, with header checks whenever tracking is not
    /// known to be live.
    Tracking,
}

/// How the tracker of a [`Freshness::Tracking`] cache watches the servers.
///
/// ```
/// use std::time::Duration;
/// use sessionpack_redis::TrackingOptions;
///
/// let t = TrackingOptions::new().with_prefix("session:").with_heartbeat(Duration::from_millis(50));
/// assert_eq!(t.staleness_bound(), Duration::from_millis(250));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingOptions {
    pub(crate) prefixes: Vec<String>,
    pub(crate) heartbeat: Duration,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) retry: Duration,
    pub(crate) marker: bool,
}

impl Default for TrackingOptions {
    fn default() -> Self {
        TrackingOptions::new()
    }
}

impl TrackingOptions {
    /// Every key tracked; a heartbeat every 100 ms, answered within 200 ms; reconnecting
    /// every 250 ms while down; a marker key on a standalone server.
    pub fn new() -> TrackingOptions {
        TrackingOptions {
            prefixes: Vec::new(),
            heartbeat: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(200),
            retry: Duration::from_millis(250),
            marker: true,
        }
    }

    /// No marker key on a standalone server (for a user that may not write, or a read-only
    /// replica, where the marker cannot be written and tracking would never go live).
    ///
    /// With the marker (the default), the tracker of a standalone server writes one key of
    /// its own, `sessionpack:tracker:<32 random hex digits>`, holding a random value with a
    /// time to live of an hour (renewed every ten minutes, deleted when the cache is
    /// dropped), in the database the cache reads, and reads it back at every heartbeat. A
    /// marker that is missing or changed means the database was replaced under the cache
    /// without an invalidation — `SWAPDB` (Redis sends none), or a restart or a replication
    /// resync that the connection survived — and the cache empties itself and re-establishes
    /// tracking. **Without it, such a replacement is invisible in tracking mode**: the cache
    /// serves the sessions of the database it saw (until each key's time to live, if any)
    /// and nothing tells it otherwise. `FLUSHALL`, `FLUSHDB` and every per-key change are
    /// announced by the server either way. A cluster has no marker: it has no `SWAPDB` and one
    /// database.
    #[must_use]
    pub fn without_marker(mut self) -> TrackingOptions {
        self.marker = false;
        self
    }

    /// Tracks only keys starting with `prefix` (`CLIENT TRACKING … BCAST PREFIX`); may be
    /// given several times. Keys outside every prefix must not be read through the cache:
    /// their rewrites would not be announced. Without any, every key is tracked, and every
    /// write to the server sends the tracker an invalidation.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> TrackingOptions {
        self.prefixes.push(prefix.into());
        self
    }

    /// How often the tracker pings each server.
    #[must_use]
    pub fn with_heartbeat(mut self, every: Duration) -> TrackingOptions {
        self.heartbeat = every;
        self
    }

    /// How long a ping may take before tracking is declared lost.
    #[must_use]
    pub fn with_heartbeat_timeout(mut self, timeout: Duration) -> TrackingOptions {
        self.heartbeat_timeout = timeout;
        self
    }

    /// How long the tracker waits between attempts to re-establish tracking.
    #[must_use]
    pub fn with_retry(mut self, every: Duration) -> TrackingOptions {
        self.retry = every;
        self
    }

    /// How long after the tracker last heard from a server the cache still serves entries
    /// without asking: heartbeat + heartbeat timeout.
    pub fn staleness_bound(&self) -> Duration {
        self.heartbeat.saturating_add(self.heartbeat_timeout)
    }
}

/// How a cache is bounded, how it stays fresh, and the decoder rules it applies at every use.
///
/// ```
/// use sessionpack::MacKey;
/// use sessionpack_redis::{CacheOptions, Freshness};
///
/// let o = CacheOptions::new(Freshness::HeaderCheck)
///     .with_max_entries(1_000)
///     .with_max_bytes(16 << 20)
///     .with_key(MacKey::new(1, &[7; 32])?); // keys imply a MAC: unsigned blobs are refused
/// assert_eq!(o.freshness(), Freshness::HeaderCheck);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CacheOptions {
    pub(crate) freshness: Freshness,
    pub(crate) max_entries: usize,
    pub(crate) max_bytes: usize,
    pub(crate) keys: KeyRing,
    pub(crate) allow_unsigned: bool,
    pub(crate) limits: Limits,
    pub(crate) tracking: TrackingOptions,
    pub(crate) metrics: crate::otel::Choice,
}

impl CacheOptions {
    /// 10,000 entries, 64 MiB, no keys, the default [`Limits`] and [`TrackingOptions`].
    pub fn new(freshness: Freshness) -> CacheOptions {
        CacheOptions {
            freshness,
            max_entries: 10_000,
            max_bytes: 64 << 20,
            keys: KeyRing::new(),
            allow_unsigned: false,
            limits: Limits::default(),
            tracking: TrackingOptions::new(),
            metrics: Default::default(),
        }
    }

    /// The freshness mode.
    pub fn freshness(&self) -> Freshness {
        self.freshness
    }

    /// Reports the metrics of METRICS.md on `metrics` (feature `otel`); without this, on
    /// [`Metrics::global`](crate::Metrics::global). Give every cache a clone of one
    /// [`Metrics`](crate::Metrics) per meter.
    ///
    /// ```
    /// use sessionpack_redis::opentelemetry::global;
    /// use sessionpack_redis::{CacheOptions, Freshness, Metrics};
    ///
    /// let metrics = Metrics::new(&global::meter("my-service"));
    /// let o = CacheOptions::new(Freshness::Tracking).with_metrics(metrics);
    /// # let _ = o;
    /// ```
    #[cfg(feature = "otel")]
    #[must_use]
    pub fn with_metrics(mut self, metrics: crate::Metrics) -> CacheOptions {
        self.metrics = Some(metrics);
        self
    }

    /// At most `n` sessions kept (least recently used evicted first).
    #[must_use]
    pub fn with_max_entries(mut self, n: usize) -> CacheOptions {
        self.max_entries = n;
        self
    }

    /// At most `n` bytes of kept archives (and their keys).
    #[must_use]
    pub fn with_max_bytes(mut self, n: usize) -> CacheOptions {
        self.max_bytes = n;
        self
    }

    /// Adds a MAC key. Keys imply a MAC: unsigned blobs are then refused, at fetch and at use.
    #[must_use]
    pub fn with_key(mut self, key: MacKey) -> CacheOptions {
        self.keys.insert(key);
        self
    }

    /// Uses `keys` as the key ring.
    #[must_use]
    pub fn with_keys(mut self, keys: KeyRing) -> CacheOptions {
        self.keys = keys;
        self
    }

    /// Accepts unsigned blobs even with keys (a migration's weakening, as
    /// [`Decoder::allow_unsigned`](sessionpack::Decoder::allow_unsigned)).
    #[must_use]
    pub fn allow_unsigned(mut self) -> CacheOptions {
        self.allow_unsigned = true;
        self
    }

    /// The decoder's limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> CacheOptions {
        self.limits = limits;
        self
    }

    /// The staleness bound of tracking with these options
    /// ([`TrackingOptions::staleness_bound`]).
    pub fn tracking_bound(&self) -> Duration {
        self.tracking.staleness_bound()
    }

    /// How tracking is watched (for [`Freshness::Tracking`]).
    #[must_use]
    pub fn with_tracking(mut self, tracking: TrackingOptions) -> CacheOptions {
        self.tracking = tracking;
        self
    }
}

/// What a cache did since it was made (shared by all its handles).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Uses served from a kept entry (after a header check, or with none while tracking).
    pub hits: u64,
    /// `GETRANGE key 0 39` sent.
    pub header_checks: u64,
    /// Whole blobs fetched (`GET`).
    pub fetches: u64,
    /// Bytes of the blobs fetched.
    pub fetched_bytes: u64,
    /// Invalidations pushed by the server (keys, each).
    pub invalidations: u64,
    /// Times the cache emptied itself (tracking lost or re-established, key ring replaced).
    pub flushes: u64,
    /// Sessions kept now.
    pub entries: usize,
    /// Bytes kept now.
    pub bytes: usize,
    /// Whether tracking is live now (entries served without a round trip).
    pub tracking_live: bool,
}
