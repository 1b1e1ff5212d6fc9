/**
 * {@link RedisCommands} over the application's ioredis client (`new Redis(…)`, Sentinel
 * included) or cluster (`new Redis.Cluster(…)`), ioredis 5 or 6. Nothing here imports ioredis:
 * the adapter calls the methods the client already has (`callBuffer`, `duplicate`, `nodes`).
 */

import { StoreError, timedOut, within } from "../errors.js";
import {
  addressOf,
  ErrorReply,
  mastersOfClusterNodes,
  trackingInfo,
  trackingOn,
  TRACKING_CLIENT_NAME,
  type Arg,
  type NodeAddress,
  type RedisCommands,
  type TrackingConn,
  type TrackingConnOptions,
} from "./types.js";

/** What the adapter uses of an ioredis `Redis` client. */
export interface IoRedisLike {
  readonly status: string;
  readonly options: Record<string, unknown>;
  readonly isCluster?: boolean;
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  duplicate(override?: object): IoRedisLike;
  connect(): Promise<unknown>;
  disconnect(reconnect?: boolean): void;
  subscribe(...channels: string[]): Promise<unknown>;
  ping(): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** What the adapter uses of an ioredis `Cluster`. */
export interface IoClusterLike {
  readonly isCluster: true;
  readonly status: string;
  readonly options: Record<string, unknown>;
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  nodes(role?: "all" | "master" | "slave"): IoRedisLike[];
}

/** Whether `x` has the shape of an ioredis `Redis` client. */
export function isIoRedis(x: object): x is IoRedisLike {
  const c = x as Record<string, unknown>;
  return (
    typeof c.callBuffer === "function" &&
    c.isCluster !== true &&
    typeof c.status === "string" &&
    typeof c.options === "object" &&
    c.options !== null &&
    typeof c.duplicate === "function"
  );
}

/** Whether `x` has the shape of an ioredis `Cluster`. */
export function isIoCluster(x: object): x is IoClusterLike {
  const c = x as Record<string, unknown>;
  return typeof c.callBuffer === "function" && c.isCluster === true && typeof c.nodes === "function";
}

/** The channel Redis publishes a RESP2 redirect's invalidations on. */
export const INVALIDATE_CHANNEL = "__redis__:invalidate";

/**
 * `callBuffer`, with error replies as {@link ErrorReply}s (ioredis' own `ReplyError` is not
 * recognised by name elsewhere) and every other error as it came.
 */
async function send(c: { callBuffer(command: string, ...args: Arg[]): Promise<unknown> }, args: readonly Arg[]): Promise<unknown> {
  const [command, ...rest] = args;
  if (command === undefined) throw new TypeError("no command to send");
  try {
    return await c.callBuffer(String(command), ...rest);
  } catch (e) {
    if (e instanceof Error && e.name === "ReplyError") throw new ErrorReply(e.message, { cause: e });
    throw e;
  }
}

/** The overrides that make `duplicate()` a connection of our own: RESP2, no reconnection, no queue, no prefix. */
function ownConnection(name: string, timeoutMs: number, node: NodeAddress | undefined): object {
  return {
    ...(node === undefined ? {} : { host: node.host, port: node.port }),
    lazyConnect: true,
    // ioredis 6 speaks RESP3 by default and drops `invalidate` pushes; on RESP2 the invalidations
    // arrive as messages of the __redis__:invalidate channel, which ioredis delivers.
    protocol: 2,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    readOnly: false,
    keyPrefix: "",
    connectionName: name,
    connectTimeout: timeoutMs,
  };
}

/**
 * Two RESP2 connections made by `base.duplicate(...)`: a subscriber to `__redis__:invalidate`,
 * and a connection with `CLIENT TRACKING ON BCAST REDIRECT <subscriber id>`. Losing either is
 * losing tracking.
 */
async function openIoTracking(base: IoRedisLike, node: NodeAddress | undefined, address: string, o: TrackingConnOptions): Promise<TrackingConn> {
  const name = o.name ?? TRACKING_CLIENT_NAME;
  const sub = base.duplicate(ownConnection(name, o.timeoutMs, node));
  const cmd = base.duplicate(ownConnection(name, o.timeoutMs, node));
  const state = { lost: false, closed: false };
  const lose = (e?: unknown): void => {
    if (state.lost) return;
    state.lost = true;
    for (const c of [sub, cmd]) {
      try {
        c.disconnect();
      } catch {
        // already closed
      }
    }
    if (!state.closed) o.onLost(e instanceof Error ? e : new Error(`a tracking connection to ${address} closed`));
  };
  for (const c of [sub, cmd]) {
    c.on("error", (e: unknown) => lose(e));
    c.on("close", () => lose());
    c.on("end", () => lose());
  }
  sub.on("messageBuffer", (channel: Buffer, message: unknown) => {
    if (state.lost || channel.toString() !== INVALIDATE_CHANNEL) return;
    if (message === null || message === undefined) o.onInvalidate(null);
    else if (Array.isArray(message)) o.onInvalidate(message.map(keyBytes));
    else o.onInvalidate([keyBytes(message)]);
  });
  const t = o.timeoutMs;
  const step = <T>(p: Promise<T>, what: string): Promise<T> => {
    p.catch(() => undefined);
    return within(p, t, () => timedOut(`${what} on ${address}`, t));
  };
  try {
    await step(Promise.all([sub.connect(), cmd.connect()]), "connecting for tracking");
    const subId = Number(await step(send(sub, ["CLIENT", "ID"]), "CLIENT ID"));
    const cmdId = Number(await step(send(cmd, ["CLIENT", "ID"]), "CLIENT ID"));
    await step(sub.subscribe(INVALIDATE_CHANNEL), `SUBSCRIBE ${INVALIDATE_CHANNEL}`);
    await step(send(cmd, trackingOn(o.prefixes, subId)), "CLIENT TRACKING");
    const info = trackingInfo(await step(send(cmd, ["CLIENT", "TRACKINGINFO"]), "CLIENT TRACKINGINFO"));
    if (!info.flags.includes("on") || !info.flags.includes("bcast") || info.redirect !== subId) {
      throw new StoreError(
        "unavailable",
        `${address} did not turn BCAST tracking on with a redirect to ${subId} (CLIENT TRACKINGINFO flags: ${info.flags.join(" ")}, redirect ${info.redirect})`,
      );
    }
    if (state.lost) throw new StoreError("unavailable", `a tracking connection to ${address} was lost while it was opened`);
    return {
      address,
      connections: 2,
      clientIds: [subId, cmdId],
      get lost() {
        return state.lost || state.closed;
      },
      send: (args) => send(cmd, args),
      ping: async () => {
        await Promise.all([sub.ping(), send(cmd, ["PING"])]);
      },
      close: () => {
        state.closed = true;
        lose();
      },
    };
  } catch (e) {
    state.closed = true;
    lose();
    throw e;
  }
}

/** A key of an invalidation push: ioredis hands its subscriber Buffers; text (or a number) as its UTF-8 bytes. */
function keyBytes(k: unknown): Buffer {
  if (Buffer.isBuffer(k)) return k;
  return Buffer.from(typeof k === "string" ? k : typeof k === "number" ? String(k) : JSON.stringify(k) ?? "");
}

function hostPort(options: Record<string, unknown>): NodeAddress {
  const host = typeof options.host === "string" ? options.host : typeof options.path === "string" ? options.path : "localhost";
  return { host, port: typeof options.port === "number" ? options.port : typeof options.path === "string" ? 0 : 6379 };
}

/** The adapter of an ioredis `Redis` client (a Sentinel-managed one included: its duplicates find the master the same way). */
export class IoRedisCommands implements RedisCommands {
  readonly library = "ioredis" as const;
  readonly isCluster = false;
  readonly description = "an ioredis Redis client";

  constructor(readonly client: IoRedisLike) {}

  send(_key: string, args: readonly Arg[]): Promise<unknown> {
    return send(this.client, args);
  }

  masters(): Promise<NodeAddress[]> {
    return Promise.resolve([hostPort(this.client.options)]);
  }

  openTracking(_node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn> {
    return openIoTracking(this.client, undefined, addressOf(hostPort(this.client.options)), options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The adapter of an ioredis `Cluster`. ioredis follows `MOVED` and `ASK` itself, to nodes it
 * did not know too (it connects to the node named by the redirect). The cluster must read from
 * masters (`scaleReads: "master"`, the default), which {@link adaptClient} checks.
 */
export class IoClusterCommands implements RedisCommands {
  readonly library = "ioredis" as const;
  readonly isCluster = true;
  readonly description = "an ioredis Cluster";

  constructor(readonly client: IoClusterLike) {}

  send(_key: string, args: readonly Arg[]): Promise<unknown> {
    return send(this.client, args);
  }

  async masters(): Promise<NodeAddress[]> {
    const reply = await send(this.client, ["CLUSTER", "NODES"]);
    const seed = this.client.nodes("all")[0];
    return mastersOfClusterNodes(String(reply), seed === undefined ? "127.0.0.1" : hostPort(seed.options).host);
  }

  /** `node` through the cluster's `natMap`, if any. */
  private mapped(node: NodeAddress): NodeAddress {
    const key = `${node.host}:${node.port}`;
    const map = this.client.options.natMap;
    const m: unknown = typeof map === "function" ? (map as (k: string) => unknown)(key) : map !== null && typeof map === "object" ? (map as Record<string, unknown>)[key] : undefined;
    if (m !== null && typeof m === "object") {
      const { host, port } = m as { host?: unknown; port?: unknown };
      if (typeof host === "string" && typeof port === "number") return { host, port };
    }
    return node;
  }

  async openTracking(node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn> {
    const nodes = this.client.nodes("all");
    const target = node === undefined ? undefined : this.mapped(node);
    const own = target === undefined ? this.client.nodes("master")[0] : nodes.find((n) => addressOf(hostPort(n.options)) === addressOf(target));
    const base = own ?? nodes[0];
    if (base === undefined) throw new StoreError("unavailable", "the ioredis Cluster has no node connection (is it connected?)");
    const at = target ?? hostPort(base.options);
    // The node's own connection carries the cluster's redisOptions; another node's, with the address replaced, for a node the pool lacks.
    return openIoTracking(base, own === undefined ? at : undefined, node === undefined ? addressOf(at) : `${node.host}:${node.port}`, options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
