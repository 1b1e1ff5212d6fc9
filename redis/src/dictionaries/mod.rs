//! The dictionary cache: opened id dictionaries kept in process, bounded by entries and bytes,
//! fresh by header checks or RESP3 client tracking like sessions, one fetch per dictionary
//! under concurrent misses, and **refresh once, then deny** for a key the copy lacks — the
//! same component as the npm package's `DictionaryCache` (same options, same semantics, same
//! error kinds).
//!
//! Dictionaries are append-only (an id keeps its key forever), so an older copy is never
//! wrong, only incomplete: a key it lacks may have been appended since. A refresh is a header
//! check (`GETRANGE key 0 39`) and a fetch only when the digest changed; at most one per
//! dictionary per [`DictionaryOptions::with_refresh_interval`] (1 s by default), so a flood of
//! unknown keys costs one header check per second per dictionary, never a fetch storm. Within
//! the interval a key the copy lacks is denied without a round trip.
//!
//! Every decision is made without I/O ([`state`] and [`load`]); the blocking
//! [`DictionaryCache`] and the async [`AsyncDictionaryCache`] only carry the commands and wait
//! for a fetch another caller leads.

mod r#async;
mod copy;
mod load;
mod record_key;
mod state;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use sessionpack::{DictKind, DictionaryDecoder, KeyRing, MacKey};

pub use copy::CachedDictionary;
pub use r#async::AsyncDictionaryCache;
pub use record_key::RecordKey;
pub(crate) use record_key::{key_of_type, parse_key};
pub use sync::DictionaryCache;

use crate::{Freshness, TrackingOptions};

/// The Redis key of a tenant's dictionary of a kind.
type KeyOf = Arc<dyn Fn(&str, DictKind) -> String + Send + Sync>;

/// The default Redis key of a tenant's dictionary of a kind: `dict:<tenant>:<kind>`
/// (`dict:acme:facility`), as the npm package's `defaultDictionaryKey`.
///
/// ```
/// use sessionpack::DictKind;
///
/// assert_eq!(sessionpack_redis::default_dictionary_key("acme", DictKind::Facility), "dict:acme:facility");
/// ```
pub fn default_dictionary_key(tenant: &str, kind: DictKind) -> String {
    format!("dict:{tenant}:{kind}")
}

/// How a [`DictionaryCache`] is bounded, kept fresh, and which dictionaries it accepts — the
/// npm package's `DictionaryCacheOptions`, in Rust's spelling.
///
/// ```
/// use std::time::Duration;
/// use sessionpack::MacKey;
/// use sessionpack_redis::{DictionaryOptions, Freshness};
///
/// let o = DictionaryOptions::new(Freshness::Tracking)
///     .with_key(MacKey::new(1, &[7; 32])?) // keys imply a MAC: unsigned dictionaries are refused
///     .with_max_bytes(16 << 20)
///     .with_refresh_interval(Duration::from_millis(500))
///     .with_key_of(|tenant, kind| format!("{tenant}:dict:{kind:?}"));
/// assert_eq!(o.freshness(), Freshness::Tracking);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone)]
pub struct DictionaryOptions {
    pub(crate) freshness: Freshness,
    pub(crate) keys: KeyRing,
    pub(crate) allow_unsigned: bool,
    pub(crate) max_keys: u32,
    pub(crate) max_bytes: usize,
    pub(crate) max_entries: usize,
    pub(crate) refresh_interval: Duration,
    pub(crate) check_interval: Duration,
    pub(crate) key_of: KeyOf,
    pub(crate) tracking: TrackingOptions,
    pub(crate) metrics: crate::otel::Choice,
}

impl DictionaryOptions {
    /// No keys, at most 1,000,000 keys a dictionary, 64 MiB and 10,000 dictionaries kept, a
    /// refresh interval of 1 s, every use checked (header-check mode), keys
    /// [`default_dictionary_key`], the default [`TrackingOptions`].
    pub fn new(freshness: Freshness) -> DictionaryOptions {
        DictionaryOptions {
            freshness,
            keys: KeyRing::new(),
            allow_unsigned: false,
            max_keys: DictionaryDecoder::DEFAULT_MAX_KEYS,
            max_bytes: 64 << 20,
            max_entries: 10_000,
            refresh_interval: Duration::from_secs(1),
            check_interval: Duration::ZERO,
            key_of: Arc::new(default_dictionary_key),
            tracking: TrackingOptions::new(),
            metrics: Default::default(),
        }
    }

    /// Reports the metrics of METRICS.md on `metrics` (feature `otel`); without this, on
    /// [`Metrics::global`](crate::Metrics::global). Give every cache a clone of one
    /// [`Metrics`](crate::Metrics) per meter.
    ///
    /// ```
    /// use sessionpack_redis::opentelemetry::global;
    /// use sessionpack_redis::{DictionaryOptions, Freshness, Metrics};
    ///
    /// let metrics = Metrics::new(&global::meter("my-service"));
    /// let o = DictionaryOptions::new(Freshness::HeaderCheck).with_metrics(metrics);
    /// # let _ = o;
    /// ```
    #[cfg(feature = "otel")]
    #[must_use]
    pub fn with_metrics(mut self, metrics: crate::Metrics) -> DictionaryOptions {
        self.metrics = Some(metrics);
        self
    }

    /// The freshness mode.
    pub fn freshness(&self) -> Freshness {
        self.freshness
    }

    /// Adds a MAC key. **Keys imply a MAC**: unsigned dictionaries are then refused
    /// (`unauthenticated`, R-DICT-MAC-REQUIRED), forged ones too (R-DICT-MAC-TAG). A signed
    /// session is checked by key only through a signed dictionary (C-KEY-MAC): a service that
    /// reads signed sessions gives the same keys here.
    #[must_use]
    pub fn with_key(mut self, key: MacKey) -> DictionaryOptions {
        self.keys.insert(key);
        self
    }

    /// Uses `keys` as the key ring.
    #[must_use]
    pub fn with_keys(mut self, keys: KeyRing) -> DictionaryOptions {
        self.keys = keys;
        self
    }

    /// Opens unsigned dictionaries even with keys: a migration's weakening, as
    /// [`DictionaryDecoder::allow_unsigned`]. Such a copy is not authenticated: a signed
    /// session is still never checked through it.
    #[must_use]
    pub fn allow_unsigned(mut self) -> DictionaryOptions {
        self.allow_unsigned = true;
        self
    }

    /// The most keys a dictionary may have, checked from its header.
    #[must_use]
    pub fn with_max_keys(mut self, n: u32) -> DictionaryOptions {
        self.max_keys = n;
        self
    }

    /// At most `n` bytes kept (each copy's bytes, twice for an unsigned copy, its Redis key
    /// and 256 bytes); least recently used evicted first. A dictionary larger than the bound
    /// is served, never kept.
    #[must_use]
    pub fn with_max_bytes(mut self, n: usize) -> DictionaryOptions {
        self.max_bytes = n;
        self
    }

    /// At most `n` dictionaries kept.
    #[must_use]
    pub fn with_max_entries(mut self, n: usize) -> DictionaryOptions {
        self.max_entries = n;
        self
    }

    /// The least time between two refreshes of one dictionary for keys its copy lacks
    /// (default 1 s). Within it an unknown key is denied without asking the server; the price
    /// is that a key appended within the interval after a refresh may be denied for up to
    /// this long.
    #[must_use]
    pub fn with_refresh_interval(mut self, every: Duration) -> DictionaryOptions {
        self.refresh_interval = every;
        self
    }

    /// Header-check mode only: a copy checked less than this long ago is used without asking
    /// again (default zero: every use checks). A stale copy is never wrong, only incomplete;
    /// what a positive interval delays is a dictionary's deletion, a key-ring change on the
    /// server side, or its replacement by another lineage — each seen at most this long late.
    #[must_use]
    pub fn with_check_interval(mut self, every: Duration) -> DictionaryOptions {
        self.check_interval = every;
        self
    }

    /// The Redis key of a tenant's dictionary of a kind (default [`default_dictionary_key`]).
    #[must_use]
    pub fn with_key_of(
        mut self,
        key_of: impl Fn(&str, DictKind) -> String + Send + Sync + 'static,
    ) -> DictionaryOptions {
        self.key_of = Arc::new(key_of);
        self
    }

    /// How tracking is watched (for [`Freshness::Tracking`]): prefixes, heartbeat, staleness
    /// bound, as for sessions.
    #[must_use]
    pub fn with_tracking(mut self, tracking: TrackingOptions) -> DictionaryOptions {
        self.tracking = tracking;
        self
    }

    /// The decoder of these options.
    pub(crate) fn decoder(&self) -> DictionaryDecoder {
        let d = DictionaryDecoder::new()
            .with_keys(self.keys.clone())
            .with_max_keys(self.max_keys);
        if self.allow_unsigned {
            d.allow_unsigned()
        } else {
            d
        }
    }
}

impl core::fmt::Debug for DictionaryOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DictionaryOptions")
            .field("freshness", &self.freshness)
            .field("keys", &self.keys.ids().collect::<Vec<_>>())
            .field("allow_unsigned", &self.allow_unsigned)
            .field("max_keys", &self.max_keys)
            .field("max_bytes", &self.max_bytes)
            .field("max_entries", &self.max_entries)
            .field("refresh_interval", &self.refresh_interval)
            .field("check_interval", &self.check_interval)
            .field("tracking", &self.tracking)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// What a dictionary cache did since it was made (shared by all its handles) — the npm
/// package's `DictionaryCacheStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DictionaryStats {
    /// Uses served from a kept copy (after a header check, within the check interval, or with
    /// none while tracking is live).
    pub hits: u64,
    /// `GETRANGE key 0 39` sent (for freshness and for refreshes).
    pub header_checks: u64,
    /// Whole dictionaries fetched.
    pub fetches: u64,
    /// Bytes of the dictionaries fetched.
    pub fetched_bytes: u64,
    /// Refreshes done for keys a copy lacked (each: a header check, and a fetch when the
    /// dictionary changed).
    pub refreshes: u64,
    /// Refreshes not done because the dictionary was refreshed less than the refresh
    /// interval ago (the key was denied).
    pub refreshes_skipped: u64,
    /// Invalidations pushed by the server (keys, each; tracking).
    pub invalidations: u64,
    /// Copies evicted to stay within the bounds.
    pub evictions: u64,
    /// Times the cache emptied itself (tracking lost or re-established, key ring replaced,
    /// `clear`).
    pub flushes: u64,
    /// Dictionaries kept now.
    pub entries: usize,
    /// Bytes kept now.
    pub bytes: usize,
    /// Whether tracking is live now (copies served without a round trip).
    pub tracking_live: bool,
}
