/**
 * {@link DictionaryCache}: opened id dictionaries kept in process, bounded by bytes, fresh by
 * header checks or by RESP3 client tracking like sessions, one fetch per dictionary under
 * concurrent misses, and "refresh once, then deny" for a key the copy lacks, at most one
 * refresh per dictionary per interval.
 */

import { DictionaryDecoder, type DictKind, type IdDictionaryView } from "../dict.js";
import { DictHeader } from "../dict-header.js";
import { SessionpackError } from "../errors.js";
import type { MacKey } from "../mac.js";
import { internalsOf } from "./lent.js";
import { bulk, Link, type Connectable, type TimeoutOptions } from "./link.js";
import { instrumentsOn, type Timers } from "./metrics.js";
import { checkMetricsOption, resolveMeter, type MetricsOption } from "./otel.js";
import { resolveTracking, Shared, type TrackingOptions } from "./shared.js";
import { Tally } from "./tally.js";
import type { Target } from "./target.js";
import { Tracker } from "./tracking.js";

/**
 * A key as the core's dictionary lookups take it (`IdDictionaryView.idOf`): the key's text, or
 * its stored bytes — and whatever other forms the core accepts. Keys are passed through to the
 * core untouched; this module never parses them.
 */
export type DictKey = Parameters<IdDictionaryView["idOf"]>[0];

/** How a {@link DictionaryCache} learns that a kept dictionary changed (as for sessions). */
export type DictionaryFreshness = "header-check" | "tracking";

/** Options of {@link DictionaryCache.connect}. */
export interface DictionaryCacheOptions extends TimeoutOptions {
  /**
   * `"header-check"` (default): `GETRANGE key 0 39` before a use (see `checkIntervalMs`), the
   * dictionary fetched again only when its digest changed. `"tracking"`: RESP3 `CLIENT TRACKING
   * … BCAST` on a connection of the cache's own per server, an unchanged dictionary served with
   * no round trip while tracking is live; header checks whenever it is not.
   */
  freshness?: DictionaryFreshness;
  /**
   * MAC keys (dictionaries are signed like sessions: SPEC.md §16.3). **Keys imply a MAC**:
   * unsigned dictionaries are refused (`unauthenticated`, R-DICT-MAC-REQUIRED), forged ones too
   * (R-DICT-MAC-TAG, R-DICT-MAC-KEY). A signed session is checked by key only through a signed
   * dictionary (C-KEY-MAC), so a service that reads signed sessions gives the same keys here.
   */
  keys?: Iterable<MacKey>;
  /** Open unsigned dictionaries even with keys: a migration's weakening, as `DictionaryDecoder`'s. */
  allowUnsigned?: boolean;
  /** The most keys a dictionary may have (default 1,000,000), checked from its header. */
  maxKeys?: number;
  /**
   * At most this many bytes kept (default 64 MiB): each dictionary's bytes, its Redis key and
   * 256 bytes; least recently used evicted first. A dictionary larger than the bound is served,
   * never kept.
   */
  maxBytes?: number;
  /** At most this many dictionaries kept (default 10,000). */
  maxEntries?: number;
  /**
   * The least time between two refreshes of one dictionary for keys its copy lacks, ms
   * (default 1,000). Within the interval an unknown key is denied without asking the server, so
   * a flood of unknown keys costs at most one refresh per dictionary per interval; the price is
   * that a key appended within the interval after a refresh may be denied for up to this long.
   */
  refreshIntervalMs?: number;
  /**
   * `"header-check"` only: a copy checked less than this long ago is used without asking again,
   * ms (default 0: every use checks). Dictionaries are append-only, so a stale copy is never
   * wrong, only incomplete: a key it lacks is refreshed once, then denied. What a positive
   * interval delays is a dictionary's deletion, a key-ring change on the server side, or a
   * dictionary replaced by another lineage (refused by the session's lineage check anyway) —
   * each seen at most this long late.
   */
  checkIntervalMs?: number;
  /**
   * The Redis key of a tenant's dictionary of a kind; default `dict:<tenant>:<kind>`
   * (`dict:acme:facility`, the naming of the Rust crate's examples and of `SessionStore`'s docs).
   */
  keyOf?: (tenant: string, kind: DictKind) => string;
  /** How tracking is watched (for `"tracking"`): prefixes, heartbeat, staleness bound. */
  tracking?: TrackingOptions;
  /**
   * A `SessionCache` in `"tracking"` mode whose tracker this cache uses instead of starting one
   * of its own, so that a service holds one set of tracking connections per server, not two
   * (`freshness` is then `"tracking"`, and `tracking` is the session cache's). Its prefixes must
   * cover the dictionaries' keys for them to be served without a round trip (keys they do not
   * cover are header-checked). `sessions.dictionaries(options)` does the same over the session
   * cache's connection too.
   */
  tracker?: SessionCacheLike;
  /**
   * Where the cache's metrics go (METRICS.md, `cache="dictionary"`): an OpenTelemetry
   * `MeterProvider` or `Meter`, or `false` for none; left out, the global `MeterProvider` of
   * `@opentelemetry/api` when that optional peer is installed, none otherwise.
   * (`sessions.dictionaries()` reports on the session cache's meter.)
   */
  metrics?: MetricsOption;
}

/** A `SessionCache` (typed loosely here: the two modules import each other). */
export interface SessionCacheLike {
  readonly trackingLive: boolean;
}

/** What a {@link DictionaryCache} did since it was made. */
export interface DictionaryCacheStats {
  /** Uses served from a kept copy (after a header check, within `checkIntervalMs`, or with none while tracking is live). */
  readonly hits: number;
  /** `GETRANGE key 0 39` sent (for freshness and for refreshes). */
  readonly headerChecks: number;
  /** Whole dictionaries fetched (`GET`). */
  readonly fetches: number;
  /** Bytes of the dictionaries fetched. */
  readonly fetchedBytes: number;
  /** Refreshes done for keys a copy lacked (each: a header check, and a fetch when the dictionary changed). */
  readonly refreshes: number;
  /** Refreshes not done because the dictionary was refreshed less than `refreshIntervalMs` ago (the key was denied). */
  readonly refreshesSkipped: number;
  /** Invalidations pushed by the server (keys, each; tracking). */
  readonly invalidations: number;
  /** Copies evicted to stay within `maxBytes` and `maxEntries`. */
  readonly evictions: number;
  /** Times the cache emptied itself (tracking lost or re-established, key ring replaced, `clear`). */
  readonly flushes: number;
  /** Dictionaries kept now. */
  readonly entries: number;
  /** Bytes kept now. */
  readonly bytes: number;
  /** Whether tracking is live now (copies served without a round trip). */
  readonly trackingLive: boolean;
}

/** What an entry counts beyond its bytes and its key (as for sessions). */
const ENTRY_OVERHEAD = 256;

/** The default Redis key of a tenant's dictionary of a kind: `dict:<tenant>:<kind>`. */
export function defaultDictionaryKey(tenant: string, kind: DictKind): string {
  return `dict:${tenant}:${kind}`;
}

/** A kept dictionary. */
class Copy {
  constructor(
    readonly view: IdDictionaryView,
    readonly digest: bigint,
    readonly bytes: number,
    /** `performance.now()` of the last time the server said this copy is current. */
    public checkedAt: number,
  ) {}
}

/** A fetch under way: it fills the slot only if nothing invalidated the key meanwhile. */
class Pending {
  constructor(readonly ticket: number) {}
}

function notADictionary(key: string): SessionpackError {
  return new SessionpackError("not_a_blob", `key ${JSON.stringify(key)} does not hold a sessionpack id dictionary`, "R-DICT-MAGIC");
}

/** The tracking state of the session cache `sessions`, for a dictionary cache that shares its tracker. */
function sharedTracking(sessions: SessionCacheLike, options: DictionaryCacheOptions): Shared {
  const internals = internalsOf(sessions);
  if (internals === undefined) throw new TypeError("tracker must be a SessionCache (in tracking mode)");
  if (internals.tracker === undefined) throw new TypeError('tracker must be a SessionCache in "tracking" mode: this one checks headers');
  if (options.freshness !== undefined && options.freshness !== "tracking") throw new TypeError('a dictionary cache that shares a tracker has freshness "tracking"');
  if (options.tracking !== undefined) throw new TypeError("a dictionary cache that shares a tracker has the session cache's tracking options: give no tracking options");
  return internals.shared;
}

/** Checks the options (the keys too, by making a decoder) before anything is connected. */
function checkOptions(options: DictionaryCacheOptions, freshness: string): void {
  if (freshness !== "header-check" && freshness !== "tracking") throw new TypeError('freshness must be "header-check" or "tracking"');
  checkMetricsOption(options.metrics);
  if (options.keyOf !== undefined && typeof options.keyOf !== "function") throw new TypeError("keyOf must be a function (tenant, kind) => string");
  new DictionaryDecoder({ keys: options.keys ?? [], ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }) });
}

function positive(v: number | undefined, dflt: number, what: string, zero = false): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < 0 || (!zero && x === 0)) throw new TypeError(`${what} must be a ${zero ? "non-negative" : "positive"} number`);
  return x;
}

/**
 * A bounded in-process cache of validated id dictionaries (`IdDictionaryView`s) by tenant and
 * kind, over a Redis server or cluster, with **refresh once, then deny** built in.
 *
 * Dictionaries are append-only (an id keeps its key forever), so an older copy is never wrong,
 * only incomplete: a key the copy lacks may have been appended since. {@link idOf} then
 * refreshes the dictionary once — a header check, and a fetch only when it changed — and answers
 * `undefined` (deny) if the key is still unknown. At most one refresh per dictionary per
 * `refreshIntervalMs` (default 1 s): a flood of unknown keys costs one header check per second
 * per dictionary, not a fetch storm. Concurrent misses of one dictionary share one fetch,
 * concurrent header checks one check, and concurrent refreshes one refresh (a refresh never joins
 * a check that started before it was asked for).
 *
 * Freshness is that of the session cache: `"header-check"` (`GETRANGE key 0 39`, the digest
 * compared, at every use or at most once per `checkIntervalMs`) or `"tracking"` (invalidation
 * pushes; no round trip while tracking is live). **Deny on any error.**
 *
 * ```ts
 * const dictionaries = await DictionaryCache.connect(process.env.REDIS_URL!, { keys: [{ id: 7, key }] });
 * const id = await dictionaries.idOf("acme", "facility", "6926c19047abb94d0ee3aad9"); // number | undefined: deny
 * const copy = await dictionaries.get("acme", "facility");  // IdDictionaryView | null
 * ```
 */
export class DictionaryCache {
  private decoder: DictionaryDecoder;
  private macKeys: MacKey[];
  private readonly allowUnsigned: boolean;
  private readonly maxKeys: number | undefined;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly refreshIntervalMs: number;
  private readonly checkIntervalMs: number;
  private readonly keyFor: (tenant: string, kind: DictKind) => string;

  private readonly slots = new Map<string, Copy | Pending>();
  private bytes = 0;
  private entries = 0;
  private tickets = 1;
  private readonly checking = new Map<string, Promise<IdDictionaryView | null>>();
  private readonly fetching = new Map<string, Promise<IdDictionaryView | null>>();
  private readonly refreshing = new Map<string, Promise<IdDictionaryView | null>>();
  private readonly lastRefresh = new Map<string, number>();
  private readonly counts = {
    hits: 0,
    headerChecks: 0,
    fetches: 0,
    fetchedBytes: 0,
    refreshes: 0,
    refreshesSkipped: 0,
    invalidations: 0,
    evictions: 0,
    flushes: 0,
  };
  private readonly unwatch: (() => void) | undefined;
  /** Stops counting this cache on the meter (at close). */
  private readonly detach: (() => void) | undefined;

  private constructor(
    private readonly link: Link,
    options: DictionaryCacheOptions,
    /** The tracking state served from: this cache's own tracker's, or a session cache's. */
    private readonly state: Shared | undefined,
    /** This cache's own tracker (none when it shares a session cache's). */
    private readonly tracker: Tracker | undefined,
    /** Whether the link is this cache's to close. */
    private readonly ownsLink: boolean,
    /** What this cache counts for its metrics. */
    private readonly tally: Tally,
    /** The meter's instruments; undefined when metrics are off. */
    private readonly timers: Timers | undefined,
  ) {
    this.macKeys = [...(options.keys ?? [])];
    this.allowUnsigned = options.allowUnsigned === true;
    this.maxKeys = options.maxKeys;
    this.decoder = this.makeDecoder();
    this.maxBytes = positive(options.maxBytes, 64 << 20, "maxBytes", true);
    this.maxEntries = positive(options.maxEntries, 10_000, "maxEntries", true);
    this.refreshIntervalMs = positive(options.refreshIntervalMs, 1_000, "refreshIntervalMs", true);
    this.checkIntervalMs = positive(options.checkIntervalMs, 0, "checkIntervalMs", true);
    this.keyFor = options.keyOf ?? defaultDictionaryKey;
    this.unwatch = state?.watch({
      onKey: (key) => {
        this.counts.invalidations++;
        if (this.take(key)) this.tally.invalidations++;
      },
      onFlush: () => this.flush(),
    });
    this.detach = timers?.attach(tally);
  }

  /**
   * Connects to `x`: the service's own Redis client (a node-redis client or cluster, an ioredis
   * `Redis` or `Cluster`: used as it is, never closed by the cache, each call held to
   * `options.timeoutMs`), or a `Target`, or a spec for `Target.parse` (a connection of the
   * cache's own, node-redis) — as `SessionStore` and `SessionCache` take them. In `"tracking"`
   * mode this starts a tracker of the cache's own (tracking connections per server, as the
   * session cache's) unless `options.tracker` names a session cache whose tracker it shares,
   * and waits up to the connection timeout for tracking to be live. Throws a `StoreError` when
   * the server cannot be reached, `invalid_input` for anything else given as `x`, a bad URL or
   * key, `TypeError` for bad options.
   *
   * ```ts
   * const sessions = await SessionCache.connect(redis, { freshness: "tracking", keys });
   * const dictionaries = await DictionaryCache.connect(redis, { keys, tracker: sessions }); // no second tracker
   * ```
   */
  static async connect(x: Connectable, options: DictionaryCacheOptions = {}): Promise<DictionaryCache> {
    const shared = options.tracker === undefined ? undefined : sharedTracking(options.tracker, options);
    const freshness = options.freshness ?? (shared === undefined ? "header-check" : "tracking");
    checkOptions(options, freshness);
    const tally = new Tally("dictionary");
    const meter = await resolveMeter(options.metrics);
    const link = await Link.connect(x, options);
    let state: Shared | undefined = shared;
    let tracker: Tracker | undefined;
    if (freshness === "tracking" && state === undefined) {
      const tracking = resolveTracking(options.tracking);
      state = new Shared({ freshness: "tracking", maxEntries: 0 }, tracking, tally);
      tracker = new Tracker(link, tracking, state);
    }
    let cache: DictionaryCache;
    try {
      cache = new DictionaryCache(link, options, state, tracker, true, tally, meter === undefined ? undefined : instrumentsOn(meter));
    } catch (e) {
      await link.close();
      throw e;
    }
    if (tracker !== undefined) tracker.start();
    if (state !== undefined) await cache.waitForTracking(link.connectTimeoutMs);
    return cache;
  }

  /**
   * A cache over `sessions`' connection and tracker (see `SessionCache.dictionaries`): it opens
   * nothing, and closing it closes nothing of the session cache's.
   */
  static over(sessions: SessionCacheLike, options: DictionaryCacheOptions = {}): DictionaryCache {
    const internals = internalsOf(sessions);
    if (internals === undefined) throw new TypeError("sessions must be a SessionCache");
    const state = internals.tracker === undefined ? undefined : internals.shared;
    checkOptions(options, state === undefined ? "header-check" : "tracking");
    if ((options as { metrics?: unknown }).metrics !== undefined) throw new TypeError("a dictionary cache over a session cache reports on the session cache's meter: give no metrics option");
    return new DictionaryCache(internals.link, options, state, undefined, false, new Tally("dictionary"), internals.timers);
  }

  /** The deployment, when the cache connects to one itself (a URL or a `Target`); undefined over the application's client. */
  get target(): Target | undefined {
    return this.link.target;
  }

  /** The application's client the cache reads through, when it was given one. */
  get client(): object | undefined {
    return this.link.client?.client;
  }

  /** The Redis key of `tenant`'s dictionary of `kind` (the `keyOf` option). */
  keyOf(tenant: string, kind: DictKind): string {
    return this.keyFor(tenant, kind);
  }

  /**
   * The dictionary of `tenant` of `kind`: the kept copy when it is known to be current (tracking
   * live, the header's digest unchanged, or checked within `checkIntervalMs`), fetched and
   * validated otherwise (one fetch for all concurrent callers). `null` when Redis holds no such
   * key. Throws a `SessionpackError` for a value that is not a valid dictionary (`not_a_blob`,
   * `corrupt`, …) or refused by the key rules (`unauthenticated`), a `StoreError` when the
   * server cannot answer. **Deny on any error.**
   */
  get(tenant: string, kind: DictKind): Promise<IdDictionaryView | null> {
    return this.getKey(this.keyFor(tenant, kind));
  }

  /**
   * The id of `key` in `tenant`'s dictionary of `kind`, refreshing the dictionary once when the
   * copy lacks the key (at most once per `refreshIntervalMs`); `undefined` when the dictionary
   * still lacks it, or does not exist: **deny**.
   *
   * ```ts
   * const id = await dictionaries.idOf("acme", "facility", record.facilityId);
   * if (id === undefined || !session.facilities.has(id)) deny();
   * ```
   */
  async idOf(tenant: string, kind: DictKind, key: DictKey): Promise<number | undefined> {
    const redisKey = this.keyFor(tenant, kind);
    const copy = await this.getKey(redisKey);
    const id = copy?.idOf(key);
    if (id !== undefined) return id;
    const fresh = await this.refreshKey(redisKey, copy);
    return fresh === copy ? undefined : fresh?.idOf(key);
  }

  /**
   * Refreshes `tenant`'s dictionary of `kind` because a copy lacked a key: a header check
   * (`GETRANGE`) now, and a fetch when the dictionary changed — unless it was refreshed less than
   * `refreshIntervalMs` ago, when the newest copy at hand is returned without asking (concurrent
   * callers share one refresh). `held` is the caller's copy, returned when the cache has none
   * newer. Errors as for {@link get}.
   */
  refresh(tenant: string, kind: DictKind, held: IdDictionaryView | null = null): Promise<IdDictionaryView | null> {
    return this.refreshKey(this.keyFor(tenant, kind), held);
  }

  /** Drops the copy of `tenant`'s dictionary of `kind`, if any. */
  invalidate(tenant: string, kind: DictKind): void {
    this.take(this.keyFor(tenant, kind));
  }

  /** Empties the cache. */
  clear(): void {
    this.flush();
  }

  /** Replaces the key ring (a rotation): the cache empties itself and opens dictionaries under the new ring from now on. */
  setKeys(keys: Iterable<MacKey>): void {
    const ring = [...keys];
    const decoder = new DictionaryDecoder({ keys: ring, allowUnsigned: this.allowUnsigned, ...(this.maxKeys === undefined ? {} : { maxKeys: this.maxKeys }) });
    this.macKeys = ring;
    this.decoder = decoder;
    this.flush();
  }

  /** Whether tracking is live now: copies are served without a round trip. */
  get trackingLive(): boolean {
    return this.state?.trackingLive() ?? false;
  }

  /** How long after the tracker last heard from the servers copies are still served without asking, ms (0 without tracking). */
  get stalenessBoundMs(): number {
    return this.state?.boundMs ?? 0;
  }

  /** Waits up to `timeoutMs` for tracking to be live; whether it is. */
  async waitForTracking(timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (!this.trackingLive) {
      if (this.tracker === undefined || performance.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** What the cache did so far. */
  stats(): DictionaryCacheStats {
    return {
      ...this.counts,
      entries: this.entries,
      bytes: this.bytes,
      trackingLive: this.trackingLive,
    };
  }

  /**
   * Stops the cache's own tracker and closes the connections it opened (never the application's
   * client, nor what it shares with a session cache); the cache empties itself.
   */
  async close(): Promise<void> {
    this.unwatch?.();
    await this.tracker?.close();
    if (this.ownsLink) await this.link.close();
    this.flush();
    this.detach?.();
  }

  // ----- freshness -----

  private makeDecoder(): DictionaryDecoder {
    return new DictionaryDecoder({ keys: this.macKeys, allowUnsigned: this.allowUnsigned, ...(this.maxKeys === undefined ? {} : { maxKeys: this.maxKeys }) });
  }

  /**
   * A read of `key`: counted (tally.ts: freshness * 2 + result, a hit when the kept copy is what
   * it answers), and timed unless answered without a round trip.
   */
  private async getKey(key: string): Promise<IdDictionaryView | null> {
    const now = performance.now();
    const kept = this.lookup(key);
    const tracked = this.state !== undefined && this.state.covers(key);
    const live = tracked && this.trackingLive;
    const freshness = live ? 1 : 0;
    if (kept !== undefined && (live || (!tracked && now - kept.checkedAt < this.checkIntervalMs))) {
      // A hit without a round trip: counted, not timed (METRICS.md).
      this.counts.hits++;
      this.tally.reads[freshness * 2 + 1]!++;
      return kept.view;
    }
    let slot = freshness * 2;
    try {
      const view = await this.shared(key);
      if (kept !== undefined && view === kept.view) slot++;
      return view;
    } catch (e) {
      this.tally.refuse(e);
      throw e;
    } finally {
      this.tally.reads[slot]!++;
      if (this.timers !== undefined) this.timers.read("dictionary", slot, performance.now() - now);
    }
  }

  /**
   * A header check of `key` for a use: concurrent uses share one check in flight (dictionaries
   * are append-only: a check that started a moment earlier is as good, and a key it misses is
   * refreshed before it is denied).
   */
  private shared(key: string): Promise<IdDictionaryView | null> {
    const under = this.checking.get(key);
    if (under !== undefined) return under;
    const p = this.check(key).finally(() => {
      if (this.checking.get(key) === p) this.checking.delete(key);
    });
    this.checking.set(key, p);
    return p;
  }

  /** A header check of `key` starting now: the kept copy when its digest is current, else a fetch. */
  private async check(key: string): Promise<IdDictionaryView | null> {
    const started = performance.now();
    const prefix = bulk(await this.link.query(key, ["GETRANGE", key, "0", String(DictHeader.LEN - 1)], true), "GETRANGE");
    this.counts.headerChecks++;
    this.tally.headerChecks++;
    if (prefix === null || prefix.length === 0) {
      // Missing (or an empty string, which the fetch tells apart).
      this.take(key);
      return this.fetch(key);
    }
    const h = DictHeader.read(prefix);
    if (h === undefined) {
      this.take(key);
      throw notADictionary(key);
    }
    const kept = this.lookup(key);
    if (kept !== undefined && kept.digest === h.digest) {
      kept.checkedAt = Math.max(kept.checkedAt, started);
      this.counts.hits++;
      return kept.view;
    }
    return this.fetch(key);
  }

  /** One `GET` of `key` for every concurrent caller; the copy is kept unless invalidated meanwhile. */
  private fetch(key: string): Promise<IdDictionaryView | null> {
    const under = this.fetching.get(key);
    if (under !== undefined) return under;
    const p = this.fetchNow(key).finally(() => {
      if (this.fetching.get(key) === p) this.fetching.delete(key);
    });
    this.fetching.set(key, p);
    return p;
  }

  private async fetchNow(key: string): Promise<IdDictionaryView | null> {
    const started = performance.now();
    const freshness = this.state !== undefined && this.state.covers(key) && this.trackingLive ? 1 : 0;
    const ticket = this.begin(key);
    let bytes: Buffer | null;
    try {
      bytes = bulk(await this.link.query(key, ["GET", key], true), "GET");
    } catch (e) {
      this.abandon(key, ticket);
      throw e;
    }
    if (bytes === null) {
      this.abandon(key, ticket);
      return null;
    }
    this.counts.fetches++;
    this.counts.fetchedBytes += bytes.length;
    this.tally.fetched(freshness, bytes.length);
    let view: IdDictionaryView;
    try {
      if (DictHeader.read(bytes) === undefined) throw notADictionary(key);
      // Our own copy: a reply may be a slice of a larger socket chunk, which the view would keep alive.
      view = this.decoder.open(new Uint8Array(bytes));
    } catch (e) {
      this.abandon(key, ticket);
      throw e;
    } finally {
      if (this.timers !== undefined) this.timers.fetch("dictionary", freshness, performance.now() - started);
    }
    this.finish(key, ticket, new Copy(view, view.digest, view.bytes.length + 2 * key.length + ENTRY_OVERHEAD, started));
    return view;
  }

  /** A refresh of `key` for one caller: its error counted as a refusal. */
  private refreshKey(key: string, held: IdDictionaryView | null): Promise<IdDictionaryView | null> {
    return this.refreshShared(key, held).catch((e: unknown) => {
      this.tally.refuse(e);
      throw e;
    });
  }

  private refreshShared(key: string, held: IdDictionaryView | null): Promise<IdDictionaryView | null> {
    const under = this.refreshing.get(key);
    if (under !== undefined) return under;
    const now = performance.now();
    const last = this.lastRefresh.get(key);
    if (last !== undefined && now - last < this.refreshIntervalMs) {
      this.counts.refreshesSkipped++;
      this.tally.refreshesSkipped++;
      const kept = this.lookup(key);
      return Promise.resolve(kept !== undefined && newer(kept.view, held) ? kept.view : held);
    }
    this.noteRefresh(key, now);
    this.counts.refreshes++;
    this.tally.refreshes++;
    const p = this.check(key).finally(() => {
      if (this.refreshing.get(key) === p) this.refreshing.delete(key);
    });
    this.refreshing.set(key, p);
    return p;
  }

  /** Remembers when `key` was refreshed; forgets refreshes older than the interval once there are many. */
  private noteRefresh(key: string, now: number): void {
    this.lastRefresh.set(key, now);
    if (this.lastRefresh.size <= 1024) return;
    for (const [k, at] of this.lastRefresh) if (now - at >= this.refreshIntervalMs) this.lastRefresh.delete(k);
  }

  // ----- the map -----

  private lookup(key: string): Copy | undefined {
    const s = this.slots.get(key);
    if (!(s instanceof Copy)) return undefined;
    // Most recently used last (a Map iterates in insertion order).
    this.slots.delete(key);
    this.slots.set(key, s);
    return s;
  }

  /** Marks a fetch of `key` as under way, keeping the copy it replaces until it lands. */
  private begin(key: string): number {
    const ticket = this.tickets++;
    this.take(key);
    this.slots.set(key, new Pending(ticket));
    return ticket;
  }

  private finish(key: string, ticket: number, copy: Copy): void {
    const s = this.slots.get(key);
    if (!(s instanceof Pending) || s.ticket !== ticket) return;
    this.slots.delete(key);
    if (copy.bytes > this.maxBytes || this.maxEntries === 0) return;
    this.slots.set(key, copy);
    this.bytes += copy.bytes;
    this.entries++;
    for (const [k, v] of this.slots) {
      if (this.entries <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (k === key || !(v instanceof Copy)) continue;
      this.take(k);
      this.counts.evictions++;
    }
  }

  private abandon(key: string, ticket: number): void {
    const s = this.slots.get(key);
    if (s instanceof Pending && s.ticket === ticket) this.slots.delete(key);
  }

  /** Removes whatever `key` holds; whether it held a kept copy. */
  private take(key: string): boolean {
    const s = this.slots.get(key);
    if (s === undefined) return false;
    this.slots.delete(key);
    if (!(s instanceof Copy)) return false;
    this.bytes -= s.bytes;
    this.entries--;
    return true;
  }

  private flush(): void {
    this.slots.clear();
    this.bytes = 0;
    this.entries = 0;
    this.counts.flushes++;
  }
}

/** Whether `a` is a newer copy than `b` of the same dictionary (append-only: more keys, same lineage). */
export function newer(a: IdDictionaryView, b: IdDictionaryView | null): boolean {
  if (b === null) return true;
  return a.lineage !== b.lineage ? true : a.size > b.size;
}
