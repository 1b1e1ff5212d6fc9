// DictionaryCache and SessionAccess against real servers: REDIS_URL (standalone) and
// REDIS_CLUSTER_URL (cluster), in both freshness modes. Commands are counted at the server
// (INFO commandstats of the node that owns the dictionary's key).
import { test, after, type TestContext } from "node:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DictionaryDecoder, IdDictionary, Session, type DictKind, type KeyLike, type MacKey, type SessionpackError } from "../dist/index.js";
import { SessionStore, SessionCache, DictionaryCache, SessionAccess, errorKind, type DictionaryCacheOptions, type Freshness, type SessionCacheLike } from "../dist/redis/index.js";
import { TARGETS, MODES, target, key, admin, set, sleep, within, slotOf, ownServer, unavailable, connectable, session, type Admin, type ClientKind } from "./redis-support.js";
import { Target } from "../dist/redis/index.js";

const kind = (k: string, rule?: string) => (e: SessionpackError) => {
  assert.equal(errorKind(e), k, `${String(e)}`);
  if (rule) assert.equal(e.rule, rule, `${String(e)}`);
  return true;
};

// Tests that count commands at the server run on servers of their own (other test files run
// meanwhile on REDIS_URL and REDIS_CLUSTER_URL): a redis-server, and a three-master cluster
// started once for the file with .ci/redis-cluster.sh.
const CLUSTER_SCRIPT = fileURLToPath(new URL("../../.ci/redis-cluster.sh", import.meta.url));
let ownCluster: Target | undefined;
let ownClusterDir: string | undefined;
after(() => {
  if (ownClusterDir === undefined) return;
  spawnSync("bash", [CLUSTER_SCRIPT, "stop", ownClusterDir], { stdio: "ignore" });
  rmSync(ownClusterDir, { recursive: true, force: true });
});

function startOwnCluster() {
  ownClusterDir = mkdtempSync(path.join(tmpdir(), "sp-js-cluster-"));
  const r = spawnSync("bash", [CLUSTER_SCRIPT, "start", ownClusterDir, "3", "0"], { encoding: "utf8", env: { ...process.env, CLUSTER_NODE_TIMEOUT: "2000" } });
  const seeds = /^SEEDS=(.+)$/m.exec(r.stdout ?? "")?.[1];
  return seeds === undefined ? undefined : Target.cluster(seeds.split(","));
}

/** A target whose commands are this test's alone: an own redis-server, or the file's own cluster. */
async function countedTarget(t: TestContext, name: string): Promise<Target | undefined> {
  if (name === "standalone") return (await ownServer(t))?.target(1000);
  ownCluster ??= startOwnCluster();
  return ownCluster ?? unavailable(t, "a Redis Cluster of the test's own could not be started (.ci/redis-cluster.sh)");
}

// marker: false — the tracker's marker is read with a GET every heartbeat, which INFO commandstats
// would count with the dictionaries' GETs on a standalone server.
const TRACKING = { heartbeatMs: 50, heartbeatTimeoutMs: 150, retryMs: 50, marker: false };
const oid = (i: number) => "6926c190" + i.toString(16).padStart(16, "0");
const mac = () => ({ id: 7, key: randomBytes(32) });

/** Calls of `commands` so far on the server (the master) that owns `k`, from INFO commandstats. */
async function calls(a: Admin, k: string, commands = ["get", "getrange"]) {
  // INFO has no key: on a cluster, ask the master of k's slot itself.
  const node = a.raw.masters === undefined ? a.raw : await a.raw.nodeClient!(a.raw.slots![slotOf(k)].master);
  const info = String(await node.sendCommand<string>(["INFO", "commandstats"]));
  let n = 0;
  for (const c of commands) {
    const m = info.match(new RegExp(`^cmdstat_${c}:calls=(\\d+)`, "m"));
    if (m) n += Number(m[1]);
  }
  return n;
}

/** A fresh tenant (so its dictionary key is new), its dictionary key for `kind`. */
function tenant(name: string) {
  return key(name).replaceAll(":", "-");
}

/** Writes `tenant`'s facility dictionary with `keys` (signed with `dictionaryKey` when given); the dictionary. */
async function writeDictionary(store: SessionStore, t: string, keys: KeyLike[], kind: DictKind = "facility", lineage = 0xfacade5n) {
  const empty = IdDictionary.create({ tenant: t.slice(0, 64), kind, keyType: "objectid", lineage });
  return (await store.appendDictionary(`dict:${t}:${kind}`, empty, keys)).dictionary;
}

async function setup(t: TestContext, tg: Target, mode: Freshness, options: { dictionaryKey?: MacKey; cache?: Partial<DictionaryCacheOptions> } = {}) {
  const m = options.dictionaryKey ?? mac();
  const store = await SessionStore.connect(tg, { dictionaryKey: m, signingKey: m, dictionaryDecoder: new DictionaryDecoder({ keys: [m] }) });
  const dicts = await DictionaryCache.connect(tg, { freshness: mode, keys: [m], tracking: TRACKING, ...options.cache });
  const a = await admin(tg);
  t.after(async () => {
    await dicts.close();
    await store.close();
    await a.close();
  });
  if (mode === "tracking") assert.ok(await dicts.waitForTracking(5000), "tracking live");
  return { store, dicts, a, mac: m };
}

for (const name of TARGETS) {
  for (const mode of MODES) {
    test(`${name}, ${mode}: get, idOf; a missing dictionary is null; not a dictionary is not_a_blob; a rewritten dictionary is seen`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const { store, dicts, a } = await setup(t, tg, mode);
      const tn = tenant("basic");
      assert.equal(await dicts.get(tn, "facility"), null);
      assert.equal(await dicts.idOf(tn, "facility", oid(1)), undefined, "no dictionary: deny");
      await writeDictionary(store, tn, [oid(1), oid(2)]);
      const copy = await dicts.get(tn, "facility");
      assert.equal(copy!.size, 2);
      assert.equal(copy!.idOf(oid(2)), 1);
      assert.equal(await dicts.idOf(tn, "facility", oid(2)), 1);
      assert.equal(await dicts.idOf(tn, "facility", oid(2).toUpperCase()), 1, "ObjectId text, either case");
      assert.equal(await dicts.idOf(tn, "facility", Buffer.from(oid(1), "hex")), 0, "or its 12 bytes");
      assert.equal(dicts.keyOf(tn, "group"), `dict:${tn}:group`);
      // Rewritten (appended by another writer): seen by the next get (header check) or after its invalidation.
      await writeDictionary(store, tn, [oid(3)]);
      const seen = await within(2000, async () => (await dicts.get(tn, "facility"))!.size === 3);
      assert.ok(seen !== undefined, "the rewrite is seen");
      if (mode === "header-check") assert.ok(seen < 50, "on the very next get");
      assert.equal(await dicts.idOf(tn, "facility", oid(3)), 2);
      // Not a dictionary.
      const bad = tenant("bad");
      await set(a, `dict:${bad}:facility`, "{}");
      await assert.rejects(dicts.get(bad, "facility"), kind("not_a_blob"));
      await set(a, `dict:${bad}:facility`, "");
      await assert.rejects(dicts.get(bad, "facility"), kind("not_a_blob"));
      await a.send(`dict:${bad}:facility`, ["DEL", `dict:${bad}:facility`]);
      await a.send(`dict:${bad}:facility`, ["RPUSH", `dict:${bad}:facility`, "x"]);
      await assert.rejects(dicts.get(bad, "facility"), kind("not_a_blob"));
      // A session blob under a dictionary's key is not a dictionary either.
      await store.put(`dict:${bad}:group`, new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0, expiresAt: 1, facilities: [1] }));
      await assert.rejects(dicts.get(bad, "group"), kind("not_a_blob", "R-DICT-MAGIC"));
      assert.equal(dicts.stats().entries, 1);
    });

    test(`${name}, ${mode}: dictionaries are signed like sessions: keys imply a MAC; forged and unsigned ones are refused, never kept`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const { dicts } = await setup(t, tg, mode);
      const unsignedStore = await SessionStore.connect(tg);
      const forger = await SessionStore.connect(tg, { dictionaryKey: { id: 7, key: randomBytes(32) } });
      t.after(async () => {
        await unsignedStore.close();
        await forger.close();
      });
      const u = tenant("unsigned");
      await writeDictionary(unsignedStore, u, [oid(1)]);
      await assert.rejects(dicts.get(u, "facility"), kind("unauthenticated", "R-DICT-MAC-REQUIRED"));
      await assert.rejects(dicts.idOf(u, "facility", oid(1)), kind("unauthenticated"), "never undefined: an error");
      const f = tenant("forged");
      await writeDictionary(forger, f, [oid(1)]);
      await assert.rejects(dicts.get(f, "facility"), kind("unauthenticated", "R-DICT-MAC-TAG"));
      assert.equal(dicts.stats().entries, 0, "nothing refused is kept");
      // allowUnsigned is the documented weakening; a rotation empties the cache.
      const weak = await DictionaryCache.connect(tg, { freshness: mode, keys: [mac()], allowUnsigned: true, tracking: TRACKING });
      t.after(() => weak.close());
      assert.equal(await weak.idOf(u, "facility", oid(1)), 0);
      assert.equal(weak.stats().entries, 1);
      weak.setKeys([mac()]);
      assert.equal(weak.stats().entries, 0);
    });

    test(`${name}, ${mode}: one fetch per dictionary under 50 concurrent misses (counted at the server)`, async (t) => {
      const tg = await countedTarget(t, name);
      if (!tg) return;
      const { store, dicts, a } = await setup(t, tg, mode);
      const tn = tenant("single");
      const keys = Array.from({ length: 5000 }, (_, i) => oid(i));
      await writeDictionary(store, tn, keys);
      const k = dicts.keyOf(tn, "facility");
      const gets = await calls(a, k, ["get"]);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => dicts.idOf(tn, "facility", oid(i * 7))));
      assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i * 7));
      assert.equal((await calls(a, k, ["get"])) - gets, 1, "one GET at the server");
      assert.equal(dicts.stats().fetches, 1);
      // Kept: the next uses fetch nothing (header checks in header-check mode, nothing while tracking is live).
      const before = await calls(a, k);
      const { flushes } = dicts.stats();
      for (let i = 0; i < 20; i++) assert.equal(await dicts.idOf(tn, "facility", oid(i)), i);
      const after = (await calls(a, k)) - before;
      // Tracking: nothing, unless tracking was lost meanwhile (a busy machine missing a heartbeat:
      // the cache empties itself and checks headers, as it must).
      if (mode === "header-check") assert.equal(after, 20, `${after} commands for 20 uses`);
      else assert.ok(after <= 20, `${after} commands for 20 uses (0 while tracking stays live)`);
      if (dicts.stats().flushes === flushes) assert.equal(dicts.stats().fetches, 1);
      // 50 concurrent uses of a kept copy share one header check.
      dicts.invalidate(tn, "facility");
      await dicts.get(tn, "facility");
      const s0 = dicts.stats();
      const c0 = await calls(a, k);
      await Promise.all(Array.from({ length: 50 }, (_, i) => dicts.idOf(tn, "facility", oid(i))));
      const s1 = dicts.stats();
      assert.equal((await calls(a, k)) - c0, s1.headerChecks - s0.headerChecks + s1.fetches - s0.fetches, "the server saw what the cache counted");
      if (mode === "header-check") assert.equal(s1.headerChecks - s0.headerChecks, 1, "one header check for 50 concurrent uses");
    });

    test(`${name}, ${mode}: bounded by bytes, least recently used evicted; a dictionary above the bound is served, not kept`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const m = mac();
      const { store } = await setup(t, tg, mode, { dictionaryKey: m });
      const tenants = Array.from({ length: 4 }, (_, i) => tenant(`bytes${i}`));
      for (const tn of tenants) await writeDictionary(store, tn, Array.from({ length: 1000 }, (_, i) => oid(i)));
      const one = (await store.getRaw(`dict:${tenants[0]}:facility`))!.length + 2 * `dict:${tenants[0]}:facility`.length + 256;
      const dicts = await DictionaryCache.connect(tg, { freshness: mode, keys: [m], maxBytes: 2 * one + 100, tracking: TRACKING });
      t.after(() => dicts.close());
      if (mode === "tracking") assert.ok(await dicts.waitForTracking(5000));
      // Tracking lost meanwhile (a heartbeat missed on a busy machine) empties the cache: try again.
      const lru = async () => {
        const flushes = dicts.stats().flushes;
        const f0 = dicts.stats().fetches;
        const ev0 = dicts.stats().evictions;
        await dicts.get(tenants[0], "facility");
        await dicts.get(tenants[1], "facility");
        await dicts.get(tenants[0], "facility"); // most recently used
        await dicts.get(tenants[2], "facility"); // evicts tenants[1]
        const s = dicts.stats();
        const e = [s.entries, s.evictions - ev0, s.fetches - f0];
        await dicts.get(tenants[0], "facility");
        const kept = dicts.stats().fetches - f0;
        await dicts.get(tenants[1], "facility");
        const evicted = dicts.stats().fetches - f0;
        if (dicts.stats().flushes !== flushes) return false;
        assert.deepEqual(e, [2, 1, 3]);
        assert.ok(s.bytes <= 2 * one + 100, JSON.stringify(s));
        assert.equal(kept, 3, "tenants[0] was kept");
        assert.equal(evicted, 4, "tenants[1] was evicted");
        return true;
      };
      let done = false;
      for (let i = 0; i < 5 && !done; i++) {
        dicts.clear();
        done = await lru();
      }
      assert.ok(done, "tracking stayed live for a whole round");
      for (const tn of tenants) assert.equal((await dicts.get(tn, "facility"))!.size, 1000);
      const s = dicts.stats();
      assert.ok(s.entries <= 2 && s.bytes <= 2 * one + 100, JSON.stringify(s));
      const tiny = await DictionaryCache.connect(tg, { freshness: mode, keys: [m], maxBytes: one - 1 });
      t.after(() => tiny.close());
      assert.equal(await tiny.idOf(tenants[3], "facility", oid(999)), 999);
      assert.equal(tiny.stats().entries, 0);
      assert.equal(tiny.stats().bytes, 0);
    });

    test(`${name}, ${mode}: refresh once, then deny; a flood of 10,000 unknown keys costs at most one refresh per interval (counted at the server)`, async (t) => {
      const tg = await countedTarget(t, name);
      if (!tg) return;
      const interval = 250;
      // checkIntervalMs: the header-check copy is used without asking, so only refreshes reach the server.
      const { store, dicts, a } = await setup(t, tg, mode, { cache: { refreshIntervalMs: interval, checkIntervalMs: 600_000 } });
      const tn = tenant("refresh");
      await writeDictionary(store, tn, [oid(1), oid(2)]);
      const k = dicts.keyOf(tn, "facility");
      assert.equal((await dicts.get(tn, "facility"))!.size, 2);
      // A facility appended after the copy was fetched: found after one refresh. Tracking would
      // evict the copy on the append's invalidation: to see a refresh, hold the stale copy.
      const stale = await dicts.get(tn, "facility");
      await writeDictionary(store, tn, [oid(3)]);
      const before = await calls(a, k);
      const fresh = await dicts.refresh(tn, "facility", stale);
      assert.equal(fresh!.size, 3);
      assert.equal(fresh!.idOf(oid(3)), 2);
      assert.equal((await calls(a, k)) - before, 2, "one refresh: GETRANGE, then GET (the digest changed)");
      assert.equal(dicts.stats().refreshes, 1);
      // Header-check mode (copy kept for checkIntervalMs): idOf refreshes for an appended key.
      await writeDictionary(store, tn, [oid(4)]);
      await sleep(interval + 10);
      if (mode === "header-check") assert.equal((await dicts.get(tn, "facility"))!.size, 3, "the stale copy is still used");
      assert.equal(await dicts.idOf(tn, "facility", oid(4)), 3, "allowed after one refresh");
      // An unknown key: denied (undefined) after one refresh; within the interval, denied without asking.
      await sleep(interval + 10);
      const c0 = await calls(a, k);
      const r0 = dicts.stats().refreshes;
      assert.equal(await dicts.idOf(tn, "facility", oid(999)), undefined);
      assert.equal(dicts.stats().refreshes, r0 + 1);
      assert.equal((await calls(a, k)) - c0, 1, "one GETRANGE (unchanged: no GET)");
      assert.equal(await dicts.idOf(tn, "facility", oid(998)), undefined);
      assert.equal((await calls(a, k)) - c0, 1, "within the interval: nothing asked");

      // The flood: 10,000 unknown keys, in concurrent bursts, over about 4 intervals.
      await sleep(interval + 10);
      const f0 = await calls(a, k);
      const s0 = dicts.stats();
      const start = performance.now();
      let denied = 0;
      for (let burst = 0; burst < 20; burst++) {
        const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => dicts.idOf(tn, "facility", oid(1_000_000 + burst * 500 + i))));
        denied += answers.filter((x) => x === undefined).length;
        await sleep(50);
      }
      const elapsed = performance.now() - start;
      const commands = (await calls(a, k)) - f0;
      const s1 = dicts.stats();
      const refreshes = s1.refreshes - s0.refreshes;
      const bound = Math.floor(elapsed / interval) + 1;
      assert.equal(denied, 10_000, "every unknown key denied");
      assert.ok(refreshes <= bound, `${refreshes} refreshes in ${elapsed.toFixed(0)} ms (interval ${interval} ms): at most ${bound}`);
      assert.ok(refreshes >= 1);
      const checks = s1.headerChecks - s0.headerChecks;
      assert.equal(commands, checks + (s1.fetches - s0.fetches), "the server saw what the cache counted");
      // Each refresh is one GETRANGE (the dictionary did not change). Nothing else — unless
      // tracking was lost meanwhile (a heartbeat missed on a busy machine): then each burst of
      // 500 concurrent uses shares one header check, and the copy may be fetched again.
      if (mode === "header-check") {
        assert.equal(commands, refreshes, "each refresh one GETRANGE at the server, nothing else");
        assert.equal(s1.fetches, s0.fetches, "no fetch");
      } else {
        // Tracking: nothing else while it is live; a moment when it is not (a heartbeat late on a
        // busy machine) costs header checks, one per burst of 500 concurrent uses at most.
        assert.ok(checks - refreshes <= 20 && s1.fetches - s0.fetches <= 20, `${checks} checks, ${s1.fetches - s0.fetches} fetches for 20 bursts`);
      }
      console.log(
        `${name}, ${mode}: flood of 10,000 unknown keys over ${elapsed.toFixed(0)} ms: ${refreshes} refreshes ` +
          `(${commands} commands at the server, bound ${bound}), ${s1.refreshesSkipped - s0.refreshesSkipped} skipped`,
      );
    });

    test(`${name}, ${mode}: SessionAccess: canSee without I/O for known keys; appended facility allowed after one refresh; unknown denied; filter costs one refresh per batch`, async (t) => {
      const tg = await countedTarget(t, name);
      if (!tg) return;
      const interval = 200;
      const { store, dicts, a, mac: m } = await setup(t, tg, mode, { cache: { refreshIntervalMs: interval, checkIntervalMs: 600_000 } });
      const sessions = await SessionCache.connect(tg, { freshness: mode, keys: [m], tracking: TRACKING });
      t.after(() => sessions.close());
      if (mode === "tracking") assert.ok(await sessions.waitForTracking(5000));
      const access = new SessionAccess({ sessions, dictionaries: dicts });
      const tn = tenant("access");
      const dk = dicts.keyOf(tn, "facility");
      const d1 = await writeDictionary(store, tn, [oid(1), oid(2), oid(3)]);
      const now = Date.now();
      /** A session under a new key (a rewrite under the same key would race its invalidation in tracking mode); the key. */
      const issue = async (dictionary: IdDictionary, facilities: KeyLike[]) => {
        const s = new Session({ userId: "u1", tenantId: tn, token: "t", issuedAt: now - 1000, expiresAt: now + 3_600_000 }).withFacilityKeys(dictionary.view(), facilities);
        const sk = key("access-session");
        await store.put(sk, s, 3_600_000);
        return sk;
      };
      const x = await access.load(await issue(d1, [oid(1), oid(3)]));
      assert.ok(Object.isFrozen(x));
      assert.equal(x!.view.userId, "u1");
      const c0 = await calls(a, dk);
      assert.equal(await x!.canSee(oid(1)), true);
      assert.equal(await x!.canSee(oid(2)), false, "in the dictionary, not in the session");
      assert.equal(await x!.canSee(oid(3)), true);
      assert.equal((await calls(a, dk)) - c0, 0, "known keys: no I/O");
      // A facility appended after the copy was fetched, and granted: allowed after one refresh.
      const { dictionary: d2 } = d1.append([oid(4)]);
      await store.appendDictionary(dk, d1, [oid(4)]);
      const sk2 = await issue(d2, [oid(1), oid(3), oid(4)]);
      // Tracking: the append's invalidation evicts the dictionary copy (wait for it, to know which path runs).
      if (mode === "tracking") assert.ok((await within(2000, () => dicts.stats().entries === 0)) !== undefined);
      const y = await access.load(sk2);
      const r0 = dicts.stats().refreshes;
      assert.equal(await y!.canSee(oid(4)), true, "allowed after one refresh");
      assert.equal(dicts.stats().refreshes - r0, mode === "tracking" ? 0 : 1, "header-check: the stale copy refreshed once (tracking: its invalidation evicted it)");
      assert.equal(await y!.canSee(oid(5)), false, "unknown: denied");
      // filter: 1,000 records, half with unknown facilities: one refresh (or none within the interval).
      await sleep(interval + 10);
      const records = Array.from({ length: 1000 }, (_, i) => ({ id: i, facilityId: i % 2 === 0 ? oid(1 + (i % 8) / 2) : oid(100_000 + i) }));
      const c1 = await calls(a, dk);
      const r1 = dicts.stats().refreshes;
      const visible = await y!.filter(records, (r) => r.facilityId);
      assert.deepEqual(
        visible.map((r) => r.id),
        records.filter((r) => [oid(1), oid(3), oid(4)].includes(r.facilityId)).map((r) => r.id),
        "exactly the permitted records, in order",
      );
      assert.equal(dicts.stats().refreshes - r1, 1, "one refresh for the batch");
      assert.equal((await calls(a, dk)) - c1, 1, "one GETRANGE");
      assert.deepEqual(await y!.filter([] as { facilityId: string }[], (r) => r.facilityId), []);
      // The flood through the access object: 10,000 unknown keys, concurrently.
      const c2 = await calls(a, dk);
      const answers = await Promise.all(Array.from({ length: 10_000 }, (_, i) => y!.canSee(oid(2_000_000 + i))));
      assert.ok(answers.every((v) => v === false));
      assert.ok((await calls(a, dk)) - c2 <= 1, "at most one refresh");
    });

    test(`${name}, ${mode}: SessionAccess fails closed: dictionary of another lineage, plain-id sessions, unsigned dictionaries for signed sessions`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const { store, dicts, mac: m } = await setup(t, tg, mode, { cache: { refreshIntervalMs: 50 } });
      const sessions = await SessionCache.connect(tg, { freshness: mode, keys: [m], tracking: TRACKING });
      t.after(() => sessions.close());
      const access = new SessionAccess({ sessions, dictionaries: dicts });
      const tn = tenant("closed");
      const d = await writeDictionary(store, tn, [oid(1)], "facility", 0x1111n);
      const other = IdDictionary.create({ tenant: tn.slice(0, 64), kind: "facility", keyType: "objectid", lineage: 0x2222n }).append([oid(1)]).dictionary;
      const now = Date.now();
      // Each session under a key of its own (a rewrite would race its invalidation in tracking mode).
      const [sk1, sk2, sk3, sk4] = [1, 2, 3, 4].map((i) => key("closed-session", i));
      await store.put(sk1, new Session({ userId: "u", tenantId: tn, token: "t", issuedAt: now, expiresAt: now + 60_000 }).withFacilityKeys(other.view(), [oid(1)]));
      await assert.rejects(access.load(sk1), kind("wrong_dictionary", "C-KEY-CHECK"), "another lineage, even after a refresh");
      await store.put(sk2, new Session({ userId: "u", tenantId: tn, token: "t", issuedAt: now, expiresAt: now + 60_000, facilities: [0] }));
      const plain = await access.load(sk2);
      await assert.rejects(plain!.canSee(oid(1)), kind("wrong_dictionary", "C-KEY-CHECK"));
      await assert.rejects(plain!.filter([{ f: oid(1) }], (r) => r.f), kind("wrong_dictionary", "C-KEY-CHECK"));
      assert.equal(plain!.view.facilities.has(0), true, "plain ids are checked by id");
      // A signed session through an unsigned dictionary (a cache that allows them): C-KEY-MAC.
      const weak = await DictionaryCache.connect(tg, { freshness: mode, keys: [m], allowUnsigned: true, tracking: TRACKING });
      t.after(() => weak.close());
      const unsignedStore = await SessionStore.connect(tg);
      t.after(() => unsignedStore.close());
      const tu = tenant("closed-unsigned");
      const du = await writeDictionary(unsignedStore, tu, [oid(1)]);
      await store.put(sk3, new Session({ userId: "u", tenantId: tu, token: "t", issuedAt: now, expiresAt: now + 60_000 }).withFacilityKeys(du.view(), [oid(1)]));
      await assert.rejects(new SessionAccess({ sessions, dictionaries: weak }).load(sk3), kind("unauthenticated", "C-KEY-MAC"));
      // Groups are loaded at the first group check.
      const tg2 = tenant("groups");
      const fd = await writeDictionary(store, tg2, [oid(1)]);
      const gd = await writeDictionary(store, tg2, [oid(50), oid(51)], "group", 0x3333n);
      await store.put(
        sk4,
        new Session({ userId: "u", tenantId: tg2, token: "t", issuedAt: now, expiresAt: now + 60_000 }).withFacilityKeys(fd.view(), [oid(1)]).withGroupKeys(gd.view(), [oid(51)]),
      );
      const g = await access.load(sk4);
      assert.equal(await g!.inGroup(oid(51)), true);
      assert.equal(await g!.inGroup(oid(50)), false);
      assert.equal(await g!.inGroup(oid(52)), false);
      assert.deepEqual(await g!.filterByGroup([{ g: oid(50) }, { g: oid(51) }, { g: oid(52) }], (r) => r.g), [{ g: oid(51) }]);
      // No session: null.
      assert.equal(await access.load(key("none")), null);
      assert.ok(d.size === 1);
    });
  }
}

// ----- one tracker for sessions and dictionaries -----

for (const client of ["node-redis", "ioredis"] as ClientKind[]) {
  test(`standalone over the app's ${client}: a DictionaryCache sharing the session cache's tracker opens no tracking connection of its own; invalidations reach both`, async (t) => {
    // A server of the test's own: its tracking connections are counted.
    const tg = (await ownServer(t))?.target(1000);
    if (!tg) return;
    const x = await connectable(t, tg, client);
    const m = mac();
    const store = await SessionStore.connect(x, { keys: [m] });
    const sessions = await SessionCache.connect(x, { freshness: "tracking", keys: [m], tracking: TRACKING });
    const a = await admin(tg);
    t.after(async () => {
      await sessions.close();
      await store.close();
      await a.close();
    });
    assert.ok(await sessions.waitForTracking(5000));
    // Tracking connections are named.
    const ours = async () => {
      const name = `name=sessionpack-tracking `;
      return String(await a.send("", ["CLIENT", "LIST"])).split("\n").filter((l) => l.includes(name)).length;
    };
    const base = await ours();
    const shared = await DictionaryCache.connect(x, { keys: [m], tracker: sessions, refreshIntervalMs: 50 });
    const viaSessions = sessions.dictionaries({ keys: [m] });
    assert.equal(await ours(), base, "no tracking connection added");
    assert.ok(shared.trackingLive && viaSessions.trackingLive);
    const own = await DictionaryCache.connect(x, { freshness: "tracking", keys: [m], tracking: TRACKING });
    t.after(() => Promise.all([shared.close(), viaSessions.close(), own.close()]));
    assert.ok(await own.waitForTracking(5000));
    assert.equal(await ours(), base + (client === "ioredis" ? 2 : 1), "a dictionary cache of its own tracks with its own connections");

    const tn = tenant("shared");
    await writeDictionary(store, tn, [oid(1)]);
    for (const d of [shared, viaSessions]) assert.equal((await d.get(tn, "facility"))!.size, 1);
    const h0 = shared.stats().headerChecks;
    for (let i = 0; i < 50; i++) assert.equal(await shared.idOf(tn, "facility", oid(1)), 0);
    assert.equal(shared.stats().headerChecks, h0, "served by the shared tracking, no round trip");
    // An append: its invalidation, through the session cache's tracker, evicts both copies.
    await writeDictionary(store, tn, [oid(2)]);
    assert.ok((await within(2000, () => shared.stats().invalidations > 0 && viaSessions.stats().invalidations > 0)) !== undefined, "invalidations reached both");
    for (const d of [shared, viaSessions]) assert.equal(await d.idOf(tn, "facility", oid(2)), 1);
    // Closing a dictionary cache closes nothing of the session cache's.
    await viaSessions.close();
    const sk = key("shared-session");
    await store.put(sk, session("u", [1]));
    assert.equal((await sessions.get(sk))!.userId, "u");
    assert.ok(sessions.trackingLive);
    // Misuse is refused.
    const header = await SessionCache.connect(x, { freshness: "header-check" });
    t.after(() => header.close());
    await assert.rejects(DictionaryCache.connect(x, { tracker: header }), /in "tracking" mode/);
    await assert.rejects(DictionaryCache.connect(x, { tracker: {} as SessionCacheLike }), TypeError);
    await assert.rejects(DictionaryCache.connect(x, { tracker: sessions, freshness: "header-check" }), TypeError);
  });
}

test("standalone: a session cache tracking only `session:` keys shares its tracker; the dictionaries (outside the prefix) are header-checked, never served untracked", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const m = mac();
  const store = await SessionStore.connect(tg, { keys: [m] });
  const sessions = await SessionCache.connect(tg, { freshness: "tracking", keys: [m], tracking: { ...TRACKING, prefixes: ["session:"] } });
  const dicts = sessions.dictionaries({ keys: [m] });
  t.after(async () => {
    await dicts.close();
    await sessions.close();
    await store.close();
  });
  assert.ok(await sessions.waitForTracking(5000));
  const tn = tenant("uncovered");
  await writeDictionary(store, tn, [oid(1)]);
  assert.equal(await dicts.idOf(tn, "facility", oid(1)), 0);
  const h0 = dicts.stats().headerChecks;
  await dicts.get(tn, "facility");
  assert.equal(dicts.stats().headerChecks, h0 + 1, "a key outside the tracked prefixes: a header check at each use");
  await writeDictionary(store, tn, [oid(2)]);
  assert.equal(await dicts.idOf(tn, "facility", oid(2)), 1, "the append is seen on the next use");
});
