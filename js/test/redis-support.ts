// What the Redis tests share: the servers they run against (REDIS_URL, REDIS_CLUSTER_URL, or a
// redis-server of their own for the fault tests), unique keys, sessions, a plain node-redis
// connection for the tests' own writes.
//
// Without CI set, a test whose server is missing prints `SKIPPED (checked nothing): …` and is
// reported as skipped; with CI set, it fails instead.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { Redis, Cluster } from "ioredis";
import { createClient, createCluster, RESP_TYPES } from "redis";
import { Session, encode, type MacKey, type SessionView } from "../dist/index.js";
import { Target, errorKind, type SessionCache } from "../dist/redis/index.js";

/** A node-redis client and cluster, as createClient and createCluster make them. */
export type NodeRedisClient = ReturnType<typeof createClient>;
export type NodeRedisCluster = ReturnType<typeof createCluster>;
/** An application's own client (appClient): node-redis or ioredis, client or cluster. */
export type AppClient = NodeRedisClient | NodeRedisCluster | Redis | Cluster;
/** What a store or a cache is connected through (CLIENTS). */
export type ClientKind = "url" | "node-redis" | "ioredis";
/** A command's arguments. */
export type Args = (string | Buffer)[];

export const CI = (process.env.CI ?? "") !== "";
const HOW = 'run `eval "$(bash .ci/redis-servers.sh start)"` first (REDIS_SERVERS_DIR=… to keep its files apart)';

/** Skips `t` (or fails it under CI) because `what`; returns undefined. */
export function unavailable(t: TestContext, what: string): undefined {
  if (CI) assert.fail(`${what}, and CI is set: the Redis tests must run (${HOW})`);
  console.log(`SKIPPED (checked nothing): ${what}; ${HOW}`);
  t.skip(`SKIPPED (checked nothing): ${what}`);
  return undefined;
}

const reachability = new Map<string, Promise<boolean>>();
export function reachable(url: string): Promise<boolean> {
  if (!reachability.has(url)) {
    reachability.set(
      url,
      (async () => {
        const c = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
        c.on("error", () => {});
        try {
          await c.connect();
          await c.ping();
          return true;
        } catch {
          return false;
        } finally {
          if (c.isOpen) c.destroy();
        }
      })(),
    );
  }
  return reachability.get(url)!;
}

/** The target named `name` ("standalone": REDIS_URL, "cluster": REDIS_CLUSTER_URL), or undefined (skipped). */
export async function target(t: TestContext, name: string): Promise<Target | undefined> {
  const env = name === "cluster" ? "REDIS_CLUSTER_URL" : "REDIS_URL";
  const spec = process.env[env] ?? "";
  if (spec === "") return unavailable(t, `${env} is not set`);
  const urls = spec.split(",").map((u) => u.trim());
  for (const u of urls) if (!(await reachable(u))) return unavailable(t, `${env}=${spec}: ${u} does not answer`);
  return name === "cluster" ? Target.cluster(urls) : Target.standalone(urls[0]);
}

export const TARGETS = ["standalone", "cluster"] as const;

/**
 * What a store or a cache is connected through: a URL (`Target`: connections of its own), or
 * the application's own client, node-redis or ioredis (client or cluster).
 */
export const CLIENTS: readonly ClientKind[] = ["url", "node-redis", "ioredis"];

/** " over the app's <kind>" for test names (nothing for a URL). */
export function over(kind: ClientKind): string {
  return kind === "url" ? "" : ` over the app's ${kind}`;
}

/**
 * The application's own client of `kind` ("node-redis" or "ioredis") for `target`, connected
 * as an application connects it (the library's defaults: reconnecting, offline queue).
 */
export async function appClient(target: Target, kind: ClientKind): Promise<AppClient> {
  const hp = (url: string) => {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port) };
  };
  if (kind === "node-redis") {
    const c = target.isCluster ? createCluster({ rootNodes: target.urls.map((url) => ({ url })) }) : createClient({ url: target.urls[0] });
    c.on("error", () => {});
    await c.connect();
    return c as AppClient;
  }
  if (kind === "ioredis") {
    if (target.isCluster) {
      const c = new Cluster(target.urls.map(hp));
      c.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        c.once("ready", () => resolve());
        c.once("end", () => reject(new Error("ioredis Cluster ended before it was ready")));
      });
      return c;
    }
    const c = new Redis(target.urls[0], { lazyConnect: true });
    c.on("error", () => {});
    await c.connect();
    return c;
  }
  throw new Error(`no client kind ${kind}`);
}

/** Closes an application client of {@link appClient}. */
export function closeApp(c: AppClient): void {
  if ("destroy" in c && typeof c.destroy === "function") c.destroy();
  else (c as Redis | Cluster).disconnect();
}

/**
 * Whether the application client of {@link appClient} was not closed (the store and caches never
 * close it): ioredis not ended (it may be reconnecting to a server a test killed), node-redis open.
 */
export function appOpen(c: AppClient): boolean {
  return "status" in c && typeof c.status === "string" ? c.status !== "end" : c.isOpen;
}

/**
 * What a test gives `connect` for `kind`: the `Target` itself for "url", else an application
 * client of that kind, closed after the test (after checking that nothing closed it).
 */
export async function connectable(t: TestContext, target: Target, kind: ClientKind): Promise<Target | AppClient> {
  if (kind === "url") return target;
  const c = await appClient(target, kind);
  t.after(() => {
    const open = appOpen(c);
    closeApp(c);
    assert.ok(open, `the app's ${kind} client is still open after the test`);
  });
  return c;
}
export const MODES = ["header-check", "tracking"] as const;

let seq = 0;
/** A key no other test (or run) uses; `{…}`-free, so the keys of one test land on many slots. */
export function key(test: string, n = 0): string {
  return `sp-js-test:${test}:${process.pid}:${Date.now()}:${seq++}:${n}`;
}

/** A session valid for an hour (or `ttlMs`) from now, with `facilities`. */
export function session(user: string, facilities: number[], ttlMs = 3_600_000): Session {
  const now = Date.now();
  return new Session({ userId: user, tenantId: "acme", token: "token", issuedAt: now - 1000, expiresAt: now + ttlMs, facilities });
}

export function blob(facility: number, options: { ttlMs?: number; key?: MacKey } = {}): Uint8Array {
  return encode(session("u", [facility], options.ttlMs), options.key ? { key: options.key } : {});
}

/** Which facility a view holds: the "version" of a test's session (undefined for null). */
export function version(view: SessionView | null): number | undefined {
  return view === null ? undefined : view.facilities.min;
}

const BUFFERS = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

/** A plain connection for the tests' own writes ({@link admin}). */
export interface Admin {
  send(k: string, args: Args): Promise<unknown>;
  close(): Promise<void> | undefined;
  /** The node-redis client or cluster underneath (a cluster has `masters`). */
  raw: NodeRedisClient & Partial<NodeRedisCluster>;
}

/** A plain node-redis connection to `target`, for the tests' own writes: `send(key, args)`. */
export async function admin(target: Target): Promise<Admin> {
  if (target.isCluster) {
    const c = createCluster({ rootNodes: target.urls.map((url) => ({ url })) });
    c.on("error", () => {});
    await c.connect();
    return { send: (k, args) => c.sendCommand(k, false, args, { typeMapping: BUFFERS }), close: () => c.close(), raw: c as unknown as Admin["raw"] };
  }
  const c = createClient({ url: target.urls[0], socket: { reconnectStrategy: false } });
  c.on("error", () => {});
  await c.connect();
  return { send: (_k, args) => c.sendCommand(args, { typeMapping: BUFFERS }), close: () => (c.isOpen ? c.close() : undefined), raw: c as Admin["raw"] };
}

export function set(a: Admin, k: string, value: string | Uint8Array, px?: number): Promise<unknown> {
  return a.send(k, ["SET", k, Buffer.from(value), ...(px ? ["PX", String(px)] : [])]);
}

/** Polls `f` (async) every turn of the event loop until true or `limitMs` passes; ms it took, or undefined. */
export async function within(limitMs: number, f: () => unknown): Promise<number | undefined> {
  const start = performance.now();
  for (;;) {
    if (await f()) return performance.now() - start;
    if (performance.now() - start > limitMs) return undefined;
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A key's hash slot, as Redis Cluster computes it: CRC16 (XMODEM) of the key, or of its `{…}` hash tag. */
export function slotOf(k: string): number {
  const open = k.indexOf("{");
  if (open >= 0) {
    const close = k.indexOf("}", open + 1);
    if (close > open + 1) k = k.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(k)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const SERVER = process.env.REDIS_SERVER ?? "redis-server";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own on a free loopback port, to kill, restart, pause and stop
 * (by its pid); undefined (skipped, or failed under CI) without redis-server.
 */
export async function ownServer(t: TestContext, args: string[] = []): Promise<OwnServer | undefined> {
  if (spawnSync(SERVER, ["--version"], { stdio: "ignore" }).status !== 0) return unavailable(t, `${SERVER} is not installed`);
  const s = new OwnServer(await freePort(), args);
  await s.spawn();
  t.after(() => s.stop());
  return s;
}

export class OwnServer {
  readonly port: number;
  readonly args: string[];
  readonly dir: string;
  child: ChildProcess | undefined;

  constructor(port: number, args: string[]) {
    this.port = port;
    this.args = args;
    this.dir = mkdtempSync(path.join(tmpdir(), "sp-js-redis-"));
    this.child = undefined;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  target(timeoutMs = 300) {
    return Target.standalone(this.url).withTimeout(timeoutMs).withConnectTimeout(timeoutMs);
  }

  async spawn() {
    this.child = spawn(SERVER, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", this.dir, ...this.args], { stdio: "ignore" });
    this.child.on("error", () => {});
    reachability.delete(this.url);
    const up = await within(10_000, async () => {
      reachability.delete(this.url);
      return reachable(this.url);
    });
    assert.ok(up !== undefined, `own redis-server on ${this.url} did not start`);
  }

  /** SIGKILL, and wait for it to be gone. */
  async kill() {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    try {
      process.kill(c.pid!, "SIGCONT");
      process.kill(c.pid!, "SIGKILL");
    } catch {}
    await gone;
  }

  async restart() {
    await this.kill();
    await this.spawn();
  }

  /** SIGSTOP: it stops answering, with its connections open. */
  pause() {
    process.kill(this.child!.pid!, "SIGSTOP");
  }

  resume() {
    if (this.child !== undefined) process.kill(this.child.pid!, "SIGCONT");
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const CLUSTER_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../.ci/redis-cluster.sh");

/**
 * Starts a Redis Cluster of the caller's own with `.ci/redis-cluster.sh` (masters, replicas per
 * master, spare nodes in no cluster yet): an {@link OwnCluster}, or a string saying why it
 * cannot (for {@link unavailable}: a skip, or a failure under CI). Stop it with `stop()`.
 */
export async function startCluster({ masters = 3, replicas = 1, spares = 0 } = {}) {
  if (spawnSync(SERVER, ["--version"], { stdio: "ignore" }).status !== 0) return `${SERVER} is not installed`;
  const dir = mkdtempSync(path.join(tmpdir(), "sp-js-cluster-"));
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn("bash", [CLUSTER_SCRIPT, "start", dir, String(masters), String(replicas), String(spares)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
  const c = new OwnCluster(dir, out.stdout);
  if (out.code !== 0) {
    await c.stop();
    return `.ci/redis-cluster.sh start failed (${out.code}): ${out.stderr.trim().split("\n").slice(-3).join(" / ")}`;
  }
  return c;
}

/** A cluster of {@link startCluster}: its ports, a node-redis client per node, kill -9 by port. */
export class OwnCluster {
  readonly dir: string;
  readonly seeds: string;
  readonly masters: number[];
  readonly replicas: number[];
  spares: number[];
  readonly clients: Map<number, NodeRedisClient>;
  readonly killed: Set<number>;

  constructor(dir: string, stdout: string) {
    this.dir = dir;
    const v = (name: string) => (new RegExp(`^${name}=(.*)$`, "m").exec(stdout)?.[1] ?? "").trim();
    this.seeds = v("SEEDS");
    this.masters = v("MASTERS").split(" ").filter(Boolean).map(Number);
    this.replicas = v("REPLICAS").split(" ").filter(Boolean).map(Number);
    this.spares = v("SPARES").split(" ").filter(Boolean).map(Number);
    this.clients = new Map();
    this.killed = new Set();
  }

  /** The cluster, by its seeds (the masters at start), with `timeoutMs` for calls (twice that for connecting). */
  target(timeoutMs = 1000) {
    return Target.cluster(this.seeds.split(",")).withTimeout(timeoutMs).withConnectTimeout(2 * timeoutMs);
  }

  /** A plain node-redis connection to the node on `port` (made once, remade when it dropped). */
  async client(port: number): Promise<NodeRedisClient> {
    let c = this.clients.get(port);
    if (c === undefined || !c.isReady) {
      if (c !== undefined) c.destroy();
      c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
      c.on("error", () => {});
      this.clients.set(port, c);
      await c.connect();
    }
    return c;
  }

  /** `args` on the node of `port` (bulk strings as Buffers unless `text`). */
  async send(port: number, args: Args, text = false): Promise<unknown> {
    const c = await this.client(port);
    return c.sendCommand(args, text ? undefined : { typeMapping: BUFFERS });
  }

  /** `ASKING` then `args`, on the node of `port` (a write to a key of a slot it imports). */
  async asking(port: number, args: Args): Promise<unknown> {
    const c = await this.client(port);
    const [, reply] = await Promise.all([c.sendCommand(["ASKING"]), c.sendCommand(args, { typeMapping: BUFFERS })]);
    return reply;
  }

  async id(port: number): Promise<string> {
    return String(await this.send(port, ["CLUSTER", "MYID"], true));
  }

  /** `CLUSTER NODES` of `port`, parsed: [{ id, port, flags, master, slots }]. */
  async nodes(port: number): Promise<ClusterNode[]> {
    return String(await this.send(port, ["CLUSTER", "NODES"], true) as string)
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        const f = l.split(" ");
        return { id: f[0], port: Number(f[1].split("@")[0].split(":").pop()), flags: f[2].split(","), master: f[3], slots: f.slice(8) };
      });
  }

  /** The port of the master owning `slot`, as the node of `port` sees it. */
  async owner(slot: number, port = this.alive()[0]): Promise<number | undefined> {
    for (const n of await this.nodes(port)) {
      if (!n.flags.includes("master")) continue;
      for (const r of n.slots) {
        if (r.startsWith("[")) continue;
        const [a, b = a] = r.split("-").map(Number);
        if (slot >= a && slot <= b) return n.port;
      }
    }
    return undefined;
  }

  /** Which master's port owns each slot (an array of 16384), as the node of `port` sees it. */
  async slotMap(port = this.alive()[0]): Promise<number[]> {
    const map = new Array<number>(16384);
    for (const n of await this.nodes(port)) {
      if (!n.flags.includes("master")) continue;
      for (const r of n.slots) {
        if (r.startsWith("[")) continue;
        const [a, b = a] = r.split("-").map(Number);
        for (let s = a; s <= b; s++) map[s] = n.port;
      }
    }
    return map;
  }

  /** The ports of nodes not killed. */
  alive() {
    return [...this.masters, ...this.replicas, ...this.spares].filter((p) => !this.killed.has(p));
  }

  /** SIGKILL of the node on `port`, and its connection closed. */
  kill9(port: number): void {
    const pid = Number(readFileSync(path.join(this.dir, `pid-${port}`), "utf8"));
    process.kill(pid, "SIGKILL");
    this.killed.add(port);
    const c = this.clients.get(port);
    this.clients.delete(port);
    try {
      c?.destroy();
    } catch {}
  }

  /** Stops every node (synchronously; a promise, as OwnServer.stop). */
  stop(): Promise<void> {
    for (const c of this.clients.values()) {
      try {
        c.destroy();
      } catch {}
    }
    this.clients.clear();
    spawnSync("bash", [CLUSTER_SCRIPT, "stop", this.dir], { stdio: "ignore" });
    rmSync(this.dir, { recursive: true, force: true });
    return Promise.resolve();
  }
}

/**
 * What the server held under each key, and when: the model a test's reads are checked against.
 * Each version reigns from when its write was sent until the next write of the key was
 * acknowledged (or its TTL ran out); a read that started at `s` may return a version whose reign
 * reaches `s - boundMs`, no older one.
 */
export class Truth {
  readonly history: Map<string, Reign[]>;

  constructor() {
    this.history = new Map();
  }

  /** `k` holds `v` (a version, or undefined: missing) from before anything was read. */
  initial(k: string, v: number | undefined): void {
    this.history.set(k, [{ v, sent: -Infinity, end: Infinity }]);
  }

  /** Runs `write` (which makes `k` hold `v`, undefined for none) and records it; `ttlMs`: it expires then. */
  async write(k: string, v: number | undefined, write: () => unknown, ttlMs?: number): Promise<void> {
    const w = this.sending(k, v);
    await write();
    this.acked(w, ttlMs);
  }

  /**
   * `k` may hold `v` from now (a write is sent); the versions before it reign until
   * {@link acked}. Recorded before the write goes out, so reads checked meanwhile know it.
   */
  sending(k: string, v: number | undefined): Sending {
    const h: Reign[] = this.history.get(k) ?? [{ v: undefined, sent: -Infinity, end: Infinity }];
    const before = h.filter((e) => e.end === Infinity);
    const entry = { v, sent: performance.now(), end: Infinity };
    h.push(entry);
    this.history.set(k, h);
    return { before, entry };
  }

  /** The write of {@link sending} was acknowledged now: what `k` held before reigns no longer; `ttlMs`: `v` expires then. */
  acked({ before, entry }: Sending, ttlMs?: number): void {
    const ack = performance.now();
    for (const e of before) if (e.end > ack) e.end = ack;
    if (ttlMs !== undefined) {
      // Redis keeps a key through the whole millisecond its deadline ends in (`now > when`
      // expires it), so it may still be returned up to 1 ms past `ack + ttlMs`.
      entry.end = ack + ttlMs + 1;
      // Missing from then on, maybe from `sent + ttlMs` already (the server stamped the write
      // somewhere between sending and acknowledgement).
      for (const [, h] of this.history) if (h.includes(entry)) h.push({ v: undefined, sent: entry.sent + ttlMs, end: Infinity });
    }
  }

  /** A write to every key at once (a flush, a swap): `done` runs it; they are missing from then on. */
  async clearing(done: () => unknown): Promise<void> {
    const ws = [...this.history.keys()].map((k) => this.sending(k, undefined));
    await done();
    for (const w of ws) this.acked(w);
  }

  /**
   * How late a read of `k` that ran from `started` to `ended` and returned `got` was: -Infinity
   * for a version still reigning when it started, else how long after its reign ended it
   * started (Infinity for a version `k` never held).
   */
  lateness(k: string, got: number | undefined, started: number, ended: number): number {
    let best = Infinity;
    for (const e of this.history.get(k) ?? []) {
      if (e.v !== got || e.sent > ended) continue;
      best = Math.min(best, e.end >= started ? -Infinity : started - e.end);
    }
    return best;
  }
}

/**
 * Reads `keys` in turn through `cache` until stopped, checking each read against `truth`: a
 * version served when the read started more than `boundMs` after the version's reign ended is a
 * violation, and so is an error that is not a typed outage (`unavailable`, `timeout`).
 */
export class Reader {
  readonly name: string;
  readonly cache: Readable;
  readonly truth: Truth;
  readonly keys: string[];
  readonly boundMs: number;
  reads: number;
  readonly errors: Map<string | undefined, number>;
  readonly violations: string[];
  maxLate: number;
  readonly streaks: Map<string, number>;
  maxStreak: number;
  fresh: Map<string, number>;
  wanted: Map<string, number | undefined> | undefined;
  lastError: string | undefined;
  stopped: boolean;
  readonly done: Promise<void>;

  constructor(name: string, cache: Readable, truth: Truth, keys: string[], boundMs: number) {
    this.name = name;
    this.cache = cache;
    this.truth = truth;
    this.keys = keys;
    this.boundMs = boundMs;
    this.reads = 0;
    this.errors = new Map();
    this.violations = [];
    this.maxLate = -Infinity;
    this.streaks = new Map();
    this.maxStreak = 0;
    this.fresh = new Map();
    this.stopped = false;
    this.done = this.run();
  }

  async run() {
    for (let i = 0; !this.stopped; i++) {
      const k = this.keys[i % this.keys.length];
      const s = performance.now();
      let got: number | undefined;
      let err: Error | undefined;
      try {
        got = version(await this.cache.get(k));
      } catch (e) {
        err = e as Error;
      }
      const e = performance.now();
      this.reads++;
      if (err !== undefined) {
        const kind = errorKind(err);
        if (kind !== "unavailable" && kind !== "timeout") this.violations.push(`${k}: an error that is not a typed outage: ${String(err)}`);
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
        // A timeout is the machine's load as much as the cluster's: counted, not a streak.
        if (kind !== "timeout" && !this.streaks.has(k)) this.streaks.set(k, s);
        this.lastError = String(err);
      } else {
        const since = this.streaks.get(k);
        if (since !== undefined) {
          this.maxStreak = Math.max(this.maxStreak, s - since);
          this.streaks.delete(k);
        }
        const late = this.truth.lateness(k, got, s, e);
        if (late > this.maxLate) this.maxLate = late;
        if (late > this.boundMs) {
          const h = (this.truth.history.get(k) ?? []).map((x) => `${x.v}@${(x.sent - s).toFixed(1)}..${(x.end - s).toFixed(1)}`).join(" ");
          this.violations.push(`${k}: version ${got} served ${late.toFixed(1)} ms after the server stopped holding it (bound ${this.boundMs} ms; read took ${(e - s).toFixed(1)} ms; history relative to the read: ${h})`);
        }
        const want = this.wanted?.get(k);
        if (want !== undefined && got === want && !this.fresh.has(k)) this.fresh.set(k, e);
      }
      await sleep(1);
    }
  }

  /** The first time each of `keys` is read as `v`, from now on (in `fresh`). */
  expect(keys: string[], v: number | undefined): void {
    this.wanted = new Map(keys.map((k) => [k, v]));
    this.fresh = new Map();
  }

  async stop() {
    this.stopped = true;
    await this.done;
    const now = performance.now();
    for (const since of this.streaks.values()) this.maxStreak = Math.max(this.maxStreak, now - since);
    return this;
  }

  summary() {
    const errors = [...this.errors].map(([k, n]) => `${n} ${k}`).join(", ") || "none";
    const late = this.maxLate === -Infinity ? "never" : `${this.maxLate.toFixed(1)} ms`;
    return `${this.name}: ${this.reads} reads, ${this.violations.length} violations, latest served after its end ${late}, errors ${errors}, longest run of unavailable errors for a key ${this.maxStreak.toFixed(0)} ms`;
  }
}

/** A node of `CLUSTER NODES`. */
export interface ClusterNode {
  id: string;
  port: number;
  flags: string[];
  master: string;
  slots: string[];
}

/** A version's reign over a key (`v` undefined: missing), in performance.now() milliseconds. */
interface Reign {
  v: number | undefined;
  sent: number;
  end: number;
}

/** A write under way ({@link Truth.sending}). */
interface Sending {
  before: Reign[];
  entry: Reign;
}

/** What a {@link Reader} reads through: a session cache. */
export type Readable = Pick<SessionCache, "get" | "stats">;
