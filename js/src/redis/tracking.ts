/**
 * The tracker: one RESP3 connection per server (per master of a cluster, those owning no slot
 * included) in `CLIENT TRACKING ON BCAST` mode, whose invalidation pushes evict the cache's
 * entries. Every heartbeat it asks each server something that proves it alive and shows what
 * Redis does not announce — a cluster node's `CLUSTER NODES` (masters, slots, migrations), a
 * standalone server's marker key (a `SWAPDB`) — and tells the cache when tracking is live and
 * when it is lost. It runs on the event loop, next to the cache's calls.
 */

import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { CLUSTER_FETCH_SCRIPT, FETCH_SCRIPT } from "./scripts.js";
import { timedOut, within } from "./errors.js";
import { nodeUrl, socketOptions, splitAddress } from "./link.js";
import type { ResolvedTracking, Shared } from "./shared.js";
import type { Target } from "./target.js";

/** The client name the tracker's connections carry (`CLIENT LIST` shows it). */
export const CLIENT_NAME = "sessionpack-tracking";

/** The prefix of the marker key a tracker keeps on a standalone server (see `TrackingOptions.marker`). */
export const MARKER_PREFIX = "sessionpack:tracker:";

/** The marker's TTL, and how often the tracker refreshes it. */
const MARKER_TTL_MS = 3_600_000;
const MARKER_REFRESH_MS = 600_000;

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

/** A master of a cluster, as `CLUSTER NODES` lists it. */
export interface ClusterNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/**
 * One node's view of its cluster (`CLUSTER NODES`): its own id, the masters that own or may
 * own slots, and a signature of what the tracker must start over on: each such master's id,
 * address and slots, with the asking node's own migrating and importing slots.
 */
export interface ClusterView {
  readonly self: string;
  readonly masters: readonly ClusterNode[];
  readonly signature: string;
}

/**
 * Parses a `CLUSTER NODES` reply. A master counts unless it is failed and owns no slot (an old
 * master after its replica took over: it comes back as a replica), still in handshake, or has
 * no address. `host` stands in for an empty address (a node that does not know its own).
 */
export function parseClusterNodes(text: string, host: string): ClusterView {
  let self = "";
  const masters: ClusterNode[] = [];
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(" ");
    if (f.length < 8) continue;
    const [id, addr, flagList] = f as [string, string, string];
    const flags = flagList.split(",");
    if (flags.includes("myself")) self = id;
    if (!flags.includes("master") || flags.includes("handshake") || flags.includes("noaddr")) continue;
    const slots = f.slice(8).filter((s) => s.length > 0);
    // The node's own migrating/importing slots (`[slot->-id]`, `[slot-<-id]`) appear in its own line only.
    const owned = slots.filter((s) => !s.startsWith("["));
    if (flags.includes("fail") && owned.length === 0) continue;
    const hp = splitAddress(addr.split("@")[0]!.split(",")[0]!);
    if (hp === undefined) throw new Error(`CLUSTER NODES lists ${JSON.stringify(addr)}, not an address`);
    const node = { id, host: hp[0] === "" ? host : hp[0], port: hp[1] };
    masters.push(node);
    lines.push(`${id} ${node.host}:${node.port} ${slots.join(" ")}`);
  }
  if (self === "") throw new Error("CLUSTER NODES answered without the node's own line");
  masters.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  lines.sort();
  return { self, masters, signature: lines.join("\n") };
}

function text(reply: unknown): string {
  if (typeof reply === "string") return reply;
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  if (reply !== null && typeof reply === "object" && typeof (reply as { toString?: unknown }).toString === "function") {
    return String(reply);
  }
  throw new Error(`CLUSTER NODES answered with ${typeof reply}`);
}

/** How a watch ended: a connection or a heartbeat failed, what the tracker watches changed, or the tracker stopped. */
type Ending = "lost" | "changed" | "stopped";

/** One established generation. */
interface Watch {
  readonly clients: TrackingClient[];
  /** The hosts the clients talk to, in the same order (for views with empty addresses). */
  readonly hosts: string[];
  /** Each client's view's signature when tracking began (a cluster). */
  readonly signatures: string[];
  /** The ids of the tracked masters (a cluster). */
  readonly nodes: ReadonlySet<string>;
  /** The marker's value this generation wrote (one server, marker on). */
  readonly marker: string | undefined;
  /** Set when a connection of this generation errs or ends. */
  readonly lost: { value: boolean };
}

/** Thrown while establishing when the cluster changed under the tracker: start over at once. */
class Changed extends Error {}

export class Tracker {
  private stopped = false;
  /** Ends the current pause early (stop, a lost connection, a refresh). */
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Set when the cache saw a node the tracker does not track: re-read the topology now. */
  private refreshWanted = false;
  /** The masters' URLs last seen, tried before the seeds when discovering. */
  private known: string[] = [];
  /** The marker key (one server, marker on); its TTL was last set at `markerSetAt`. */
  private readonly markerKey: string | undefined;
  private markerSetAt = 0;
  private markerClient: TrackingClient | undefined;

  constructor(
    private readonly target: Target,
    private readonly options: ResolvedTracking,
    private readonly shared: Shared,
  ) {
    this.markerKey = !target.isCluster && options.marker ? MARKER_PREFIX + randomBytes(16).toString("hex") : undefined;
    shared.onUntrackedNode = () => this.refresh();
  }

  start(): void {
    this.running = this.run();
  }

  /** Stops the tracker and closes its connections (deleting its marker, if it can at once). */
  async close(): Promise<void> {
    this.stopped = true;
    this.shared.onUntrackedNode = undefined;
    this.interrupt();
    await this.running;
  }

  /** Re-reads the topology and re-establishes tracking now (the cache saw a node it does not track). */
  refresh(): void {
    this.refreshWanted = true;
    this.interrupt();
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
      let again = false;
      try {
        this.refreshWanted = false;
        const { watch, since } = await this.establish(generation, clients, lost);
        if (this.refreshWanted) {
          again = true;
        } else if (!this.stopped && !watch.lost.value) {
          this.shared.wentLive(generation, watch.nodes, since);
          again = (await this.watch(watch)) === "changed";
        }
      } catch (e) {
        again = e instanceof Changed;
      }
      this.shared.wentDead(generation);
      // Over: the 'end' events of the connections closed now must not cut the next pause short.
      lost.value = true;
      if (this.stopped) await this.dropMarker(clients[0]);
      for (const c of clients) destroy(c);
      if (!this.stopped) await this.pause(again ? Math.min(10, this.options.retryMs) : this.options.retryMs);
    }
  }

  /** Connects to every server and turns tracking on; `clients` collects what was opened, to close. */
  private async establish(generation: number, clients: TrackingClient[], lost: { value: boolean }): Promise<{ watch: Watch; since: number }> {
    const onLost = (): void => {
      if (lost.value) return;
      lost.value = true;
      this.interrupt();
    };
    const ms = this.options.heartbeatTimeoutMs + this.target.connectTimeoutMs;
    const seed = this.target.urls[0]!;
    if (!this.target.isCluster) {
      const client = await this.track(seed, generation, onLost, clients);
      let marker: string | undefined;
      const since = performance.now();
      if (this.markerKey !== undefined) {
        marker = randomBytes(16).toString("hex");
        await call(client, ["SET", this.markerKey, marker, "PX", String(MARKER_TTL_MS)], ms, "SET (the tracking marker)");
        this.markerSetAt = performance.now();
      } else {
        await call(client, ["PING"], ms, "PING");
      }
      return { watch: { clients, hosts: [hostOf(seed)], signatures: [], nodes: new Set(), marker, lost }, since };
    }
    const masters = (await this.discover()).masters;
    const ids = new Set(masters.map((m) => m.id));
    const hosts: string[] = [];
    for (const m of masters) {
      await this.track(nodeUrl(seed, m.host, m.port), generation, onLost, clients);
      hosts.push(m.host);
    }
    this.known = masters.map((m) => nodeUrl(seed, m.host, m.port));
    // Each node's own view, asked once tracking is on everywhere: whatever changes after it is
    // seen by the heartbeats; a master any node knows that is not tracked means starting over.
    const since = performance.now();
    const views = await Promise.all(clients.map((c, i) => this.view(c, hosts[i]!, ms)));
    for (const [i, v] of views.entries()) {
      if (v.self !== masters[i]!.id) throw new Changed(`node ${masters[i]!.host}:${masters[i]!.port} is ${v.self}, not ${masters[i]!.id}`);
      for (const m of v.masters) if (!ids.has(m.id)) throw new Changed(`master ${m.id} is not tracked`);
    }
    return {
      watch: { clients, hosts, signatures: views.map((v) => v.signature), nodes: ids, marker: undefined, lost },
      since,
    };
  }

  /**
   * A RESP3 connection to `url` whose invalidation pushes go to the cache, with `BCAST` tracking
   * on and the cache's fetch script loaded; added to `clients` at once (to be closed).
   */
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
      // A push proves one server alive, not all of them: liveness comes from the heartbeats alone.
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
    const flags = JSON.stringify(await call(client, ["CLIENT", "TRACKINGINFO"], t, `CLIENT TRACKINGINFO on ${url}`), (_k, v: unknown) =>
      v instanceof Map ? Object.fromEntries(v) : Buffer.isBuffer(v) ? v.toString() : v,
    );
    if (!/"on"/.test(flags)) {
      throw new Error(`node-redis did not turn tracking on (CLIENT TRACKINGINFO: ${flags}): the sessionpack cache needs node-redis 5.9 or later`);
    }
    const on = ["CLIENT", "TRACKING", "ON", "BCAST"];
    for (const p of this.options.prefixes) on.push("PREFIX", p);
    const script = this.target.isCluster ? CLUSTER_FETCH_SCRIPT : FETCH_SCRIPT;
    // The fetch script needs Redis 7.0 (its shebang): an older server refuses it here, and the
    // cache keeps checking headers.
    const replies = Promise.all([
      client.sendCommand(["CLIENT", "TRACKING", "OFF"]),
      client.sendCommand(on),
      client.sendCommand(["SCRIPT", "LOAD", script.body]),
    ]);
    replies.catch(() => undefined);
    const [, , sha] = await within(replies, t, () => timedOut(`CLIENT TRACKING on ${url}`, t));
    if (String(sha) !== script.sha) throw new Error(`SCRIPT LOAD on ${url} answered ${String(sha)}, not ${script.sha}`);
    return client;
  }

  /** The cluster's masters, from the first known node or seed that answers. */
  private async discover(): Promise<ClusterView> {
    let last: unknown = new Error("no cluster seed");
    for (const url of [...new Set([...this.known, ...this.target.urls])]) {
      const client = makeClient({ url, socket: socketOptions(this.target), disableOfflineQueue: true });
      client.on("error", () => undefined);
      try {
        const t = this.target.connectTimeoutMs + this.options.heartbeatTimeoutMs;
        const connected = client.connect();
        connected.catch(() => undefined);
        await within(connected, t, () => timedOut(`a connection to ${url}`, t));
        return await this.view(client, hostOf(url), this.options.heartbeatTimeoutMs);
      } catch (e) {
        last = e;
      } finally {
        destroy(client);
      }
    }
    throw last;
  }

  private async view(client: TrackingClient, host: string, ms: number): Promise<ClusterView> {
    return parseClusterNodes(text(await call(client, ["CLUSTER", "NODES"], ms, "CLUSTER NODES")), host);
  }

  /**
   * Every heartbeat, asks each server at once — a cluster node for its view, a standalone
   * server for the marker (or a `PING`) — until a connection is lost, an answer is late or
   * wrong, the cluster changes, or the tracker stops. Liveness is dated from when the round was
   * sent, so that the staleness bound holds for each server however many there are.
   */
  private async watch(w: Watch): Promise<Ending> {
    const ms = this.options.heartbeatTimeoutMs;
    this.markerClient = w.marker === undefined ? undefined : w.clients[0];
    for (;;) {
      await this.pause(this.options.heartbeatMs);
      if (this.stopped) return "stopped";
      if (w.lost.value) return "lost";
      if (this.refreshWanted) return "changed";
      const round = performance.now();
      try {
        if (w.signatures.length > 0) {
          const views = await Promise.all(w.clients.map((c, i) => this.view(c, w.hosts[i]!, ms)));
          for (const [i, v] of views.entries()) {
            if (v.signature !== w.signatures[i]) return "changed";
            for (const m of v.masters) if (!w.nodes.has(m.id)) return "changed";
          }
        } else if (w.marker !== undefined && this.markerKey !== undefined) {
          const client = w.clients[0]!;
          const value = await call(client, ["GET", this.markerKey], ms, "GET (the tracking marker)");
          if (value === null || String(value) !== w.marker) return "changed";
          if (performance.now() - this.markerSetAt > MARKER_REFRESH_MS) {
            if ((await call(client, ["PEXPIRE", this.markerKey, String(MARKER_TTL_MS)], ms, "PEXPIRE (the tracking marker)")) !== 1) return "changed";
            this.markerSetAt = performance.now();
          }
        } else {
          await Promise.all(w.clients.map((c) => call(c, ["PING"], ms, "PING")));
        }
      } catch {
        return "lost";
      }
      if (this.stopped) return "stopped";
      if (w.lost.value) return "lost";
      this.shared.heardAt(round);
    }
  }

  /** Deletes the marker on closing (best effort: it expires anyway). */
  private async dropMarker(client: TrackingClient | undefined): Promise<void> {
    if (this.markerKey === undefined || client === undefined || client !== this.markerClient || !client.isOpen) return;
    try {
      await call(client, ["DEL", this.markerKey], this.options.heartbeatTimeoutMs, "DEL (the tracking marker)");
    } catch {
      // gone with the connection: its TTL removes it
    }
  }
}

/** `args` on `client`, within `ms`. */
function call(client: TrackingClient, args: string[], ms: number, what: string): Promise<unknown> {
  const reply = client.sendCommand(args);
  reply.catch(() => undefined);
  return within(reply, ms, () => timedOut(what, ms));
}

function destroy(c: TrackingClient): void {
  try {
    c.destroy();
  } catch {
    // already closed
  }
}

function hostOf(url: string): string {
  const h = new URL(url).hostname;
  return h.startsWith("[") ? h.slice(1, -1) : h;
}
