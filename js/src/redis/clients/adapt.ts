/**
 * {@link adaptClient}: the application's Redis client, recognised by its shape, as
 * {@link RedisCommands}; {@link clientOrTarget}: what `connect` is given, sorted into a client
 * or a `Target`.
 */

import { SessionpackError } from "../../errors.js";
import { Target } from "../target.js";
import { IoClusterCommands, IoRedisCommands, isIoCluster, isIoRedis } from "./ioredis.js";
import { isNodeRedisClient, isNodeRedisCluster, NodeRedisClientCommands, NodeRedisClusterCommands } from "./node-redis.js";
import { describeValue, type RedisCommands } from "./types.js";

/** What {@link adaptClient} and `connect` accept, in words (the start of every refusal). */
export const EXPECTED = "a node-redis client or cluster, an ioredis Redis or Cluster, a Target, or a redis:// URL";

function refuse(what: string): never {
  throw new SessionpackError("invalid_input", `expected ${EXPECTED}; got ${what}`);
}

function prefixOf(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function refusePrefix(description: string, prefix: string, fix: string): never {
  throw new SessionpackError(
    "invalid_input",
    `${description} with the key prefix ${JSON.stringify(prefix)}: sessionpack sends the keys it is given, whole, and the ` +
      `server's invalidations name whole keys, so a prefix the client adds would leave the cache unaware of rewrites. ` +
      `Put the prefix in the keys you pass (${JSON.stringify(`${prefix}session:…`)}) and pass a client without one (${fix})`,
  );
}

/**
 * Whether `x` has the shape of a client {@link adaptClient} takes (node-redis client or cluster,
 * ioredis `Redis` or `Cluster`). Nothing is imported to tell.
 */
export function isRedisClient(x: unknown): boolean {
  if (x === null || typeof x !== "object") return false;
  return isIoCluster(x) || isIoRedis(x) || isNodeRedisCluster(x) || isNodeRedisClient(x);
}

/**
 * The application's own Redis client as {@link RedisCommands}, recognised by its shape and
 * without importing any Redis library:
 *
 * | client | recognised by | adapter |
 * | --- | --- | --- |
 * | node-redis 5.9+ `createClient(…)` (RESP2 or RESP3) | `sendCommand`, `duplicate`, `isOpen` | sends with a type mapping that gives bulk strings as `Buffer`s |
 * | node-redis 5.9+ `createCluster(…)` | `sendCommand`, `nodeClient`, `masters` | the same, to the slot's master; an `ASK` to a master the cluster does not know yet is followed |
 * | ioredis `new Redis(…)` (Sentinel too) | `callBuffer`, `status`, `options`, `isCluster !== true` | `callBuffer` |
 * | ioredis `new Redis.Cluster(…)` | `callBuffer`, `nodes`, `isCluster === true` | `callBuffer` (ioredis follows every redirect) |
 *
 * The client is used as it is, connected by the application, and is never closed by the
 * adapter, the store or the cache. Refused with `invalid_input`, saying what was expected and
 * what was given: anything else (a node-redis pool or Sentinel, a URL — give those to `connect`,
 * not here), a client with a key prefix of its own (`keyPrefix`: the server's invalidations name
 * whole keys), and an ioredis Cluster that reads from replicas (`scaleReads` other than
 * `"master"`: a replica may answer with a value older than an invalidation already received).
 *
 * ```ts
 * import { createClient } from "redis";
 * import { adaptClient } from "sessionpack/redis";
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const commands = adaptClient(client);
 * await commands.send("k", ["SET", "k", Buffer.from([1, 2, 3])], false);
 * const bytes = await commands.send("k", ["GET", "k"], true);      // <Buffer 01 02 03>
 * adaptClient({ get() {} });  // throws invalid_input: expected a node-redis client or cluster, …; got a plain object …
 * ```
 */
export function adaptClient(x: unknown): RedisCommands {
  if (typeof x === "string") refuse(`${describeValue(x)}: give a URL to SessionStore.connect or SessionCache.connect, or Target.parse it`);
  if (x instanceof Target) refuse("a Target: give it to SessionStore.connect or SessionCache.connect, which open connections of their own for it");
  if (x === null || typeof x !== "object") refuse(describeValue(x));
  if (isIoCluster(x)) {
    const o = x.options;
    const redisOptions = (o.redisOptions ?? {}) as Record<string, unknown>;
    const prefix = prefixOf(o.keyPrefix) ?? prefixOf(redisOptions.keyPrefix);
    if (prefix !== undefined) refusePrefix("an ioredis Cluster", prefix, 'cluster.duplicate([], { keyPrefix: "" })');
    const scaleReads = o.scaleReads ?? "master";
    if (scaleReads !== "master") {
      throw new SessionpackError(
        "invalid_input",
        `an ioredis Cluster with scaleReads ${typeof scaleReads === "string" ? JSON.stringify(scaleReads) : "a function"}: ` +
          "sessionpack reads from masters only, because a replica may answer with a value older than an invalidation " +
          'already received; pass a Cluster with scaleReads "master" (the default), e.g. cluster.duplicate([], { scaleReads: "master" })',
      );
    }
    return new IoClusterCommands(x);
  }
  if (isIoRedis(x)) {
    const prefix = prefixOf(x.options.keyPrefix);
    if (prefix !== undefined) refusePrefix("an ioredis Redis client", prefix, 'redis.duplicate({ keyPrefix: "" })');
    return new IoRedisCommands(x);
  }
  if (isNodeRedisCluster(x)) {
    const prefix = prefixOf(x._options?.keyPrefix);
    if (prefix !== undefined) refusePrefix("a node-redis cluster", prefix, "cluster.duplicate({ keyPrefix: undefined })");
    return new NodeRedisClusterCommands(x);
  }
  if (isNodeRedisClient(x)) {
    const prefix = prefixOf(x.options?.keyPrefix);
    if (prefix !== undefined) refusePrefix("a node-redis client", prefix, "client.duplicate({ keyPrefix: undefined })");
    return new NodeRedisClientCommands(x);
  }
  const c = x as Record<string, unknown>;
  if (typeof c.getMasterNode === "function") refuse("a node-redis Sentinel (createSentinel), which is not supported: pass an ioredis client configured with sentinels");
  if (typeof c.sendCommand === "function" && typeof c.execute === "function") refuse("a node-redis client pool (createClientPool): pass a client (createClient) or a cluster (createCluster)");
  if (typeof c.sendCommand === "function" || typeof c.callBuffer === "function") {
    refuse(`${describeValue(x)} that has some of a Redis client's methods but not the shape of a supported one (node-redis 5.9+, ioredis 5+)`);
  }
  refuse(describeValue(x));
}

/**
 * What `SessionStore.connect(x)` and `SessionCache.connect(x)` are given, sorted: a client of
 * the application (adapted), or a deployment to open connections of their own to (a `Target`,
 * or a string for `Target.parse`). Anything else is `invalid_input` naming what was expected.
 *
 * ```ts
 * clientOrTarget("redis://127.0.0.1:6379");   // { target: Target }
 * clientOrTarget(ioredisClient);              // { client: RedisCommands }
 * ```
 */
export function clientOrTarget(x: unknown): { client: RedisCommands; target?: undefined } | { target: Target; client?: undefined } {
  if (typeof x === "string") {
    try {
      return { target: Target.parse(x) };
    } catch (e) {
      refuse(`${describeValue(x)}, which is not a Redis URL (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (x instanceof Target) return { target: x };
  return { client: adaptClient(x) };
}
