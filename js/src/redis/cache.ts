/**
 * {@link SessionCache}: validated sessions kept in process, bounded by entries and bytes,
 * fresh by header checks or by RESP3 client tracking.
 */

import { Header, HEADER_LEN } from "../header.js";
import type { MacKey } from "../mac.js";
import type { SessionView } from "../view.js";
import { StoreError } from "./errors.js";
import { DictionaryCache, type DictionaryCacheOptions } from "./dictionaries.js";
import { lend } from "./lent.js";
import { bulk, Link, type Connectable } from "./link.js";
import { instrumentsOn, type Timers } from "./metrics.js";
import { checkMetricsOption, resolveMeter } from "./otel.js";
import { CLUSTER_FETCH_SCRIPT, FETCH_SCRIPT } from "./scripts.js";
import { resolveTracking, Shared, type CacheOptions, type CacheStats } from "./shared.js";
import { Tally } from "./tally.js";
import type { Target } from "./target.js";
import { Tracker } from "./tracking.js";

/**
 * A bounded in-process cache of validated sessions (`SessionView`s), keyed by their Redis key,
 * over a server or a cluster.
 *
 * **Freshness, and the staleness bound.**
 * - `"header-check"`: every use sends `GETRANGE key 0 39` and compares the digest (offset 8)
 *   with the kept copy's; the blob is fetched again only when it changed. A rewrite is seen on
 *   the next read; a deleted, evicted or expired key is `null` on the next read.
 * - `"tracking"`: the cache's tracker holds a tracking connection of its own per server (per
 *   master of a cluster: one RESP3 connection over node-redis, a RESP2 subscriber and its
 *   redirecting connection over ioredis) with `CLIENT TRACKING ON BCAST` (optionally
 *   `PREFIX`es), so the server pushes an
 *   invalidation whenever a key is written, deleted, expires or is evicted; the push evicts the
 *   entry. While tracking is **live**, an unchanged session is served with no round trip.
 *   Tracking is live only while the tracker has heard from every server within the staleness
 *   bound, heartbeat + heartbeat timeout (100 + 200 ms by default): it pings every server each
 *   heartbeat. When a connection drops, a ping goes unanswered, or the cluster's slot map
 *   changes, the cache empties itself and every use falls back to header checks until tracking
 *   is on again (when it empties itself once more: what it fetched meanwhile was not tracked).
 *   So a rewrite is seen by the first read after its invalidation arrives, and never later than
 *   the staleness bound after the server was last heard from. A fetch that races an
 *   invalidation is not kept.
 *
 *   What Redis does not announce is covered otherwise: a key whose TTL ran out is invalidated
 *   only when Redis deletes it, so each fetch reads the key's `PTTL` with its value (one
 *   script) and the entry is not served past that deadline (dated from when the fetch was sent:
 *   it errs early). On a cluster the tracker tracks every master `CLUSTER NODES` lists, those
 *   owning no slot included, re-reads it every heartbeat and starts over (emptied, header
 *   checks meanwhile) when masters, slots or migrations change; a fetch answered by a node it
 *   does not track (an `ASK` to a new master) is served but not kept, and the cache drops to
 *   header checks until that node is tracked. On one server a marker key of the tracker's own
 *   reveals a `SWAPDB` (see `TrackingOptions.marker`).
 *
 * **Metrics** (METRICS.md): reads, header checks, fetches and their bytes, invalidations,
 * refusals by kind, tracking lost and regained, and the latency of reads and fetches, on the
 * OpenTelemetry meter of `options.metrics` (by default the global one of `@opentelemetry/api`
 * when that optional peer is installed; nothing otherwise).
 *
 * Either way, **every use re-applies the decoder's rules at use time**: an expired session is
 * refused (`expired`) and dropped, and so is an unsigned entry once the key ring holds keys
 * (`unauthenticated`, R-MAC-REQUIRED), or one signed with a key no longer in the ring.
 *
 * ```ts
 * const cache = await SessionCache.connect(process.env.REDIS_URL!, { freshness: "tracking", keys });
 * // or over the service's own client (node-redis or ioredis), which the cache never closes:
 * const cache2 = await SessionCache.connect(redis, { freshness: "tracking", keys, timeoutMs: 250 });
 * const session = await cache.get("session:u1");   // SessionView | null; throws on any fault
 * if (session === null) deny();                     // no such session (missing, evicted, expired in Redis)
 * else if (session.facilities.has(42)) allow();
 * ```
 */
export class SessionCache {
  private constructor(
    private readonly link: Link,
    private readonly shared: Shared,
    private readonly tracker: Tracker | undefined,
    /** The meter's instruments; undefined when metrics are off. */
    private readonly timers: Timers | undefined,
    /** Stops counting this cache on the meter (at close). */
    private readonly detach: (() => void) | undefined,
  ) {
    lend(this, { link, shared, tracker, timers });
  }

  /**
   * Connects to `x`: the service's own Redis client (a node-redis client or cluster, an ioredis
   * `Redis` or `Cluster`: see `adaptClient`), or a `Target`, or a spec for `Target.parse` (one
   * URL, or cluster seeds separated by commas).
   *
   * - Reads go over the application's client as it is (never closed by the cache), each held
   *   to `options.timeoutMs` (default 1,000 ms): a late answer is a `timeout`, and the client
   *   is left to the application. A URL or a `Target` gets a connection of the cache's own
   *   (node-redis, loaded only then), made anew after a timeout or a drop.
   * - In `"tracking"` mode the cache's tracker opens tracking connections of its own to every
   *   server (per master of a cluster): one RESP3 connection per server duplicated from a
   *   node-redis client, two RESP2 ones from an ioredis client (a subscriber to
   *   `__redis__:invalidate` and one that turns tracking on with `REDIRECT` to it: ioredis does
   *   not deliver RESP3 invalidation pushes). They are separate because tracking state belongs
   *   to a connection, and the application's connections must not receive pushes. `connect`
   *   waits up to the connection timeout for tracking to be live (until then, and whenever it
   *   is not, the cache checks headers).
   *
   * Throws a `StoreError` when the server cannot be reached (a closed client included),
   * `invalid_input` naming what was expected for anything else given as `x` (and for a bad URL),
   * `TypeError` for bad options.
   *
   * ```ts
   * import Redis from "ioredis";
   * const redis = new Redis(process.env.REDIS_URL!);
   * const cache = await SessionCache.connect(redis, { freshness: "tracking", keys });
   * // …
   * await cache.close();    // the tracker's connections; redis stays open
   * redis.disconnect();     // the application closes its own client
   * ```
   */
  static async connect(x: Connectable, options: CacheOptions): Promise<SessionCache> {
    if (options === null || typeof options !== "object") throw new TypeError('options are required: { freshness: "header-check" | "tracking", … }');
    if (options.freshness !== "header-check" && options.freshness !== "tracking") {
      throw new TypeError('freshness must be "header-check" or "tracking"');
    }
    const tracking = resolveTracking(options.tracking);
    checkMetricsOption(options.metrics);
    const tally = new Tally("session");
    const shared = new Shared(options, tracking, tally);
    const meter = await resolveMeter(options.metrics);
    const timers = meter === undefined ? undefined : instrumentsOn(meter);
    const link = await Link.connect(x, options);
    let tracker: Tracker | undefined;
    if (options.freshness === "tracking") {
      tracker = new Tracker(link, tracking, shared);
      tracker.start();
    }
    const cache = new SessionCache(link, shared, tracker, timers, timers?.attach(tally));
    if (tracker !== undefined) await cache.waitForTracking(link.connectTimeoutMs);
    return cache;
  }

  /** The deployment, when the cache connects to one itself (a URL or a `Target`); undefined over the application's client. */
  get target(): Target | undefined {
    return this.link.target;
  }

  /** The application's client the cache reads through, when it was given one; undefined for a URL or a `Target`. */
  get client(): object | undefined {
    return this.link.client?.client;
  }

  /**
   * A `DictionaryCache` over this cache's connection and tracker: it opens no connection of its
   * own, and while this cache's tracking is live its copies are served without a round trip too
   * (for dictionary keys the tracked prefixes cover; header checks for the others). Its
   * `freshness` is this cache's. Closing it closes nothing of this cache's; closing this cache
   * closes what it shares (the dictionary cache's calls then fail with `unavailable`). Its
   * metrics go to this cache's meter, under `cache="dictionary"`.
   *
   * ```ts
   * const sessions = await SessionCache.connect(redis, { freshness: "tracking", keys });
   * const dictionaries = sessions.dictionaries({ keys, refreshIntervalMs: 1_000 });
   * const access = new SessionAccess({ sessions, dictionaries });
   * ```
   */
  dictionaries(options: Omit<DictionaryCacheOptions, "freshness" | "tracker" | "tracking" | "timeoutMs" | "connectTimeoutMs" | "metrics"> = {}): DictionaryCache {
    return DictionaryCache.over(this, options);
  }

  /** The session under `key` at `Date.now()`; see {@link getAt}. */
  get(key: string): Promise<SessionView | null> {
    return this.getAt(key, Date.now());
  }

  /**
   * The session under `key`, checked at `nowMs` (Unix milliseconds): from the cache when it is
   * known to be current (tracking live, or the header's digest unchanged), fetched and
   * validated otherwise. `null` when the key is missing (deleted, evicted, or expired in Redis).
   *
   * Throws a `SessionpackError` when the session expired at `nowMs` (`expired`), is refused by
   * the key rules (`unauthenticated`), or the value is not a valid blob (`not_a_blob` — another
   * Redis type included —, `corrupt`, …); a `StoreError` (`timeout`, `unavailable`, `server`)
   * when the server cannot answer — never a session that could be stale. **Deny access on any
   * error.**
   */
  async getAt(key: string, nowMs: number | bigint): Promise<SessionView | null> {
    const shared = this.shared;
    const live = shared.trackingLive();
    if (live) {
      const entry = shared.lookup(key);
      if (entry !== undefined) {
        // A hit without a round trip: counted, not timed (METRICS.md: it takes less than timing it would).
        shared.countHit();
        shared.tally.reads[3]!++;
        try {
          return shared.admit(key, entry, nowMs);
        } catch (e) {
          shared.tally.refuse(e);
          throw e;
        }
      }
    }
    const timers = this.timers;
    const started = timers === undefined ? 0 : performance.now();
    // What the read counts as (tally.ts): freshness * 2 + result, freshness 1 while tracking is live, result 1 for a hit.
    let slot = live ? 2 : 0;
    try {
      if (live) return await this.fetchTracked(key, nowMs);
      const prefix = bulk(await this.link.query(key, ["GETRANGE", key, "0", String(HEADER_LEN - 1)], true), "GETRANGE");
      shared.countHeaderCheck();
      if (prefix === null || prefix.length === 0) {
        shared.take(key);
      } else {
        let header: Header;
        try {
          header = Header.read(prefix);
        } catch (e) {
          shared.take(key);
          throw e;
        }
        const entry = shared.lookup(key);
        if (entry !== undefined && entry.sameDigest(header)) {
          slot = 1;
          shared.countHit();
          return shared.admit(key, entry, nowMs);
        }
      }
      return await this.fetch(key, nowMs);
    } catch (e) {
      shared.tally.refuse(e);
      throw e;
    } finally {
      shared.tally.reads[slot]!++;
      if (timers !== undefined) timers.read("session", slot, performance.now() - started);
    }
  }

  private async fetch(key: string, nowMs: number | bigint): Promise<SessionView | null> {
    const shared = this.shared;
    const ticket = shared.begin(key);
    const sent = this.timers === undefined ? 0 : performance.now();
    let blob: Buffer | null;
    try {
      blob = bulk(await this.link.query(key, ["GET", key], true), "GET");
    } catch (e) {
      shared.abandon(key, ticket);
      throw e;
    }
    return this.keep(key, ticket, blob, nowMs, 0, sent);
  }

  /**
   * A fetch while tracking is live: the value, its TTL and (on a cluster) the node that answered,
   * in one script. Kept with the TTL's deadline, and only if that node is tracked; otherwise
   * served once, and the tracker told.
   */
  private async fetchTracked(key: string, nowMs: number | bigint): Promise<SessionView | null> {
    const shared = this.shared;
    const cluster = this.link.isCluster;
    const ticket = shared.begin(key);
    const sent = performance.now();
    let blob: Buffer | null;
    let deadline: number;
    let node: string | undefined;
    try {
      const reply = await this.link.script(key, cluster ? CLUSTER_FETCH_SCRIPT : FETCH_SCRIPT);
      if (!Array.isArray(reply) || reply.length !== (cluster ? 3 : 2)) throw unexpected(reply);
      const [value, pttl, id] = reply as unknown[];
      blob = bulk(value ?? null, "GET");
      if (typeof pttl !== "number") throw unexpected(reply);
      // PTTL is whole milliseconds of the server's clock, which may count up to 1 ms more than
      // remains: the deadline errs early by that much too.
      deadline = pttl >= 0 ? sent + pttl - 1 : Infinity;
      if (cluster) {
        if (!Buffer.isBuffer(id) && typeof id !== "string") throw unexpected(reply);
        node = id.toString();
      }
    } catch (e) {
      shared.abandon(key, ticket);
      throw e;
    }
    return this.keep(key, ticket, blob, nowMs, 1, sent, deadline, node);
  }

  /**
   * After a fetch under `ticket` (sent at `sent`, kept fresh by `freshness`: 0 header checks, 1
   * tracking): opens `blob` (`null`: the key is missing) and keeps it, with the key's
   * `deadline`, unless an invalidation raced the fetch or `node` (the node that answered, on a
   * cluster) is not tracked; frees the pending slot otherwise. The use is admitted at `nowMs`
   * either way.
   */
  private keep(key: string, ticket: number, blob: Buffer | null, nowMs: number | bigint, freshness: number, sent: number, deadline = Infinity, node?: string): SessionView | null {
    const shared = this.shared;
    if (blob === null) {
      shared.abandon(key, ticket);
      return null;
    }
    shared.countFetch(blob.length, freshness);
    let entry;
    try {
      entry = shared.open(key, blob);
    } catch (e) {
      shared.abandon(key, ticket);
      throw e;
    } finally {
      if (this.timers !== undefined) this.timers.fetch("session", freshness, performance.now() - sent);
    }
    entry.deadline = deadline;
    if (node !== undefined && !shared.nodeAnswered(node)) {
      shared.abandon(key, ticket);
    } else {
      shared.finish(key, ticket, entry);
    }
    return shared.admit(key, entry, nowMs);
  }

  /** Drops the entry of `key`, if any. */
  invalidate(key: string): void {
    this.shared.take(key);
  }

  /** Empties the cache. */
  clear(): void {
    this.shared.flushOwn();
  }

  /** Replaces the key ring (a rotation): the cache empties itself, and opens and admits sessions under the new ring from now on. */
  setKeys(keys: Iterable<MacKey>): void {
    this.shared.setKeys(keys);
  }

  /** Whether tracking is live now: entries are served without a round trip. */
  get trackingLive(): boolean {
    return this.shared.trackingLive();
  }

  /** How long after the tracker last heard from the servers entries are still served without asking, ms. */
  get stalenessBoundMs(): number {
    return this.shared.boundMs;
  }

  /** How long ago the tracker last heard from the servers (a push or a heartbeat reply), ms. */
  get sinceTrackingHeardMs(): number {
    return this.shared.sinceHeardMs();
  }

  /** Waits up to `timeoutMs` for tracking to be live; whether it is. */
  async waitForTracking(timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (!this.shared.trackingLive()) {
      if (this.tracker === undefined || performance.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** What the cache did so far. */
  stats(): CacheStats {
    return this.shared.stats();
  }

  /**
   * Stops the tracker and closes every connection the cache opened (its tracking connections,
   * its own connection to a URL or `Target`) — never the application's client; the cache
   * empties itself. A `DictionaryCache` that shares it falls back to header checks.
   */
  async close(): Promise<void> {
    await this.tracker?.close();
    await this.link.close();
    this.shared.flush();
    this.detach?.();
  }
}

function unexpected(reply: unknown): StoreError {
  return new StoreError("server", `the cache's fetch script answered ${Array.isArray(reply) ? `an array of ${reply.length}` : typeof reply}, not [value, pttl(, node id)]`);
}
