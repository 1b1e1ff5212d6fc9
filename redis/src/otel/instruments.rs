//! [`Instruments`]: the instruments of METRICS.md on one OpenTelemetry [`Meter`], made once
//! per [`Metrics`](super::Metrics) whatever the number of caches on it.
//!
//! The counters are observable: each cache counts in a [`Tally`] (a relaxed atomic increment
//! on its paths), and each counter's callback adds up the tallies of the caches on these
//! instruments when a collection asks — so a hit pays no call into the SDK. A dropped cache's
//! counts stay in the sums (every counter stays monotonic). The two latency histograms are
//! recorded as reads and fetches happen, with attribute sets made once.
//!
//! One set of instruments per meter: the SDK keeps the last value an observable counter's
//! callbacks observe for an attribute set, so two sets of instruments on one meter would each
//! report their own caches under the same attributes and the collection would keep one of
//! them. Hence [`Metrics`](super::Metrics) is made once and cloned into every cache.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::{AsyncInstrument, Histogram, Meter, ObservableCounter};
use opentelemetry::KeyValue;

use super::attributes::Attributes;
use super::tally::{CacheName, Counts, Tally};
use super::ProbeSet;

/// The bucket boundaries advised for both histograms, s: 10 µs (a hit) to 2.5 s (a timeout).
pub(crate) const DURATION_BUCKETS: [f64; 17] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The tallies the counters add up.
struct Registry {
    /// The tallies of the caches alive on these instruments.
    open: Mutex<Vec<Arc<Tally>>>,
    /// The counts of the dropped ones, by cache.
    closed: Mutex<[Counts; 2]>,
    /// The caches ever on these instruments (their zero counts are reported too).
    seen: [AtomicBool; 2],
    /// Shadow probes `[set][agreed]`: 0 disagreed, 1 agreed.
    shadow: [[AtomicU64; 2]; 2],
    /// Whether a shadow probe was ever counted (the shadow counters are reported from then on).
    shadowed: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// The sum of `cache`'s counts, open and dropped; `None` when no such cache was ever here.
    fn sum(&self, cache: CacheName) -> Option<Counts> {
        if !self.seen.get(cache.index())?.load(Relaxed) {
            return None;
        }
        let mut sum = lock(&self.closed).get(cache.index()).copied()?;
        for t in lock(&self.open).iter().filter(|t| t.cache == cache) {
            sum.add(&t.counts());
        }
        Some(sum)
    }

    /// Observes, for each cache ever here, what `each` picks of its counts.
    fn each(&self, mut each: impl FnMut(CacheName, &Counts)) {
        for cache in CacheName::ALL {
            if let Some(c) = self.sum(cache) {
                each(cache, &c);
            }
        }
    }
}

/// The instruments of one meter, and the tallies they add up.
pub(crate) struct Instruments {
    read_duration: Histogram<f64>,
    fetch_duration: Histogram<f64>,
    attributes: Arc<Attributes>,
    registry: Arc<Registry>,
    /// Kept so that their callbacks stay registered as long as these instruments live.
    _counters: Vec<ObservableCounter<u64>>,
}

/// Observes `values` with the attribute sets `attributes`, pairwise.
fn observe_all<'a>(
    o: &dyn AsyncInstrument<u64>,
    values: impl IntoIterator<Item = &'a u64>,
    attributes: impl IntoIterator<Item = &'a Vec<KeyValue>>,
) {
    for (v, a) in values.into_iter().zip(attributes) {
        o.observe(*v, a);
    }
}

/// Observes the non-zero `values` with the attribute sets `attributes`, pairwise.
fn observe_some<'a>(
    o: &dyn AsyncInstrument<u64>,
    values: impl IntoIterator<Item = &'a u64>,
    attributes: impl IntoIterator<Item = &'a Vec<KeyValue>>,
) {
    for (v, a) in values.into_iter().zip(attributes) {
        if *v > 0 {
            o.observe(*v, a);
        }
    }
}

type Observe = dyn Fn(&Registry, &Attributes, &dyn AsyncInstrument<u64>) + Send + Sync;

impl Instruments {
    /// The instruments of METRICS.md on `meter`.
    pub(crate) fn new(meter: &Meter) -> Instruments {
        let attributes = Arc::new(Attributes::new());
        let registry = Arc::new(Registry {
            open: Mutex::new(Vec::new()),
            closed: Mutex::new([Counts::default(); 2]),
            seen: Default::default(),
            shadow: Default::default(),
            shadowed: AtomicBool::new(false),
        });
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_description(description)
                .with_unit("s")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build()
        };
        let counter = |name: &'static str,
                       unit: &'static str,
                       description: &'static str,
                       observe: Box<Observe>| {
            let (r, a) = (Arc::clone(&registry), Arc::clone(&attributes));
            meter
                .u64_observable_counter(name)
                .with_description(description)
                .with_unit(unit)
                .with_callback(move |o| observe(&r, &a, o))
                .build()
        };
        let counters = vec![
            counter(
                "sessionpack.cache.reads",
                "{read}",
                "Reads of a session or a dictionary, served from the kept copy (hit) or not (miss)",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, &n.reads, a.read.get(c.index()).into_iter().flatten()))),
            ),
            counter(
                "sessionpack.cache.header_checks",
                "{check}",
                "Header checks sent (GETRANGE of the header)",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, [&n.header_checks], a.cache.get(c.index())))),
            ),
            counter(
                "sessionpack.cache.fetches",
                "{fetch}",
                "Whole values fetched (a GET that found the key)",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, &n.fetches, a.fetch.get(c.index()).into_iter().flatten()))),
            ),
            counter(
                "sessionpack.cache.fetch.size",
                "By",
                "Bytes of the values fetched",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, [&n.fetched_bytes], a.cache.get(c.index())))),
            ),
            counter(
                "sessionpack.cache.invalidations",
                "{invalidation}",
                "Kept entries dropped because the server announced their key changed (tracking)",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, [&n.invalidations], a.cache.get(c.index())))),
            ),
            counter(
                "sessionpack.cache.refusals",
                "{refusal}",
                "Reads (and dictionary refreshes) that ended in an error: deny",
                Box::new(|r, a, o| r.each(|c, n| observe_some(o, &n.refusals, a.refusal.get(c.index()).into_iter().flatten()))),
            ),
            counter(
                "sessionpack.tracking.losses",
                "{loss}",
                "Times client tracking went from live to not live",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, [&n.losses], a.cache.get(c.index())))),
            ),
            counter(
                "sessionpack.tracking.regains",
                "{regain}",
                "Times client tracking went live (the first time included)",
                Box::new(|r, a, o| r.each(|c, n| observe_all(o, [&n.regains], a.cache.get(c.index())))),
            ),
            counter(
                "sessionpack.dictionary.refreshes",
                "{refresh}",
                "Dictionary refreshes for a key the copy lacked, done or skipped within the interval",
                Box::new(|r, a, o| {
                    if let Some(n) = r.sum(CacheName::Dictionary) {
                        observe_all(o, &n.refreshes, &a.refresh);
                    }
                }),
            ),
            counter(
                "sessionpack.middleware.requests",
                "{request}",
                "Requests the axum extractor granted or denied",
                Box::new(|r, a, o| {
                    if let Some(n) = r.sum(CacheName::Session) {
                        if n.granted > 0 || n.denied.iter().any(|d| *d > 0) {
                            observe_all(o, [&n.granted], [&a.granted]);
                            observe_some(o, &n.denied, &a.denied);
                        }
                    }
                }),
            ),
            counter(
                "sessionpack.shadow.agreements",
                "{probe}",
                "Shadow reads: access probes whose decision from the blob equals the legacy one",
                Box::new(|r, a, o| {
                    if r.shadowed.load(Relaxed) {
                        for (s, attrs) in r.shadow.iter().zip(&a.set) {
                            o.observe(s.get(1).map_or(0, |n| n.load(Relaxed)), attrs);
                        }
                    }
                }),
            ),
            counter(
                "sessionpack.shadow.disagreements",
                "{probe}",
                "Shadow reads: access probes whose decision from the blob differs from the legacy one",
                Box::new(|r, a, o| {
                    if r.shadowed.load(Relaxed) {
                        for (s, attrs) in r.shadow.iter().zip(&a.set) {
                            o.observe(s.first().map_or(0, |n| n.load(Relaxed)), attrs);
                        }
                    }
                }),
            ),
        ];
        Instruments {
            read_duration: histogram(
                "sessionpack.cache.read.duration",
                "How long a read that made a round trip took, from the call to its answer",
            ),
            fetch_duration: histogram(
                "sessionpack.cache.fetch.duration",
                "How long a fetch took, from sending it to the value opened and validated",
            ),
            attributes,
            registry,
            _counters: counters,
        }
    }

    /// Counts `tally` in these counters: while it is alive, and its counts once it is
    /// dropped (through [`detach`](Self::detach)).
    pub(crate) fn attach(&self, tally: &Arc<Tally>) {
        if let Some(seen) = self.registry.seen.get(tally.cache.index()) {
            seen.store(true, Relaxed);
        }
        lock(&self.registry.open).push(Arc::clone(tally));
    }

    /// Stops reading `tally` (its cache is dropped) and keeps its counts in the sums.
    pub(crate) fn detach(&self, tally: &Arc<Tally>) {
        let mut open = lock(&self.registry.open);
        let before = open.len();
        open.retain(|t| !Arc::ptr_eq(t, tally));
        if open.len() != before {
            if let Some(c) = lock(&self.registry.closed).get_mut(tally.cache.index()) {
                c.add(&tally.counts());
            }
        }
    }

    /// Records a read of `cache` that made a round trip, started at `started`.
    pub(crate) fn read_time(&self, cache: CacheName, tracking: bool, hit: bool, started: Instant) {
        let slot = usize::from(tracking) * 2 + usize::from(hit);
        if let Some(a) = self
            .attributes
            .read
            .get(cache.index())
            .and_then(|r| r.get(slot))
        {
            self.read_duration
                .record(started.elapsed().as_secs_f64(), a);
        }
    }

    /// Records a fetch of `cache` sent at `sent`.
    pub(crate) fn fetch_time(&self, cache: CacheName, tracking: bool, sent: Instant) {
        let slot = usize::from(tracking);
        if let Some(a) = self
            .attributes
            .fetch
            .get(cache.index())
            .and_then(|r| r.get(slot))
        {
            self.fetch_duration.record(sent.elapsed().as_secs_f64(), a);
        }
    }

    /// Counts a shadow probe of `set` in `sessionpack.shadow.agreements` (`agreed`) or
    /// `sessionpack.shadow.disagreements`: the rollout's shadow reader calls it once per
    /// access probe it decided both ways (METRICS.md). A relaxed atomic increment.
    #[allow(dead_code)] // The rollout's shadow reader (issue 24, point 2) is its caller.
    pub(crate) fn shadow_probe(&self, set: ProbeSet, agreed: bool) {
        if let Some(n) = self
            .registry
            .shadow
            .get(set.index())
            .and_then(|s| s.get(usize::from(agreed)))
        {
            n.fetch_add(1, Relaxed);
        }
        self.registry.shadowed.store(true, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    use super::{Instruments, ProbeSet};

    /// `name{set=…}` → value of the shadow counters, as the SDK exports them.
    fn shadow(provider: &SdkMeterProvider, exporter: &InMemoryMetricExporter) -> Vec<String> {
        exporter.reset();
        provider.force_flush().unwrap();
        let mut out = Vec::new();
        for rm in exporter.get_finished_metrics().unwrap() {
            for sm in rm.scope_metrics() {
                for m in sm
                    .metrics()
                    .filter(|m| m.name().starts_with("sessionpack.shadow."))
                {
                    if let AggregatedMetrics::U64(MetricData::Sum(s)) = m.data() {
                        for p in s.data_points() {
                            let set: Vec<String> = p
                                .attributes()
                                .map(|kv| format!("{}={}", kv.key, kv.value))
                                .collect();
                            out.push(format!("{}{{{}}}={}", m.name(), set.join(","), p.value()));
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn shadow_probes_are_counted_by_set_and_agreement() {
        let exporter = InMemoryMetricExporter::default();
        let reader = PeriodicReader::builder(exporter.clone())
            .with_interval(Duration::from_secs(3600))
            .build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        let instruments = Instruments::new(&provider.meter("sessionpack"));
        // Not reported before the first probe (the rollout is not running).
        assert!(shadow(&provider, &exporter).is_empty());
        for _ in 0..3 {
            instruments.shadow_probe(ProbeSet::Facility, true);
        }
        instruments.shadow_probe(ProbeSet::Facility, false);
        instruments.shadow_probe(ProbeSet::Group, true);
        assert_eq!(
            shadow(&provider, &exporter),
            [
                "sessionpack.shadow.agreements{set=facility}=3",
                "sessionpack.shadow.agreements{set=group}=1",
                "sessionpack.shadow.disagreements{set=facility}=1",
                "sessionpack.shadow.disagreements{set=group}=0",
            ]
        );
    }
}
