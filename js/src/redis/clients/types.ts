/**
 * The adapter interface: what the store, the cache and its tracker need of a Redis client,
 * whichever library the application uses. {@link RedisCommands} carries the commands;
 * {@link TrackingConn} is a tracking connection of the adapter's own to one server.
 *
 * Nothing here imports node-redis or ioredis: the adapters recognise a client by its shape
 * and call the methods it already has, so neither library is loaded unless the application
 * loaded it.
 */

import { bytesExpected } from "../../errors.js";
import { StoreError } from "../errors.js";

/** A command argument: text, or bytes sent as they are. */
export type Arg = string | Buffer;

/** Which library a client comes from. */
export type ClientLibrary = "node-redis" | "ioredis";

/** A server, by the address it is reached at. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** The client name every tracking connection carries (`CLIENT LIST` shows it). */
export const TRACKING_CLIENT_NAME = "sessionpack-tracking";

/**
 * What the store and the cache need of a Redis client: one small interface with an adapter
 * for each library (node-redis 5.9+ client and cluster, ioredis `Redis` and `Cluster`), made
 * by {@link adaptClient}.
 *
 * **Replies** are normalised the way the store's own connections return them: a bulk string is
 * a `Buffer` (never text, whatever decoding the client uses for its own commands), a nil reply
 * is `null`, an integer is a `number`, an array is an array of these; a simple-string reply
 * (`OK`, `PONG`) is a `string` from node-redis and a `Buffer` from ioredis (which does not tell
 * the two apart): compare it with `String(reply)`. An error reply rejects with the library's
 * error (its message starts with the server's code, `WRONGTYPE`, `MOVED`, …; from ioredis it is
 * an {@link ErrorReply}); a dropped or closed connection rejects with the library's error too.
 *
 * **Keys** are sent exactly as given: a client with a key prefix of its own is refused by
 * {@link adaptClient}, because the server's invalidations name whole keys.
 *
 * **Connections.** The adapter sends over the application's client and never closes it.
 * It opens connections of its own only for tracking ({@link openTracking}: one or two per
 * server, see there) and, on a cluster, to a node the application's client cannot route to (an
 * `ASK` to a master that joined after the client read the slot map); {@link close} closes
 * exactly those.
 *
 * ```ts
 * import Redis from "ioredis";
 * import { adaptClient } from "sessionpack/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!);       // the service's own client
 * const commands = adaptClient(redis);
 * const header = await commands.send("session:u1", ["GETRANGE", "session:u1", "0", "39"], true); // Buffer
 * await commands.close();                                // redis stays open
 * ```
 */
export interface RedisCommands {
  /** The library of the application's client. */
  readonly library: ClientLibrary;
  /** Whether the client is a Redis Cluster client. */
  readonly isCluster: boolean;
  /** What the client is, in words ("a node-redis cluster", "an ioredis Redis client", …). */
  readonly description: string;
  /** The application's client itself. */
  readonly client: object;

  /**
   * Sends `args` (one command whose first key is `key`; `""` for a command without keys) and
   * returns the reply, normalised as above. On a cluster, `key` routes the command and every
   * command goes to the slot's master (`readonly` never sends a read to a replica, which could
   * answer with a value older than an invalidation already received); `MOVED` and `ASK` are
   * followed, to masters that joined after the client connected too.
   */
  send(key: string, args: readonly Arg[], readonly: boolean): Promise<unknown>;

  /**
   * The masters to track: the server itself, or every master of the cluster the node the
   * client asks knows of (`CLUSTER NODES`: masters that joined and own no slot yet included,
   * failed ones excluded), sorted by address.
   */
  masters(): Promise<NodeAddress[]>;

  /**
   * Opens a tracking connection of the adapter's own to `node` (one of {@link masters}; ignored
   * for a single server), with the application client's connection options (TLS, user and
   * password, database, socket options, Sentinel for an ioredis client that uses it), turns
   * `CLIENT TRACKING ON BCAST` on with `options.prefixes`, and resolves once the server has
   * confirmed it (`CLIENT TRACKINGINFO`). It never reconnects: a lost connection is reported
   * once, by `options.onLost`, and the caller opens a new one.
   *
   * - node-redis: one RESP3 connection (`client.duplicate()`, or the cluster node's client's),
   *   whose `invalidate` pushes node-redis emits (`emitInvalidate`, node-redis 5.9+).
   * - ioredis: two RESP2 connections (`duplicate()` of the client, or of the cluster node's
   *   connection): a subscriber to `__redis__:invalidate`, and the connection that turns
   *   tracking on with `REDIRECT <the subscriber's CLIENT ID>`. ioredis (6.x included) parses
   *   RESP3 but drops the `invalidate` pushes it does not know, so the RESP2 channel is the one
   *   that reaches the application. Losing either connection is losing tracking: the server
   *   would drop the invalidations of a redirect whose target is gone.
   */
  openTracking(node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn>;

  /** Closes the connections the adapter opened itself; never the application's client. */
  close(): Promise<void>;
}

/** How {@link RedisCommands.openTracking} opens a tracking connection. */
export interface TrackingConnOptions {
  /** `CLIENT TRACKING … BCAST PREFIX p` for each; none: every key. */
  readonly prefixes: readonly string[];
  /** How long connecting and turning tracking on may take, ms. */
  readonly timeoutMs: number;
  /** The keys the server announced as changed, expired or evicted; `null`: the database was flushed. */
  readonly onInvalidate: (keys: Buffer[] | null) => void;
  /** Called once when a connection of the tracking is lost (closed, dropped, an error), never after {@link TrackingConn.close}. */
  readonly onLost: (reason: Error) => void;
  /** The client name of the connections (default {@link TRACKING_CLIENT_NAME}). */
  readonly name?: string;
}

/**
 * A tracking connection of the adapter's own to one server, with `CLIENT TRACKING ON BCAST`
 * on. Its invalidations and its loss go to the callbacks given to
 * {@link RedisCommands.openTracking}.
 */
export interface TrackingConn {
  /** `host:port` of the server. */
  readonly address: string;
  /** How many connections it holds: 1 (RESP3 pushes) or 2 (a RESP2 subscriber and a redirecting connection). */
  readonly connections: number;
  /** The `CLIENT ID`s of its connections, the one that receives the invalidations first. */
  readonly clientIds: readonly number[];
  /** Whether a connection was lost (or the tracking closed). */
  readonly lost: boolean;
  /** Sends a command on the connection that turned tracking on (`CLUSTER SLOTS`, …), normalised as {@link RedisCommands.send}. */
  send(args: readonly Arg[]): Promise<unknown>;
  /** Pings every connection it holds; resolves when all answered. */
  ping(): Promise<void>;
  /** Closes its connections at once; `onLost` is not called. */
  close(): void;
}

/**
 * An error reply of the server (`WRONGTYPE …`, `MOVED …`), for the libraries whose own class
 * for it is not recognised by name (ioredis' `ReplyError`). Its message is the server's.
 */
export class ErrorReply extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ErrorReply";
  }
}

/**
 * `reply` as bytes: a `Buffer` (a bulk string, or a `Uint8Array` given as a `Buffer` over the
 * same memory) or `null` (a missing key).
 *
 * A **string** is refused with `invalid_input`, saying that bytes were expected: the value was
 * decoded as text on its way (an application that read it with its own client's string
 * commands, ioredis `get` instead of `getBuffer`, or a client whose type mapping decodes bulk
 * strings), and a blob decoded as UTF-8 is damaged for good. Anything else is a `StoreError` of
 * kind `server`.
 *
 * ```ts
 * const blob = expectBytes(await redis.getBuffer(key), `GET ${key}`);   // Buffer | null
 * expectBytes(await redis.get(key), `GET ${key}`);                      // throws invalid_input: bytes expected
 * ```
 */
export function expectBytes(reply: unknown, what: string): Buffer | null {
  if (reply === null || Buffer.isBuffer(reply)) return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  if (typeof reply === "string") throw bytesExpected(reply, what);
  throw new StoreError("server", `${what} answered with ${describeValue(reply)}, not a string of bytes`);
}

/** The `invalid_input` of a string met where a blob's bytes were expected (the core's, re-exported). */
export { bytesExpected };

/** `value` in a few words, for messages: "a string", "null", "an object of class Foo", … */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" || typeof value === "symbol") {
    return `a ${typeof value} (${String(value)})`;
  }
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof value === "function") return `a function${typeof name === "string" && name !== "" ? ` (${name})` : ""}`;
  return typeof name === "string" && name !== "" && name !== "Object" ? `an object of class ${name}` : "a plain object";
}

/** `host:port`, with an IPv6 host in brackets. */
export function addressOf(n: NodeAddress): string {
  return `${n.host.includes(":") ? `[${n.host}]` : n.host}:${n.port}`;
}

/** `host:port` (IPv6 hosts in brackets, as Redis writes them) as a {@link NodeAddress}; undefined when it does not parse. */
export function parseAddress(address: string): NodeAddress | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) return undefined;
  return { host: m[1]!, port };
}

/**
 * The masters in a `CLUSTER NODES` reply (`seedHost` for a node that reports no address of its
 * own), without failed, handshaking or address-less ones, sorted by address.
 */
export function mastersOfClusterNodes(reply: string, seedHost: string): NodeAddress[] {
  const out = new Map<string, NodeAddress>();
  for (const line of reply.split("\n")) {
    const fields = line.trim().split(" ");
    if (fields.length < 3) continue;
    const flags = fields[2]!.split(",");
    if (!flags.includes("master") || flags.some((f) => f === "fail" || f === "fail?" || f === "handshake" || f === "noaddr")) continue;
    // ip:port@cport[,hostname]
    const addr = fields[1]!.split("@")[0]!;
    const parsed = parseAddress(addr);
    if (parsed === undefined) continue;
    const n = parsed.host === "" ? { host: seedHost, port: parsed.port } : parsed;
    out.set(addressOf(n), n);
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, n]) => n);
}

/** `CLIENT TRACKINGINFO`'s reply (a map, a flat array, Buffers or strings) as `{ flags, redirect }`. */
export function trackingInfo(reply: unknown): { flags: string[]; redirect: number } {
  const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v));
  const fields = new Map<string, unknown>();
  if (reply instanceof Map) {
    for (const [k, v] of reply) fields.set(text(k), v);
  } else if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(text(reply[i]), reply[i + 1]);
  } else if (reply !== null && typeof reply === "object") {
    for (const [k, v] of Object.entries(reply)) fields.set(k, v);
  }
  const flags = fields.get("flags");
  const redirect = fields.get("redirect");
  return {
    flags: Array.isArray(flags) ? flags.map(text) : flags instanceof Set ? [...flags].map(text) : [],
    redirect: typeof redirect === "number" ? redirect : Number(text(redirect)),
  };
}

/** The arguments of `CLIENT TRACKING ON BCAST [REDIRECT id] [PREFIX p …]`. */
export function trackingOn(prefixes: readonly string[], redirect?: number): string[] {
  const on = ["CLIENT", "TRACKING", "ON", "BCAST"];
  if (redirect !== undefined) on.push("REDIRECT", String(redirect));
  for (const p of prefixes) on.push("PREFIX", p);
  return on;
}
