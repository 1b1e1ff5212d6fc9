// Faults against redis-servers of the tests' own (killed, restarted, paused with SIGSTOP, the
// tracker's connection killed, filled until they evict): errors, never a stale session;
// timeouts, never a hang.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionStore, SessionCache, errorKind, CLIENT_NAME } from "../dist/redis/index.js";
import { MODES, ownServer, admin, set, blob, version, sleep, within } from "./redis-support.mjs";

const TRACKING = { heartbeatMs: 50, heartbeatTimeoutMs: 100, retryMs: 50 };

async function connect(t, server, freshness, tracking = TRACKING) {
  const cache = await SessionCache.connect(server.target(), { freshness, tracking });
  t.after(() => cache.close());
  if (freshness === "tracking") assert.ok(await cache.waitForTracking(5000), "tracking live");
  return cache;
}

async function write(server, k, value, px) {
  const a = await admin(server.target());
  try {
    await set(a, k, value, px);
  } finally {
    await a.close();
  }
}

/** The cache's version of `k`, or the error's kind. */
async function read(cache, k) {
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
    assert.ok(err === "unavailable" || err === "timeout", err);
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
  const lost = await within(2000, async () => !tracking.trackingLive);
  console.log(`paused: tracking declared lost ${lost.toFixed(1)} ms after the pause (staleness bound ${bound} ms)`);
  assert.ok(lost <= bound + 100, `lost after ${lost} ms, bound ${bound} ms`); // + the polling, on a shared machine
  assert.ok((await within(1000, async () => tracking.stats().entries === 0)) !== undefined, "the cache emptied itself");
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
    .map((l) => /(?:^| )id=(\d+)/.exec(l)[1]);
  assert.equal(ids.length, 1, list);
  assert.equal(await a.send("", ["CLIENT", "KILL", "ID", ids[0]]), 1);
  const lost = await within(1000, async () => !cache.trackingLive);
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
