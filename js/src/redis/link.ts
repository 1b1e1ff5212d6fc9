/**
 * The connection a store or a cache sends its commands over, as {@link RedisCommands}:
 *
 * - for a `Target` (or a URL), a node-redis client or cluster client of the link's own, loaded
 *   on first use (`import("redis")`: an application that passes its own ioredis client never
 *   loads node-redis), held to the target's timeouts, and made anew after a timeout or a
 *   dropped connection (node-redis never reconnects on its own here, so a call never waits in
 *   an offline queue);
 * - for the application's own client (node-redis or ioredis, see `adaptClient`), that client,
 *   as it is: each call is held to the link's timeout (a late call is reported as `timeout`,
 *   and the client is left alone: it is the application's), and it is never closed.
 *
 * Every Redis call of the store and the caches goes through {@link Link.query} (and
 * {@link Link.script}); the tracker opens its connections through {@link Link.commands}.
 */

import { createHash } from "node:crypto";
import { SessionpackError } from "../errors.js";
import { clientOrTarget } from "./clients/adapt.js";
import { NodeRedisClientCommands, NodeRedisClusterCommands, type NodeRedisClientLike, type NodeRedisClusterLike } from "./clients/node-redis.js";
import { expectBytes, type Arg, type RedisCommands } from "./clients/types.js";
import { classify, StoreError, timedOut, within } from "./errors.js";
import { Target } from "./target.js";

export type { Arg } from "./clients/types.js";

/**
 * What `connect` takes: the service's own Redis client (a node-redis client or cluster, an
 * ioredis `Redis` or `Cluster`, recognised by shape: see `adaptClient`), a `Target`, or a spec
 * for `Target.parse` (a `redis://` URL, or cluster seeds separated by commas). Anything else is
 * refused with `invalid_input` naming what was expected.
 */
export type Connectable = Target | string | object;

/**
 * How long the calls of a store or a cache may take: for the application's own client (a
 * `Target` carries its own; these override them when given).
 */
export interface TimeoutOptions {
  /** How long a call waits for the server's answer, ms (default 1,000: `Target.DEFAULT_TIMEOUT_MS`). */
  timeoutMs?: number;
  /**
   * How long connecting may take, ms (default 1,000): a connection of the link's own, a
   * tracking connection, and how long `connect` waits for tracking to be live.
   */
  connectTimeoutMs?: number;
}

/** What a link holds: the commands, and how to let go of them. */
interface Conn {
  readonly commands: RedisCommands;
  /** At once, for a connection of the link's own (nothing for the application's client). */
  destroy(): void;
  close(): Promise<void>;
}

/** What the link uses of node-redis (the `redis` package), loaded on first use. */
interface NodeRedisModule {
  createClient(options: object): NodeRedisClientLike & { isOpen: boolean; close(): Promise<unknown>; on(e: string, l: () => void): unknown };
  createCluster(options: object): NodeRedisClusterLike & { connect(): Promise<unknown>; close(): Promise<unknown>; destroy(): void; on(e: string, l: () => void): unknown };
}

let nodeRedis: Promise<NodeRedisModule> | undefined;

/**
 * node-redis, imported the first time a URL or a `Target` is connected to (never for an
 * application's own client). Missing: `invalid_input` saying what to install or pass instead.
 */
export function loadNodeRedis(): Promise<NodeRedisModule> {
  nodeRedis ??= (import("redis") as Promise<unknown>).then(
    (m) => {
      const mod = m as Partial<NodeRedisModule> & { default?: Partial<NodeRedisModule> };
      const api = typeof mod.createClient === "function" ? mod : mod.default;
      if (api === undefined || typeof api.createClient !== "function" || typeof api.createCluster !== "function") {
        throw new Error("the module `redis` has no createClient and createCluster");
      }
      return api as NodeRedisModule;
    },
    (e: unknown) => {
      nodeRedis = undefined;
      throw new SessionpackError(
        "invalid_input",
        "a Redis URL or Target needs node-redis to open connections of sessionpack's own, and it could not be loaded " +
          `(${e instanceof Error ? e.message : String(e)}): install it (npm install redis), or pass your own client — ` +
          "a node-redis client or cluster, or an ioredis Redis or Cluster — instead of the URL",
      );
    },
  );
  return nodeRedis;
}

/** node-redis socket options that leave reconnecting to us. */
export function socketOptions(connectTimeoutMs: number): { connectTimeout: number; reconnectStrategy: false } {
  return { connectTimeout: connectTimeoutMs, reconnectStrategy: false };
}

function destroyQuietly(c: { destroy(): void }): void {
  try {
    c.destroy();
  } catch {
    // already closed
  }
}

/** A node-redis client (or cluster client) of the link's own for `target`; `onBroken` when it errs or ends. */
async function ownConnection(target: Target, onBroken: () => void): Promise<{ conn: Conn; ready: Promise<unknown> }> {
  const redis = await loadNodeRedis();
  const socket = socketOptions(target.connectTimeoutMs);
  if (!target.isCluster) {
    const client = redis.createClient({ url: target.urls[0]!, socket, disableOfflineQueue: true });
    client.on("error", onBroken);
    client.on("end", onBroken);
    const conn: Conn = {
      commands: new NodeRedisClientCommands(client),
      destroy: () => destroyQuietly(client),
      close: async () => {
        // node-redis' close() waits for the socket to end, which never happens when the server
        // died before the client noticed (it then still reports itself open): bounded, then destroyed.
        try {
          if (client.isOpen) await within(client.close(), target.timeoutMs, () => timedOut("closing the connection", target.timeoutMs));
        } catch {
          // gone already, or not closing: destroyed below
        }
        destroyQuietly(client);
      },
    };
    return { conn, ready: client.connect() };
  }
  // node-redis' cluster client, plus what it cannot do (the adapter does it): follow an `ASK` to
  // a master outside its slot map (one that joined and imports its first slot).
  const client = redis.createCluster({
    rootNodes: target.urls.map((url) => ({ url })),
    defaults: { socket, disableOfflineQueue: true },
    useReplicas: false,
    maxCommandRedirections: 16,
  });
  client.on("error", onBroken);
  const commands = new NodeRedisClusterCommands(client);
  const conn: Conn = {
    commands,
    destroy: () => {
      void commands.close();
      destroyQuietly(client);
    },
    close: async () => {
      await commands.close();
      try {
        await within(client.close(), target.timeoutMs, () => timedOut("closing the connections", target.timeoutMs));
      } catch {
        // gone already, or not closing: destroyed below
      }
      destroyQuietly(client);
    },
  };
  return { conn, ready: client.connect() };
}

function positive(ms: number | undefined, dflt: number, what: string): number {
  const x = ms ?? dflt;
  if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) {
    throw new SessionpackError("invalid_input", `a ${what} of ${String(ms)} ms: give a positive number of milliseconds`);
  }
  return x;
}

/**
 * One logical connection, to a `Target` (of the link's own, reconnecting) or over the
 * application's client. `query` sends one command routed by `key`, held to the timeout, and
 * classifies failures.
 */
export class Link {
  private current: Promise<Conn> | undefined;
  private closed = false;
  /** The deployment, when the link connects to one itself. */
  readonly target: Target | undefined;
  /** The application's client, adapted, when the link was given one. */
  readonly client: RedisCommands | undefined;
  /** Whether this is a Redis Cluster. */
  readonly isCluster: boolean;
  /** How long a call waits, ms. */
  readonly timeoutMs: number;
  /** How long connecting may take, ms. */
  readonly connectTimeoutMs: number;

  private constructor(endpoint: { target: Target } | { client: RedisCommands }, timeouts: TimeoutOptions) {
    if ("target" in endpoint) {
      let t = endpoint.target;
      if (timeouts.timeoutMs !== undefined) t = t.withTimeout(timeouts.timeoutMs);
      if (timeouts.connectTimeoutMs !== undefined) t = t.withConnectTimeout(timeouts.connectTimeoutMs);
      this.target = t;
      this.client = undefined;
      this.isCluster = t.isCluster;
      this.timeoutMs = t.timeoutMs;
      this.connectTimeoutMs = t.connectTimeoutMs;
    } else {
      this.target = undefined;
      this.client = endpoint.client;
      this.isCluster = endpoint.client.isCluster;
      this.timeoutMs = positive(timeouts.timeoutMs, Target.DEFAULT_TIMEOUT_MS, "timeout");
      this.connectTimeoutMs = positive(timeouts.connectTimeoutMs, Target.DEFAULT_CONNECT_TIMEOUT_MS, "connect timeout");
      const client = endpoint.client;
      const conn: Conn = { commands: client, destroy: () => undefined, close: () => client.close() };
      this.current = Promise.resolve(conn);
    }
  }

  /**
   * A link to `x` — a `Target`, a URL for `Target.parse`, or the application's client (see
   * `clientOrTarget`) — whose first call is made: a connection of its own is opened, the
   * application's client answers a `PING` (so a closed client or a bad target fails here).
   */
  static async connect(x: unknown, timeouts: TimeoutOptions = {}): Promise<Link> {
    const link = new Link(clientOrTarget(x), timeouts);
    try {
      if (link.client === undefined) await link.conn();
      else await link.query("", ["PING"], true);
    } catch (e) {
      await link.close();
      throw classify(e, "");
    }
    return link;
  }

  /** What the deployment is, in words, for messages. */
  describe(): string {
    return this.target?.toString() ?? this.client!.description;
  }

  private conn(): Promise<Conn> {
    if (this.closed) return Promise.reject(new StoreError("unavailable", "the store or cache was closed"));
    if (this.current === undefined) {
      const target = this.target!;
      let made: Conn | undefined;
      const opening = (async () => {
        const { conn, ready } = await ownConnection(target, () => this.drop(opening));
        made = conn;
        ready.catch(() => undefined);
        await within(ready, target.connectTimeoutMs, () => timedOut(`a connection to ${target.toString()}`, target.connectTimeoutMs));
        return conn;
      })();
      this.current = opening;
      opening.catch(() => {
        made?.destroy();
        if (this.current === opening) this.current = undefined;
      });
    }
    return this.current;
  }

  /** Forgets the connection `which` (if it is still the current one, and the link's own) and destroys it. */
  private drop(which: Promise<Conn>): void {
    if (this.current !== which || this.client !== undefined) return;
    this.current = undefined;
    which.then(
      (c) => c.destroy(),
      () => undefined,
    );
  }

  /**
   * The commands the link sends over now (connecting first, for a target), for the tracker,
   * which opens its tracking connections through them. Classified errors.
   */
  async commands(): Promise<RedisCommands> {
    try {
      return (await this.conn()).commands;
    } catch (e) {
      throw classify(e, "");
    }
  }

  /** `commands` (from {@link commands}) failed: a connection of the link's own is made anew at the next call. */
  failed(commands: RedisCommands): void {
    const current = this.current;
    if (current === undefined || this.client !== undefined) return;
    current.then(
      (c) => {
        if (c.commands === commands) this.drop(current);
      },
      () => undefined,
    );
  }

  /** Sends `args` (a command on `key`; `""` for none) and returns the reply, bulk strings as `Buffer`s. */
  async query(key: string, args: Arg[], readonly = false): Promise<unknown> {
    const current = this.conn();
    let conn: Conn;
    try {
      conn = await current;
    } catch (e) {
      throw classify(e, key);
    }
    const ms = this.timeoutMs;
    const reply = conn.commands.send(key, args, readonly);
    reply.catch(() => undefined);
    try {
      return await within(reply, ms, () => timedOut(`${String(args[0])} ${JSON.stringify(key)}`, ms));
    } catch (e) {
      const err = classify(e, key);
      if (err instanceof StoreError && (err.kind === "timeout" || err.kind === "unavailable")) this.drop(current);
      throw err;
    }
  }

  /**
   * Runs `script` on the node of `key` (`EVALSHA`, or `EVAL` when the node does not have it
   * loaded) with `key` as its one key; its reply, bulk strings as `Buffer`s.
   */
  async script(key: string, script: Script, args: Arg[] = [], readonly = true): Promise<unknown> {
    try {
      return await this.query(key, ["EVALSHA", script.sha, "1", key, ...args], readonly);
    } catch (e) {
      if (!(e instanceof StoreError && e.kind === "server" && /NOSCRIPT/.test(e.message))) throw e;
      return this.query(key, ["EVAL", script.body, "1", key, ...args], readonly);
    }
  }

  /**
   * Closes what the link opened: its own connection, or the adapter's own connections — never
   * the application's client. Later calls fail with `unavailable`.
   */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.current;
    this.current = undefined;
    if (c === undefined) return;
    try {
      await (await c).close();
    } catch {
      // never connected, or already gone
    }
  }
}

/** A Lua script and its SHA-1 (for `EVALSHA`, `SCRIPT LOAD`). */
export class Script {
  readonly sha: string;

  constructor(readonly body: string) {
    this.sha = createHash("sha1").update(body).digest("hex");
  }
}

/**
 * `reply` as bytes: a `Buffer` (a bulk string) or `null` (a missing key); a string (a value
 * decoded as text on its way) is `invalid_input`, saying bytes were expected.
 */
export function bulk(reply: unknown, what: string): Buffer | null {
  return expectBytes(reply, what);
}
