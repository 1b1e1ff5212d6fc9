// `npm run bench:metrics`: what the OpenTelemetry metrics (METRICS.md) cost per cache hit, on a
// redis-server of the bench's own. Three session caches read one signed session:
//
//   off    metrics: false
//   noop   the default with @opentelemetry/api installed and no SDK registered (its no-op meter)
//   sdk    an SDK MeterProvider with a reader (@opentelemetry/sdk-metrics): every read and fetch
//          that makes a round trip is recorded in the two latency histograms; the counters are
//          read at collection only
//   sdk-nohist  the same with the histograms dropped by an SDK View (AggregationType.DROP)
//
// Timed: a hit while tracking is live (no round trip: the path where the metrics' share is
// largest) and a hit after a header check (one GETRANGE round trip). Interleaved rounds, best
// round kept, as bench/timing.mjs does; then one collection, whose counts must equal the reads
// made. Then, apart, what the SDK's histogram `record` costs by itself (one per timed read or
// fetch), without a server's round trip to hide in. Prints one JSON object: ns per hit for each
// case, the differences to `off`, and ns per SDK record.
//
//   npm run bench:metrics
//   BENCH_ROUNDS=15 BENCH_MS=60 npm run bench:metrics

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { createClient } from "redis";
import { Session, encode } from "../dist/index.js";
import { SessionCache } from "../dist/redis/index.js";
import { human, timeAll } from "./timing.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const MS = Number(process.env.BENCH_MS ?? 40);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of the bench's own; stopped by `stop()`. */
async function ownRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "sp-bench-metrics-"));
  const child = spawn(process.env.REDIS_SERVER ?? "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const c = await createClient({ url, socket: { reconnectStrategy: false } }).connect();
      await c.ping();
      await c.close();
      break;
    } catch (e) {
      if (i > 100) throw new Error(`redis-server on ${port} did not start (is redis-server installed?): ${e}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop() {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Times each of `ops` (name → async function) in interleaved rounds of about `ms` each: the
 * best round's mean, ns per call (awaited one after another); and in `cpu`, the process's CPU
 * time per call over all rounds (ns: user and system, which a server's round trip does not add to).
 */
async function timeAllAsync(ops, cpu = {}) {
  const calls = {};
  for (const [name, f] of Object.entries(ops)) {
    let n = 1;
    for (;;) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      if (Number(process.hrtime.bigint() - t) / 1e6 > MS / 2) break;
      n *= 2;
    }
    calls[name] = n;
  }
  const best = Object.fromEntries(Object.keys(ops).map((k) => [k, Infinity]));
  const used = Object.fromEntries(Object.keys(ops).map((k) => [k, 0]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of Object.entries(ops)) {
      const n = calls[name];
      const c = process.cpuUsage();
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t) / n);
      const d = process.cpuUsage(c);
      used[name] += ((d.user + d.system) * 1000) / n / ROUNDS;
    }
  }
  for (const [k, v] of Object.entries(used)) cpu[k] = Math.round(v);
  return best;
}

const server = await ownRedis();
const caches = [];
try {
  const key = { id: 1, key: randomBytes(32) };
  const now = Date.now();
  const blob = encode(new Session({ userId: "u", tenantId: "acme", token: "t", issuedAt: now - 1000, expiresAt: now + 3_600_000, facilities: [1, 2, 3] }), { key });
  const admin = await createClient({ url: server.url }).connect();
  await admin.set("s:bench", Buffer.from(blob));
  await admin.close();

  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 30_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const dropped = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })],
    views: [{ instrumentName: "sessionpack.cache.*.duration", aggregation: { type: AggregationType.DROP } }],
  });
  const setups = { off: { metrics: false }, noop: {}, sdk: { metrics: provider }, "sdk-nohist": { metrics: dropped } };
  const tracking = { heartbeatMs: 100, heartbeatTimeoutMs: 2000, prefixes: ["s:"] };
  const ops = {};
  const made = {};
  for (const [name, extra] of Object.entries(setups)) {
    for (const freshness of ["tracking", "header-check"]) {
      const cache = await SessionCache.connect(server.url, { freshness, keys: [key], tracking, ...extra });
      caches.push(cache);
      if (freshness === "tracking" && !(await cache.waitForTracking(5000))) throw new Error("tracking did not go live");
      if ((await cache.get("s:bench")) === null) throw new Error("no session");
      const read = () => cache.get("s:bench");
      ops[`${freshness} hit, ${name}`] = read;
      made[`${freshness} hit, ${name}`] = cache;
    }
  }
  // Tracking hits are sub-microsecond: time them apart from the round trips.
  const tracked = await timeAllAsync(Object.fromEntries(Object.entries(ops).filter(([k]) => k.startsWith("tracking"))));
  const cpu = {};
  const checked = await timeAllAsync(Object.fromEntries(Object.entries(ops).filter(([k]) => k.startsWith("header-check"))), cpu);
  const ns = { ...tracked, ...checked };
  for (const [name, cache] of Object.entries(made)) {
    const s = cache.stats();
    if (name.startsWith("tracking") && (!cache.trackingLive || s.fetches !== 1)) throw new Error(`${name}: not every read was a hit (${JSON.stringify(s)})`);
  }

  // The SDK's counts equal the reads made through the two caches on it.
  await reader.forceFlush();
  const points = exporter.getMetrics().at(-1).scopeMetrics[0].metrics.find((m) => m.descriptor.name === "sessionpack.cache.reads").dataPoints;
  const counted = points.reduce((n, p) => n + p.value, 0);
  const expected = ["tracking hit, sdk", "header-check hit, sdk"].reduce((n, k) => n + made[k].stats().hits + made[k].stats().fetches, 0);
  if (counted !== expected) throw new Error(`sessionpack.cache.reads counted ${counted}, the caches read ${expected} times`);

  const out = { ns_per_hit: Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, Math.round(v)])), added_ns: {}, cpu_ns_per_header_check_hit: cpu };
  for (const freshness of ["tracking", "header-check"]) {
    for (const name of ["noop", "sdk", "sdk-nohist"]) out.added_ns[`${freshness} hit, ${name}`] = Math.round(ns[`${freshness} hit, ${name}`] - ns[`${freshness} hit, off`]);
  }
  // The SDK's own cost per timed read: one histogram record with a read's attributes.
  const histogram = provider.getMeter("bench").createHistogram("bench.duration", { unit: "s" });
  const attributes = Object.freeze({ cache: "session", freshness: "header-check", result: "hit" });
  const recordNs = timeAll({ record: () => histogram.record(0.00003, attributes), now: () => performance.now() }, { ms: MS, rounds: ROUNDS });
  out.sdk_histogram_record_ns = Math.round(recordNs.record);
  out.performance_now_ns = Math.round(recordNs.now);
  for (const [k, v] of Object.entries(ns)) console.error(`${k.padEnd(24)} ${human(v)}`);
  console.log(JSON.stringify(out));
  await provider.shutdown();
  await dropped.shutdown();
} finally {
  for (const c of caches) await c.close();
  server.stop();
}
