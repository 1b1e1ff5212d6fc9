/**
 * The tracker: one tracking connection per server (per master of a cluster, those owning no slot
 * included) in `CLIENT TRACKING ON BCAST` mode, opened through the link's {@link RedisCommands}
 * (`openTracking`: a RESP3 connection duplicated from a node-redis client — the link's own for a
 * URL, or the application's —, or two RESP2 connections duplicated from an ioredis client, a
 * subscriber and a redirecting one), whose invalidations evict the cache's entries. Every heartbeat it asks each server something that proves it alive and shows what
 * Redis does not announce — a cluster node's `CLUSTER NODES` (masters, slots, migrations), a
 * standalone server's marker key (a `SWAPDB`) — and tells the cache when tracking is live and
 * when it is lost. It runs on the event loop, next to the cache's calls.
 */

import { randomBytes } from "node:crypto";
import { parseAddress, TRACKING_CLIENT_NAME, type Arg, type NodeAddress, type RedisCommands, type TrackingConn } from "./clients/types.js";
import { CLUSTER_FETCH_SCRIPT, FETCH_SCRIPT } from "./scripts.js";
import { timedOut, within } from "./errors.js";
import type { Link } from "./link.js";
import type { ResolvedTracking, Shared } from "./shared.js";

/** The client name the tracker's connections carry (`CLIENT LIST` shows it). */
export const CLIENT_NAME = TRACKING_CLIENT_NAME;

/** The prefix of the marker key a tracker keeps on a standalone server (see `TrackingOptions.marker`). */
export const MARKER_PREFIX = "sessionpack:tracker:";

/** The marker's TTL, and how often the tracker refreshes it. */
const MARKER_TTL_MS = 3_600_000;
const MARKER_REFRESH_MS = 600_000;

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
    const hp = parseAddress(addr.split("@")[0]!.split(",")[0]!);
    if (hp === undefined) throw new Error(`CLUSTER NODES lists ${JSON.stringify(addr)}, not an address`);
    const node = { id, host: hp.host === "" ? host : hp.host, port: hp.port };
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
  // node-redis answers RESP3 verbatim strings with a String object (its VerbatimString).
  if (reply instanceof String) return reply.valueOf();
  throw new Error(`CLUSTER NODES answered with ${typeof reply}`);
}

/** How a watch ended: a connection or a heartbeat failed, what the tracker watches changed, or the tracker stopped. */
type Ending = "lost" | "changed" | "stopped";

/** One established generation. */
interface Watch {
  readonly conns: TrackingConn[];
  /** The hosts the connections talk to, in the same order (for views with empty addresses). */
  readonly hosts: string[];
  /** Each connection's view's signature when tracking began (a cluster). */
  readonly signatures: string[];
  /** The ids of the tracked masters (a cluster). */
  readonly nodes: ReadonlySet<string>;
  /** The marker's value this generation wrote (one server, marker on). */
  readonly marker: string | undefined;
  /** Set when a connection of this generation errs or ends. */
  readonly lost: { value: boolean };
}

/** Thrown while establishing when the cluster changed under the tracker: start over soon. */
class Changed extends Error {}

/**
 * Keeps tracking on at every server of a link and tells {@link Shared} (the cache's state) when
 * it is live, when it is lost, and what the servers announced. Its connections are its own
 * (`RedisCommands.openTracking`), whichever client carries the cache's reads.
 */
export class Tracker {
  private stopped = false;
  /** Ends the current pause early (stop, a lost connection, a refresh). */
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Set when the cache saw a node the tracker does not track: re-read the topology now. */
  private refreshWanted = false;
  /** The marker key (one server, marker on); its TTL was last set at `markerSetAt`. */
  private readonly markerKey: string | undefined;
  private markerSetAt = 0;
  private markerConn: TrackingConn | undefined;
  /** Consecutive generations that ended because the cluster changed while they were set up. */
  private changes = 0;

  constructor(
    private readonly link: Link,
    private readonly options: ResolvedTracking,
    private readonly shared: Shared,
  ) {
    this.markerKey = !link.isCluster && options.marker ? MARKER_PREFIX + randomBytes(16).toString("hex") : undefined;
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
      const conns: TrackingConn[] = [];
      const lost = { value: false };
      let again = false;
      try {
        this.refreshWanted = false;
        const { watch, since } = await this.establish(generation, conns, lost);
        this.changes = 0;
        if (this.refreshWanted) {
          again = true;
        } else if (!this.stopped && !watch.lost.value) {
          this.shared.wentLive(generation, watch.nodes, since);
          again = (await this.watch(watch)) === "changed";
        }
      } catch (e) {
        // A cluster that changed while tracking was set up: at once the first time; a cluster
        // in the middle of a failover (a master failed, not replaced yet) keeps changing, so
        // after the first the tracker waits as after any failure.
        again = e instanceof Changed && this.changes++ === 0;
      }
      this.shared.wentDead(generation, this.stopped);
      // Over: the losses of the connections closed now must not cut the next pause short.
      lost.value = true;
      if (this.stopped) await this.dropMarker(conns[0]);
      for (const c of conns) c.close();
      if (!this.stopped) await this.pause(again ? Math.min(10, this.options.retryMs) : this.options.retryMs);
    }
  }

  /** How long one step of setting tracking up may take, ms. */
  private get setupMs(): number {
    return this.options.heartbeatTimeoutMs + this.link.connectTimeoutMs;
  }

  /** The link's commands (connecting, for a target), within the setup time. */
  private async commands(): Promise<RedisCommands> {
    const t = this.setupMs;
    return within(this.link.commands(), t, () => timedOut(`a connection to ${this.link.describe()}`, t));
  }

  /** Connects to every server and turns tracking on; `conns` collects what was opened, to close. */
  private async establish(generation: number, conns: TrackingConn[], lost: { value: boolean }): Promise<{ watch: Watch; since: number }> {
    const onLost = (): void => {
      if (lost.value) return;
      lost.value = true;
      this.interrupt();
    };
    const ms = this.setupMs;
    const commands = await this.commands();
    if (!this.link.isCluster) {
      const conn = await this.track(commands, undefined, generation, onLost, conns);
      let marker: string | undefined;
      const since = performance.now();
      if (this.markerKey !== undefined) {
        marker = randomBytes(16).toString("hex");
        await call(conn, ["SET", this.markerKey, marker, "PX", String(MARKER_TTL_MS)], ms, "SET (the tracking marker)");
        this.markerSetAt = performance.now();
      } else {
        await call(conn, ["PING"], ms, "PING");
      }
      return { watch: { conns, hosts: [conn.address], signatures: [], nodes: new Set(), marker, lost }, since };
    }
    let masters: NodeAddress[];
    try {
      const mastersAsked = commands.masters();
      mastersAsked.catch(() => undefined);
      masters = await within(mastersAsked, ms, () => timedOut("CLUSTER NODES (the cluster's masters)", ms));
    } catch (e) {
      this.link.failed(commands);
      throw e;
    }
    if (masters.length === 0) throw new Error("CLUSTER NODES lists no master");
    const hosts: string[] = [];
    for (const m of masters) {
      await this.track(commands, m, generation, onLost, conns);
      hosts.push(m.host);
    }
    // Each node's own view, asked once tracking is on everywhere: whatever changes after it is
    // seen by the heartbeats; a master any node knows that is not tracked means starting over.
    const since = performance.now();
    const views = await Promise.all(conns.map((c, i) => view(c, hosts[i]!, ms)));
    const ids = new Set(views.map((v) => v.self));
    if (ids.size !== views.length) throw new Changed("two tracked addresses are one node");
    for (const v of views) for (const m of v.masters) if (!ids.has(m.id)) throw new Changed(`master ${m.id} is not tracked`);
    return {
      watch: { conns, hosts, signatures: views.map((v) => v.signature), nodes: ids, marker: undefined, lost },
      since,
    };
  }

  /**
   * A tracking connection to `node` (undefined: the one server) whose invalidations go to the
   * cache, with `BCAST` tracking on and the cache's fetch script loaded; added to `conns` (to be
   * closed).
   */
  private async track(commands: RedisCommands, node: NodeAddress | undefined, generation: number, onLost: () => void, conns: TrackingConn[]): Promise<TrackingConn> {
    const shared = this.shared;
    const t = this.setupMs;
    const conn = await commands.openTracking(node, {
      prefixes: this.options.prefixes,
      timeoutMs: t,
      name: CLIENT_NAME,
      // A push proves one server alive, not all of them: liveness comes from the heartbeats alone.
      onInvalidate: (keys) => {
        if (keys === null) shared.flush();
        else for (const k of keys) shared.invalidate(k);
      },
      onLost: () => {
        shared.wentDead(generation);
        onLost();
      },
    });
    conns.push(conn);
    // The fetch script needs Redis 7.0 (its shebang): an older server refuses it here, and the
    // cache keeps checking headers.
    const script = this.link.isCluster ? CLUSTER_FETCH_SCRIPT : FETCH_SCRIPT;
    const sha = await call(conn, ["SCRIPT", "LOAD", script.body], t, `SCRIPT LOAD on ${conn.address}`);
    if (String(sha) !== script.sha) throw new Error(`SCRIPT LOAD on ${conn.address} answered ${String(sha)}, not ${script.sha}`);
    return conn;
  }

  /**
   * Every heartbeat, asks each server at once — a cluster node for its view, a standalone
   * server for the marker (or a `PING`), and every connection of a tracking that holds two —
   * until a connection is lost, an answer is late or wrong, the cluster changes, or the tracker
   * stops. Liveness is dated from when the round was sent, so that the staleness bound holds
   * for each server however many there are.
   */
  private async watch(w: Watch): Promise<Ending> {
    const ms = this.options.heartbeatTimeoutMs;
    this.markerConn = w.marker === undefined ? undefined : w.conns[0];
    const pings = (): Promise<unknown> => Promise.all(w.conns.filter((c) => c.connections > 1).map((c) => within(c.ping(), ms, () => timedOut(`PING on ${c.address}`, ms))));
    for (;;) {
      await this.pause(this.options.heartbeatMs);
      if (this.stopped) return "stopped";
      if (w.lost.value) return "lost";
      if (this.refreshWanted) return "changed";
      const round = performance.now();
      try {
        const pinged = pings();
        pinged.catch(() => undefined);
        if (w.signatures.length > 0) {
          const views = await Promise.all(w.conns.map((c, i) => view(c, w.hosts[i]!, ms)));
          for (const [i, v] of views.entries()) {
            if (v.signature !== w.signatures[i]) return "changed";
            for (const m of v.masters) if (!w.nodes.has(m.id)) return "changed";
          }
        } else if (w.marker !== undefined && this.markerKey !== undefined) {
          const conn = w.conns[0]!;
          const value = await call(conn, ["GET", this.markerKey], ms, "GET (the tracking marker)");
          const marker = Buffer.isBuffer(value) ? value.toString("utf8") : typeof value === "string" ? value : undefined;
          if (marker !== w.marker) return "changed";
          if (performance.now() - this.markerSetAt > MARKER_REFRESH_MS) {
            if ((await call(conn, ["PEXPIRE", this.markerKey, String(MARKER_TTL_MS)], ms, "PEXPIRE (the tracking marker)")) !== 1) return "changed";
            this.markerSetAt = performance.now();
          }
        } else {
          await Promise.all(w.conns.map((c) => call(c, ["PING"], ms, "PING")));
        }
        await pinged;
      } catch {
        return "lost";
      }
      if (this.stopped) return "stopped";
      if (w.lost.value) return "lost";
      this.shared.heardAt(round);
    }
  }

  /** Deletes the marker on closing (best effort: it expires anyway). */
  private async dropMarker(conn: TrackingConn | undefined): Promise<void> {
    if (this.markerKey === undefined || conn === undefined || conn !== this.markerConn || conn.lost) return;
    try {
      await call(conn, ["DEL", this.markerKey], this.options.heartbeatTimeoutMs, "DEL (the tracking marker)");
    } catch {
      // gone with the connection: its TTL removes it
    }
  }
}

/** `args` on the tracking connection `conn`, within `ms`. */
function call(conn: TrackingConn, args: Arg[], ms: number, what: string): Promise<unknown> {
  const reply = conn.send(args);
  reply.catch(() => undefined);
  return within(reply, ms, () => timedOut(what, ms));
}

async function view(conn: TrackingConn, host: string, ms: number): Promise<ClusterView> {
  return parseClusterNodes(text(await call(conn, ["CLUSTER", "NODES"], ms, "CLUSTER NODES")), host);
}
