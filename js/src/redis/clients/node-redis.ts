/**
 * {@link RedisCommands} over the application's node-redis client (`createClient`) or cluster
 * (`createCluster`), node-redis 5.9 or later. Nothing here imports node-redis: the adapter
 * calls the methods the client already has (`sendCommand`, `duplicate`, `nodeClient`,
 * `masters`), so the library is loaded only by the application.
 */

import { StoreError, timedOut, within } from "../errors.js";
import {
  addressOf,
  mastersOfClusterNodes,
  parseAddress,
  trackingInfo,
  trackingOn,
  TRACKING_CLIENT_NAME,
  type Arg,
  type NodeAddress,
  type RedisCommands,
  type TrackingConn,
  type TrackingConnOptions,
} from "./types.js";

/**
 * Replies' bulk strings as `Buffer`s: node-redis' `{ [RESP_TYPES.BLOB_STRING]: Buffer }`, with
 * the constant's value (`$`, 36) so that node-redis need not be imported for it.
 */
export const BLOB_STRING = 36;
const BUFFERS = Object.freeze({ [BLOB_STRING]: Buffer });

/** How long a connection of the adapter's own to a node the cluster could not route to may take to open, ms. */
export const DIRECT_CONNECT_TIMEOUT_MS = 2_000;

/** What the adapter uses of a node-redis client (node-redis 5.9+). */
export interface NodeRedisClientLike {
  readonly isOpen: boolean;
  readonly options?: Record<string, unknown> | undefined;
  sendCommand(args: Arg[], options?: object): Promise<unknown>;
  duplicate(overrides?: object): NodeRedisClientLike;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** A node of a node-redis cluster's slot map (`cluster.masters`). */
export interface NodeRedisShardNode {
  readonly host: string;
  readonly port: number;
  readonly address?: string;
}

/** What the adapter uses of a node-redis cluster (node-redis 5.9+). */
export interface NodeRedisClusterLike {
  readonly isOpen: boolean;
  readonly masters: readonly NodeRedisShardNode[];
  readonly nodeByAddress?: Map<string, NodeRedisShardNode> | undefined;
  readonly _options?: { nodeAddressMap?: unknown; keyPrefix?: unknown } | undefined;
  sendCommand(firstKey: Arg | undefined, isReadonly: boolean | undefined, args: Arg[], options?: object): Promise<unknown>;
  nodeClient(node: NodeRedisShardNode): Promise<NodeRedisClientLike> | NodeRedisClientLike;
}

/** Whether `x` has the shape of a node-redis client (`createClient`). */
export function isNodeRedisClient(x: object): x is NodeRedisClientLike {
  const c = x as Record<string, unknown>;
  return (
    typeof c.sendCommand === "function" &&
    typeof c.duplicate === "function" &&
    typeof c.connect === "function" &&
    typeof c.isOpen === "boolean" &&
    !("masters" in c) &&
    typeof c.callBuffer !== "function" &&
    typeof c.getMasterNode !== "function"
  );
}

/** Whether `x` has the shape of a node-redis cluster (`createCluster`). */
export function isNodeRedisCluster(x: object): x is NodeRedisClusterLike {
  const c = x as Record<string, unknown>;
  return typeof c.sendCommand === "function" && typeof c.nodeClient === "function" && "masters" in c && typeof c.callBuffer !== "function";
}

/** The `host:port` a node-redis "Cannot find node" error names, or undefined for any other error. */
export function unknownNode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const m = /^Cannot find node (\S+)$/.exec(e.message);
  return m?.[1];
}

function isRedirect(e: unknown): boolean {
  return e instanceof Error && /^(MOVED|ASK) /.test(e.message);
}

function destroy(c: NodeRedisClientLike): void {
  try {
    c.destroy();
  } catch {
    // already closed
  }
}

/** The overrides that make a duplicate a connection of our own: no reconnection, no offline queue, no cache, no key prefix. */
function ownConnection(base: NodeRedisClientLike, socket: Record<string, unknown>, extra: object): object {
  const options = base.options ?? {};
  return {
    // The URL was parsed into the options (socket, credentials, database) when the client was made.
    url: undefined,
    clientSideCache: undefined,
    emitInvalidate: false,
    disableOfflineQueue: true,
    readonly: false,
    commandOptions: undefined,
    himportRegistry: undefined,
    pingInterval: undefined,
    maintNotifications: "disabled",
    keyPrefix: undefined,
    socket: { ...((options.socket as Record<string, unknown> | undefined) ?? {}), ...socket, reconnectStrategy: false },
    ...extra,
  };
}

async function connectWithin(c: NodeRedisClientLike, ms: number, what: string): Promise<void> {
  const connected = c.connect();
  connected.catch(() => undefined);
  await within(connected, ms, () => timedOut(`a connection to ${what}`, ms));
}

async function call(c: NodeRedisClientLike, args: Arg[], ms: number, what: string): Promise<unknown> {
  const reply = c.sendCommand(args, { typeMapping: BUFFERS });
  reply.catch(() => undefined);
  return within(reply, ms, () => timedOut(`${String(args[0])} ${String(args[1] ?? "")} on ${what}`.trim(), ms));
}

/**
 * A RESP3 tracking connection made by `base.duplicate(...)`: node-redis emits each key of an
 * `invalidate` push (`emitInvalidate`, node-redis 5.9+), its handshake turns default-mode
 * tracking on, which this switches to `BCAST` (with the prefixes).
 */
async function openNodeRedisTracking(base: NodeRedisClientLike, socket: Record<string, unknown>, address: string, o: TrackingConnOptions): Promise<TrackingConn> {
  const client = base.duplicate(
    ownConnection(base, { ...socket, connectTimeout: o.timeoutMs }, { RESP: 3, emitInvalidate: true, name: o.name ?? TRACKING_CLIENT_NAME }),
  );
  const state = { lost: false, closed: false };
  const lose = (e?: unknown): void => {
    if (state.lost) return;
    state.lost = true;
    destroy(client);
    if (!state.closed) o.onLost(e instanceof Error ? e : new Error(`the tracking connection to ${address} closed`));
  };
  client.on("invalidate", (key: Buffer | string | null) => {
    if (state.lost) return;
    o.onInvalidate(key === null ? null : [Buffer.isBuffer(key) ? key : Buffer.from(String(key))]);
  });
  client.on("error", (e: unknown) => lose(e));
  client.on("end", () => lose());
  try {
    await connectWithin(client, o.timeoutMs, address);
    // node-redis before 5.9 ignores emitInvalidate: without tracking after its handshake there
    // would be no `invalidate` events either. Refuse unless the handshake turned it on.
    const before = trackingInfo(await call(client, ["CLIENT", "TRACKINGINFO"], o.timeoutMs, address));
    if (!before.flags.includes("on")) {
      throw new StoreError(
        "unavailable",
        `node-redis did not turn tracking on for ${address} (CLIENT TRACKINGINFO flags: ${before.flags.join(" ") || "none"}): tracking needs node-redis 5.9 or later`,
      );
    }
    const switched = Promise.all([client.sendCommand(["CLIENT", "TRACKING", "OFF"]), client.sendCommand(trackingOn(o.prefixes))]);
    switched.catch(() => undefined);
    await within(switched, o.timeoutMs, () => timedOut(`CLIENT TRACKING on ${address}`, o.timeoutMs));
    const after = trackingInfo(await call(client, ["CLIENT", "TRACKINGINFO"], o.timeoutMs, address));
    if (!after.flags.includes("on") || !after.flags.includes("bcast")) {
      throw new StoreError("unavailable", `${address} did not turn BCAST tracking on (CLIENT TRACKINGINFO flags: ${after.flags.join(" ")})`);
    }
    const id = Number(await call(client, ["CLIENT", "ID"], o.timeoutMs, address));
    if (state.lost) throw new StoreError("unavailable", `the tracking connection to ${address} was lost while it was opened`);
    return {
      address,
      connections: 1,
      clientIds: [id],
      get lost() {
        return state.lost || state.closed;
      },
      send: (args) => client.sendCommand([...args], { typeMapping: BUFFERS }),
      ping: async () => {
        await client.sendCommand(["PING"]);
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

/** A standalone node-redis client's address, from its options. */
function clientAddress(c: NodeRedisClientLike): NodeAddress {
  const socket = (c.options?.socket ?? {}) as { host?: unknown; port?: unknown; path?: unknown };
  if (typeof socket.path === "string") return { host: socket.path, port: 0 };
  return { host: typeof socket.host === "string" ? socket.host : "localhost", port: typeof socket.port === "number" ? socket.port : 6379 };
}

/** The adapter of a node-redis client (`createClient`). */
export class NodeRedisClientCommands implements RedisCommands {
  readonly library = "node-redis" as const;
  readonly isCluster = false;
  readonly description = "a node-redis client";

  constructor(readonly client: NodeRedisClientLike) {}

  send(_key: string, args: readonly Arg[]): Promise<unknown> {
    return this.client.sendCommand([...args], { typeMapping: BUFFERS });
  }

  masters(): Promise<NodeAddress[]> {
    return Promise.resolve([clientAddress(this.client)]);
  }

  openTracking(_node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn> {
    return openNodeRedisTracking(this.client, {}, addressOf(clientAddress(this.client)), options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The adapter of a node-redis cluster (`createCluster`). Every command goes to the slot's
 * master. node-redis follows `MOVED` and `ASK` itself, except an `ASK` to a master it does not
 * know (one that joined the cluster and is importing its first slot, so no slot map lists it
 * yet): it throws "Cannot find node host:port". The adapter then sends the command itself,
 * `ASKING` first, over a connection of its own to that node (made like the cluster's, kept
 * until {@link close} or until it drops), and asks the cluster again on a `MOVED`.
 */
export class NodeRedisClusterCommands implements RedisCommands {
  readonly library = "node-redis" as const;
  readonly isCluster = true;
  readonly description = "a node-redis cluster";
  /** Connections of our own to nodes the cluster could not route to, by address. */
  private readonly direct = new Map<string, Promise<NodeRedisClientLike>>();
  private closed = false;

  constructor(readonly client: NodeRedisClusterLike) {}

  async send(key: string, args: readonly Arg[]): Promise<unknown> {
    const first = key === "" ? undefined : key;
    for (let attempt = 0; ; attempt++) {
      try {
        // isReadonly false: a replica could answer with a value older than an invalidation.
        return await this.client.sendCommand(first, false, [...args], { typeMapping: BUFFERS });
      } catch (e) {
        const address = unknownNode(e);
        if (address === undefined || attempt >= 3) throw e;
        try {
          return await this.asking(address, args);
        } catch (e2) {
          // The slot moved on meanwhile (MOVED): ask the cluster again, which now knows.
          if (!isRedirect(e2) || attempt >= 3) throw e2;
        }
      }
    }
  }

  /** `ASKING` and the command, pipelined on a connection of our own to `address`. */
  private async asking(address: string, args: readonly Arg[]): Promise<unknown> {
    const c = await this.directTo(address);
    const [, reply] = await Promise.all([c.sendCommand(["ASKING"]), c.sendCommand([...args], { typeMapping: BUFFERS })]);
    return reply;
  }

  private directTo(address: string): Promise<NodeRedisClientLike> {
    if (this.closed) return Promise.reject(new StoreError("unavailable", "the adapter was closed"));
    let p = this.direct.get(address);
    if (p === undefined) {
      const made = (async () => {
        const { base, socket } = await this.nodeBase(address);
        const c = base.duplicate(ownConnection(base, socket, {}));
        const forget = (): void => {
          if (this.direct.get(address) === made) this.direct.delete(address);
          destroy(c);
        };
        c.on("error", forget);
        c.on("end", forget);
        await connectWithin(c, DIRECT_CONNECT_TIMEOUT_MS, address);
        return c;
      })();
      p = made;
      this.direct.set(address, made);
      made.catch(() => {
        if (this.direct.get(address) === made) this.direct.delete(address);
      });
    }
    return p;
  }

  /**
   * A client of the cluster to duplicate for a connection to `address`, and the socket options
   * that reach it: the node's own client when the slot map lists it, otherwise a master's, with
   * the address (through the cluster's `nodeAddressMap`, if any).
   */
  private async nodeBase(address: string): Promise<{ base: NodeRedisClientLike; socket: Record<string, unknown> }> {
    const known = this.client.nodeByAddress?.get(address) ?? this.client.masters.find((m) => `${m.host}:${m.port}` === address);
    if (known !== undefined) return { base: await this.client.nodeClient(known), socket: {} };
    const any = this.client.masters[0];
    if (any === undefined) throw new StoreError("unavailable", "the node-redis cluster knows no master (is it connected?)");
    const base = await this.client.nodeClient(any);
    const map = this.client._options?.nodeAddressMap;
    const mapped: unknown = typeof map === "function" ? (map as (a: string) => unknown)(address) : map !== null && typeof map === "object" ? (map as Record<string, unknown>)[address] : undefined;
    if (mapped !== undefined && mapped !== null && typeof mapped === "object") return { base, socket: { ...(mapped as Record<string, unknown>) } };
    const parsed = parseAddress(address);
    if (parsed === undefined) throw new StoreError("unavailable", `the node address ${JSON.stringify(address)} does not parse`);
    return { base, socket: { host: parsed.host, port: parsed.port } };
  }

  async masters(): Promise<NodeAddress[]> {
    let last: unknown = new StoreError("unavailable", "the node-redis cluster knows no master (is it connected?)");
    for (const m of this.client.masters) {
      try {
        const c = await this.client.nodeClient(m);
        const reply = await c.sendCommand(["CLUSTER", "NODES"], { typeMapping: BUFFERS });
        return mastersOfClusterNodes(String(reply), m.host);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  async openTracking(node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn> {
    const n = node ?? this.client.masters[0];
    if (n === undefined) throw new StoreError("unavailable", "the node-redis cluster knows no master (is it connected?)");
    const address = `${n.host}:${n.port}`;
    const { base, socket } = await this.nodeBase(address);
    return openNodeRedisTracking(base, socket, address, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.direct.values()];
    this.direct.clear();
    for (const p of all) {
      try {
        destroy(await p);
      } catch {
        // never connected
      }
    }
  }
}
