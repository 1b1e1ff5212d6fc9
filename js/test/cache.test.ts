// SessionCache against real servers, in both freshness modes: REDIS_URL (standalone) and
// REDIS_CLUSTER_URL (cluster).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { SessionpackError } from "../dist/index.js";
import { SessionStore, SessionCache, errorKind, type CacheOptions, type Connectable, type Freshness, type Target } from "../dist/redis/index.js";
import { CLIENT_NAME } from "../dist/redis/tracking.js";
import { TARGETS, MODES, CLIENTS, over, connectable, target, key, blob, version, admin, set, sleep, within, median, slotOf } from "./redis-support.js";

const kind = (k: string, rule?: string) => (e: SessionpackError) => {
  assert.equal(errorKind(e), k, `${String(e)}`);
  if (rule) assert.equal(e.rule, rule, `${String(e)}`);
  return true;
};

/** A cache (over `x`: the target, or an app's client) with short tracking heartbeats, and the test's admin connection. */
async function setup(t: TestContext, tg: Target, freshness: Freshness, options: Partial<CacheOptions> = {}, x: Connectable = tg) {
  const cache = await SessionCache.connect(x, {
    freshness,
    tracking: { heartbeatMs: 50, heartbeatTimeoutMs: 150, retryMs: 50 },
    ...options,
  });
  const a = await admin(tg);
  t.after(async () => {
    await cache.close();
    await a.close();
  });
  if (freshness === "tracking") assert.ok(await cache.waitForTracking(5000), "tracking live");
  return { cache, a };
}

for (const name of TARGETS) {
  for (const client of CLIENTS) for (const mode of MODES) {
    test(`${name}, ${mode}${over(client)}: a missing key is null; not-a-blob values are not_a_blob errors, never null`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const x = await connectable(t, tg, client);
      const { cache, a } = await setup(t, tg, mode, {}, x);
      assert.equal(await cache.get(key("none")), null);
      const json = key("json");
      await set(a, json, '{"user_id":"u1","facilities":[1]}');
      await assert.rejects(cache.get(json), kind("not_a_blob"));
      await assert.rejects(cache.get(json), kind("not_a_blob"), "and again: nothing was kept");
      const empty = key("empty");
      await set(a, empty, "");
      await assert.rejects(cache.get(empty), kind("not_a_blob"));
      const list = key("list");
      await a.send(list, ["RPUSH", list, "x"]);
      await assert.rejects(cache.get(list), kind("not_a_blob"));
      // A valid session rewritten to garbage: refused, and the old one is not served.
      const k = key("garbage");
      await set(a, k, blob(1));
      assert.equal(version(await cache.get(k)), 1);
      const corrupt = Buffer.from(blob(2));
      corrupt[corrupt.length - 1] ^= 0xff;
      await set(a, k, corrupt);
      const refused = await within(2000, async () => {
        try {
          await cache.get(k);
          return false;
        } catch (e) {
          return errorKind(e) === "corrupt";
        }
      });
      assert.ok(refused !== undefined, "the damaged rewrite is refused");
      assert.equal(cache.stats().entries, 0);
      await a.send(k, ["DEL", k]);
      assert.ok((await within(2000, async () => (await cache.get(k)) === null)) !== undefined, "deleted: null");
    });

    test(`${name}, ${mode}${over(client)}: a kept session is refused once it expires, at use`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const x = await connectable(t, tg, client);
      const { cache, a } = await setup(t, tg, mode, {}, x);
      const k = key("expiry");
      await set(a, k, blob(1, { ttlMs: 1500 }));
      const view = await cache.get(k);
      assert.equal(version(view), 1);
      const expiresAt = Number(view!.expiresAt);
      assert.equal(version(await cache.getAt(k, expiresAt - 1)), 1, "kept, still valid");
      const { fetches } = cache.stats();
      await assert.rejects(cache.getAt(k, expiresAt), kind("expired", "R-EXPIRED"));
      assert.equal(cache.stats().entries, 0, "dropped");
      // By the clock: valid now, refused once the time has come, though the blob is unchanged.
      assert.equal(version(await cache.get(k)), 1);
      await sleep(Math.max(0, expiresAt - Date.now()) + 5);
      await assert.rejects(cache.get(k), kind("expired"));
      await assert.rejects(cache.get(k), kind("expired"), "refetched and refused again");
      assert.ok(cache.stats().fetches > fetches);
    });

    test(`${name}, ${mode}${over(client)}: keys imply a MAC, at fetch and at every use`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const x = await connectable(t, tg, client);
      const k1 = { id: 1, key: randomBytes(32) };
      const k2 = { id: 2, key: randomBytes(32) };
      const { cache, a } = await setup(t, tg, mode, { keys: [k1] }, x);
      const unsigned = key("unsigned");
      await set(a, unsigned, blob(1));
      await assert.rejects(cache.get(unsigned), kind("unauthenticated", "R-MAC-REQUIRED"));
      assert.equal(cache.stats().entries, 0, "an unsigned blob is never kept");
      const signed = key("signed");
      await set(a, signed, blob(2, { key: k1 }));
      assert.equal(version(await cache.get(signed)), 2);
      assert.equal(version(await cache.get(signed)), 2);
      const forged = key("forged");
      await set(a, forged, blob(3, { key: { id: 1, key: randomBytes(32) } }));
      await assert.rejects(cache.get(forged), kind("unauthenticated", "R-MAC-TAG"));
      // Rotation: key 1 leaves the ring; the kept session signed with it is refused.
      cache.setKeys([k2]);
      await assert.rejects(cache.get(signed), kind("unauthenticated", "R-MAC-KEY"));
      await set(a, signed, blob(4, { key: k2 }));
      assert.ok((await within(2000, async () => version(await cache.get(signed).catch(() => null)) === 4)) !== undefined);
      // allowUnsigned is the documented weakening.
      const weak = await SessionCache.connect(x, { freshness: mode, keys: [k1], allowUnsigned: true });
      t.after(() => weak.close());
      assert.equal(version(await weak.get(unsigned)), 1);
    });

    test(`${name}, ${mode}${over(client)}: the cache is bounded by entries and by bytes (least recently used evicted)`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const x = await connectable(t, tg, client);
      const { cache, a } = await setup(t, tg, mode, { maxEntries: 3 }, x);
      const keys = Array.from({ length: 6 }, (_, i) => key("bound", i));
      for (const [i, k] of keys.entries()) await set(a, k, blob(i + 1));
      for (const k of keys.slice(0, 3)) await cache.get(k);
      await cache.get(keys[0]); // most recently used now
      await cache.get(keys[3]); // evicts keys[1], the least recently used
      let s = cache.stats();
      assert.equal(s.entries, 3);
      assert.equal(s.evictions, 1);
      const fetches = s.fetches;
      await cache.get(keys[0]);
      assert.equal(cache.stats().fetches, fetches, "keys[0] was kept");
      await cache.get(keys[1]);
      assert.equal(cache.stats().fetches, fetches + 1, "keys[1] was evicted");
      for (const [i, k] of keys.entries()) assert.equal(version(await cache.get(k)), i + 1, "evicted entries are fetched again");
      s = cache.stats();
      assert.ok(s.entries <= 3 && s.evictions >= 4, JSON.stringify(s));

      const one = blob(1).length + 2 * keys[0].length + 256;
      const small = await SessionCache.connect(x, { freshness: mode, maxBytes: 2 * one + 10 });
      t.after(() => small.close());
      for (const k of keys) await small.get(k);
      s = small.stats();
      assert.equal(s.entries, 2);
      assert.ok(s.bytes <= 2 * one + 10, JSON.stringify(s));
      // A session larger than the whole bound is served, never kept.
      const tiny = await SessionCache.connect(x, { freshness: mode, maxBytes: 100 });
      t.after(() => tiny.close());
      assert.equal(version(await tiny.get(keys[0])), 1);
      assert.equal(tiny.stats().entries, 0);
    });
  }

  for (const client of CLIENTS) test(`${name}, header-check${over(client)}: an unchanged session costs one GETRANGE per use; a rewrite is seen on the next read`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const { cache, a } = await setup(t, tg, "header-check", {}, await connectable(t, tg, client));
    const k = key("header");
    await set(a, k, blob(1));
    for (let i = 0; i < 20; i++) assert.equal(version(await cache.get(k)), 1);
    let s = cache.stats();
    assert.deepEqual([s.fetches, s.headerChecks, s.hits], [1, 20, 19]);
    for (let v = 2; v <= 6; v++) {
      await set(a, k, blob(v));
      assert.equal(version(await cache.get(k)), v, "the very next read");
    }
    s = cache.stats();
    assert.equal(s.fetches, 6);
  });

  test(`${name}, header-check: four workers reading all along each see a rewrite on their next read`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const { cache, a } = await setup(t, tg, "header-check");
    const k = key("workers");
    await set(a, k, blob(1));
    let rewritten = false;
    let stop = false;
    let stale = 0;
    let reads = 0;
    const seenAfter = [0, 0, 0, 0];
    const worker = async (w: number) => {
      while (!stop) {
        const after = rewritten; // decided before the read starts
        const v = version(await cache.get(k));
        reads++;
        if (after && v !== 2) stale++;
        if (after && v === 2) seenAfter[w]++;
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await sleep(100);
    await set(a, k, blob(2));
    rewritten = true;
    await sleep(100);
    stop = true;
    await Promise.all(workers);
    assert.equal(stale, 0, "no read that started after the rewrite saw the old session");
    assert.ok(seenAfter.every((n) => n > 0), `${seenAfter.join(",")}`);
    console.log(`${name}, header-check workers: ${reads} reads, ${cache.stats().fetches} fetches, 0 stale`);
  });

  for (const client of CLIENTS) test(`${name}, tracking${over(client)}: unchanged sessions cost no round trip; a rewrite is seen after its invalidation (latency measured)`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const { cache, a } = await setup(t, tg, "tracking", {}, await connectable(t, tg, client));
    const keys = Array.from({ length: 8 }, (_, i) => key("tracking", i));
    for (const k of keys) await set(a, k, blob(1));
    for (const k of keys) assert.equal(version(await cache.get(k)), 1);
    const before = cache.stats();
    for (let i = 0; i < 1000; i++) assert.equal(version(await cache.get(keys[i % keys.length])), 1);
    let s = cache.stats();
    assert.equal(s.headerChecks, before.headerChecks, "no GETRANGE");
    assert.equal(s.fetches, before.fetches, "no GET");
    assert.equal(s.hits, before.hits + 1000);
    const latencies = [];
    const pushes = [];
    for (let round = 0; round < 30; round++) {
      const k = keys[round % keys.length];
      const v = round + 2;
      const invalidations = cache.stats().invalidations;
      await set(a, k, blob(v)); // acknowledged
      const start = performance.now();
      while (cache.stats().invalidations === invalidations && performance.now() - start < 2000) await new Promise((r) => setImmediate(r));
      pushes.push(performance.now() - start);
      let seen;
      for (;;) {
        if (version(await cache.get(k)) === v) break;
        seen = performance.now() - start;
        if (seen > 2000) assert.fail(`rewrite ${v} not seen within 2 s`);
        await new Promise((r) => setImmediate(r));
      }
      latencies.push(performance.now() - start);
    }
    s = cache.stats();
    assert.ok(s.invalidations >= 30, JSON.stringify(s));
    assert.ok(s.trackingLive);
    const ms = (x: number) => `${(x * 1000).toFixed(0)} µs`;
    console.log(
      `${name}, tracking${over(client)}: invalidation latency (write acknowledged → rewrite seen) median ${ms(median(latencies))}, ` +
        `max ${ms(Math.max(...latencies))} over ${latencies.length} rewrites (the push itself: median ${ms(median(pushes))}, ` +
        `max ${ms(Math.max(...pushes))}; the rest is the refetch); ${JSON.stringify(s)}`,
    );
  });

  test(`${name}, tracking: four workers reading all along see a rewrite within the invalidation latency, never after`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const { cache, a } = await setup(t, tg, "tracking");
    const k = key("tworkers");
    await set(a, k, blob(1));
    await cache.get(k);
    let rewrittenAt = 0;
    let stop = false;
    let lateStale = 0;
    let reads = 0;
    let lastStale = 0;
    const worker = async () => {
      while (!stop) {
        const started = performance.now();
        const v = version(await cache.get(k));
        reads++;
        if (rewrittenAt > 0 && v === 1) {
          lastStale = Math.max(lastStale, started - rewrittenAt);
          if (started - rewrittenAt > 50) lateStale++;
        }
        await new Promise((r) => setImmediate(r));
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await sleep(50);
    const { headerChecks } = cache.stats();
    await set(a, k, blob(2));
    rewrittenAt = performance.now();
    await sleep(100);
    stop = true;
    await Promise.all(workers);
    assert.equal(lateStale, 0, `a read started ${lastStale.toFixed(2)} ms after the rewrite saw the old session`);
    assert.equal(version(await cache.get(k)), 2);
    assert.equal(cache.stats().headerChecks, headerChecks, "served by tracking throughout");
    console.log(`${name}, tracking workers: ${reads} reads, old session seen at most ${lastStale.toFixed(3)} ms after the write's ack`);
  });

  for (const client of CLIENTS) test(`${name}${over(client)}: the tracker's connections carry the name ${CLIENT_NAME}`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const { a } = await setup(t, tg, "tracking", {}, await connectable(t, tg, client));
    const k = key("name");
    const list = String(await a.send(k, ["CLIENT", "LIST"]));
    assert.ok(list.includes(`name=${CLIENT_NAME}`), "on the node of a key at least");
  });
}

test("cluster: keys on many slots, on every master, in both modes; rewrites seen", async (t) => {
  const tg = await target(t, "cluster");
  if (!tg) return;
  const a = await admin(tg);
  const store = await SessionStore.connect(tg);
  t.after(async () => {
    await a.close();
    await store.close();
  });
  const keys = Array.from({ length: 300 }, (_, i) => key("slots", i));
  const slots = new Set(keys.map(slotOf));
  assert.ok(slots.size > 250, `${slots.size} slots`);
  const masters = a.raw.masters!.length;
  assert.equal(masters, 3);
  // The three masters' default ranges (redis-cli --cluster create): every one holds keys.
  for (const [lo, hi] of [[0, 5460], [5461, 10922], [10923, 16383]]) assert.ok([...slots].some((x) => x >= lo && x <= hi));
  for (const [i, k] of keys.entries()) await store.put(k, blob(i + 1), 60_000);
  for (const mode of MODES) {
    const cache = await SessionCache.connect(tg, { freshness: mode });
    t.after(() => cache.close());
    if (mode === "tracking") assert.ok(await cache.waitForTracking(5000));
    for (const [i, k] of keys.entries()) assert.equal(version(await cache.get(k)), i + 1);
    for (const [i, k] of keys.entries()) assert.equal(version(await cache.get(k)), i + 1);
    const s = cache.stats();
    assert.equal(s.fetches, keys.length, `${mode}: each fetched once`);
    const half = keys.filter((_, i) => i % 2 === 0);
    for (const k of half) await store.put(k, blob(5000), 60_000);
    if (mode === "tracking") {
      const ok = await within(2000, () => cache.stats().invalidations >= half.length);
      assert.ok(ok !== undefined, `invalidations from every master: ${JSON.stringify(cache.stats())}`);
    }
    for (const [i, k] of keys.entries()) assert.equal(version(await cache.get(k)), i % 2 === 0 ? 5000 : i + 1, `${mode} ${k}`);
    for (const [i, k] of keys.entries()) await store.put(k, blob(i + 1), 60_000);
    if (mode === "tracking") await within(2000, () => cache.stats().entries === 0);
    console.log(`cluster, ${mode}: ${keys.length} keys on ${slots.size} slots over ${masters} masters; ${JSON.stringify(cache.stats())}`);
  }
});
