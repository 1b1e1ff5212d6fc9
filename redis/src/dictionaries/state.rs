//! [`DictState`]: what every handle of one dictionary cache shares — the bounded map of
//! copies, the fetches under way (one per dictionary), when each dictionary was last
//! refreshed, the counters, and the tracking state (a session cache's [`Shared`], whose
//! tracker tells this one what to evict). Every decision of the cache that needs no reply
//! from the server is made here, without I/O.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use sessionpack::{DictKind, DictionaryDecoder, KeyRing};
use tokio::sync::Notify;

use super::{CachedDictionary, DictionaryOptions, DictionaryStats, KeyOf};
use crate::cache::shared::{Evictions, Shared};
use crate::otel::{CacheName, Recorder};
use crate::{CacheOptions, Error, Freshness};

/// What an entry counts beyond its bytes and its key (as the npm package's).
const ENTRY_OVERHEAD: usize = 256;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A kept copy.
pub(crate) struct Kept {
    pub(crate) copy: Arc<CachedDictionary>,
    bytes: usize,
    /// When the server last said the copy is current (the cache's clock, ms).
    checked_ms: AtomicU64,
    last_used: AtomicU64,
    /// When the server stops returning the key (its time to live), if it has one.
    deadline_ms: Option<u64>,
}

#[derive(Default)]
struct Slots {
    map: HashMap<String, Arc<Kept>>,
    /// Fetches under way: only the one holding the ticket may fill the slot, and only if no
    /// invalidation or flush came meanwhile.
    pending: HashMap<String, u64>,
    bytes: usize,
}

impl Slots {
    fn take(&mut self, key: &str) -> bool {
        self.pending.remove(key);
        match self.map.remove(key) {
            Some(k) => {
                self.bytes = self.bytes.saturating_sub(k.bytes);
                true
            }
            None => false,
        }
    }
}

/// What a use or a refresh of a dictionary gave.
pub(crate) type Outcome = Result<Option<Arc<CachedDictionary>>, Error>;

/// A load (header check, and a fetch when needed) under way, which concurrent callers wait
/// for instead of asking the server themselves.
pub(crate) struct Flight {
    /// `None` while under way; `Some(None)` when its leader gave up (an async caller that
    /// stopped waiting): the waiters plan again.
    out: Mutex<Option<Option<Outcome>>>,
    landed: Condvar,
    notify: Notify,
}

impl Flight {
    fn new() -> Arc<Flight> {
        Arc::new(Flight {
            out: Mutex::new(None),
            landed: Condvar::new(),
            notify: Notify::new(),
        })
    }

    fn land(&self, out: Option<Outcome>) {
        *lock(&self.out) = Some(out);
        self.landed.notify_all();
        self.notify.notify_waiters();
    }

    /// Blocks until the flight lands: its outcome, or `None` to plan again.
    pub(crate) fn wait_blocking(&self) -> Option<Outcome> {
        let mut out = lock(&self.out);
        loop {
            if let Some(o) = out.as_ref() {
                return o.clone();
            }
            out = self
                .landed
                .wait(out)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits until the flight lands: its outcome, or `None` to plan again.
    pub(crate) async fn wait(&self) -> Option<Outcome> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(o) = lock(&self.out).as_ref() {
                return o.clone();
            }
            notified.await;
        }
    }
}

/// What a use saw when it was planned, for its metrics: whether tracking covered the key
/// (its `freshness`), and the copy kept then (a use answered with it is a hit).
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) tracking: bool,
    pub(crate) kept: Option<Arc<CachedDictionary>>,
}

/// What to do for a use or a refresh.
pub(crate) enum Plan {
    /// Answered without the server.
    Ready(Option<Arc<CachedDictionary>>),
    /// Another caller is asking the server: wait for its answer.
    Join(Arc<Flight>),
    /// Ask the server: a header check first, or a fetch at once (`fetch_first`).
    Lead {
        flight: Arc<Flight>,
        fetch_first: bool,
    },
}

/// Why a load is made: a use (`get`), or a refresh for a key a copy lacked. A use never waits
/// for a refresh, nor a refresh for a use that started before it was asked for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Purpose {
    Use,
    Refresh,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    header_checks: AtomicU64,
    fetches: AtomicU64,
    fetched_bytes: AtomicU64,
    refreshes: AtomicU64,
    refreshes_skipped: AtomicU64,
    invalidations: AtomicU64,
    evictions: AtomicU64,
    flushes: AtomicU64,
}

pub(crate) struct DictState {
    slots: Mutex<Slots>,
    flights: Mutex<HashMap<(String, Purpose), Arc<Flight>>>,
    /// When each dictionary was last refreshed (the cache's clock, ms).
    refreshed: Mutex<HashMap<String, u64>>,
    decoder: RwLock<DictionaryDecoder>,
    max_bytes: usize,
    max_entries: usize,
    refresh_ms: u64,
    check_ms: u64,
    key_of: KeyOf,
    counters: Counters,
    origin: Instant,
    tick: AtomicU64,
    tickets: AtomicU64,
    /// The tracking state (tracking mode): whether it is live, which keys it covers.
    tracking: Option<Arc<Shared>>,
    cluster: bool,
    /// The cache's counts for the metrics of METRICS.md (its tracking state's too).
    recorder: Recorder,
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl DictState {
    /// The state of a cache with `options` over a cluster or not; in tracking mode, with a
    /// tracking state of its own that tells it what to evict (its tracker is the caller's to
    /// start, on [`tracking`](Self::tracking)).
    pub(crate) fn new(options: &DictionaryOptions, cluster: bool) -> Arc<DictState> {
        let recorder = Recorder::new(&options.metrics, CacheName::Dictionary);
        let tracking = (options.freshness == Freshness::Tracking).then(|| {
            let o = CacheOptions::new(Freshness::Tracking)
                .with_max_entries(0)
                .with_tracking(options.tracking.clone());
            Arc::new(Shared::new(&o, cluster, recorder.clone()))
        });
        let state = Arc::new(DictState {
            slots: Mutex::new(Slots::default()),
            flights: Mutex::new(HashMap::new()),
            refreshed: Mutex::new(HashMap::new()),
            decoder: RwLock::new(options.decoder()),
            max_bytes: options.max_bytes,
            max_entries: options.max_entries,
            refresh_ms: millis(options.refresh_interval),
            check_ms: millis(options.check_interval),
            key_of: Arc::clone(&options.key_of),
            counters: Counters::default(),
            origin: Instant::now(),
            tick: AtomicU64::new(1),
            tickets: AtomicU64::new(1),
            tracking,
            cluster,
            recorder,
        });
        if let Some(t) = &state.tracking {
            let weak = Arc::downgrade(&state);
            t.listen(weak);
        }
        state
    }

    /// The tracking state a tracker feeds (tracking mode).
    pub(crate) fn tracking(&self) -> Option<&Arc<Shared>> {
        self.tracking.as_ref()
    }

    pub(crate) fn is_cluster(&self) -> bool {
        self.cluster
    }

    pub(crate) fn key_of(&self, tenant: &str, kind: DictKind) -> String {
        (self.key_of)(tenant, kind)
    }

    /// The cache's clock, ms since it was made.
    pub(crate) fn clock_ms(&self) -> u64 {
        millis(self.origin.elapsed())
    }

    pub(crate) fn tracking_live(&self) -> bool {
        self.tracking.as_ref().is_some_and(|t| t.tracking_live())
    }

    fn tracking_covers(&self, key: &str) -> bool {
        self.tracking
            .as_ref()
            .is_some_and(|t| t.tracking_covers(key))
    }

    // ----- planning -----

    /// What a use of the dictionary under `key` does: serve the kept copy when it is known to
    /// be current (tracking covers the key; or, checking headers, it was checked within the
    /// check interval), wait for a load under way, or lead one.
    /// What it saw is for its metrics: a use answered `Ready` is a hit without a round trip,
    /// counted here.
    pub(crate) fn plan_use(&self, key: &str) -> (Plan, Seen) {
        let now = self.clock_ms();
        let covered = self.tracking_covers(key);
        let kept = self.lookup(key, now);
        if let Some(k) = &kept {
            let checked = now.saturating_sub(k.checked_ms.load(Relaxed)) < self.check_ms;
            if covered || (self.tracking.is_none() && checked) {
                self.counters.hits.fetch_add(1, Relaxed);
                self.recorder.hit(covered);
                return (Plan::Ready(Some(Arc::clone(&k.copy))), Seen::default());
            }
        }
        // Tracking live and no copy: nothing to compare a header with.
        let plan = self.fly(key, Purpose::Use, covered && kept.is_none());
        let seen = Seen {
            tracking: covered,
            kept: kept.map(|k| Arc::clone(&k.copy)),
        };
        (plan, seen)
    }

    /// The cache's counts for the metrics of METRICS.md.
    pub(crate) fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Whether tracking covers `key` now (a fetch's `freshness`).
    pub(crate) fn tracked(&self, key: &str) -> bool {
        self.tracking_covers(key)
    }

    /// What a refresh of the dictionary under `key` does, for a key that `held` (the caller's
    /// copy) lacks: wait for a refresh under way; within the refresh interval of the last
    /// one, answer the newest copy at hand without asking; else lead one (a header check now).
    pub(crate) fn plan_refresh(&self, key: &str, held: Option<&Arc<CachedDictionary>>) -> Plan {
        if let Some(f) = lock(&self.flights).get(&(key.to_owned(), Purpose::Refresh)) {
            return Plan::Join(Arc::clone(f));
        }
        let now = self.clock_ms();
        {
            let mut refreshed = lock(&self.refreshed);
            if let Some(last) = refreshed.get(key) {
                if now.saturating_sub(*last) < self.refresh_ms {
                    drop(refreshed);
                    self.counters.refreshes_skipped.fetch_add(1, Relaxed);
                    self.recorder.refresh(true);
                    let kept = self.lookup(key, now).map(|k| Arc::clone(&k.copy));
                    return Plan::Ready(match kept {
                        Some(k) if k.newer_than(held.map(Arc::as_ref)) => Some(k),
                        _ => held.cloned(),
                    });
                }
            }
            // Forget refreshes older than the interval once there are many.
            if refreshed.len() > 1024 {
                let interval = self.refresh_ms;
                refreshed.retain(|_, at| now.saturating_sub(*at) < interval);
            }
            refreshed.insert(key.to_owned(), now);
        }
        self.counters.refreshes.fetch_add(1, Relaxed);
        self.recorder.refresh(false);
        self.fly(key, Purpose::Refresh, false)
    }

    /// Joins the load of `key` for `purpose` under way, or starts one.
    fn fly(&self, key: &str, purpose: Purpose, fetch_first: bool) -> Plan {
        let mut flights = lock(&self.flights);
        if let Some(f) = flights.get(&(key.to_owned(), purpose)) {
            return Plan::Join(Arc::clone(f));
        }
        let flight = Flight::new();
        flights.insert((key.to_owned(), purpose), Arc::clone(&flight));
        Plan::Lead {
            flight,
            fetch_first,
        }
    }

    /// The load of `key` for `purpose` ended with `out` (`None`: given up): its waiters wake.
    pub(crate) fn land(
        &self,
        key: &str,
        purpose: Purpose,
        flight: &Arc<Flight>,
        out: Option<Outcome>,
    ) {
        {
            let mut flights = lock(&self.flights);
            let k = (key.to_owned(), purpose);
            if flights.get(&k).is_some_and(|f| Arc::ptr_eq(f, flight)) {
                flights.remove(&k);
            }
        }
        flight.land(out);
    }

    // ----- what a load decides with the server's replies -----

    pub(crate) fn count_header_check(&self) {
        self.counters.header_checks.fetch_add(1, Relaxed);
        self.recorder.header_check();
    }

    /// A header check started at `started_ms` read `digest`: the kept copy when it is that
    /// one (then it counts as checked), else `None` (fetch).
    pub(crate) fn current(
        &self,
        key: &str,
        digest: u64,
        started_ms: u64,
    ) -> Option<Arc<CachedDictionary>> {
        let kept = self.lookup(key, self.clock_ms())?;
        if kept.copy.digest() != digest {
            return None;
        }
        kept.checked_ms.fetch_max(started_ms, Relaxed);
        self.counters.hits.fetch_add(1, Relaxed);
        Some(Arc::clone(&kept.copy))
    }

    /// Marks a fetch of `key` as under way; the ticket lets [`finish`](Self::finish) keep its
    /// copy only if nothing invalidated the key meanwhile. The copy it replaces stays until then.
    pub(crate) fn begin(&self, key: &str) -> u64 {
        let ticket = self.tickets.fetch_add(1, Relaxed);
        lock(&self.slots).pending.insert(key.to_owned(), ticket);
        ticket
    }

    /// Drops the pending mark of `key` if it still holds `ticket`.
    pub(crate) fn abandon(&self, key: &str, ticket: u64) {
        let mut slots = lock(&self.slots);
        if slots.pending.get(key) == Some(&ticket) {
            slots.pending.remove(key);
        }
    }

    /// Opens the dictionary `bytes` fetched under `key`, with the cache's key ring.
    pub(crate) fn open(&self, key: &str, bytes: &[u8]) -> Result<CachedDictionary, Error> {
        crate::codec::read_dict_header(key, bytes)?;
        let decoder = self.decoder.read().unwrap_or_else(PoisonError::into_inner);
        self.counters.fetches.fetch_add(1, Relaxed);
        self.counters
            .fetched_bytes
            .fetch_add(bytes.len() as u64, Relaxed);
        Ok(CachedDictionary::open(bytes, &decoder)?)
    }

    /// A fetch was answered by cluster node `node`: whether its copy may be kept (see
    /// [`Shared::answered_by`]).
    pub(crate) fn answered_by(&self, node: Option<&str>) -> bool {
        match (node, &self.tracking) {
            (Some(node), Some(t)) => t.answered_by(node),
            _ => true,
        }
    }

    /// Keeps `copy`, fetched under `ticket` at `sent_ms` with `ttl_ms` left, if the key still
    /// holds the ticket; then evicts the least recently used copies above the bounds.
    pub(crate) fn finish(
        &self,
        key: &str,
        ticket: u64,
        copy: &Arc<CachedDictionary>,
        sent_ms: u64,
        ttl_ms: Option<u64>,
    ) {
        let mut slots = lock(&self.slots);
        if slots.pending.get(key) != Some(&ticket) {
            return;
        }
        slots.take(key);
        let bytes = copy
            .footprint()
            .saturating_add(key.len().saturating_mul(2))
            .saturating_add(ENTRY_OVERHEAD);
        if bytes > self.max_bytes || self.max_entries == 0 {
            return;
        }
        let kept = Arc::new(Kept {
            copy: Arc::clone(copy),
            bytes,
            checked_ms: AtomicU64::new(sent_ms),
            last_used: AtomicU64::new(self.tick.fetch_add(1, Relaxed) + 1),
            deadline_ms: ttl_ms.map(|t| sent_ms.saturating_add(t.saturating_sub(1))),
        });
        slots.bytes = slots.bytes.saturating_add(bytes);
        slots.map.insert(key.to_owned(), kept);
        while slots.map.len() > self.max_entries || slots.bytes > self.max_bytes {
            let victim = slots
                .map
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| (v.last_used.load(Relaxed), k))
                .min()
                .map(|(_, k)| k.clone());
            match victim {
                Some(k) => {
                    slots.take(&k);
                    self.counters.evictions.fetch_add(1, Relaxed);
                }
                None => break,
            }
        }
    }

    // ----- the map -----

    /// The kept copy of `key`, unless its time to live ran out by `now` (then it is dropped).
    fn lookup(&self, key: &str, now: u64) -> Option<Arc<Kept>> {
        let mut slots = lock(&self.slots);
        let kept = slots.map.get(key).map(Arc::clone)?;
        if kept.deadline_ms.is_some_and(|d| now >= d) {
            slots.take(key);
            return None;
        }
        kept.last_used
            .store(self.tick.fetch_add(1, Relaxed) + 1, Relaxed);
        Some(kept)
    }

    /// Drops the copy of `key`.
    pub(crate) fn remove(&self, key: &str) {
        lock(&self.slots).take(key);
    }

    /// Empties the cache (fetches under way will not be kept).
    pub(crate) fn flush(&self) {
        {
            let mut slots = lock(&self.slots);
            slots.map.clear();
            slots.pending.clear();
            slots.bytes = 0;
        }
        self.counters.flushes.fetch_add(1, Relaxed);
    }

    /// Replaces the key ring: the cache empties itself and opens dictionaries under the new
    /// ring from now on.
    pub(crate) fn set_keys(&self, keys: KeyRing) {
        {
            let mut d = self.decoder.write().unwrap_or_else(PoisonError::into_inner);
            *d.keys_mut() = keys;
        }
        self.flush();
    }

    pub(crate) fn stats(&self) -> DictionaryStats {
        let (entries, bytes) = {
            let s = lock(&self.slots);
            (s.map.len(), s.bytes)
        };
        let c = &self.counters;
        DictionaryStats {
            hits: c.hits.load(Relaxed),
            header_checks: c.header_checks.load(Relaxed),
            fetches: c.fetches.load(Relaxed),
            fetched_bytes: c.fetched_bytes.load(Relaxed),
            refreshes: c.refreshes.load(Relaxed),
            refreshes_skipped: c.refreshes_skipped.load(Relaxed),
            invalidations: c.invalidations.load(Relaxed),
            evictions: c.evictions.load(Relaxed),
            flushes: c.flushes.load(Relaxed),
            entries,
            bytes,
            tracking_live: self.tracking_live(),
        }
    }
}

impl Evictions for DictState {
    fn key(&self, key: &str) {
        self.counters.invalidations.fetch_add(1, Relaxed);
        // Counted (METRICS.md) only when it dropped a kept copy.
        if lock(&self.slots).take(key) {
            self.recorder.invalidation();
        }
    }

    fn flush(&self) {
        DictState::flush(self);
    }
}

/// What a dictionary cache shell does without the server (`$cache` has an `inner` field
/// whose `state` is an `Arc<DictState>`).
macro_rules! dictionary_accessors {
    ($cache:ident) => {
        impl $cache {
            /// The Redis key of `tenant`'s dictionary of `kind` (the options' `key_of`).
            pub fn key_of(&self, tenant: &str, kind: sessionpack::DictKind) -> String {
                self.inner.state.key_of(tenant, kind)
            }

            /// Drops the copy of `tenant`'s dictionary of `kind`, if any.
            pub fn invalidate(&self, tenant: &str, kind: sessionpack::DictKind) {
                self.inner.state.remove(&self.key_of(tenant, kind));
            }

            /// Empties the cache.
            pub fn clear(&self) {
                self.inner.state.flush();
            }

            /// Whether tracking is live now: copies are served without a round trip.
            pub fn tracking_live(&self) -> bool {
                self.inner.state.tracking_live()
            }

            /// What the cache did so far, over all its handles.
            pub fn stats(&self) -> $crate::DictionaryStats {
                self.inner.state.stats()
            }
        }
    };
}
pub(crate) use dictionary_accessors;
