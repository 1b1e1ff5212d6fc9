//! The metrics of METRICS.md through OpenTelemetry (feature `otel`): the same names,
//! instruments, units and attributes as the npm package's.
//!
//! With the feature, every cache counts on a [`Metrics`] — the one given to its options
//! (`with_metrics`), or [`Metrics::global`], made once on the global `MeterProvider`'s meter
//! `sessionpack`. A hit costs one relaxed atomic increment; the counters are observable and
//! read only when a collection asks; only reads and fetches that made a round trip are timed.
//!
//! Without the feature, [`Recorder`] is empty and its methods inline away: no dependency, no
//! code.
//!
//! For the rollout's shadow reader (issue 24, point 2): `Recorder::shadow_probe(set, agreed)`
//! on the recorder of the session cache it reads through (`Shared::recorder`), or
//! `Instruments::shadow_probe` on [`Metrics::instruments`]; both count in
//! `sessionpack.shadow.agreements` / `.disagreements` with the attribute `set`.

#[cfg(feature = "otel")]
mod attributes;
#[cfg(feature = "otel")]
mod instruments;
mod tally;

#[cfg(feature = "otel")]
use std::sync::{Arc, OnceLock};

#[cfg(feature = "otel")]
#[allow(unused_imports)] // The rollout's shadow reader (issue 24, point 2) uses them.
pub(crate) use instruments::Instruments;
pub(crate) use tally::CacheName;
#[cfg(feature = "otel")]
use tally::Tally;

use crate::ErrorKind;

/// The set a shadow probe asks about (`ROLLOUT.md` section 5): `facility` ("may this session see
/// facility K?") or `group` ("is this session in group K?") — the attribute `set` of
/// `sessionpack.shadow.*` (METRICS.md) and the field `set` of the disagreement log.
///
/// ```
/// assert_eq!(sessionpack_redis::ProbeSet::Group.name(), "group");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeSet {
    /// A facility probe.
    Facility,
    /// A group probe.
    Group,
}

impl ProbeSet {
    /// `facility` or `group`: the metric attribute `set` and the log's field.
    pub const fn name(self) -> &'static str {
        match self {
            ProbeSet::Facility => "facility",
            ProbeSet::Group => "group",
        }
    }

    /// The row of this set in per-set counts: 0 for facilities, 1 for groups.
    pub(crate) const fn index(self) -> usize {
        match self {
            ProbeSet::Facility => 0,
            ProbeSet::Group => 1,
        }
    }
}

/// The instruments of METRICS.md on one OpenTelemetry meter, for every cache given it
/// (feature `otel`).
///
/// Make one per meter and give clones of it to every cache
/// ([`CacheOptions::with_metrics`](crate::CacheOptions::with_metrics),
/// [`DictionaryOptions::with_metrics`](crate::DictionaryOptions::with_metrics)): the
/// counters are observable, and each `Metrics` reports the sum of the caches on it, so two
/// made on one meter would report under the same names and attributes and the SDK would keep
/// one of them. A cache given none uses [`Metrics::global`].
///
/// ```
/// use sessionpack_redis::opentelemetry::global;
/// use sessionpack_redis::{CacheOptions, DictionaryOptions, Freshness, Metrics};
///
/// let metrics = Metrics::new(&global::meter("sessionpack")); // or the SDK provider's meter
/// let sessions = CacheOptions::new(Freshness::Tracking).with_metrics(metrics.clone());
/// let dictionaries = DictionaryOptions::new(Freshness::Tracking).with_metrics(metrics);
/// # let _ = (sessions, dictionaries);
/// ```
#[cfg(feature = "otel")]
#[derive(Clone)]
pub struct Metrics {
    instruments: Arc<Instruments>,
}

#[cfg(feature = "otel")]
impl Metrics {
    /// The instruments of METRICS.md made on `meter` (its instrumentation scope is the
    /// application's; the global default's is `sessionpack`).
    pub fn new(meter: &opentelemetry::metrics::Meter) -> Metrics {
        Metrics {
            instruments: Arc::new(Instruments::new(meter)),
        }
    }

    /// The instruments on `opentelemetry::global::meter("sessionpack")`, made the first time
    /// this is called — by the first cache connected without metrics of its own — and shared
    /// by every such cache from then on. **Set the global `MeterProvider` before connecting the
    /// caches**: a provider set later is not seen by these instruments (without one, the
    /// global meter is a no-op and the caches only count, at the cost of an atomic increment).
    pub fn global() -> Metrics {
        static GLOBAL: OnceLock<Metrics> = OnceLock::new();
        GLOBAL
            .get_or_init(|| Metrics::new(&opentelemetry::global::meter("sessionpack")))
            .clone()
    }

    /// The instruments (crate-public: the rollout's shadow reader counts its probes on them).
    #[allow(dead_code)] // The rollout's shadow reader (issue 24, point 2) is its caller.
    pub(crate) fn instruments(&self) -> &Arc<Instruments> {
        &self.instruments
    }
}

#[cfg(feature = "otel")]
impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// What a cache's options hold for metrics: the [`Metrics`] given, if any (feature `otel`);
/// nothing without the feature.
#[cfg(feature = "otel")]
pub(crate) type Choice = Option<Metrics>;

/// What a cache's options hold for metrics: nothing without the feature `otel`.
#[cfg(not(feature = "otel"))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Choice;

/// When a read or a fetch started (for its histogram); nothing without the feature.
#[derive(Clone, Copy)]
pub(crate) struct Started {
    #[cfg(feature = "otel")]
    at: std::time::Instant,
}

impl Started {
    #[inline(always)]
    pub(crate) fn now() -> Started {
        Started {
            #[cfg(feature = "otel")]
            at: std::time::Instant::now(),
        }
    }
}

/// One cache's counts and the instruments they are reported on, shared by its handles (and,
/// for a dictionary cache, by its tracker's state); dropped with the cache, its counts stay in
/// the instruments' sums. Without the feature `otel`, empty: every method does nothing.
#[derive(Clone)]
pub(crate) struct Recorder {
    #[cfg(feature = "otel")]
    inner: Arc<Attached>,
}

#[cfg(feature = "otel")]
struct Attached {
    tally: Arc<Tally>,
    instruments: Arc<Instruments>,
}

#[cfg(feature = "otel")]
impl Drop for Attached {
    fn drop(&mut self) {
        self.instruments.detach(&self.tally);
    }
}

#[allow(clippy::unused_self)]
impl Recorder {
    /// The recorder of a cache of `cache`'s kind, on `choice`'s metrics or the global ones.
    pub(crate) fn new(choice: &Choice, cache: CacheName) -> Recorder {
        #[cfg(feature = "otel")]
        {
            let metrics = choice.clone().unwrap_or_else(Metrics::global);
            let tally = Arc::new(Tally::new(cache));
            metrics.instruments.attach(&tally);
            Recorder {
                inner: Arc::new(Attached {
                    tally,
                    instruments: metrics.instruments,
                }),
            }
        }
        #[cfg(not(feature = "otel"))]
        {
            let _ = (choice, cache);
            Recorder {}
        }
    }

    /// A hit answered without a round trip (tracking live, or a dictionary within its check
    /// interval): counted, not timed.
    #[inline(always)]
    pub(crate) fn hit(&self, tracking: bool) {
        #[cfg(feature = "otel")]
        self.inner.tally.read(tracking, true);
        #[cfg(not(feature = "otel"))]
        let _ = tracking;
    }

    /// A read that made a round trip, started at `started`, ended: a `hit` or not, with the
    /// error `refused` if any.
    pub(crate) fn read(
        &self,
        tracking: bool,
        hit: bool,
        started: Started,
        refused: Option<ErrorKind>,
    ) {
        #[cfg(feature = "otel")]
        {
            let i = &self.inner;
            i.tally.read(tracking, hit);
            if let Some(kind) = refused {
                i.tally.refusal(kind);
            }
            i.instruments
                .read_time(i.tally.cache, tracking, hit, started.at);
        }
        #[cfg(not(feature = "otel"))]
        let _ = (tracking, hit, started, refused);
    }

    /// A read or a refresh ended in an error of `kind`.
    #[inline(always)]
    pub(crate) fn refusal(&self, kind: ErrorKind) {
        #[cfg(feature = "otel")]
        self.inner.tally.refusal(kind);
        #[cfg(not(feature = "otel"))]
        let _ = kind;
    }

    /// A header check answered.
    #[inline(always)]
    pub(crate) fn header_check(&self) {
        #[cfg(feature = "otel")]
        self.inner.tally.header_check();
    }

    /// A value of `bytes` fetched (sent at `sent`), opened and validated or refused.
    pub(crate) fn fetch(&self, tracking: bool, bytes: usize, sent: Started) {
        #[cfg(feature = "otel")]
        {
            let i = &self.inner;
            i.tally.fetched(tracking, bytes);
            i.instruments.fetch_time(i.tally.cache, tracking, sent.at);
        }
        #[cfg(not(feature = "otel"))]
        let _ = (tracking, bytes, sent);
    }

    /// A kept entry dropped because the server announced its key.
    #[inline(always)]
    pub(crate) fn invalidation(&self) {
        #[cfg(feature = "otel")]
        self.inner.tally.invalidation();
    }

    /// Tracking went from live to not live.
    #[inline(always)]
    pub(crate) fn loss(&self) {
        #[cfg(feature = "otel")]
        self.inner.tally.loss();
    }

    /// Tracking went live.
    #[inline(always)]
    pub(crate) fn regain(&self) {
        #[cfg(feature = "otel")]
        self.inner.tally.regain();
    }

    /// A dictionary refresh done, or `skipped` within the refresh interval.
    #[inline(always)]
    pub(crate) fn refresh(&self, skipped: bool) {
        #[cfg(feature = "otel")]
        self.inner.tally.refresh(skipped);
        #[cfg(not(feature = "otel"))]
        let _ = skipped;
    }

    /// A request the middleware granted (`None`) or denied for an error of a kind.
    #[inline(always)]
    #[allow(dead_code)] // Only the axum extractor calls it.
    pub(crate) fn request(&self, denied: Option<ErrorKind>) {
        #[cfg(feature = "otel")]
        self.inner.tally.request(denied);
        #[cfg(not(feature = "otel"))]
        let _ = denied;
    }

    /// Counts a shadow probe of `set` in `sessionpack.shadow.agreements` (`agreed`) or
    /// `.disagreements`, on the instruments of this cache (the rollout's shadow reader calls it
    /// once per access probe it decided from both the legacy session and the blob).
    #[inline(always)]
    #[allow(dead_code)] // The rollout's shadow reader (issue 24, point 2) is its caller.
    pub(crate) fn shadow_probe(&self, set: ProbeSet, agreed: bool) {
        #[cfg(feature = "otel")]
        self.inner.instruments.shadow_probe(set, agreed);
        #[cfg(not(feature = "otel"))]
        let _ = (set, agreed);
    }

    /// The instruments this cache reports on (the rollout's shadow reader counts its probes
    /// there: [`Instruments::shadow_probe`]).
    #[cfg(feature = "otel")]
    #[allow(dead_code)] // The rollout's shadow reader (issue 24, point 2) is its caller.
    pub(crate) fn instruments(&self) -> &Arc<Instruments> {
        &self.inner.instruments
    }
}
