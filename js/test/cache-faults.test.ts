// Faults against redis-servers of the tests' own (killed, restarted, paused with SIGSTOP, the
// tracker's connection killed, filled until they evict): errors, never a stale session;
// timeouts, never a hang. Then what Redis does not announce to a tracking client (issue 19):
// keys past their TTL that Redis has not deleted yet, SWAPDB, and flushes.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { SessionStore, SessionCache, Target, errorKind, type Freshness, type TrackingOptions } from "../dist/redis/index.js";
import { CLIENT_NAME } from "../dist/redis/tracking.js";
import { MODES, ownServer, admin, set, blob, version, sleep, within, Truth, Reader, type OwnServer, type Readable } from "./redis-support.js";

const TRACKING = { heartbeatMs: 50, heartbeatTimeoutMs: 100, retryMs: 50 };

async function connect(t: TestContext, server: OwnServer, freshness: Freshness, tracking: TrackingOptions = TRACKING) {
  const cache = await SessionCache.connect(server.target(), { freshness, tracking });
  t.after(() => cache.close());
  if (freshness === "tracking") assert.ok(await cache.waitForTracking(5000), "tracking live");
  return cache;
}

async function write(server: OwnServer, k: string, value: string | Uint8Array, px?: number) {
  const a = await admin(server.target());
  try {
    await set(a, k, value, px);
  } finally {
    await a.close();
  }
}

/** The cache's version of `k`, or the error's kind. */
async function read(cache: Readable, k: string) {
  try {
    return version(await cache.get(k));
  } catch (e) {
    return errorKind(e) ?? String(e);
  }
}

for (const mode of MODES) {
  test(`${mode}: the server killed and restarted mid-run: errors while down, then fresh data, never a stale session`, async (t) => {
    const server = await ownServer(t);
    if (!server) return;
    const k = "session:restart";
    await write(server, k, blob(1));
    const cache = await connect(t, server, mode);
    let rewritten = false;
    let stop = false;
    let stale = 0;
    let errors = 0;
    const worker = (async () => {
      while (!stop) {
        const after = rewritten;
        const v = await read(cache, k);
        if (after && v === 1) stale++;
        if (typeof v === "string") errors++;
        await sleep(1);
      }
    })();
    assert.equal(await read(cache, k), 1);
    await sleep(50);
    await server.kill();
    const down = await within(2000, async () => typeof (await read(cache, k)) === "string");
    assert.ok(down !== undefined, "a dead server gives errors");
    const err = await read(cache, k);
    assert.ok(err === "unavailable" || err === "timeout", String(err));
    // Tracking lost its connection: emptied. (Header checks may keep entries: none is served
    // without a header check that succeeds.)
    if (mode === "tracking") assert.equal(cache.stats().entries, 0, "nothing kept while down");
    await sleep(100);
    await server.restart();
    // Back, empty: the key is missing until rewritten — null, never the old session.
    const back = await within(5000, async () => (await read(cache, k)) === undefined);
    assert.ok(back !== undefined, "back: the missing key is null");
    await write(server, k, blob(2));
    rewritten = true;
    if (mode === "tracking") assert.ok(await cache.waitForTracking(5000), "tracking re-established");
    assert.ok((await within(2000, async () => (await read(cache, k)) === 2)) !== undefined, "the rewrite is seen");
    await sleep(100);
    stop = true;
    await worker;
    assert.equal(stale, 0, "a stale session after the rewrite");
    console.log(`${mode}: kill/restart: the worker got ${errors} errors while down, 0 stale sessions; ${JSON.stringify(cache.stats())}`);
  });

  test(`${mode}: a key evicted under memory pressure, or expired by Redis, is null`, async (t) => {
    const server = await ownServer(t, ["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]);
    if (!server) return;
    const k = `session:evicted:${mode}`;
    const expiring = `session:expiring:${mode}`;
    const cache = await connect(t, server, mode);
    const a = await admin(server.target());
    t.after(() => a.close());
    await set(a, k, blob(1));
    assert.equal(await read(cache, k), 1);
    // Read at once, then left to expire in Redis (1 s: room for a loaded machine between the write and the read).
    await set(a, expiring, blob(1), 1000);
    assert.equal(await read(cache, expiring), 1);
    const filler = Buffer.alloc(64 << 10, "x");
    let n = 0;
    while ((await a.send(k, ["EXISTS", k])) === 1) {
      await a.send(`filler:${n}`, ["SET", `filler:${n}`, filler]);
      n++;
      assert.ok(n < 10_000, "never evicted");
    }
    assert.ok((await within(2000, async () => (await read(cache, k)) === undefined)) !== undefined, "evicted: null");
    assert.ok((await within(4000, async () => (await read(cache, expiring)) === undefined)) !== undefined, "expired: null");
    console.log(`${mode}: evicted after ${n} fillers: null; ${JSON.stringify(cache.stats())}`);
  });
}

test("a server that stops answering: a timeout, not a hang; tracking declared lost within the staleness bound", async (t) => {
  const server = await ownServer(t);
  if (!server) return;
  const k = "session:paused";
  await write(server, k, blob(1));
  const store = await SessionStore.connect(server.target());
  t.after(() => store.close());
  const header = await connect(t, server, "header-check");
  const tracking = await connect(t, server, "tracking");
  const bound = tracking.stalenessBoundMs;
  assert.equal(bound, 150);
  assert.equal(await read(header, k), 1);
  assert.equal(await read(tracking, k), 1);
  server.pause();
  t.after(() => server.resume());
  const lost = (await within(2000, () => !tracking.trackingLive))!;
  console.log(`paused: tracking declared lost ${lost.toFixed(1)} ms after the pause (staleness bound ${bound} ms)`);
  assert.ok(lost <= bound + 100, `lost after ${lost} ms, bound ${bound} ms`); // + the polling, on a shared machine
  assert.ok((await within(1000, () => tracking.stats().entries === 0)) !== undefined, "the cache emptied itself");
  const started = performance.now();
  await assert.rejects(store.get(k), (e) => errorKind(e) === "timeout");
  assert.equal(await read(header, k), "timeout");
  assert.equal(await read(tracking, k), "timeout");
  assert.ok(performance.now() - started < 2000, "a hang");
  server.resume();
  assert.ok((await within(5000, async () => (await store.get(k).catch(() => null)) !== null)) !== undefined, "the store reconnects");
  assert.ok((await within(5000, async () => (await read(header, k)) === 1)) !== undefined);
  assert.ok(await tracking.waitForTracking(5000), "tracking re-established");
  assert.equal(await read(tracking, k), 1);
});

test("the tracker's connection killed: the cache empties itself, checks headers until tracking is back, then serves without round trips", async (t) => {
  const server = await ownServer(t);
  if (!server) return;
  const k = "session:dropped";
  await write(server, k, blob(1));
  const cache = await connect(t, server, "tracking", { ...TRACKING, retryMs: 400 });
  assert.equal(await read(cache, k), 1);
  const before = cache.stats();
  assert.equal(before.entries, 1);
  const a = await admin(server.target());
  t.after(() => a.close());
  const list = String(await a.send("", ["CLIENT", "LIST"]));
  const ids = list
    .split("\n")
    .filter((l) => l.includes(` name=${CLIENT_NAME} `))
    .map((l) => /(?:^| )id=(\d+)/.exec(l)![1]);
  assert.equal(ids.length, 1, list);
  assert.equal(await a.send("", ["CLIENT", "KILL", "ID", ids[0]]), 1);
  const lost = await within(1000, () => !cache.trackingLive);
  assert.ok(lost !== undefined);
  assert.ok(cache.stats().flushes > before.flushes, "emptied itself");
  assert.equal(cache.stats().entries, 0);
  console.log(`tracking connection killed: fallback to header checks after ${lost.toFixed(1)} ms`);
  // Meanwhile, header checks: a rewrite is seen on the next read.
  await set(a, k, blob(2));
  if (!cache.trackingLive) {
    const checks = cache.stats().headerChecks;
    assert.equal(await read(cache, k), 2);
    assert.ok(cache.stats().headerChecks > checks, "served after a header check");
  }
  assert.ok(await cache.waitForTracking(5000), "tracking re-established");
  assert.equal(await read(cache, k), 2);
  const checks = cache.stats().headerChecks;
  for (let i = 0; i < 50; i++) assert.equal(await read(cache, k), 2);
  assert.equal(cache.stats().headerChecks, checks, "no round trips once tracking is back");
  await set(a, k, blob(3));
  assert.ok((await within(1000, async () => (await read(cache, k)) === 3)) !== undefined, "and invalidations arrive again");
});

// ----- What Redis does not announce (issue 19), on a server of the test's own -----

const BOUND = TRACKING.heartbeatMs + TRACKING.heartbeatTimeoutMs;

/** A header-check cache and a tracking cache on database `db` of `server`. */
async function pair(t: TestContext, server: OwnServer, db = 0, tracking: TrackingOptions = TRACKING) {
  const target = Target.standalone(`${server.url}/${db}`).withTimeout(1000).withConnectTimeout(2000);
  const header = await SessionCache.connect(target, { freshness: "header-check" });
  const tracked = await SessionCache.connect(target, { freshness: "tracking", tracking });
  t.after(async () => {
    await header.close();
    await tracked.close();
  });
  assert.ok(await tracked.waitForTracking(5000), "tracking live");
  return { header, tracking: tracked, target };
}

async function finish(label: string, rs: Reader[]) {
  for (const r of rs) await r.stop();
  for (const r of rs) console.log(`${label}: ${r.summary()}; ${JSON.stringify(r.cache.stats())}`);
  for (const r of rs) assert.deepEqual(r.violations.slice(0, 5), [], `${label}, ${r.name}`);
}

test("keys Redis has not deleted yet (200,000 volatile keys, active expiry off) are never served after their TTL, nor after an EXPIRE used as a logout", async (t) => {
  const server = await ownServer(t, ["--enable-debug-command", "yes"]);
  if (!server) return;
  const a = await admin(server.target(2000));
  t.after(() => a.close());
  await a.send("", ["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
  await a.send("", ["EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'filler:' .. i, 'x', 'PX', 600000) end", "0", "200000"]);
  const cs = await pair(t, server);
  const truth = new Truth();
  const volatile = Array.from({ length: 50 }, (_, i) => `session:ttl:${i}`);
  const logout = Array.from({ length: 10 }, (_, i) => `session:logout:${i}`);
  const ttl = 1500;
  for (const k of logout) await truth.write(k, 1, () => set(a, k, blob(1)));
  for (const k of volatile) await truth.write(k, 1, () => set(a, k, blob(1), ttl), ttl);
  const keys = [...volatile, ...logout];
  for (const k of keys) {
    assert.equal(version(await cs.header.get(k)), 1);
    assert.equal(version(await cs.tracking.get(k)), 1);
  }
  // No read that starts after a key's TTL ran out may serve it, in either mode: the deadline errs early.
  const rs = [new Reader("header-check", cs.header, truth, keys, 0), new Reader("tracking", cs.tracking, truth, keys, 0)];
  t.after(() => Promise.all(rs.map((r) => r.stop())));
  await sleep(300);
  for (const k of logout) await truth.write(k, 1, () => a.send(k, ["PEXPIRE", k, "400"]), 400);
  await sleep(ttl + 1500);
  const untouched = Number(await a.send("", ["DBSIZE"]));
  await finish("TTL expiry (standalone)", rs);
  console.log(`TTL expiry (standalone): ${untouched} keys in the database when the readers stopped (200,060 written, the 60 sessions expired; only reads delete them)`);
  assert.ok(untouched >= 200_000, "active expiry ran");
  assert.ok(cs.tracking.stats().ttlExpiries >= 1, "the tracking cache dropped entries at their deadline");
});

for (const db of [0, 3]) {
  test(`SWAPDB of database ${db} (the one the caches read): never served after the swap (tracking: within the staleness bound, by the tracker's marker); without the marker it is invisible`, async (t) => {
    const server = await ownServer(t);
    if (!server) return;
    const other = db + 1;
    const cs = await pair(t, server, db);
    const blind = await SessionCache.connect(cs.target, { freshness: "tracking", tracking: { ...TRACKING, marker: false } });
    t.after(() => blind.close());
    assert.ok(await blind.waitForTracking(5000));
    const a = await admin(Target.standalone(`${server.url}/${db}`));
    const b = await admin(Target.standalone(`${server.url}/${other}`));
    t.after(async () => {
      await a.close();
      await b.close();
    });
    const truth = new Truth();
    const keys = Array.from({ length: 20 }, (_, i) => `session:swap:${i}`);
    for (const k of keys) await truth.write(k, 1, () => set(a, k, blob(1)));
    // The other database holds version 2 of half of them.
    for (const k of keys.slice(0, 10)) await set(b, k, blob(2));
    for (const c of [cs.header, cs.tracking, blind]) for (const k of keys) assert.equal(version(await c.get(k)), 1);
    const rs = [new Reader("header-check", cs.header, truth, keys, 0), new Reader("tracking", cs.tracking, truth, keys, BOUND)];
    const blindReader = new Reader("tracking, marker off", blind, truth, keys, BOUND);
    t.after(() => Promise.all([...rs, blindReader].map((r) => r.stop())));
    await sleep(200);
    const flushes = cs.tracking.stats().flushes;
    const ws = keys.map((k, i) => truth.sending(k, i < 10 ? 2 : undefined));
    const swapped = performance.now();
    await a.send("", ["SWAPDB", String(db), String(other)]);
    for (const w of ws) truth.acked(w);
    const seen = await within(2000, () => cs.tracking.stats().flushes > flushes);
    assert.ok(seen !== undefined, "the tracker saw the swap");
    console.log(`SWAPDB ${db} ${other}: the tracking cache emptied itself ${seen.toFixed(1)} ms after the swap (heartbeat ${TRACKING.heartbeatMs} ms)`);
    await sleep(600);
    await finish(`SWAPDB ${db} ${other}`, rs);
    await blindReader.stop();
    console.log(`SWAPDB ${db} ${other}: ${blindReader.summary()} (what the marker prevents); ${JSON.stringify(blind.stats())}; ${blindReader.violations.slice(0, 3).join("; ")}`);
    assert.ok(performance.now() - swapped > BOUND);
    assert.ok(await cs.tracking.waitForTracking(5000), "tracking live again");
    assert.equal(version(await cs.tracking.get(keys[0])), 2);
    assert.equal(await cs.tracking.get(keys[15]), null);
    // The marker is one key, deleted when the cache is closed.
    assert.equal((await a.send("", ["KEYS", "sessionpack:tracker:*"]) as unknown[]).length, 1);
    await cs.tracking.close();
    assert.equal((await a.send("", ["KEYS", "sessionpack:tracker:*"]) as unknown[]).length, 0, "the marker deleted on close");
  });
}

test("FLUSHDB and FLUSHALL: never served after them (tracking: the flush is announced)", async (t) => {
  const server = await ownServer(t);
  if (!server) return;
  const cs = await pair(t, server, 2);
  const a = await admin(cs.target);
  t.after(() => a.close());
  const truth = new Truth();
  const keys = Array.from({ length: 20 }, (_, i) => `session:flush:${i}`);
  for (const k of keys) await truth.write(k, 1, () => set(a, k, blob(1)));
  for (const c of [cs.header, cs.tracking]) for (const k of keys) assert.equal(version(await c.get(k)), 1);
  const rs = [new Reader("header-check", cs.header, truth, keys, 0), new Reader("tracking", cs.tracking, truth, keys, BOUND)];
  t.after(() => Promise.all(rs.map((r) => r.stop())));
  await sleep(200);
  await truth.clearing(() => a.send("", ["FLUSHDB"]));
  await sleep(300);
  for (const k of keys) await truth.write(k, 2, () => set(a, k, blob(2)));
  await sleep(300);
  await truth.clearing(() => a.send("", ["FLUSHALL"]));
  await sleep(300);
  await finish("FLUSHDB, FLUSHALL (standalone)", rs);
  for (const k of keys) assert.equal(await cs.tracking.get(k), null);
});

test("close() returns when the server died under a busy cache (node-redis' own close() never does then)", async (t) => {
  const server = await ownServer(t);
  if (!server) return;
  const cs = await pair(t, server);
  const store = await SessionStore.connect(cs.target);
  const a = await admin(cs.target);
  await set(a, "session:close", blob(1));
  await a.close();
  const truth = new Truth();
  truth.initial("session:close", 1);
  const rs = [new Reader("header-check", cs.header, truth, ["session:close"], 0), new Reader("tracking", cs.tracking, truth, ["session:close"], BOUND)];
  const busy = (async () => {
    for (let i = 0; i < 200; i++) await store.get("session:close").catch(() => null);
  })();
  await sleep(200);
  await server.kill();
  const started = performance.now();
  await Promise.all([cs.header.close(), cs.tracking.close(), store.close()]);
  const took = performance.now() - started;
  for (const r of rs) await r.stop();
  await busy;
  console.log(`closed ${took.toFixed(1)} ms after the server was killed (the target's timeout is ${cs.target.timeoutMs} ms)`);
  assert.ok(took < cs.target.timeoutMs + 1000, `close() took ${took} ms`);
});

test("tracking over the app's ioredis client (db 3, RESP2 redirect): invalidations, a SWAPDB seen by the marker, the subscriber killed, FLUSHALL; the app's client never closed", async (t) => {
  const server = await ownServer(t);
  if (!server) return;
  const { Redis } = await import("ioredis");
  const redis = new Redis(`${server.url}/3`, { lazyConnect: true });
  redis.on("error", () => {});
  await redis.connect();
  t.after(() => redis.disconnect());
  const cache = await SessionCache.connect(redis, { freshness: "tracking", tracking: TRACKING, timeoutMs: 500 });
  const store = await SessionStore.connect(redis);
  t.after(async () => {
    await cache.close();
    await store.close();
  });
  assert.ok(await cache.waitForTracking(5000), "tracking live");
  assert.equal(cache.client, redis);
  assert.equal(cache.target, undefined);
  const other = await admin(Target.standalone(`${server.url}/4`));
  const a = await admin(Target.standalone(`${server.url}/3`));
  t.after(async () => {
    await other.close();
    await a.close();
  });
  // The tracker's two connections: a subscriber and the one that redirects to it, both named.
  const list = async () =>
    String(await a.send("", ["CLIENT", "LIST"]))
      .split("\n")
      .filter((l) => l.includes(`name=${CLIENT_NAME} `));
  let lines = await list();
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.ok(lines.some((l) => / sub=1 /.test(l)), "a subscriber (to __redis__:invalidate)");

  // Invalidations: a rewrite through the store (the same app client) is seen, with no header check.
  const k = "session:io:1";
  await store.put(k, blob(1));
  assert.equal(version(await cache.get(k)), 1);
  const s0 = cache.stats();
  for (let i = 0; i < 100; i++) assert.equal(version(await cache.get(k)), 1);
  assert.equal(cache.stats().headerChecks, s0.headerChecks, "no round trip while unchanged");
  await store.put(k, blob(2));
  assert.ok((await within(2000, async () => version(await cache.get(k)) === 2)) !== undefined, "the rewrite is seen");
  assert.ok(cache.stats().invalidations > s0.invalidations);

  // SWAPDB 3 4: announced by nothing but the marker; db 4 holds version 3.
  await set(other, k, blob(3));
  const flushes = cache.stats().flushes;
  await a.send("", ["SWAPDB", "3", "4"]);
  const seen = await within(2000, () => cache.stats().flushes > flushes);
  assert.ok(seen !== undefined, "the tracker's marker revealed the swap");
  assert.ok((await within(2000, async () => version(await cache.get(k)) === 3)) !== undefined, "the swapped-in version is served");
  assert.ok(await cache.waitForTracking(5000), "tracking live again");
  console.log(`ioredis tracking: SWAPDB seen ${seen.toFixed(1)} ms after it (heartbeat ${TRACKING.heartbeatMs} ms)`);

  // The subscriber killed: tracking lost (the cache empties itself), then live again.
  lines = await list();
  const sub = lines.find((l) => / sub=1 /.test(l));
  const id = /^id=(\d+) /.exec(sub!)![1];
  const f1 = cache.stats().flushes;
  assert.equal(await a.send("", ["CLIENT", "KILL", "ID", id]), 1);
  assert.ok((await within(2000, () => cache.stats().flushes > f1)) !== undefined, "the loss emptied the cache");
  assert.ok(await cache.waitForTracking(5000), "tracking re-established");
  assert.equal(version(await cache.get(k)), 3);

  // FLUSHALL is announced (a null invalidation).
  await cache.get(k);
  await a.send("", ["FLUSHALL"]);
  assert.ok((await within(2000, async () => (await cache.get(k)) === null)) !== undefined, "never served after FLUSHALL");
  assert.equal(redis.status, "ready", "the app's client is open");
  await cache.close();
  assert.equal(redis.status, "ready", "close() left the app's client open");
  assert.equal((await list()).length, 0, "close() closed the tracking connections");
  assert.equal((await a.send("", ["KEYS", "sessionpack:tracker:*"]) as unknown[]).length, 0, "the marker deleted");
});
