//! [`Tally`]: what one cache counts for the counters of METRICS.md — relaxed atomic
//! increments on the cache's paths (a hit costs one), read only when a collection asks
//! ([`Counts`], summed over the caches of one [`Metrics`](super::Metrics)).

#![cfg_attr(not(feature = "otel"), allow(dead_code))]

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::ErrorKind;

/// Which cache a measurement is of: the `cache` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheName {
    Session,
    Dictionary,
}

impl CacheName {
    /// Both, in the order of [`index`](Self::index).
    pub(crate) const ALL: [CacheName; 2] = [CacheName::Session, CacheName::Dictionary];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            CacheName::Session => "session",
            CacheName::Dictionary => "dictionary",
        }
    }

    pub(crate) const fn index(self) -> usize {
        match self {
            CacheName::Session => 0,
            CacheName::Dictionary => 1,
        }
    }
}

/// How many `kind` values there are: every [`ErrorKind`], then `other`.
pub(crate) const KINDS: usize = ErrorKind::ALL.len() + 1;

/// The index of `kind` among the `kind` attribute's values.
pub(crate) fn kind_index(kind: ErrorKind) -> usize {
    ErrorKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(ErrorKind::ALL.len())
}

/// The `kind` attribute's value at `index`: an [`ErrorKind::name`], or `other`.
pub(crate) fn kind_name(index: usize) -> &'static str {
    ErrorKind::ALL.get(index).map_or("other", |k| k.name())
}

/// The counts of one cache, as they happen.
pub(crate) struct Tally {
    pub(crate) cache: CacheName,
    /// Reads at `freshness * 2 + result` (freshness 0 header-check, 1 tracking; result 0
    /// miss, 1 hit).
    reads: [AtomicU64; 4],
    /// Values fetched, by freshness.
    fetches: [AtomicU64; 2],
    fetched_bytes: AtomicU64,
    header_checks: AtomicU64,
    invalidations: AtomicU64,
    losses: AtomicU64,
    regains: AtomicU64,
    /// Reads and refreshes that ended in an error, by [`kind_index`].
    refusals: [AtomicU64; KINDS],
    /// Dictionary refreshes: 0 refreshed, 1 skipped.
    refreshes: [AtomicU64; 2],
    /// Middleware requests granted.
    granted: AtomicU64,
    /// Middleware requests denied, by [`kind_index`].
    denied: [AtomicU64; KINDS],
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Relaxed);
}

fn slot(a: &[AtomicU64], i: usize) -> Option<&AtomicU64> {
    a.get(i)
}

impl Tally {
    pub(crate) fn new(cache: CacheName) -> Tally {
        Tally {
            cache,
            reads: Default::default(),
            fetches: Default::default(),
            fetched_bytes: AtomicU64::new(0),
            header_checks: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            losses: AtomicU64::new(0),
            regains: AtomicU64::new(0),
            refusals: Default::default(),
            refreshes: Default::default(),
            granted: AtomicU64::new(0),
            denied: Default::default(),
        }
    }

    #[inline(always)]
    pub(crate) fn read(&self, tracking: bool, hit: bool) {
        if let Some(a) = slot(&self.reads, usize::from(tracking) * 2 + usize::from(hit)) {
            bump(a);
        }
    }

    pub(crate) fn fetched(&self, tracking: bool, bytes: usize) {
        if let Some(a) = slot(&self.fetches, usize::from(tracking)) {
            bump(a);
        }
        self.fetched_bytes.fetch_add(bytes as u64, Relaxed);
    }

    pub(crate) fn header_check(&self) {
        bump(&self.header_checks);
    }

    pub(crate) fn invalidation(&self) {
        bump(&self.invalidations);
    }

    pub(crate) fn loss(&self) {
        bump(&self.losses);
    }

    pub(crate) fn regain(&self) {
        bump(&self.regains);
    }

    pub(crate) fn refusal(&self, kind: ErrorKind) {
        if let Some(a) = slot(&self.refusals, kind_index(kind)) {
            bump(a);
        }
    }

    pub(crate) fn refresh(&self, skipped: bool) {
        if let Some(a) = slot(&self.refreshes, usize::from(skipped)) {
            bump(a);
        }
    }

    pub(crate) fn request(&self, denied: Option<ErrorKind>) {
        match denied {
            None => bump(&self.granted),
            Some(kind) => {
                if let Some(a) = slot(&self.denied, kind_index(kind)) {
                    bump(a);
                }
            }
        }
    }

    /// What it counted so far.
    pub(crate) fn counts(&self) -> Counts {
        let load = |a: &AtomicU64| a.load(Relaxed);
        Counts {
            reads: self.reads.each_ref().map(load),
            fetches: self.fetches.each_ref().map(load),
            fetched_bytes: load(&self.fetched_bytes),
            header_checks: load(&self.header_checks),
            invalidations: load(&self.invalidations),
            losses: load(&self.losses),
            regains: load(&self.regains),
            refusals: self.refusals.each_ref().map(load),
            refreshes: self.refreshes.each_ref().map(load),
            granted: load(&self.granted),
            denied: self.denied.each_ref().map(load),
        }
    }
}

/// A [`Tally`]'s counts at one moment, or the sum of several.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) reads: [u64; 4],
    pub(crate) fetches: [u64; 2],
    pub(crate) fetched_bytes: u64,
    pub(crate) header_checks: u64,
    pub(crate) invalidations: u64,
    pub(crate) losses: u64,
    pub(crate) regains: u64,
    pub(crate) refusals: [u64; KINDS],
    pub(crate) refreshes: [u64; 2],
    pub(crate) granted: u64,
    pub(crate) denied: [u64; KINDS],
}

fn add_all<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.saturating_add(*y);
    }
}

impl Counts {
    /// Adds `other`'s counts to these.
    pub(crate) fn add(&mut self, other: &Counts) {
        add_all(&mut self.reads, &other.reads);
        add_all(&mut self.fetches, &other.fetches);
        self.fetched_bytes = self.fetched_bytes.saturating_add(other.fetched_bytes);
        self.header_checks = self.header_checks.saturating_add(other.header_checks);
        self.invalidations = self.invalidations.saturating_add(other.invalidations);
        self.losses = self.losses.saturating_add(other.losses);
        self.regains = self.regains.saturating_add(other.regains);
        add_all(&mut self.refusals, &other.refusals);
        add_all(&mut self.refreshes, &other.refreshes);
        self.granted = self.granted.saturating_add(other.granted);
        add_all(&mut self.denied, &other.denied);
    }
}
