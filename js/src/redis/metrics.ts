/**
 * The instruments of METRICS.md (the repository's one table of names, units and attributes) on
 * an OpenTelemetry meter: made once per meter, whatever the number of caches on it.
 *
 * Counters are observable: each cache keeps its counts in a {@link Tally} (an integer increment
 * on its paths), and one batch callback per meter adds up the tallies of the caches on it when
 * a collection asks — so a cache hit pays no call into the SDK for them. A closed cache's counts
 * are kept in the meter's sum, so every counter stays monotonic. The two latency histograms
 * are recorded as they happen, with attribute objects made once here.
 */

import type { BatchObservableResultLike, HistogramLike, MeterLike, MetricAttributesLike, ObservableLike } from "./otel.js";
import { FRESHNESS, PROBE_SET, RESULT, Tally, type CacheName } from "./tally.js";

/** The bucket boundaries advised for both histograms, s: 10 µs (a hit) to 2.5 s (a timeout). */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

const CACHES: readonly CacheName[] = ["session", "dictionary"];

function freeze<T extends MetricAttributesLike>(a: T): T {
  return Object.freeze(a);
}

/** The attributes of a read of `cache`, at `freshness * 2 + result`. */
const READ_ATTRS: Readonly<Record<CacheName, readonly MetricAttributesLike[]>> = {
  session: FRESHNESS.flatMap((f) => RESULT.map((r) => freeze({ cache: "session", freshness: f, result: r }))),
  dictionary: FRESHNESS.flatMap((f) => RESULT.map((r) => freeze({ cache: "dictionary", freshness: f, result: r }))),
};

/** The attributes of a fetch of `cache`, by freshness. */
const FETCH_ATTRS: Readonly<Record<CacheName, readonly MetricAttributesLike[]>> = {
  session: FRESHNESS.map((f) => freeze({ cache: "session", freshness: f })),
  dictionary: FRESHNESS.map((f) => freeze({ cache: "dictionary", freshness: f })),
};

const CACHE_ATTRS: Readonly<Record<CacheName, MetricAttributesLike>> = {
  session: freeze({ cache: "session" }),
  dictionary: freeze({ cache: "dictionary" }),
};

const REFRESHED = freeze({ outcome: "refreshed" });
const SKIPPED = freeze({ outcome: "skipped" });
const GRANTED = freeze({ outcome: "granted" });
const SET_ATTRS: readonly MetricAttributesLike[] = PROBE_SET.map((set) => freeze({ set }));

/** What a cache records as it goes: the histograms of one meter. */
export interface Timers {
  /** Records a read of `cache` that took `ms`, at `freshness * 2 + result`. */
  read(cache: CacheName, slot: number, ms: number): void;
  /** Records a fetch of `cache` that took `ms`, kept fresh by `freshness`. */
  fetch(cache: CacheName, freshness: number, ms: number): void;
  /** Counts `tally` in this meter's counters until the function returned is called (when the cache closes). */
  attach(tally: Tally): () => void;
}

/** The instruments of one meter, and the tallies they add up. */
class Instruments implements Timers {
  private readonly readDuration: HistogramLike;
  private readonly fetchDuration: HistogramLike;
  private readonly reads: ObservableLike;
  private readonly headerChecks: ObservableLike;
  private readonly fetches: ObservableLike;
  private readonly fetchSize: ObservableLike;
  private readonly invalidations: ObservableLike;
  private readonly refusals: ObservableLike;
  private readonly losses: ObservableLike;
  private readonly regains: ObservableLike;
  private readonly refreshes: ObservableLike;
  private readonly requests: ObservableLike;
  private readonly agreements: ObservableLike;
  private readonly disagreements: ObservableLike;
  /** The tallies of the open caches on this meter. */
  private readonly open = new Set<Tally>();
  /** The counts of the closed ones, by cache. */
  private readonly closed = { session: new Tally("session"), dictionary: new Tally("dictionary") };
  /** The caches that were ever on this meter (their zero counts are reported too). */
  private readonly seen = new Set<CacheName>();

  constructor(meter: MeterLike) {
    const buckets = { explicitBucketBoundaries: [...DURATION_BUCKETS] };
    const int = 0; // ValueType.INT
    this.readDuration = meter.createHistogram("sessionpack.cache.read.duration", {
      description: "How long a read took, from the call to its answer (a session, null, or an error)",
      unit: "s",
      advice: buckets,
    });
    this.fetchDuration = meter.createHistogram("sessionpack.cache.fetch.duration", {
      description: "How long a fetch took, from sending it to the value opened and validated",
      unit: "s",
      advice: buckets,
    });
    const counter = (name: string, unit: string, description: string): ObservableLike =>
      meter.createObservableCounter(name, { description, unit, valueType: int });
    this.reads = counter("sessionpack.cache.reads", "{read}", "Reads of a session or a dictionary, served from the kept copy (hit) or not (miss)");
    this.headerChecks = counter("sessionpack.cache.header_checks", "{check}", "Header checks sent (GETRANGE of the header)");
    this.fetches = counter("sessionpack.cache.fetches", "{fetch}", "Whole values fetched (a GET that found the key)");
    this.fetchSize = counter("sessionpack.cache.fetch.size", "By", "Bytes of the values fetched");
    this.invalidations = counter("sessionpack.cache.invalidations", "{invalidation}", "Kept entries dropped because the server announced their key changed (tracking)");
    this.refusals = counter("sessionpack.cache.refusals", "{refusal}", "Reads (and dictionary refreshes) that ended in an error: deny");
    this.losses = counter("sessionpack.tracking.losses", "{loss}", "Times client tracking went from live to not live");
    this.regains = counter("sessionpack.tracking.regains", "{regain}", "Times client tracking went live (the first time included)");
    this.refreshes = counter("sessionpack.dictionary.refreshes", "{refresh}", "Dictionary refreshes for a key the copy lacked, done or skipped within the interval");
    this.requests = counter("sessionpack.middleware.requests", "{request}", "Requests the Express or Fastify middleware granted or denied");
    this.agreements = counter("sessionpack.shadow.agreements", "{probe}", "Shadow probes whose decision from the blob equals the decision from the legacy session");
    this.disagreements = counter("sessionpack.shadow.disagreements", "{probe}", "Shadow probes whose decisions from the blob and from the legacy session differ (each also logged)");
    meter.addBatchObservableCallback(
      (result) => this.observe(result),
      [
        this.reads,
        this.headerChecks,
        this.fetches,
        this.fetchSize,
        this.invalidations,
        this.refusals,
        this.losses,
        this.regains,
        this.refreshes,
        this.requests,
        this.agreements,
        this.disagreements,
      ],
    );
  }

  read(cache: CacheName, slot: number, ms: number): void {
    this.readDuration.record(ms / 1000, READ_ATTRS[cache][slot]);
  }

  fetch(cache: CacheName, freshness: number, ms: number): void {
    this.fetchDuration.record(ms / 1000, FETCH_ATTRS[cache][freshness]);
  }

  attach(tally: Tally): () => void {
    this.open.add(tally);
    this.seen.add(tally.cache);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.open.delete(tally);
      this.closed[tally.cache].add(tally);
    };
  }

  private observe(r: BatchObservableResultLike): void {
    for (const cache of CACHES) {
      if (!this.seen.has(cache)) continue;
      const t = new Tally(cache);
      t.add(this.closed[cache]);
      for (const o of this.open) if (o.cache === cache) t.add(o);
      const attrs = CACHE_ATTRS[cache];
      for (let i = 0; i < 4; i++) r.observe(this.reads, t.reads[i]!, READ_ATTRS[cache][i]);
      for (let i = 0; i < 2; i++) r.observe(this.fetches, t.fetches[i]!, FETCH_ATTRS[cache][i]);
      r.observe(this.fetchSize, t.fetchedBytes, attrs);
      r.observe(this.headerChecks, t.headerChecks, attrs);
      r.observe(this.invalidations, t.invalidations, attrs);
      r.observe(this.losses, t.trackingLosses, attrs);
      r.observe(this.regains, t.trackingRegains, attrs);
      for (const [kind, n] of t.refusals) r.observe(this.refusals, n, { cache, kind });
      if (cache === "dictionary") {
        r.observe(this.refreshes, t.refreshes, REFRESHED);
        r.observe(this.refreshes, t.refreshesSkipped, SKIPPED);
      }
      if (t.granted > 0 || t.denied.size > 0) {
        r.observe(this.requests, t.granted, GRANTED);
        for (const [kind, n] of t.denied) r.observe(this.requests, n, { outcome: "denied", kind });
      }
      if (t.shadowed) {
        for (let i = 0; i < 2; i++) {
          r.observe(this.agreements, t.shadowAgreements[i]!, SET_ATTRS[i]);
          r.observe(this.disagreements, t.shadowDisagreements[i]!, SET_ATTRS[i]);
        }
      }
    }
  }
}

const BY_METER = new WeakMap<MeterLike, Instruments>();

/** The instruments on `meter`, made the first time a cache asks. */
export function instrumentsOn(meter: MeterLike): Timers {
  let i = BY_METER.get(meter);
  if (i === undefined) {
    i = new Instruments(meter);
    BY_METER.set(meter, i);
  }
  return i;
}
