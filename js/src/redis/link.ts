/**
 * The connection a store or a cache sends its commands over: one node-redis client for a
 * server, or a node-redis cluster client, held to the target's timeouts, made anew after a
 * timeout or a dropped connection (node-redis never reconnects on its own here, so a call
 * never waits in an offline queue).
 */

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
      if (client.isOpen) await client.close();
    },
  };
  return { conn, ready: client.connect() };
}

function cluster(target: Target, onBroken: () => void): { conn: Conn; ready: Promise<unknown> } {
  const client = createCluster({
    rootNodes: target.urls.map((url) => ({ url })),
    defaults: { socket: socketOptions(target), disableOfflineQueue: true },
    useReplicas: false,
    maxCommandRedirections: 16,
  });
  client.on("error", onBroken);
  const conn: Conn = {
    send: (key, args, readonly) => client.sendCommand(key, readonly, args, { typeMapping: BUFFERS }),
    destroy: () => {
      try {
        client.destroy();
      } catch {
        // not connected: nothing to destroy
      }
    },
    close: async () => {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
  return { conn, ready: client.connect() };
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

/** `reply` as bytes: a `Buffer` (a bulk string) or `null` (a missing key). */
export function bulk(reply: unknown, what: string): Buffer | null {
  if (reply === null || Buffer.isBuffer(reply)) return reply;
  throw new StoreError("server", `${what} answered with ${typeof reply}, not a string`);
}
