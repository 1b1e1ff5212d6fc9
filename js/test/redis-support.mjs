// What the Redis tests share: the servers they run against (REDIS_URL, REDIS_CLUSTER_URL, or a
// redis-server of their own for the fault tests), unique keys, sessions, a plain node-redis
// connection for the tests' own writes.
//
// Without CI set, a test whose server is missing prints `SKIPPED (checked nothing): …` and is
// reported as skipped; with CI set, it fails instead.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, createCluster, RESP_TYPES } from "redis";
import { Session, encode } from "../dist/index.js";
import { Target } from "../dist/redis/index.js";

export const CI = (process.env.CI ?? "") !== "";
const HOW = 'run `eval "$(bash .ci/redis-servers.sh start)"` first (REDIS_SERVERS_DIR=… to keep its files apart)';

/** Skips `t` (or fails it under CI) because `what`; returns undefined. */
export function unavailable(t, what) {
  if (CI) assert.fail(`${what}, and CI is set: the Redis tests must run (${HOW})`);
  console.log(`SKIPPED (checked nothing): ${what}; ${HOW}`);
  t.skip(`SKIPPED (checked nothing): ${what}`);
  return undefined;
}

const reachability = new Map();
export function reachable(url) {
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
  return reachability.get(url);
}

/** The target named `name` ("standalone": REDIS_URL, "cluster": REDIS_CLUSTER_URL), or undefined (skipped). */
export async function target(t, name) {
  const env = name === "cluster" ? "REDIS_CLUSTER_URL" : "REDIS_URL";
  const spec = process.env[env] ?? "";
  if (spec === "") return unavailable(t, `${env} is not set`);
  const urls = spec.split(",").map((u) => u.trim());
  for (const u of urls) if (!(await reachable(u))) return unavailable(t, `${env}=${spec}: ${u} does not answer`);
  return name === "cluster" ? Target.cluster(urls) : Target.standalone(urls[0]);
}

export const TARGETS = ["standalone", "cluster"];
export const MODES = ["header-check", "tracking"];

let seq = 0;
/** A key no other test (or run) uses; `{…}`-free, so the keys of one test land on many slots. */
export function key(test, n = 0) {
  return `sp-js-test:${test}:${process.pid}:${Date.now()}:${seq++}:${n}`;
}

/** A session valid for an hour (or `ttlMs`) from now, with `facilities`. */
export function session(user, facilities, ttlMs = 3_600_000) {
  const now = Date.now();
  return new Session({ userId: user, tenantId: "acme", token: "token", issuedAt: now - 1000, expiresAt: now + ttlMs, facilities });
}

export function blob(facility, options = {}) {
  return encode(session("u", [facility], options.ttlMs), options.key ? { key: options.key } : {});
}

/** Which facility a view holds: the "version" of a test's session (undefined for null). */
export function version(view) {
  return view === null ? undefined : view.facilities.min;
}

const BUFFERS = { [RESP_TYPES.BLOB_STRING]: Buffer };

/** A plain node-redis connection to `target`, for the tests' own writes: `send(key, args)`. */
export async function admin(target) {
  if (target.isCluster) {
    const c = createCluster({ rootNodes: target.urls.map((url) => ({ url })) });
    c.on("error", () => {});
    await c.connect();
    return { send: (k, args) => c.sendCommand(k, false, args, { typeMapping: BUFFERS }), close: () => c.close(), raw: c };
  }
  const c = createClient({ url: target.urls[0], socket: { reconnectStrategy: false } });
  c.on("error", () => {});
  await c.connect();
  return { send: (_k, args) => c.sendCommand(args, { typeMapping: BUFFERS }), close: () => (c.isOpen ? c.close() : undefined), raw: c };
}

export function set(a, k, value, px) {
  return a.send(k, ["SET", k, Buffer.from(value), ...(px ? ["PX", String(px)] : [])]);
}

/** Polls `f` (async) every turn of the event loop until true or `limitMs` passes; ms it took, or undefined. */
export async function within(limitMs, f) {
  const start = performance.now();
  for (;;) {
    if (await f()) return performance.now() - start;
    if (performance.now() - start > limitMs) return undefined;
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CRC16 (XMODEM) of a key's hash slot, as Redis Cluster computes it (no `{…}` hash tags here). */
export function slotOf(k) {
  let crc = 0;
  for (const byte of Buffer.from(k)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const SERVER = process.env.REDIS_SERVER ?? "redis-server";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own on a free loopback port, to kill, restart, pause and stop
 * (by its pid); undefined (skipped, or failed under CI) without redis-server.
 */
export async function ownServer(t, args = []) {
  if (spawnSync(SERVER, ["--version"], { stdio: "ignore" }).status !== 0) return unavailable(t, `${SERVER} is not installed`);
  const s = new OwnServer(await freePort(), args);
  await s.spawn();
  t.after(() => s.stop());
  return s;
}

class OwnServer {
  constructor(port, args) {
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
      process.kill(c.pid, "SIGCONT");
      process.kill(c.pid, "SIGKILL");
    } catch {}
    await gone;
  }

  async restart() {
    await this.kill();
    await this.spawn();
  }

  /** SIGSTOP: it stops answering, with its connections open. */
  pause() {
    process.kill(this.child.pid, "SIGSTOP");
  }

  resume() {
    if (this.child !== undefined) process.kill(this.child.pid, "SIGCONT");
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
