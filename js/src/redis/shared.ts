/**
 * What a {@link SessionCache} keeps: the bounded map of validated sessions, the rules applied
 * again at every use, the counters, and whether tracking is live. The tracker and the cache's
 * calls share it (one event loop: no locks).
 */

import { Decoder } from "../decoder.js";
import { SessionpackError } from "../errors.js";
import { Header } from "../header.js";
import type { Limits } from "../limits.js";
import type { MacKey } from "../mac.js";
import type { SessionView } from "../view.js";
import type { TimeoutOptions } from "./link.js";
import type { MetricsOption } from "./otel.js";
import type { Tally } from "./tally.js";

/**
 * How a cache learns that a kept session changed:
 * - `"header-check"`: `GETRANGE key 0 39` before each use; the blob is fetched again only when
 *   the digest changed. A rewrite is seen on the next read.
 * - `"tracking"`: RESP3 `CLIENT TRACKING … BCAST` on a connection of the cache's own per server
 *   (per master of a cluster); the server's invalidation pushes evict entries, so an unchanged
 *   session costs no round trip. Header checks take over whenever tracking is not known to be
 *   live (see {@link TrackingOptions} for the staleness bound).
 */
export type Freshness = "header-check" | "tracking";

/** How the tracker of a `"tracking"` cache watches the servers. */
export interface TrackingOptions {
  /**
   * Track only keys starting with these prefixes (`CLIENT TRACKING … BCAST PREFIX p`). Keys
   * outside every prefix must not be read through the cache: their rewrites would not be
   * announced. Without any, every key is tracked, and every write to the server sends the
   * tracker an invalidation.
   */
  prefixes?: readonly string[];
  /** How often the tracker pings each server, ms (default 100). */
  heartbeatMs?: number;
  /** How long a ping may take before tracking is declared lost, ms (default 200). */
  heartbeatTimeoutMs?: number;
  /** How long the tracker waits between attempts to re-establish tracking, ms (default 250). */
  retryMs?: number;
  /**
   * On a standalone server (not a cluster), whether the tracker keeps a marker key of its own in
   * the database the cache reads (default true): `sessionpack:tracker:<32 random hex digits>`,
   * a random value, `PX` one hour renewed every ten minutes, deleted when the cache is closed,
   * read every heartbeat. Redis announces no invalidation for `SWAPDB`; a marker that is
   * missing or changed tells the tracker the database was replaced under it (swapped, flushed,
   * reloaded): the cache empties itself and tracking is re-established. It needs `SET`, `GET`,
   * `PEXPIRE`, `DEL` on that key (ACLs: `~sessionpack:tracker:*`); when they are refused,
   * tracking never goes live (header checks). Turn it off for a user that may not write or a
   * read-only replica: then a `SWAPDB`, or data replaced under a connection that survived, is
   * invisible to tracking, and what was kept is served until rewritten, deleted or expired. An
   * evicted marker (`allkeys-*` eviction) only empties the cache once.
   */
  marker?: boolean;
}

/** {@link TrackingOptions} with every default filled in. */
export interface ResolvedTracking {
  readonly prefixes: readonly string[];
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly retryMs: number;
  readonly marker: boolean;
}

/**
 * How a cache is bounded, how it stays fresh, the decoder rules it applies at every use, and
 * (for the application's own client) how long its calls may take.
 */
export interface CacheOptions extends TimeoutOptions {
  freshness: Freshness;
  /** At most this many sessions kept, least recently used evicted first (default 10,000). */
  maxEntries?: number;
  /** At most this many bytes kept: each entry's blob (or inflated archive), key and 256 bytes (default 64 MiB). */
  maxBytes?: number;
  /** MAC keys. **Keys imply a MAC**: unsigned blobs are then refused, at fetch and at every use. */
  keys?: Iterable<MacKey>;
  /** Accept unsigned blobs even with keys: a migration's weakening, as `Decoder`'s `allowUnsigned`. */
  allowUnsigned?: boolean;
  /** The decoder's limits (default SPEC.md §8's). */
  limits?: Partial<Limits>;
  /** How tracking is watched (for `"tracking"`). */
  tracking?: TrackingOptions;
  /**
   * Where the cache's metrics go (METRICS.md at the repository's root): an OpenTelemetry
   * `MeterProvider` or `Meter`, or `false` for none. Left out: the global `MeterProvider` of
   * `@opentelemetry/api` when that optional peer is installed (register the SDK before
   * connecting), none otherwise. A `DictionaryCache` made by `dictionaries()` and the middleware
   * over a `SessionAccess` of this cache report on the same meter.
   */
  metrics?: MetricsOption;
}

/** What a cache did since it was made. */
export interface CacheStats {
  /** Uses served from a kept entry (after a header check, or with none while tracking is live). */
  readonly hits: number;
  /** `GETRANGE key 0 39` sent. */
  readonly headerChecks: number;
  /** Whole blobs fetched (`GET`). */
  readonly fetches: number;
  /** Bytes of the blobs fetched. */
  readonly fetchedBytes: number;
  /** Invalidations pushed by the server (keys, each). */
  readonly invalidations: number;
  /** Entries evicted to stay within `maxEntries` and `maxBytes`. */
  readonly evictions: number;
  /** Times the cache emptied itself (tracking lost or re-established, key ring replaced, `clear`). */
  readonly flushes: number;
  /** Kept entries dropped at use because their key's TTL (its `PTTL` when fetched) had run out. */
  readonly ttlExpiries: number;
  /** Fetches answered by a cluster node the tracker did not track (served, not kept; tracking re-established). */
  readonly untrackedFetches: number;
  /** Sessions kept now. */
  readonly entries: number;
  /** Bytes kept now. */
  readonly bytes: number;
  /** Whether tracking is live now (entries served without a round trip). */
  readonly trackingLive: boolean;
}

/** What an entry counts beyond its bytes and its key. */
export const ENTRY_OVERHEAD = 256;

export function resolveTracking(t: TrackingOptions | undefined): ResolvedTracking {
  const ms = (v: number | undefined, dflt: number, what: string): number => {
    const x = v ?? dflt;
    if (!Number.isFinite(x) || x <= 0) throw new TypeError(`tracking.${what} must be a positive number of milliseconds`);
    return x;
  };
  const prefixes = [...(t?.prefixes ?? [])];
  for (const p of prefixes) if (typeof p !== "string" || p.length === 0) throw new TypeError("tracking.prefixes are non-empty strings");
  return {
    prefixes,
    heartbeatMs: ms(t?.heartbeatMs, 100, "heartbeatMs"),
    heartbeatTimeoutMs: ms(t?.heartbeatTimeoutMs, 200, "heartbeatTimeoutMs"),
    retryMs: ms(t?.retryMs, 250, "retryMs"),
    marker: t?.marker ?? true,
  };
}

/** A validated session as the cache keeps it. */
export class Entry {
  constructor(
    readonly view: SessionView,
    /** The header's MAC key id; 0 when unsigned. */
    readonly keyId: number,
    readonly digestLo: number,
    readonly digestHi: number,
    /** What the entry counts against the byte bound. */
    readonly bytes: number,
    /**
     * When the key's TTL runs out (`performance.now()` ms; `Infinity` without a TTL), dated from
     * when the fetch was sent, so it errs early. Served on tracking alone only before it.
     */
    public deadline = Infinity,
  ) {}

  sameDigest(h: Header): boolean {
    return h.digestLo === this.digestLo && h.digestHi === this.digestHi;
  }
}

/**
 * Another cache told of the tracker's events (a `DictionaryCache` that shares a session cache's
 * tracker): each key the servers announce, and each flush.
 */
export interface TrackingWatcher {
  onKey(key: string): void;
  onFlush(): void;
}

/** A fetch under way: only the fetch holding `ticket` may fill the slot, and only if nothing removed it meanwhile. */
class Pending {
  constructor(
    readonly ticket: number,
    readonly since: number,
  ) {}
}

type Slot = Entry | Pending;

export class Shared {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;
  private entries = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private tickets = 1;

  private macKeys: MacKey[];
  private keyIds: Set<number>;
  private readonly allowUnsigned: boolean;
  private readonly limits: Partial<Limits> | undefined;
  /** Opens blobs with the cache's rules, leaving expiry to each use. */
  decoder: Decoder;

  private readonly tracking: boolean;
  private live = false;
  private generation = 0;
  private lastHeard = 0;
  /** The cluster nodes (ids) tracked by the live generation; empty for one server. */
  private trackedNodes: ReadonlySet<string> = new Set();
  /** Called when a fetch was answered by a node the tracker does not track. */
  onUntrackedNode: (() => void) | undefined;
  readonly boundMs: number;
  /** The tracked prefixes (none: every key). */
  readonly prefixes: readonly string[];
  private readonly watchers = new Set<TrackingWatcher>();

  private readonly counts = {
    hits: 0,
    headerChecks: 0,
    fetches: 0,
    fetchedBytes: 0,
    invalidations: 0,
    evictions: 0,
    flushes: 0,
    ttlExpiries: 0,
    untrackedFetches: 0,
  };

  constructor(
    o: CacheOptions,
    tracking: ResolvedTracking,
    /** What the cache counts for its metrics (the tracking events of this state's tracker too). */
    readonly tally: Tally,
  ) {
    const count = (v: number | undefined, dflt: number, what: string): number => {
      const x = v ?? dflt;
      if (!Number.isSafeInteger(x) || x < 0) throw new TypeError(`${what} must be a non-negative integer`);
      return x;
    };
    this.maxEntries = count(o.maxEntries, 10_000, "maxEntries");
    this.maxBytes = count(o.maxBytes, 64 << 20, "maxBytes");
    this.macKeys = [...(o.keys ?? [])];
    this.allowUnsigned = o.allowUnsigned === true;
    this.limits = o.limits;
    this.decoder = this.makeDecoder();
    this.keyIds = new Set(this.decoder.keys.ids());
    this.tracking = o.freshness === "tracking";
    this.boundMs = tracking.heartbeatMs + tracking.heartbeatTimeoutMs;
    this.prefixes = tracking.prefixes;
  }

  /** Whether the tracker's prefixes cover `key` (its writes are announced). */
  covers(key: string): boolean {
    return this.prefixes.length === 0 || this.prefixes.some((p) => key.startsWith(p));
  }

  /** Tells `w` of every announced key and every flush from now on; the function that stops it. */
  watch(w: TrackingWatcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private makeDecoder(): Decoder {
    return new Decoder({
      keys: this.macKeys,
      allowUnsigned: this.allowUnsigned,
      expiry: "ignore",
      ...(this.limits === undefined ? {} : { limits: this.limits }),
    });
  }

  // ----- tracking state -----

  /** Whether an entry may be served without asking: tracking is on, live, and heard from within the staleness bound. */
  trackingLive(): boolean {
    return this.tracking && this.live && performance.now() - this.lastHeard <= this.boundMs;
  }

  /**
   * The tracker heard from every server in answer to a heartbeat sent at `at`
   * (`performance.now()`): liveness is dated from the sending, so the bound holds for each server.
   */
  heardAt(at: number): void {
    if (at > this.lastHeard) this.lastHeard = at;
  }

  sinceHeardMs(): number {
    return performance.now() - this.lastHeard;
  }

  /** A new tracker connection generation begins; its number. */
  nextGeneration(): number {
    return ++this.generation;
  }

  isCurrent(generation: number): boolean {
    return this.generation === generation;
  }

  /**
   * Tracking of `generation` is on at every server (cluster nodes `nodes`; `since`: when the last
   * of them was heard from): empty the cache (its entries were not tracked), then serve without
   * round trips.
   */
  wentLive(generation: number, nodes: ReadonlySet<string>, since: number): void {
    if (this.generation !== generation) return;
    this.flush();
    this.trackedNodes = nodes;
    this.lastHeard = since;
    this.live = true;
    this.tally.trackingRegains++;
  }

  /**
   * Cluster node `id` answered a fetch made while tracking was live: whether the result may be
   * kept. Not when tracking went down meanwhile; and a node the live generation does not track
   * (a master that joined, a redirect's target) would not announce its writes: back to header
   * checks, emptied, until the tracker tracks it.
   */
  nodeAnswered(id: string): boolean {
    if (!this.live) return false;
    if (this.trackedNodes.has(id)) return true;
    this.counts.untrackedFetches++;
    this.live = false;
    this.tally.trackingLosses++;
    this.flush();
    this.onUntrackedNode?.();
    return false;
  }

  /**
   * Tracking of `generation` is lost: back to header checks, and empty the cache (invalidations
   * may have been missed). `stopping`: the tracker is being closed (not counted as a loss).
   */
  wentDead(generation: number, stopping = false): void {
    if (this.generation !== generation) return;
    const was = this.live;
    this.live = false;
    if (was) {
      if (!stopping) this.tally.trackingLosses++;
      this.flush();
    }
  }

  // ----- the map -----

  lookup(key: string): Entry | undefined {
    const s = this.slots.get(key);
    if (!(s instanceof Entry)) return undefined;
    if (performance.now() >= s.deadline) {
      // Redis stops returning the key at its deadline, whether or not it has deleted it (and
      // announced it) yet.
      this.take(key);
      this.counts.ttlExpiries++;
      return undefined;
    }
    // Most recently used last (a Map iterates in insertion order).
    this.slots.delete(key);
    this.slots.set(key, s);
    return s;
  }

  /**
   * Marks a fetch of `key` as under way; its ticket lets {@link finish} fill the slot only if
   * nothing invalidated the key meanwhile. While another fetch of the key is under way (for less
   * than a second), this one is not kept (ticket 0): the first fills the slot.
   */
  begin(key: string): number {
    const now = performance.now();
    const s = this.slots.get(key);
    if (s instanceof Pending && now - s.since < 1_000) return 0;
    const ticket = this.tickets++;
    this.take(key);
    this.slots.set(key, new Pending(ticket, now));
    return ticket;
  }

  /** Keeps `entry` if the slot of `key` still holds `ticket`, then evicts the least recently used above the bounds. */
  finish(key: string, ticket: number, entry: Entry): void {
    const s = this.slots.get(key);
    if (!(s instanceof Pending) || s.ticket !== ticket) return;
    this.slots.delete(key);
    if (entry.bytes > this.maxBytes || this.maxEntries === 0) return;
    this.slots.set(key, entry);
    this.bytes += entry.bytes;
    this.entries++;
    for (const [k, v] of this.slots) {
      if (this.entries <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (k === key || !(v instanceof Entry)) continue;
      this.take(k);
      this.counts.evictions++;
    }
  }

  /** Drops the pending slot of `key` if it still holds `ticket`. */
  abandon(key: string, ticket: number): void {
    const s = this.slots.get(key);
    if (s instanceof Pending && s.ticket === ticket) this.slots.delete(key);
  }

  /** Removes whatever `key` holds; whether it held a kept entry. */
  take(key: string): boolean {
    const s = this.slots.get(key);
    if (s === undefined) return false;
    this.slots.delete(key);
    if (!(s instanceof Entry)) return false;
    this.bytes -= s.bytes;
    this.entries--;
    return true;
  }

  /** The server announced that `key` changed, expired or was evicted. */
  invalidate(key: Buffer): void {
    this.counts.invalidations++;
    const k = key.toString("utf8");
    if (this.take(k)) this.tally.invalidations++;
    for (const w of this.watchers) w.onKey(k);
  }

  /**
   * Empties the cache, pending fetches included (they will not be kept), for an event of
   * tracking (a flush announced, tracking lost or re-established): the watchers empty themselves too.
   */
  flush(): void {
    this.flushOwn();
    for (const w of this.watchers) w.onFlush();
  }

  /** Empties this cache only (its own `clear`, a rotation of its keys). */
  flushOwn(): void {
    this.slots.clear();
    this.bytes = 0;
    this.entries = 0;
    this.counts.flushes++;
  }

  // ----- the rules at use -----

  /** Opens `blob` (stored under `key`) as an entry; expiry is left to each use. */
  open(key: string, blob: Buffer): Entry {
    // Our own copy: a reply may be a slice of a larger socket chunk, which the view would keep alive.
    const bytes = new Uint8Array(blob);
    const h = Header.read(bytes);
    const view = this.decoder.open(bytes);
    const held = (h.compressed ? h.decodedLen : bytes.length) + 2 * key.length + ENTRY_OVERHEAD;
    return new Entry(view, h.keyId, h.digestLo, h.digestHi, held);
  }

  /** Checks `entry` at `nowMs` against the key rules and expiry; drops it from the cache when it fails. */
  admit(key: string, entry: Entry, nowMs: number | bigint): SessionView {
    const refusal = this.refusal(entry, nowMs);
    if (refusal === undefined) return entry.view;
    if (this.slots.get(key) === entry) this.take(key);
    throw refusal;
  }

  private refusal(entry: Entry, nowMs: number | bigint): SessionpackError | undefined {
    if (entry.keyId === 0) {
      if (this.keyIds.size > 0 && !this.allowUnsigned) {
        return new SessionpackError(
          "unauthenticated",
          "the cached session is unsigned and the cache holds keys, so it requires a MAC (R-MAC-REQUIRED): deny access",
          "R-MAC-REQUIRED",
        );
      }
    } else if (!this.keyIds.has(entry.keyId)) {
      return new SessionpackError(
        "unauthenticated",
        `the cached session is signed with key id ${entry.keyId}, which the cache no longer holds (R-MAC-KEY): deny access`,
        "R-MAC-KEY",
      );
    }
    if (entry.view.isExpiredAt(nowMs)) {
      return new SessionpackError(
        "expired",
        `the session expired at ${entry.view.expiresAt} (Unix ms), at or before ${nowMs} (R-EXPIRED): deny access and ask the user to sign in again`,
        "R-EXPIRED",
      );
    }
    return undefined;
  }

  /** Replaces the key ring, and empties the cache: entries validated under the old ring are not kept. */
  setKeys(keys: Iterable<MacKey>): void {
    this.macKeys = [...keys];
    this.decoder = this.makeDecoder();
    this.keyIds = new Set(this.decoder.keys.ids());
    this.flushOwn();
  }

  // ----- counters -----

  countHit(): void {
    this.counts.hits++;
  }

  countHeaderCheck(): void {
    this.counts.headerChecks++;
    this.tally.headerChecks++;
  }

  /** A value of `bytes` bytes fetched, kept fresh by `freshness` (0 header checks, 1 tracking). */
  countFetch(bytes: number, freshness: number): void {
    this.counts.fetches++;
    this.counts.fetchedBytes += bytes;
    this.tally.fetched(freshness, bytes);
  }

  stats(): CacheStats {
    return { ...this.counts, entries: this.entries, bytes: this.bytes, trackingLive: this.trackingLive() };
  }
}
