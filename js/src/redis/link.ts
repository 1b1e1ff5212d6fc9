/**
 * The connection a store or a cache sends its commands over: one node-redis client for a
 * server, or a node-redis cluster client, held to the target's timeouts, made anew after a
 * timeout or a dropped connection (node-redis never reconnects on its own here, so a call
 * never waits in an offline queue).
 *
 * Every Redis call of the store and the cache goes through {@link Link.query} (and
 * {@link Link.script}): the one seam where another client (the application's own node-redis or
 * ioredis) can be put later.
 */

import { createHash } from "node:crypto";
import { createClient, createCluster, RESP_TYPES } from "redis";
import { classify, StoreError, timedOut, within } from "./errors.js";
import type { Target } from "./target.js";

/** A command argument. */
export type Arg = string | Buffer;

/** Replies' bulk strings as `Buffer`s (node-redis gives strings by default). */
const BUFFERS = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

interface Conn {
  send(key: string, args: Arg[], readonly: boolean): Promise<unknown>;
  destroy(): void;
  close(): Promise<void>;
}

/** node-redis socket options that leave reconnecting to us. */
export function socketOptions(target: Target): { connectTimeout: number; reconnectStrategy: false } {
  return { connectTimeout: target.connectTimeoutMs, reconnectStrategy: false };
}

function standalone(target: Target, onBroken: () => void): { conn: Conn; ready: Promise<unknown> } {
  const client = createClient({
    url: target.urls[0]!,
    socket: socketOptions(target),
    disableOfflineQueue: true,
  });
  client.on("error", onBroken);
  client.on("end", onBroken);
  const conn: Conn = {
    send: (_key, args) => client.sendCommand(args, { typeMapping: BUFFERS }),
    destroy: () => {
      try {
        client.destroy();
      } catch {
        // already closed
      }
    },
    close: async () => {
      // node-redis' close() waits for the socket to end, which never happens when the server
      // died before the client noticed (it then still reports itself open): bounded, then destroyed.
      try {
        if (client.isOpen) await within(client.close(), target.timeoutMs, () => timedOut("closing the connection", target.timeoutMs));
      } catch {
        // gone already, or not closing: destroyed below
      }
      destroyClient(client);
    },
  };
  return { conn, ready: client.connect() };
}

/** What the link uses of a node-redis client of its own to one cluster node. */
interface NodeClient {
  connect(): Promise<unknown>;
  sendCommand(args: Arg[], options?: { typeMapping: typeof BUFFERS }): Promise<unknown>;
  destroy(): void;
  on(event: "error" | "end", listener: () => void): unknown;
}

/** What node-redis' cluster client throws when an `ASK` names a node its slot map lacks. */
const UNKNOWN_NODE = /^Cannot find node (\S+)$/;

/** The address `host:port` of an `ASK`/`MOVED` reply or a node-redis message, as `[host, port]`. */
export function splitAddress(address: string): [string, number] | undefined {
  const i = address.lastIndexOf(":");
  if (i <= 0) return undefined;
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) return undefined;
  let host = address.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return [host, port];
}

/** `seed` with its host and port replaced (its scheme, credentials and database kept). */
export function nodeUrl(seed: string, host: string, port: number): string {
  const u = new URL(seed);
  u.hostname = host.includes(":") ? `[${host}]` : host;
  u.port = String(port);
  return u.toString();
}

/**
 * node-redis' cluster client, plus what it cannot do: follow an `ASK` to a node outside its slot
 * map. It learns the nodes from `CLUSTER SLOTS`, which lists only masters owning a slot, so a
 * master added with `CLUSTER MEET` that imports its first slot is unknown to it even after it
 * rediscovers; it then throws "Cannot find node host:port". On that error the command is sent
 * to that node here, on a connection of its own, after `ASKING` (both written at once, so
 * nothing comes between them); a `MOVED`/`ASK` answer there (the migration ended meanwhile) is
 * retried once through the cluster client, which rediscovers.
 */
function cluster(target: Target, onBroken: () => void): { conn: Conn; ready: Promise<unknown> } {
  const client = createCluster({
    rootNodes: target.urls.map((url) => ({ url })),
    defaults: { socket: socketOptions(target), disableOfflineQueue: true },
    useReplicas: false,
    maxCommandRedirections: 16,
  });
  client.on("error", onBroken);
  /** Connections to nodes outside node-redis' slot map, by address. */
  const extra = new Map<string, Promise<NodeClient>>();
  let destroyed = false;
  const forget = (address: string, which: Promise<unknown>): void => {
    if (extra.get(address) !== which) return;
    extra.delete(address);
    which.then(
      (c) => destroyClient(c as NodeClient),
      () => undefined,
    );
  };
  const node = (address: string): Promise<NodeClient> => {
    let made = extra.get(address);
    if (made === undefined) {
      const hp = splitAddress(address);
      if (hp === undefined) return Promise.reject(new StoreError("server", `Redis redirected to ${JSON.stringify(address)}, not a host:port`));
      const c = createClient({
        url: nodeUrl(target.urls[0]!, hp[0], hp[1]),
        socket: socketOptions(target),
        disableOfflineQueue: true,
      }) as unknown as NodeClient;
      const p: Promise<NodeClient> = c.connect().then(() => c);
      made = p;
      c.on("error", () => forget(address, p));
      c.on("end", () => forget(address, p));
      p.catch(() => {
        destroyClient(c);
        forget(address, p);
      });
      extra.set(address, p);
    }
    return made;
  };
  const viaCluster = (key: string, args: Arg[], readonly: boolean): Promise<unknown> =>
    client.sendCommand(key, readonly, args, { typeMapping: BUFFERS });
  const send = async (key: string, args: Arg[], readonly: boolean): Promise<unknown> => {
    try {
      return await viaCluster(key, args, readonly);
    } catch (e) {
      const m = e instanceof Error ? UNKNOWN_NODE.exec(e.message) : null;
      if (m === null || destroyed) throw e;
      const address = m[1]!;
      let c: NodeClient;
      try {
        c = await node(address);
      } catch (err) {
        throw new StoreError("unavailable", `Redis redirected to ${address} (ASK), which cannot be reached: ${String(err)}`, { cause: err });
      }
      const asking = c.sendCommand(["ASKING"]);
      const reply = c.sendCommand(args, { typeMapping: BUFFERS });
      asking.catch(() => undefined);
      try {
        await Promise.all([asking, reply]);
        return await reply;
      } catch (err) {
        if (err instanceof Error && /^(MOVED|ASK) /.test(err.message)) return viaCluster(key, args, readonly);
        throw err;
      }
    }
  };
  const conn: Conn = {
    send,
    destroy: () => {
      destroyed = true;
      for (const [a, p] of [...extra]) forget(a, p);
      try {
        client.destroy();
      } catch {
        // not connected: nothing to destroy
      }
    },
    close: async () => {
      destroyed = true;
      for (const [a, p] of [...extra]) forget(a, p);
      try {
        await within(client.close(), target.timeoutMs, () => timedOut("closing the connections", target.timeoutMs));
      } catch {
        // gone already, or not closing: destroyed below
      }
      destroyClient(client);
    },
  };
  return { conn, ready: client.connect() };
}

function destroyClient(c: { destroy(): void }): void {
  try {
    c.destroy();
  } catch {
    // already closed
  }
}

/**
 * One logical connection to a target. `query` connects on first use (and after any timeout or
 * dropped connection), sends one command routed by `key`, and classifies failures.
 */
export class Link {
  private current: Promise<Conn> | undefined;
  private closed = false;

  constructor(readonly target: Target) {}

  /** A link whose first connection is made (so a bad target fails here). */
  static async connect(target: Target): Promise<Link> {
    const link = new Link(target);
    try {
      await link.conn();
    } catch (e) {
      throw classify(e, "");
    }
    return link;
  }

  private conn(): Promise<Conn> {
    if (this.closed) return Promise.reject(new StoreError("unavailable", "the store or cache was closed"));
    if (this.current === undefined) {
      const target = this.target;
      let made: Conn | undefined;
      const opening = (async () => {
        const { conn, ready } = (target.isCluster ? cluster : standalone)(target, () => this.drop(opening));
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

  /** Forgets the connection `which` (if it is still the current one) and destroys it. */
  private drop(which: Promise<Conn>): void {
    if (this.current !== which) return;
    this.current = undefined;
    which.then(
      (c) => c.destroy(),
      () => undefined,
    );
  }

  /** Sends `args` (a command on `key`) and returns the reply, bulk strings as `Buffer`s. */
  async query(key: string, args: Arg[], readonly = false): Promise<unknown> {
    const current = this.conn();
    let conn: Conn;
    try {
      conn = await current;
    } catch (e) {
      throw classify(e, key);
    }
    const ms = this.target.timeoutMs;
    try {
      return await within(conn.send(key, args, readonly), ms, () => timedOut(`${String(args[0])} ${JSON.stringify(key)}`, ms));
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

  /** Closes the connection; later calls fail with `unavailable`. */
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

/** `reply` as bytes: a `Buffer` (a bulk string) or `null` (a missing key). */
export function bulk(reply: unknown, what: string): Buffer | null {
  if (reply === null || Buffer.isBuffer(reply)) return reply;
  throw new StoreError("server", `${what} answered with ${typeof reply}, not a string`);
}
