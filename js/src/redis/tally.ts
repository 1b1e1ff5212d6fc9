/**
 * {@link Tally}: what one cache counts for the instruments of METRICS.md — plain integers,
 * incremented on the cache's paths whether or not metrics are on (a read costs an increment),
 * and read by the meter's callback only when a collection asks (see `metrics.ts`).
 */

import { ERROR_KINDS } from "../errors.js";

/** Which cache a measurement is of: the `cache` attribute. */
export type CacheName = "session" | "dictionary";

/** The `freshness` attribute's values, by index: 0 `header-check`, 1 `tracking`. */
export const FRESHNESS = ["header-check", "tracking"] as const;

/** The `result` attribute's values, by index: 0 `miss`, 1 `hit`. */
export const RESULT = ["miss", "hit"] as const;

/** The `set` attribute's values, by index: 0 `facility`, 1 `group` (shadow probes). */
export const PROBE_SET = ["facility", "group"] as const;

/**
 * The values the `kind` attribute takes: every error kind of the library and of the store,
 * `no_session` (the middleware), and `other` for anything else thrown (a bug) — a fixed set,
 * never a message.
 */
export const KINDS: ReadonlySet<string> = new Set<string>([...ERROR_KINDS, "timeout", "unavailable", "server", "contended", "no_session", "other"]);

/** The `kind` attribute of what was thrown: its `kind` when it is one of {@link KINDS}, `other` otherwise. */
export function kindOf(e: unknown): string {
  const k = typeof e === "object" && e !== null ? (e as { kind?: unknown }).kind : undefined;
  return typeof k === "string" && KINDS.has(k) ? k : "other";
}

function bump(map: Map<string, number>, kind: string, n = 1): void {
  map.set(kind, (map.get(kind) ?? 0) + n);
}

/** The counts of one cache (or the sum of several: {@link add}). */
export class Tally {
  /** Reads, at `freshness * 2 + result` (see {@link FRESHNESS}, {@link RESULT}). */
  readonly reads = [0, 0, 0, 0];
  /** Values fetched, by freshness. */
  readonly fetches = [0, 0];
  /** Bytes of the values fetched. */
  fetchedBytes = 0;
  /** Header checks sent. */
  headerChecks = 0;
  /** Kept entries dropped because the server announced their key (tracking). */
  invalidations = 0;
  /** Times tracking went from live to not live. */
  trackingLosses = 0;
  /** Times tracking went live (the first time included). */
  trackingRegains = 0;
  /** Reads (and dictionary refreshes) that ended in an error, by kind. */
  readonly refusals = new Map<string, number>();
  /** Dictionary refreshes done. */
  refreshes = 0;
  /** Dictionary refreshes not done: within the refresh interval. */
  refreshesSkipped = 0;
  /** Middleware requests granted (a session cache's tally: the middleware over it). */
  granted = 0;
  /** Middleware requests denied, by kind. */
  readonly denied = new Map<string, number>();
  /** Shadow probes whose two decisions agreed, by set (see {@link PROBE_SET}): a rollout reader's. */
  readonly shadowAgreements = [0, 0];
  /** Shadow probes whose two decisions differed, by set. */
  readonly shadowDisagreements = [0, 0];
  /** Whether a rollout reader counts here (its counters are reported from then on, zeros included). */
  shadowed = false;

  constructor(readonly cache: CacheName) {}

  /** A fetched value of `bytes` bytes, kept fresh by `freshness` (an index of {@link FRESHNESS}). */
  fetched(freshness: number, bytes: number): void {
    this.fetches[freshness]!++;
    this.fetchedBytes += bytes;
  }

  /** A read or refresh ended in `e`. */
  refuse(e: unknown): void {
    bump(this.refusals, kindOf(e));
  }

  /** A middleware request denied for `e`. */
  deny(e: unknown): void {
    bump(this.denied, kindOf(e));
  }

  /** Adds `t`'s counts to this one's. */
  add(t: Tally): void {
    for (let i = 0; i < 4; i++) this.reads[i]! += t.reads[i]!;
    for (let i = 0; i < 2; i++) this.fetches[i]! += t.fetches[i]!;
    this.fetchedBytes += t.fetchedBytes;
    this.headerChecks += t.headerChecks;
    this.invalidations += t.invalidations;
    this.trackingLosses += t.trackingLosses;
    this.trackingRegains += t.trackingRegains;
    for (const [k, n] of t.refusals) bump(this.refusals, k, n);
    this.refreshes += t.refreshes;
    this.refreshesSkipped += t.refreshesSkipped;
    this.granted += t.granted;
    for (const [k, n] of t.denied) bump(this.denied, k, n);
    for (let i = 0; i < 2; i++) {
      this.shadowAgreements[i]! += t.shadowAgreements[i]!;
      this.shadowDisagreements[i]! += t.shadowDisagreements[i]!;
    }
    this.shadowed ||= t.shadowed;
  }
}
