/**
 * The tracker: one RESP3 connection per server (per master of a cluster) in
 * `CLIENT TRACKING ON BCAST` mode, whose invalidation pushes evict the cache's entries; it
 * pings every server each heartbeat and tells the cache when tracking is live and when it is
 * lost. It runs on the event loop, next to the cache's calls.
 */

import { createClient } from "redis";
import { timedOut, within } from "./errors.js";
import { socketOptions } from "./link.js";
import type { ResolvedTracking, Shared } from "./shared.js";
import type { Target } from "./target.js";

/** The client name the tracker's connections carry (`CLIENT LIST` shows it). */
export const CLIENT_NAME = "sessionpack-tracking";

/** What the tracker uses of a node-redis client. */
interface TrackingClient {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
  on(event: "invalidate", listener: (key: Buffer | null) => void): unknown;
  on(event: "error" | "end", listener: () => void): unknown;
}

function makeClient(options: Parameters<typeof createClient>[0]): TrackingClient {
  return createClient(options) as unknown as TrackingClient;
}

/** `[first slot, last slot, host, port]` of each master, sorted. */
type Topology = [number, number, string, number][];

interface Watch {
  readonly clients: TrackingClient[];
  readonly topology: Topology;
  /** Set when a connection of this generation errs or ends. */
  readonly lost: { value: boolean };
}

export class Tracker {
  private stopped = false;
  /** Ends the current pause early (stop, or a lost connection). */
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: Target,
    private readonly options: ResolvedTracking,
    private readonly shared: Shared,
  ) {}

  start(): void {
    this.running = this.run();
  }

  /** Stops the tracker and closes its connections. */
  async close(): Promise<void> {
    this.stopped = true;
    this.interrupt();
    await this.running;
  }

  private interrupt(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Sleeps `ms`, or until {@link interrupt}; holds nothing once it returns. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        if (this.wake === done) this.wake = undefined;
        resolve();
      }, ms);
      const done = (): void => {
        clearTimeout(t);
        resolve();
      };
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const generation = this.shared.nextGeneration();
      const clients: TrackingClient[] = [];
      const lost = { value: false };
      try {
        const watch = await this.establish(generation, clients, lost);
        if (!this.stopped && !watch.lost.value) {
          this.shared.wentLive(generation);
          await this.watch(watch);
        }
      } catch {
        // Not established, or lost: header checks until the next attempt succeeds.
      }
      this.shared.wentDead(generation);
      // Over: the 'end' events of the connections closed now must not cut the next pause short.
      lost.value = true;
      for (const c of clients) destroy(c);
      if (!this.stopped) await this.pause(this.options.retryMs);
    }
  }

  /** Connects to every server and turns tracking on; `clients` collects what was opened, to close. */
  private async establish(generation: number, clients: TrackingClient[], lost: { value: boolean }): Promise<Watch> {
    const onLost = (): void => {
      if (lost.value) return;
      lost.value = true;
      this.interrupt();
    };
    let nodes: string[];
    let topology: Topology = [];
    if (this.target.isCluster) {
      topology = await this.discover();
      nodes = [...new Set(topology.map(([, , host, port]) => nodeUrl(this.target.urls[0]!, host, port)))].sort();
    } else {
      nodes = [this.target.urls[0]!];
    }
    for (const url of nodes) await this.track(url, generation, onLost, clients);
    return { clients, topology, lost };
  }

  /** A RESP3 connection to `url` whose invalidation pushes go to the cache, with `BCAST` tracking on; added to `clients` at once (to be closed). */
  private async track(url: string, generation: number, onLost: () => void, clients: TrackingClient[]): Promise<TrackingClient> {
    const shared = this.shared;
    const client = makeClient({
      url,
      RESP: 3,
      // node-redis turns default-mode tracking on in its handshake and emits each key of an
      // `invalidate` push (null for a flush); the mode is switched to BCAST below.
      emitInvalidate: true,
      name: CLIENT_NAME,
      socket: socketOptions(this.target),
      disableOfflineQueue: true,
    });
    clients.push(client);
    client.on("invalidate", (key: Buffer | null) => {
      if (shared.isCurrent(generation)) shared.heard();
      if (key === null) shared.flush();
      else shared.invalidate(key);
    });
    const lose = (): void => {
      shared.wentDead(generation);
      onLost();
    };
    client.on("error", lose);
    client.on("end", lose);
    const t = this.options.heartbeatTimeoutMs + this.target.connectTimeoutMs;
    const connected = client.connect();
    connected.catch(() => undefined);
    await within(connected, t, () => timedOut(`a tracking connection to ${url}`, t));
    // node-redis before 5.9 ignores emitInvalidate: no tracking after its handshake would mean
    // no 'invalidate' events either, so an entry would never be evicted. Refuse to go live
    // (the cache keeps checking headers) unless the handshake did turn tracking on.
    const info = client.sendCommand(["CLIENT", "TRACKINGINFO"]);
    info.catch(() => undefined);
    const flags = JSON.stringify(await within(info, t, () => timedOut(`CLIENT TRACKINGINFO on ${url}`, t)), (_k, v: unknown) =>
      v instanceof Map ? Object.fromEntries(v) : Buffer.isBuffer(v) ? v.toString() : v,
    );
    if (!/"on"/.test(flags)) {
      throw new Error(`node-redis did not turn tracking on (CLIENT TRACKINGINFO: ${flags}): the sessionpack cache needs node-redis 5.9 or later`);
    }
    const on = ["CLIENT", "TRACKING", "ON", "BCAST"];
    for (const p of this.options.prefixes) on.push("PREFIX", p);
    const switched = Promise.all([client.sendCommand(["CLIENT", "TRACKING", "OFF"]), client.sendCommand(on)]);
    switched.catch(() => undefined);
    await within(switched, t, () => timedOut(`CLIENT TRACKING on ${url}`, t));
    return client;
  }

  /** The cluster's slot map, from the first seed that answers. */
  private async discover(): Promise<Topology> {
    let last: unknown = new Error("no cluster seed");
    for (const seed of this.target.urls) {
      const client = makeClient({ url: seed, socket: socketOptions(this.target), disableOfflineQueue: true });
      client.on("error", () => undefined);
      try {
        const t = this.target.connectTimeoutMs + this.options.heartbeatTimeoutMs;
        const connected = client.connect();
        connected.catch(() => undefined);
        await within(connected, t, () => timedOut(`a connection to ${seed}`, t));
        return await slots(client, seed, this.options.heartbeatTimeoutMs);
      } catch (e) {
        last = e;
      } finally {
        destroy(client);
      }
    }
    throw last;
  }

  /** Pings every server each heartbeat until a connection is lost, a ping fails, the slot map changes, or the tracker stops. */
  private async watch(w: Watch): Promise<void> {
    const ms = this.options.heartbeatTimeoutMs;
    for (;;) {
      await this.pause(this.options.heartbeatMs);
      if (this.stopped || w.lost.value) return;
      const pings = Promise.all(w.clients.map((c) => c.sendCommand(["PING"])));
      pings.catch(() => undefined);
      await within(pings, ms, () => timedOut("PING", ms));
      if (w.topology.length > 0 && w.clients[0] !== undefined) {
        const now = await slots(w.clients[0], "", ms);
        if (JSON.stringify(now) !== JSON.stringify(w.topology)) return;
      }
      if (this.stopped || w.lost.value) return;
      this.shared.heard();
    }
  }
}

function destroy(c: TrackingClient): void {
  try {
    c.destroy();
  } catch {
    // already closed
  }
}

/** `seed` with its host and port replaced (its scheme, credentials and database kept). */
function nodeUrl(seed: string, host: string, port: number): string {
  const u = new URL(seed);
  u.hostname = host.includes(":") ? `[${host}]` : host;
  u.port = String(port);
  return u.toString();
}

/** `CLUSTER SLOTS`, as sorted `[first, last, host, port]` of the masters; an empty host is `seed`'s. */
async function slots(client: TrackingClient, seed: string, ms: number): Promise<Topology> {
  const reply = client.sendCommand(["CLUSTER", "SLOTS"]);
  reply.catch(() => undefined);
  const ranges: unknown = await within(reply, ms, () => timedOut("CLUSTER SLOTS", ms));
  const bad = (): Error => new Error("CLUSTER SLOTS answered in an unexpected form");
  if (!Array.isArray(ranges)) throw bad();
  const seedHost = seed === "" ? "127.0.0.1" : new URL(seed).hostname;
  const out: Topology = [];
  for (const r of ranges as unknown[]) {
    if (!Array.isArray(r)) throw bad();
    const [start, end, master] = r as unknown[];
    if (typeof start !== "number" || typeof end !== "number" || !Array.isArray(master)) throw bad();
    const [h, port] = master as unknown[];
    const host = h === undefined || h === null || String(h) === "" ? seedHost : String(h);
    if (typeof port !== "number") throw bad();
    out.push([start, end, host, port]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return out;
}
