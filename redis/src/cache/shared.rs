//! [`Shared`]: what every handle of one cache shares — the bounded map of validated sessions,
//! the key policy applied at each use, the counters, and whether tracking is live.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use sessionpack::{Decoder, Expiry, Header, KeyRing, Limits, SessionBuf};
use tokio::sync::Notify;

use super::{CacheOptions, CacheStats, Freshness};
use crate::link::Fetched;
use crate::otel::Recorder;
use crate::Error;

/// A validated session as the cache keeps it.
pub(crate) struct Entry {
    buf: Arc<SessionBuf>,
    /// The header's MAC key id; 0 when unsigned.
    key_id: u32,
    digest: u64,
    /// What the entry counts against the byte bound.
    bytes: usize,
    last_used: AtomicU64,
    /// When the server stops returning the key (its time to live ran out), on the cache's
    /// clock ([`Shared::clock_ms`]); dated from when the fetch was sent, so it errs early.
    /// `None`: the key has no time to live.
    deadline_ms: Option<u64>,
}

impl Entry {
    /// Opens `blob` (stored under `key`) with `decoder`, which ignores expiry: expiry is
    /// checked at every use instead. The server stops returning the key at `deadline_ms`.
    pub(crate) fn open(
        decoder: &mut Decoder,
        key: &str,
        blob: &[u8],
        deadline_ms: Option<u64>,
    ) -> Result<Entry, Error> {
        let header = Header::read(blob)?;
        let buf = decoder.open_buf(blob)?;
        let bytes = buf
            .archive_bytes()
            .len()
            .saturating_add(key.len())
            .saturating_add(core::mem::size_of::<Entry>() + 64);
        Ok(Entry {
            buf: Arc::new(buf),
            key_id: header.key_id,
            digest: header.digest,
            bytes,
            last_used: AtomicU64::new(0),
            deadline_ms,
        })
    }

    pub(crate) fn digest(&self) -> u64 {
        self.digest
    }

    /// Whether the server has stopped returning the key by `clock_ms`.
    fn gone_at(&self, clock_ms: u64) -> bool {
        self.deadline_ms.is_some_and(|d| clock_ms >= d)
    }
}

enum Slot {
    /// A fetch is under way (since the cache's clock in ms); only the fetch holding this
    /// ticket may fill the slot, and only if no invalidation or flush removed it meanwhile.
    Pending(u64, u64),
    Ready(Arc<Entry>),
}

#[derive(Default)]
struct Slots {
    map: HashMap<String, Slot>,
    bytes: usize,
}

impl Slots {
    fn take(&mut self, key: &str) -> Option<Slot> {
        let slot = self.map.remove(key)?;
        if let Slot::Ready(e) = &slot {
            self.bytes = self.bytes.saturating_sub(e.bytes);
        }
        Some(slot)
    }
}

/// The decoder's rules, applied again at every use.
struct Policy {
    keys: KeyRing,
    key_ids: Vec<u32>,
    allow_unsigned: bool,
    limits: Limits,
    version: u64,
}

impl Policy {
    fn requires_mac(&self) -> bool {
        !self.key_ids.is_empty() && !self.allow_unsigned
    }

    /// A decoder with these rules that leaves expiry to the use.
    fn decoder(&self) -> Decoder {
        let mut d = Decoder::new()
            .with_limits(self.limits)
            .with_expiry(Expiry::Ignore);
        *d.keys_mut() = self.keys.clone();
        if self.allow_unsigned {
            d = d.allow_unsigned();
        }
        d
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    header_checks: AtomicU64,
    fetches: AtomicU64,
    fetched_bytes: AtomicU64,
    invalidations: AtomicU64,
    flushes: AtomicU64,
}

pub(crate) struct Shared {
    slots: RwLock<Slots>,
    max_entries: usize,
    max_bytes: usize,
    policy: RwLock<Policy>,
    /// Decoders of the policy version they were made under, reused by the fetches of every
    /// handle (one per fetch under way at most).
    decoders: Mutex<(u64, Vec<Decoder>)>,
    tick: AtomicU64,
    tickets: AtomicU64,
    counters: Counters,
    tracking: bool,
    live: AtomicBool,
    /// The tracker's connection generation: pushes of older ones only evict.
    generation: AtomicU64,
    origin: Instant,
    last_heard_ms: AtomicU64,
    bound_ms: u64,
    /// The tracked key prefixes (empty: every key). A key outside them gets no invalidation,
    /// so it is never served on tracking alone.
    prefixes: Vec<String>,
    /// The ids of the cluster nodes the live generation tracks (empty for one server).
    tracked_nodes: RwLock<HashSet<String>>,
    /// Wakes the tracker to read the topology again now (a fetch was answered by a node it
    /// does not track).
    pub(crate) refresh: Notify,
    /// Whether the cache reads a cluster (fetches name the node that answered).
    cluster: bool,
    /// Told of every eviction the tracker causes: a dictionary cache served from this
    /// tracking state (`dictionaries`).
    listener: OnceLock<Weak<dyn Evictions>>,
    /// The cache's counts for the metrics of METRICS.md (nothing without the feature `otel`).
    recorder: Recorder,
}

/// What else keeps entries fresh by this tracking state: told of each key the server
/// invalidated and of each flush (tracking lost or re-established).
pub(crate) trait Evictions: Send + Sync {
    /// The server announced that `key` changed.
    fn key(&self, key: &str);
    /// Every entry must go.
    fn flush(&self);
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The state of a cache with options `o`, over a cluster or not, counting its metrics on
    /// `recorder`.
    pub(crate) fn new(o: &CacheOptions, cluster: bool, recorder: Recorder) -> Shared {
        Shared {
            slots: RwLock::new(Slots::default()),
            max_entries: o.max_entries,
            max_bytes: o.max_bytes,
            policy: RwLock::new(Policy {
                key_ids: o.keys.ids().collect(),
                keys: o.keys.clone(),
                allow_unsigned: o.allow_unsigned,
                limits: o.limits,
                version: 0,
            }),
            decoders: Mutex::new((0, Vec::new())),
            tick: AtomicU64::new(1),
            tickets: AtomicU64::new(1),
            counters: Counters::default(),
            tracking: o.freshness == Freshness::Tracking,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            origin: Instant::now(),
            last_heard_ms: AtomicU64::new(0),
            bound_ms: u64::try_from(o.tracking.staleness_bound().as_millis()).unwrap_or(u64::MAX),
            prefixes: o.tracking.prefixes.clone(),
            tracked_nodes: RwLock::new(HashSet::new()),
            refresh: Notify::new(),
            cluster,
            listener: OnceLock::new(),
            recorder,
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    // ----- tracking state -----

    /// Whether an entry may be served without asking the server: tracking is on, live, and
    /// was heard from within the staleness bound.
    pub(crate) fn tracking_live(&self) -> bool {
        self.tracking
            && self.live.load(Acquire)
            && self
                .elapsed_ms()
                .saturating_sub(self.last_heard_ms.load(Acquire))
                <= self.bound_ms
    }

    /// Whether the entry of `key` may be served without asking the server: tracking is live
    /// and `key` is under a tracked prefix (a key outside them gets no invalidation).
    pub(crate) fn tracking_covers(&self, key: &str) -> bool {
        self.tracking_live()
            && (self.prefixes.is_empty()
                || self.prefixes.iter().any(|p| key.starts_with(p.as_str())))
    }

    /// The cache's clock, milliseconds since it was made.
    pub(crate) fn clock_ms(&self) -> u64 {
        self.elapsed_ms()
    }

    /// Every server answered a heartbeat sent at `sent_ms` ([`clock_ms`](Self::clock_ms)).
    pub(crate) fn heard_at(&self, sent_ms: u64) {
        self.last_heard_ms.fetch_max(sent_ms, Release);
    }

    /// A new tracker connection generation begins; returns its number.
    pub(crate) fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, AcqRel) + 1
    }

    /// Tracking of `generation` is on at every server, which are the cluster nodes `nodes`
    /// (ids; empty for one server): empty the cache (its entries were not tracked) and serve
    /// from it without round trips from now on.
    pub(crate) fn went_live(&self, generation: u64, nodes: HashSet<String>) {
        if self.generation.load(Acquire) != generation {
            return;
        }
        crate::trace::tracking(true, nodes.len());
        *write(&self.tracked_nodes) = nodes;
        self.flush();
        // Every server just answered the commands that turned tracking on.
        self.heard_at(self.elapsed_ms());
        self.live.store(true, Release);
        self.recorder.regain();
    }

    /// Tracking of `generation` is lost (its connection dropped or stopped answering): back
    /// to header checks, and empty the cache, since invalidations may have been missed.
    /// Counted as a loss unless the tracker is `stopping` (the cache is dropped).
    pub(crate) fn went_dead(&self, generation: u64, stopping: bool) {
        if self.generation.load(Acquire) != generation {
            return;
        }
        // Entries kept while it was not live were guarded by header checks, and going live
        // empties the cache anyway.
        if self.live.swap(false, AcqRel) {
            crate::trace::tracking(false, 0);
            if !stopping {
                self.recorder.loss();
            }
            self.flush();
        }
    }

    /// A fetch was answered by cluster node `node`. When the live generation does not track
    /// it (a node that imports or took over slots, reached by `ASK` or `MOVED`), pushes for
    /// its keys cannot be trusted: back to header checks, empty the cache, and wake the
    /// tracker to read the topology again. Whether what the node returned may be kept: it is
    /// tracked, or tracking was not live anyway (header checks guard the entry, and tracking
    /// empties the cache when it goes live).
    pub(crate) fn answered_by(&self, node: &str) -> bool {
        if !self.tracking || !self.cluster || read(&self.tracked_nodes).contains(node) {
            return true;
        }
        self.refresh.notify_one();
        if self.live.swap(false, AcqRel) {
            self.recorder.loss();
            self.flush();
            return false;
        }
        true
    }

    // ----- the map -----

    /// The kept entry of `key`, unless the server has stopped returning the key by now (its
    /// time to live ran out): then it is dropped, and the caller asks the server.
    pub(crate) fn lookup(&self, key: &str) -> Option<Arc<Entry>> {
        let now = self.elapsed_ms();
        let gone = match read(&self.slots).map.get(key) {
            Some(Slot::Ready(e)) if !e.gone_at(now) => {
                e.last_used.store(self.tick.load(Relaxed), Relaxed);
                return Some(Arc::clone(e));
            }
            Some(Slot::Ready(e)) => Arc::clone(e),
            _ => return None,
        };
        let mut slots = write(&self.slots);
        if matches!(slots.map.get(key), Some(Slot::Ready(e)) if Arc::ptr_eq(e, &gone)) {
            slots.take(key);
        }
        None
    }

    /// What a fetch of `key` sent at `sent_ms` ([`clock_ms`](Self::clock_ms)) under `ticket`
    /// ([`begin`](Self::begin)) brought back, as the cache serves it at `now_ms`: opened with
    /// `decoder`, kept unless an invalidation raced it, the key's deadline passed already, or
    /// an untracked node answered (then served, not kept).
    pub(crate) fn fetched(
        &self,
        key: &str,
        ticket: u64,
        sent_ms: u64,
        reply: Result<Fetched, Error>,
        decoder: &mut Decoder,
        now_ms: i64,
    ) -> Result<Option<Arc<SessionBuf>>, Error> {
        let fetched = match reply {
            Ok(f) => f,
            Err(e) => {
                self.abandon(key, ticket);
                return Err(e);
            }
        };
        let Some(blob) = fetched.value else {
            self.abandon(key, ticket);
            return Ok(None);
        };
        self.count_fetch(blob.len());
        // PTTL is whole milliseconds of the server's clock, which may count up to 1 ms more
        // than remains: the deadline errs early by that much too.
        let deadline = fetched
            .ttl_ms
            .map(|ttl| sent_ms.saturating_add(ttl.saturating_sub(1)));
        let entry = match Entry::open(decoder, key, &blob, deadline) {
            Ok(entry) => Arc::new(entry),
            Err(e) => {
                self.abandon(key, ticket);
                return Err(e);
            }
        };
        if entry.gone_at(self.elapsed_ms()) {
            self.abandon(key, ticket);
            return Ok(None);
        }
        if fetched.node.as_deref().is_none_or(|n| self.answered_by(n)) {
            self.finish(key, ticket, &entry);
        } else {
            self.abandon(key, ticket);
        }
        self.admit(key, &entry, now_ms).map(Some)
    }

    /// Marks a fetch of `key` as under way; the ticket lets [`finish`](Self::finish) fill the
    /// slot only if nothing invalidated the key meanwhile. While another fetch of the key is
    /// under way (for less than a second), this one is not kept (ticket 0): the first fetch
    /// fills the slot, and concurrent misses do not take it from each other.
    pub(crate) fn begin(&self, key: &str) -> u64 {
        let now = self.elapsed_ms();
        let mut slots = write(&self.slots);
        if let Some(Slot::Pending(_, since)) = slots.map.get(key) {
            if now.saturating_sub(*since) < 1_000 {
                return 0;
            }
        }
        let ticket = self.tickets.fetch_add(1, Relaxed);
        slots.take(key);
        slots.map.insert(key.to_owned(), Slot::Pending(ticket, now));
        ticket
    }

    /// Keeps `entry` if the slot of `key` still holds `ticket`, then evicts the least recently
    /// used entries above the bounds.
    pub(crate) fn finish(&self, key: &str, ticket: u64, entry: &Arc<Entry>) {
        let mut slots = write(&self.slots);
        if !matches!(slots.map.get(key), Some(Slot::Pending(t, _)) if *t == ticket) {
            return;
        }
        if entry.bytes > self.max_bytes || self.max_entries == 0 {
            slots.map.remove(key);
            return;
        }
        entry
            .last_used
            .store(self.tick.fetch_add(1, Relaxed) + 1, Relaxed);
        slots.bytes = slots.bytes.saturating_add(entry.bytes);
        slots
            .map
            .insert(key.to_owned(), Slot::Ready(Arc::clone(entry)));
        while slots.map.len() > self.max_entries || slots.bytes > self.max_bytes {
            let victim = slots
                .map
                .iter()
                .filter_map(|(k, s)| match s {
                    Slot::Ready(e) if k != key => Some((e.last_used.load(Relaxed), k)),
                    _ => None,
                })
                .min()
                .map(|(_, k)| k.clone());
            match victim {
                Some(k) => {
                    slots.take(&k);
                }
                None => break,
            }
        }
    }

    /// Drops the pending slot of `key` if it still holds `ticket`.
    pub(crate) fn abandon(&self, key: &str, ticket: u64) {
        let mut slots = write(&self.slots);
        if matches!(slots.map.get(key), Some(Slot::Pending(t, _)) if *t == ticket) {
            slots.map.remove(key);
        }
    }

    pub(crate) fn remove(&self, key: &str) {
        write(&self.slots).take(key);
    }

    /// The cache's counts for the metrics of METRICS.md.
    pub(crate) fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The server announced that `key` changed, expired or was evicted.
    pub(crate) fn invalidate(&self, key: &[u8]) {
        self.counters.invalidations.fetch_add(1, Relaxed);
        if let Ok(key) = std::str::from_utf8(key) {
            // Counted (METRICS.md) only when it dropped a kept entry.
            if matches!(write(&self.slots).take(key), Some(Slot::Ready(_))) {
                self.recorder.invalidation();
            }
            if let Some(l) = self.listener() {
                l.key(key);
            }
        }
    }

    /// Tells `listener` of every eviction from now on (once: a later call is ignored).
    pub(crate) fn listen(&self, listener: Weak<dyn Evictions>) {
        let _ = self.listener.set(listener);
    }

    fn listener(&self) -> Option<Arc<dyn Evictions>> {
        self.listener.get().and_then(Weak::upgrade)
    }

    /// Empties the cache, pending fetches included (they will not be kept).
    pub(crate) fn flush(&self) {
        {
            let mut slots = write(&self.slots);
            slots.map.clear();
            slots.bytes = 0;
        }
        self.counters.flushes.fetch_add(1, Relaxed);
        if let Some(l) = self.listener() {
            l.flush();
        }
    }

    // ----- the rules at use -----

    /// Checks `entry` at `now_ms` against expiry and the key policy; drops it from the cache
    /// when it fails.
    pub(crate) fn admit(
        &self,
        key: &str,
        entry: &Arc<Entry>,
        now_ms: i64,
    ) -> Result<Arc<SessionBuf>, Error> {
        let refused = {
            let policy = read(&self.policy);
            let mac = if entry.key_id == 0 {
                policy
                    .requires_mac()
                    .then_some(sessionpack::Error::MacRequired {
                        blob: sessionpack::error::Blob::Session,
                    })
            } else if !policy.key_ids.contains(&entry.key_id) {
                Some(sessionpack::Error::UnknownKey {
                    blob: sessionpack::error::Blob::Session,
                    key_id: entry.key_id,
                })
            } else {
                None
            };
            mac.or_else(|| entry.buf.view_at(now_ms).err())
        };
        match refused {
            None => Ok(Arc::clone(&entry.buf)),
            Some(e) => {
                let mut slots = write(&self.slots);
                if matches!(slots.map.get(key), Some(Slot::Ready(e)) if Arc::ptr_eq(e, entry)) {
                    slots.take(key);
                }
                Err(Error::Session(e))
            }
        }
    }

    /// Runs `f` with a decoder of the current key policy (one kept from an earlier fetch when
    /// there is one: its buffers and zstd context are reused).
    pub(crate) fn with_decoder<R>(&self, f: impl FnOnce(&mut Decoder) -> R) -> R {
        let (version, kept) = {
            let policy = read(&self.policy);
            let kept = {
                let mut pool = self.decoders.lock().unwrap_or_else(PoisonError::into_inner);
                if pool.0 != policy.version {
                    *pool = (policy.version, Vec::new());
                }
                pool.1.pop()
            };
            (policy.version, kept.unwrap_or_else(|| policy.decoder()))
        };
        let mut decoder = kept;
        let out = f(&mut decoder);
        let mut pool = self.decoders.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.0 == version {
            pool.1.push(decoder);
        }
        out
    }

    /// Whether the cache reads a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Replaces the key ring, and empties the cache: entries validated under the old ring are
    /// not kept.
    pub(crate) fn set_keys(&self, keys: KeyRing) {
        {
            let mut p = write(&self.policy);
            p.key_ids = keys.ids().collect();
            p.keys = keys;
            p.version += 1;
        }
        self.flush();
    }

    // ----- counters -----

    pub(crate) fn count_hit(&self) {
        self.counters.hits.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_header_check(&self) {
        self.counters.header_checks.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_fetch(&self, bytes: usize) {
        self.counters.fetches.fetch_add(1, Relaxed);
        self.counters.fetched_bytes.fetch_add(bytes as u64, Relaxed);
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let (entries, bytes) = {
            let s = read(&self.slots);
            let ready = s
                .map
                .values()
                .filter(|s| matches!(s, Slot::Ready(_)))
                .count();
            (ready, s.bytes)
        };
        let c = &self.counters;
        CacheStats {
            hits: c.hits.load(Relaxed),
            header_checks: c.header_checks.load(Relaxed),
            fetches: c.fetches.load(Relaxed),
            fetched_bytes: c.fetched_bytes.load(Relaxed),
            invalidations: c.invalidations.load(Relaxed),
            flushes: c.flushes.load(Relaxed),
            entries,
            bytes,
            tracking_live: self.tracking_live(),
        }
    }

    /// How long ago the tracker last heard from the server.
    pub(crate) fn since_heard(&self) -> Duration {
        Duration::from_millis(
            self.elapsed_ms()
                .saturating_sub(self.last_heard_ms.load(Acquire)),
        )
    }
}
