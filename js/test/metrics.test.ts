// The OpenTelemetry metrics of the caches and the middleware (METRICS.md), read through the SDK's
// InMemoryMetricExporter after real operations on real servers: every data point the SDK holds
// is compared, exactly, with what the test caused (a point left out of an expectation is 0).
// Also: the no-op paths (metrics: false; @opentelemetry/api without an SDK), a global
// MeterProvider, and both builds loading and reading with @opentelemetry/api absent.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { metrics as otelMetrics } from "@opentelemetry/api";
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { IdDictionary, Session, encode, type MacKey, type SessionpackError } from "../dist/index.js";
import { DictionaryCache, SessionAccess, SessionCache, SessionStore, errorKind, sessionpackExpress, sessionpackFastify, type Access } from "../dist/redis/index.js";
import { CLIENT_NAME } from "../dist/redis/tracking.js";
import { admin, key, ownServer, session, set, target, version, within, type Admin } from "./redis-support.js";

const JS = fileURLToPath(new URL("..", import.meta.url));

const kind = (k: string) => (e: SessionpackError) => {
  assert.equal(errorKind(e), k, String(e));
  return true;
};

/** A MeterProvider whose metrics are read on demand through an InMemoryMetricExporter. */
function meterProvider(t: TestContext) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 30_000 });
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  /**
   * Every non-zero data point of sessionpack's instruments, as `name{attr=value,…}` → value (a
   * histogram's point: its count, and its sum is checked to be positive).
   */
  const collect = async (scopeName = "sessionpack"): Promise<Record<string, number>> => {
    exporter.reset();
    await reader.forceFlush();
    const out: Record<string, number> = {};
    const exported = exporter.getMetrics();
    assert.equal(exported.length, 1, "one export");
    for (const scope of exported[0].scopeMetrics) {
      assert.equal(scope.scope.name, scopeName);
      for (const m of scope.metrics) {
        for (const p of m.dataPoints) {
          const attrs = Object.entries(p.attributes)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(",");
          const name = `${m.descriptor.name}{${attrs}}`;
          let value: number;
          if (m.dataPointType === DataPointType.HISTOGRAM) {
            const h = p.value as { count: number; sum?: number };
            value = h.count;
            if (value > 0) assert.ok((h.sum ?? 0) > 0, `${name}: a histogram of durations sums to more than 0`);
          } else {
            assert.equal(m.dataPointType, DataPointType.SUM, m.descriptor.name);
            value = p.value as number;
          }
          if (value !== 0) out[name] = value;
        }
      }
    }
    return out;
  };
  const units = async (): Promise<Record<string, string>> => {
    exporter.reset();
    await reader.forceFlush();
    const out: Record<string, string> = {};
    for (const scope of exporter.getMetrics()[0].scopeMetrics) for (const m of scope.metrics) out[m.descriptor.name] = m.descriptor.unit;
    return out;
  };
  return { provider, collect, units };
}

const mac = (): MacKey => ({ id: 7, key: randomBytes(32) });

async function strlen(a: Admin, k: string): Promise<number> {
  return Number(await a.send(k, ["STRLEN", k]));
}

test("header checks: a session cache and a dictionary cache on one meter, every instrument counted exactly", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const { provider, collect, units } = meterProvider(t);
  const m = mac();
  const sessions = await SessionCache.connect(tg, { freshness: "header-check", keys: [m], metrics: provider });
  const dictionaries = await DictionaryCache.connect(tg, { keys: [m], refreshIntervalMs: 60_000, metrics: provider });
  const store = await SessionStore.connect(tg, { keys: [m] });
  const a = await admin(tg);
  t.after(async () => {
    await sessions.close();
    await dictionaries.close();
    await store.close();
    await a.close();
  });

  // Sessions: miss, hit, a missing key, a rewrite, a forged blob, an expired use.
  const k = key("metrics-hc");
  const b1 = encode(session("u", [1]), { key: m });
  const b2 = encode(session("u", [2]), { key: m });
  const forged = encode(session("u", [3]), { key: { id: m.id, key: randomBytes(32) } });
  await set(a, k, b1);
  assert.equal(version(await sessions.get(k)), 1); // miss: header check, fetch
  assert.equal(version(await sessions.get(k)), 1); // hit: header check
  assert.equal(await sessions.get(key("metrics-none")), null); // miss: header check, GET of nothing
  await set(a, k, b2);
  assert.equal(version(await sessions.get(k)), 2); // miss: header check, fetch
  const f = key("metrics-forged");
  await set(a, f, forged);
  await assert.rejects(sessions.get(f), kind("unauthenticated")); // miss: header check, fetch, refused
  await assert.rejects(sessions.getAt(k, Date.now() + 7_200_000), kind("expired")); // hit: header check, refused

  // Dictionaries: a miss, a key the copy lacks (a refresh, then one skipped), not a dictionary.
  const tenant = key("metrics-tenant").replaceAll(":", "-");
  const known = "6926c19047abb94d0ee3aad9";
  const empty = IdDictionary.create({ tenant: tenant.slice(0, 64), kind: "facility", keyType: "objectid", lineage: 0xfacaden });
  await store.appendDictionary(`dict:${tenant}:facility`, empty, [known]);
  assert.equal(await dictionaries.idOf(tenant, "facility", known), 0); // miss: header check, fetch
  assert.equal(await dictionaries.idOf(tenant, "facility", "6926c19047abb94d0ee3aad8"), undefined); // hit; refresh: header check
  assert.equal(await dictionaries.idOf(tenant, "facility", "6926c19047abb94d0ee3aad7"), undefined); // hit; refresh skipped
  const bad = key("metrics-bad").replaceAll(":", "-");
  await set(a, `dict:${bad}:facility`, "{}");
  await assert.rejects(dictionaries.get(bad, "facility"), kind("not_a_blob")); // miss: header check, refused

  const sessionBytes = b1.length + b2.length + forged.length;
  const dictionaryBytes = await strlen(a, `dict:${tenant}:facility`);
  const expected = {
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}": 4,
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=hit}": 2,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=miss}": 4,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=hit}": 2,
    "sessionpack.cache.header_checks{cache=session}": 6,
    "sessionpack.cache.fetches{cache=session,freshness=header-check}": 3,
    "sessionpack.cache.fetch.duration{cache=session,freshness=header-check}": 3,
    "sessionpack.cache.fetch.size{cache=session}": sessionBytes,
    "sessionpack.cache.refusals{cache=session,kind=unauthenticated}": 1,
    "sessionpack.cache.refusals{cache=session,kind=expired}": 1,
    "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=miss}": 2,
    "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=hit}": 2,
    "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=miss}": 2,
    "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=hit}": 2,
    "sessionpack.cache.header_checks{cache=dictionary}": 5,
    "sessionpack.cache.fetches{cache=dictionary,freshness=header-check}": 1,
    "sessionpack.cache.fetch.duration{cache=dictionary,freshness=header-check}": 1,
    "sessionpack.cache.fetch.size{cache=dictionary}": dictionaryBytes,
    "sessionpack.cache.refusals{cache=dictionary,kind=not_a_blob}": 1,
    "sessionpack.dictionary.refreshes{outcome=refreshed}": 1,
    "sessionpack.dictionary.refreshes{outcome=skipped}": 1,
  };
  assert.deepEqual(await collect(), expected);
  // Collected again: cumulative, unchanged. Closed: the counts stay (counters never go back).
  assert.deepEqual(await collect(), expected);
  await sessions.close();
  await dictionaries.close();
  assert.deepEqual(await collect(), expected);

  // The units of METRICS.md.
  assert.deepEqual(await units(), {
    "sessionpack.cache.read.duration": "s",
    "sessionpack.cache.fetch.duration": "s",
    "sessionpack.cache.reads": "{read}",
    "sessionpack.cache.header_checks": "{check}",
    "sessionpack.cache.fetches": "{fetch}",
    "sessionpack.cache.fetch.size": "By",
    "sessionpack.cache.invalidations": "{invalidation}",
    "sessionpack.cache.refusals": "{refusal}",
    "sessionpack.tracking.losses": "{loss}",
    "sessionpack.tracking.regains": "{regain}",
    "sessionpack.dictionary.refreshes": "{refresh}",
  });
});

test("tracking: hits without a round trip, an invalidation by a rewrite, tracking lost and regained; a shared tracker's dictionary cache", async (t) => {
  const own = await ownServer(t);
  if (!own) return;
  const tg = own.target(2000);
  const { provider, collect } = meterProvider(t);
  const m = mac();
  // A long heartbeat timeout: only the connection killed below loses tracking, never a slow heartbeat.
  const tracking = { heartbeatMs: 50, heartbeatTimeoutMs: 2000, retryMs: 50, prefixes: ["m:"] };
  const sessions = await SessionCache.connect(tg, { freshness: "tracking", keys: [m], tracking, metrics: provider });
  const dictionaries = sessions.dictionaries({ keys: [m], keyOf: (tn, kd) => `m:dict:${tn}:${kd}` });
  const store = await SessionStore.connect(tg, { keys: [m] });
  const a = await admin(tg);
  t.after(async () => {
    await dictionaries.close();
    await sessions.close();
    await store.close();
    await a.close();
  });
  assert.ok(sessions.trackingLive);

  const k = "m:session:1";
  const b1 = encode(session("u", [1]), { key: m });
  const b2 = encode(session("u", [2]), { key: m });
  // The write's own invalidation first: a fetch that races it would be served but not kept.
  const before = sessions.stats().invalidations;
  await set(a, k, b1);
  assert.ok((await within(5000, () => sessions.stats().invalidations === before + 1)) !== undefined, "the write is announced");
  assert.equal(version(await sessions.get(k)), 1); // miss: fetched (value and PTTL in one script)
  assert.equal(version(await sessions.get(k)), 1); // hit: no round trip
  await set(a, k, b2);
  assert.ok((await within(5000, () => sessions.stats().entries === 0)) !== undefined, "the invalidation arrives");
  // Announced too (as the first write was), but nothing kept is dropped: no invalidation counted.
  const announced = sessions.stats().invalidations;
  await set(a, "m:session:never-read", b1);
  assert.ok((await within(5000, () => sessions.stats().invalidations === announced + 1)) !== undefined, "announced");
  assert.equal(version(await sessions.get(k)), 2); // miss: fetched

  const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid", lineage: 0xfacaden });
  const pushed = dictionaries.stats().invalidations;
  await store.appendDictionary("m:dict:acme:facility", empty, ["6926c19047abb94d0ee3aad9"]);
  assert.ok((await within(5000, () => dictionaries.stats().invalidations === pushed + 1)) !== undefined, "the write is announced");
  assert.equal((await dictionaries.get("acme", "facility"))!.size, 1); // miss: header check, fetch
  assert.equal((await dictionaries.get("acme", "facility"))!.size, 1); // hit: no round trip
  await store.appendDictionary("m:dict:acme:facility", empty, ["6926c19047abb94d0ee3aad8"]);
  assert.ok((await within(5000, () => dictionaries.stats().entries === 0)) !== undefined, "the dictionary's invalidation arrives");
  const dictionaryBytes = await strlen(a, "m:dict:acme:facility");

  // Tracking lost (its connection killed), then regained.
  const clients = String(await a.send("", ["CLIENT", "LIST"]));
  const ids = [...clients.matchAll(/^id=(\d+) .*name=(\S*)/gm)].filter((x) => x[2] === CLIENT_NAME).map((x) => x[1]);
  assert.equal(ids.length, 1, clients);
  await a.send("", ["CLIENT", "KILL", "ID", ids[0]]);
  assert.ok((await within(5000, () => !sessions.trackingLive)) !== undefined, "tracking lost");
  assert.ok(await sessions.waitForTracking(5000), "tracking regained");

  // Hits served without a round trip are counted in reads, and not timed (METRICS.md).
  const dictionaryFetched = (await collect())["sessionpack.cache.fetch.size{cache=dictionary}"];
  assert.deepEqual(await collect(), {
    "sessionpack.cache.reads{cache=session,freshness=tracking,result=miss}": 2,
    "sessionpack.cache.reads{cache=session,freshness=tracking,result=hit}": 1,
    "sessionpack.cache.read.duration{cache=session,freshness=tracking,result=miss}": 2,
    "sessionpack.cache.fetches{cache=session,freshness=tracking}": 2,
    "sessionpack.cache.fetch.duration{cache=session,freshness=tracking}": 2,
    "sessionpack.cache.fetch.size{cache=session}": b1.length + b2.length,
    "sessionpack.cache.invalidations{cache=session}": 1,
    "sessionpack.tracking.losses{cache=session}": 1,
    "sessionpack.tracking.regains{cache=session}": 2,
    "sessionpack.cache.reads{cache=dictionary,freshness=tracking,result=miss}": 1,
    "sessionpack.cache.reads{cache=dictionary,freshness=tracking,result=hit}": 1,
    "sessionpack.cache.read.duration{cache=dictionary,freshness=tracking,result=miss}": 1,
    "sessionpack.cache.header_checks{cache=dictionary}": 1,
    "sessionpack.cache.fetches{cache=dictionary,freshness=tracking}": 1,
    "sessionpack.cache.fetch.duration{cache=dictionary,freshness=tracking}": 1,
    "sessionpack.cache.fetch.size{cache=dictionary}": dictionaryFetched,
    "sessionpack.cache.invalidations{cache=dictionary}": 1,
  });
  // The dictionary fetched was the first one: one key fewer than the one in Redis now.
  assert.ok(dictionaryFetched !== undefined && dictionaryFetched > 0 && dictionaryFetched < dictionaryBytes, `${dictionaryFetched} < ${dictionaryBytes}`);
  // Closing is not a loss.
  await dictionaries.close();
  await sessions.close();
  const after = await collect();
  assert.equal(after["sessionpack.tracking.losses{cache=session}"], 1);
  assert.equal(after["sessionpack.tracking.regains{cache=session}"], 2);
});

/** What the test's Express app needs of Express 5 (a development dependency without types). */
interface ExpressApp {
  disable(setting: string): void;
  use(middleware: unknown): void;
  get(path: string, handler: (req: { sessionpack: Access }, res: { json(body: unknown): void }) => void): void;
  listen(port: number, host: string, ready: () => void): Server;
}

test("the Express middleware over a real HTTP socket: requests granted and denied by kind, with the reads they caused", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const { provider, collect, units } = meterProvider(t);
  const m = mac();
  const sessions = await SessionCache.connect(tg, { freshness: "header-check", keys: [m], metrics: provider });
  const dictionaries = sessions.dictionaries({ keys: [m], refreshIntervalMs: 60_000 });
  const store = await SessionStore.connect(tg, { keys: [m] });
  const forger = await SessionStore.connect(tg, { keys: [{ id: m.id, key: randomBytes(32) }] });
  const a = await admin(tg);
  // Express 5 has no types here: imported by a name the compiler does not resolve.
  const expressModule: string = "express5";
  const express = ((await import(expressModule)) as { default: () => ExpressApp }).default;
  const app = express();
  app.disable("x-powered-by");
  app.use(sessionpackExpress(new SessionAccess({ sessions, dictionaries }), { sessionKey: (req: { headers: Record<string, string | undefined> }) => req.headers.authorization?.replace(/^Bearer /, "session:") }));
  const facility = "6926c19047abb94d0ee3aad9";
  app.get("/facility", (req, res) => {
    void req.sessionpack.canSee(facility).then((visible) => res.json({ visible }));
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await dictionaries.close();
    await sessions.close();
    await store.close();
    await forger.close();
    await a.close();
  });
  const { port } = server.address() as { port: number };
  const call = async (sid?: string): Promise<[number, string]> => {
    const r = await fetch(`http://127.0.0.1:${port}/facility`, { headers: sid === undefined ? {} : { authorization: `Bearer ${sid}` } });
    return [r.status, await r.text()];
  };

  const tenant = key("metrics-mw").replaceAll(":", "-");
  const empty = IdDictionary.create({ tenant: tenant.slice(0, 64), kind: "facility", keyType: "objectid", lineage: 0xd1c7n });
  const dictionary = (await store.appendDictionary(`dict:${tenant}:facility`, empty, [facility])).dictionary;
  const now = Date.now();
  const issue = async (writer: SessionStore) => {
    const sid = randomBytes(12).toString("base64url");
    await writer.put(`session:${sid}`, new Session({ userId: "u1", tenantId: tenant, token: "t", issuedAt: now - 1000, expiresAt: now + 3_600_000 }).withFacilityKeys(dictionary.view(), [facility]), 3_600_000);
    return sid;
  };
  const good = await issue(store);
  const bad = await issue(forger);

  assert.deepEqual(await call(), [401, '{"error":"unauthorized"}']); // no key: no read
  assert.deepEqual(await call(good), [200, '{"visible":true}']); // session miss + fetch; dictionary miss + fetch
  assert.deepEqual(await call(good), [200, '{"visible":true}']); // session hit; dictionary hit
  assert.deepEqual(await call(bad), [401, '{"error":"unauthorized"}']); // session miss + fetch: refused
  assert.deepEqual(await call("nobody"), [401, '{"error":"unauthorized"}']); // session miss: no such key

  assert.deepEqual(await collect(), {
    "sessionpack.middleware.requests{outcome=granted}": 2,
    "sessionpack.middleware.requests{kind=no_session,outcome=denied}": 2,
    "sessionpack.middleware.requests{kind=unauthenticated,outcome=denied}": 1,
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}": 3,
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=miss}": 3,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.header_checks{cache=session}": 4,
    "sessionpack.cache.fetches{cache=session,freshness=header-check}": 2,
    "sessionpack.cache.fetch.duration{cache=session,freshness=header-check}": 2,
    "sessionpack.cache.fetch.size{cache=session}": (await strlen(a, `session:${good}`)) + (await strlen(a, `session:${bad}`)),
    "sessionpack.cache.refusals{cache=session,kind=unauthenticated}": 1,
    "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=miss}": 1,
    "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=miss}": 1,
    "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.header_checks{cache=dictionary}": 2,
    "sessionpack.cache.fetches{cache=dictionary,freshness=header-check}": 1,
    "sessionpack.cache.fetch.duration{cache=dictionary,freshness=header-check}": 1,
    "sessionpack.cache.fetch.size{cache=dictionary}": await strlen(a, `dict:${tenant}:facility`),
  });
  assert.equal((await units())["sessionpack.middleware.requests"], "{request}");
});

test("no meter: metrics: false, and @opentelemetry/api installed without an SDK, read as usual; a bad metrics option is a TypeError", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const a = await admin(tg);
  t.after(() => a.close());
  const k = key("metrics-noop");
  await set(a, k, encode(session("u", [5])));
  for (const metrics of [false, undefined] as const) {
    const cache = await SessionCache.connect(tg, { freshness: "header-check", ...(metrics === undefined ? {} : { metrics }) });
    try {
      assert.equal(version(await cache.get(k)), 5);
      assert.equal(version(await cache.get(k)), 5);
      const dictionaries = cache.dictionaries();
      assert.equal(await dictionaries.get("metrics-noop-none", "facility"), null);
      assert.deepEqual([cache.stats().hits, cache.stats().fetches], [1, 1]);
    } finally {
      await cache.close();
    }
  }
  for (const metrics of [{}, 5, "prometheus", null, true]) {
    await assert.rejects(SessionCache.connect(tg, { freshness: "header-check", metrics: metrics as never }), (e: Error) => e instanceof TypeError && /MeterProvider/.test(e.message));
    await assert.rejects(DictionaryCache.connect(tg, { metrics: metrics as never }), (e: Error) => e instanceof TypeError && /MeterProvider/.test(e.message));
  }
  const cache = await SessionCache.connect(tg, { freshness: "header-check", metrics: false });
  t.after(() => cache.close());
  assert.throws(() => cache.dictionaries({ metrics: false } as never), (e: Error) => e instanceof TypeError && /session cache's meter/.test(e.message));
});

test("the global MeterProvider of @opentelemetry/api is the default; a Meter can be given too", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const a = await admin(tg);
  t.after(() => a.close());
  const k = key("metrics-global");
  const blob = encode(session("u", [6]));
  await set(a, k, blob);

  const global = meterProvider(t);
  assert.ok(otelMetrics.setGlobalMeterProvider(global.provider));
  t.after(() => otelMetrics.disable());
  const byDefault = await SessionCache.connect(tg, { freshness: "header-check" });
  t.after(() => byDefault.close());
  assert.equal(version(await byDefault.get(k)), 6);

  const given = meterProvider(t);
  const byMeter = await SessionCache.connect(tg, { freshness: "header-check", metrics: given.provider.getMeter("my-service") });
  t.after(() => byMeter.close());
  assert.equal(version(await byMeter.get(k)), 6);
  assert.equal(version(await byMeter.get(k)), 6);

  const once = {
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}": 1,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=miss}": 1,
    "sessionpack.cache.header_checks{cache=session}": 1,
    "sessionpack.cache.fetches{cache=session,freshness=header-check}": 1,
    "sessionpack.cache.fetch.duration{cache=session,freshness=header-check}": 1,
    "sessionpack.cache.fetch.size{cache=session}": blob.length,
  };
  assert.deepEqual(await global.collect(), once);
  // The given meter's: its scope is the application's.
  assert.deepEqual(await given.collect("my-service"), {
    ...once,
    "sessionpack.cache.reads{cache=session,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=hit}": 1,
    "sessionpack.cache.header_checks{cache=session}": 2,
  });
});

/**
 * A child Node process that cannot resolve `@opentelemetry/api` — not by `import()` (a resolve
 * hook), not by `require` (Module._resolveFilename) — reads a session through the ES module or
 * the CommonJS build, with metrics left to the default.
 */
function withoutApi(build: "esm" | "cjs", url: string, k: string): unknown {
  const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === "@opentelemetry/api") throw Object.assign(new Error("Cannot find package '@opentelemetry/api' (hidden by the test)"), { code: "ERR_MODULE_NOT_FOUND" });
  return next(specifier, context);
}`;
  const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const hideRequire = `const M = require("node:module"); const r = M._resolveFilename;
M._resolveFilename = function (request, ...rest) {
  if (request === "@opentelemetry/api") throw Object.assign(new Error("Cannot find module '@opentelemetry/api' (hidden by the test)"), { code: "MODULE_NOT_FOUND" });
  return r.call(this, request, ...rest);
};`;
  const load = build === "esm" ? `await import("./dist/redis/index.js")` : `require("./dist/cjs/redis/index.js")`;
  const script = `${hideRequire}
(async () => {
  let hidden = false;
  try { ${build === "esm" ? `await import("@opentelemetry/api")` : `require("@opentelemetry/api")`}; } catch { hidden = true; }
  const { SessionCache } = ${load};
  const cache = await SessionCache.connect(${JSON.stringify(url)}, { freshness: "header-check" });
  const view = await cache.get(${JSON.stringify(k)});
  const again = await cache.get(${JSON.stringify(k)});
  await cache.close();
  process.stdout.write(JSON.stringify({ hidden, facility: view.facilities.min, hit: again === view || again.facilities.min === view.facilities.min, stats: cache.stats().hits }));
})().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(
    process.execPath,
    ["--no-warnings", "--import", `data:text/javascript,${encodeURIComponent(register)}`, "--input-type=commonjs", "-e", script],
    { cwd: JS, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  return JSON.parse(out);
}

test("without @opentelemetry/api installed, both builds load and read (metrics off)", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const a = await admin(tg);
  t.after(() => a.close());
  const k = key("metrics-absent");
  await set(a, k, encode(session("u", [8])));
  for (const build of ["esm", "cjs"] as const) {
    assert.deepEqual(withoutApi(build, tg.urls[0], k), { hidden: true, facility: 8, hit: true, stats: 1 }, build);
  }
});

/** What the test uses of examples/prometheus.mjs (JavaScript). */
interface PrometheusExample {
  prometheusMetrics(): { exporter: object; meterProvider: MeterProvider };
  connectAccess(redis: unknown, keys: MacKey[], meterProvider: MeterProvider, freshness?: string): Promise<{ access: SessionAccess; close: () => Promise<void> }>;
  createApp(express: () => ExpressApp, deps: { access: SessionAccess; exporter: object }): ExpressApp;
}

/** A Prometheus text exposition's samples: `name{label="value",…}` (labels sorted, otel_scope_* left out) → value. */
function samples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || !m[1].startsWith("sessionpack_")) continue;
    const labels = [...(m[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)]
      .filter((l) => !l[1].startsWith("otel_scope_"))
      .map((l) => `${l[1]}="${l[2]}"`)
      .sort();
    out[`${m[1]}{${labels.join(",")}}`] = Number(m[3]);
  }
  return out;
}

test("examples/prometheus.mjs: Prometheus scrapes the middleware's and the caches' metrics from the app's /metrics", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const exampleModule: string = "../examples/prometheus.mjs";
  const example = (await import(exampleModule)) as PrometheusExample;
  const expressModule: string = "express5";
  const express = ((await import(expressModule)) as { default: () => ExpressApp }).default;
  const m = mac();
  const { exporter, meterProvider } = example.prometheusMetrics();
  const { access, close } = await example.connectAccess(tg, [m], meterProvider, "header-check");
  const store = await SessionStore.connect(tg, { keys: [m] });
  const server = await new Promise<Server>((resolve) => {
    const s = example.createApp(express, { access, exporter }).listen(0, "127.0.0.1", () => resolve(s));
  });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await close();
    await store.close();
    await meterProvider.shutdown();
  });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const tenant = key("metrics-prom").replaceAll(":", "-");
  const facility = "6926c19047abb94d0ee3aad9";
  const empty = IdDictionary.create({ tenant: tenant.slice(0, 64), kind: "facility", keyType: "objectid", lineage: 0xd1c7n });
  const dictionary = (await store.appendDictionary(`dict:${tenant}:facility`, empty, [facility])).dictionary;
  const sid = randomBytes(12).toString("base64url");
  const now = Date.now();
  await store.put(`session:${sid}`, new Session({ userId: "u1", tenantId: tenant, token: "t", issuedAt: now - 1000, expiresAt: now + 3_600_000 }).withFacilityKeys(dictionary.view(), [facility]), 3_600_000);

  const get = async (p: string, sidOrNone?: string) => {
    const r = await fetch(base + p, { headers: sidOrNone === undefined ? {} : { authorization: `Bearer ${sidOrNone}` } });
    return [r.status, await r.text()] as const;
  };
  assert.deepEqual(await get(`/facilities/${facility}`, sid), [200, '{"visible":true}']);
  assert.deepEqual(await get(`/facilities/${facility}`, sid), [200, '{"visible":true}']);
  assert.deepEqual(await get(`/facilities/${facility}`), [401, '{"error":"unauthorized"}']);
  const [status, text] = await get("/metrics");
  assert.equal(status, 200);
  const s = samples(text);
  const expected: Record<string, number> = {
    'sessionpack_middleware_requests_total{outcome="granted"}': 2,
    'sessionpack_middleware_requests_total{kind="no_session",outcome="denied"}': 1,
    'sessionpack_cache_reads_total{cache="session",freshness="header-check",result="miss"}': 1,
    'sessionpack_cache_reads_total{cache="session",freshness="header-check",result="hit"}': 1,
    'sessionpack_cache_reads_total{cache="dictionary",freshness="header-check",result="miss"}': 1,
    'sessionpack_cache_reads_total{cache="dictionary",freshness="header-check",result="hit"}': 1,
    'sessionpack_cache_header_checks_total{cache="session"}': 2,
    'sessionpack_cache_fetches_total{cache="session",freshness="header-check"}': 1,
    'sessionpack_cache_read_duration_count{cache="session",freshness="header-check",result="hit"}': 1,
    'sessionpack_cache_fetch_duration_count{cache="dictionary",freshness="header-check"}': 1,
    'sessionpack_tracking_losses_total{cache="session"}': 0,
    'sessionpack_dictionary_refreshes_total{outcome="skipped"}': 0,
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(s[name], value, `${name} in\n${text}`);
  assert.ok((s['sessionpack_cache_fetch_size_total{cache="session"}'] ?? 0) > 0, text);
  // Every sessionpack metric family of METRICS.md that was reported (the shadow counters are reserved).
  const families = new Set(Object.keys(s).map((k) => k.slice(0, k.indexOf("{")).replace(/_(bucket|sum|count)$/, "")));
  assert.deepEqual([...families].sort(), [
    "sessionpack_cache_fetch_duration",
    "sessionpack_cache_fetch_size_total",
    "sessionpack_cache_fetches_total",
    "sessionpack_cache_header_checks_total",
    "sessionpack_cache_invalidations_total",
    "sessionpack_cache_read_duration",
    "sessionpack_cache_reads_total",
    "sessionpack_dictionary_refreshes_total",
    "sessionpack_middleware_requests_total",
    "sessionpack_tracking_losses_total",
    "sessionpack_tracking_regains_total",
  ]);
});

/** What the test uses of Fastify 5 (imported by name). */
interface FastifyApp {
  register(plugin: unknown): Promise<unknown>;
  get(path: string, handler: (request: { sessionpack: Access }) => Promise<unknown>): void;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

test("the Fastify plugin counts its requests too: granted, and denied by kind", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const { provider, collect } = meterProvider(t);
  const m = mac();
  const sessions = await SessionCache.connect(tg, { freshness: "header-check", keys: [m], metrics: provider });
  const dictionaries = sessions.dictionaries({ keys: [m] });
  const store = await SessionStore.connect(tg, { keys: [m] });
  const fastifyModule: string = "fastify5";
  const fastify = ((await import(fastifyModule)) as { default: () => FastifyApp }).default;
  const app = fastify();
  await app.register(sessionpackFastify(new SessionAccess({ sessions, dictionaries }), { sessionKey: (request: { headers: Record<string, string | undefined> }) => request.headers["x-session"] }));
  app.get("/", (request) => Promise.resolve({ user: request.sessionpack.userId }));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  t.after(async () => {
    await app.close();
    await dictionaries.close();
    await sessions.close();
    await store.close();
  });
  const k = key("metrics-fastify");
  const now = Date.now();
  await store.put(k, new Session({ userId: "u9", tenantId: "acme", token: "t", issuedAt: now - 1000, expiresAt: now + 60_000, facilities: [1] }), 60_000);
  const call = async (sid?: string) => {
    const r = await fetch(url, { headers: sid === undefined ? {} : { "x-session": sid } });
    return [r.status, await r.text()] as const;
  };
  assert.deepEqual(await call(k), [200, '{"user":"u9"}']);
  assert.deepEqual(await call(), [401, '{"error":"unauthorized"}']);
  assert.deepEqual(await call(key("metrics-fastify-none")), [401, '{"error":"unauthorized"}']);
  const counted = await collect();
  assert.deepEqual(
    Object.fromEntries(Object.entries(counted).filter(([name]) => name.startsWith("sessionpack.middleware."))),
    {
      "sessionpack.middleware.requests{outcome=granted}": 1,
      "sessionpack.middleware.requests{kind=no_session,outcome=denied}": 2,
    },
  );
  // The session had plain ids (no dictionary to load): two session reads, one fetched.
  assert.equal(counted["sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}"], 2);
  assert.equal(counted["sessionpack.cache.fetches{cache=session,freshness=header-check}"], 1);
});
