// The cache against a Redis Cluster of the file's own (three masters with a replica each and a
// spare node; .ci/redis-cluster.sh), under the events of issue 19: keys expired by TTL that
// Redis has not deleted yet, a logout by EXPIRE, resharding to an existing and to a newly added
// master, FLUSHALL, CLUSTER FAILOVER, and kill -9 of a master with its replica promoted.
//
// Every scenario runs a header-check cache and a tracking cache side by side, reading all along,
// and checks every read against what the server held (`Truth`): a version served after it was
// replaced (or expired) counts as a violation when the read started more than the mode's bound
// later (header checks: 0; tracking: the staleness bound). The measured bounds are printed.
import { test, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { SessionCache } from "../dist/redis/index.js";
import { unavailable, startCluster, Truth, Reader, blob, version, sleep, within, slotOf, type ClusterNode, type OwnCluster } from "./redis-support.js";

const TRACKING = { heartbeatMs: 50, heartbeatTimeoutMs: 200, retryMs: 50 };
const BOUND = TRACKING.heartbeatMs + TRACKING.heartbeatTimeoutMs;

let started: Promise<OwnCluster | string> | undefined;
/** The file's cluster, started by the first test that needs it; undefined when skipped. */
async function cluster(t: TestContext): Promise<OwnCluster | undefined> {
  started ??= startCluster({ masters: 3, replicas: 1, spares: 1 });
  const c = await started;
  if (typeof c === "string") return unavailable(t, c);
  return c;
}
after(async () => {
  const c = await started;
  if (c !== undefined && typeof c !== "string") await c.stop();
});

/** A header-check cache and a tracking cache over the cluster. */
interface Caches {
  header: SessionCache;
  tracking: SessionCache;
}

async function caches(t: TestContext, c: OwnCluster, extra = {}): Promise<Caches> {
  const target = c.target();
  const header = await SessionCache.connect(target, { freshness: "header-check" });
  const tracking = await SessionCache.connect(target, { freshness: "tracking", tracking: { ...TRACKING, ...extra } });
  t.after(async () => {
    await header.close();
    await tracking.close();
  });
  assert.ok(await tracking.waitForTracking(5000), "tracking live");
  return { header, tracking };
}

function readers(t: TestContext, { header, tracking }: Caches, truth: Truth, keys: string[], bound = BOUND) {
  const rs = [new Reader("header-check", header, truth, keys, 0), new Reader("tracking", tracking, truth, keys, bound)];
  t.after(() => Promise.all(rs.map((r) => r.stop())));
  return rs;
}

async function finish(label: string, rs: Reader[]) {
  for (const r of rs) await r.stop();
  for (const r of rs) console.log(`${label}: ${r.summary()}; ${JSON.stringify(r.cache.stats())}`);
  for (const r of rs) assert.deepEqual(r.violations.slice(0, 5), [], `${label}, ${r.name}`);
}

/** `n` keys `prefix:…` whose slots the master on `port` owns (with a hash tag when it owns few). */
async function keysOn(c: OwnCluster, port: number, prefix: string, n: number) {
  const owners = await c.slotMap();
  const out: string[] = [];
  for (let i = 0; out.length < n && i < 20_000; i++) if (owners[slotOf(`${prefix}:${i}`)] === port) out.push(`${prefix}:${i}`);
  for (let i = 0; out.length < n; i++) {
    assert.ok(i < 1_000_000, `no key found on ${port}`);
    const k = `${prefix}:{${i}}:${out.length}`;
    if (owners[slotOf(k)] === port) out.push(k);
  }
  return out;
}

/** Writes version `v` of every key through the master on `port` (no redirect), recorded in `truth`. */
async function writeAll(c: OwnCluster, port: number, truth: Truth, keys: string[], v: number, ttlMs?: number) {
  for (const k of keys) {
    await truth.write(k, v, () => c.send(port, ["SET", k, Buffer.from(blob(v)), ...(ttlMs ? ["PX", String(ttlMs)] : [])]), ttlMs);
  }
}

/** Polls CLUSTER NODES of every node in `ports` until `f(nodes, port)` holds for all; ms it took. */
async function agreed(c: OwnCluster, ports: number[], f: (nodes: ClusterNode[], port: number) => boolean, limitMs = 20_000) {
  const ms = await within(limitMs, async () => {
    for (const p of ports) if (!f(await c.nodes(p).catch(() => []), p)) return false;
    return true;
  });
  assert.ok(ms !== undefined, "the cluster did not settle");
  return ms;
}

test("keys Redis has not deleted yet are never served after their TTL (active expiry off, 30,000 volatile keys), nor after an EXPIRE used as a logout", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  for (const p of c.masters) await c.send(p, ["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
  t.after(async () => {
    for (const p of c.masters) await c.send(p, ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]).catch(() => {});
    for (const p of c.masters) await c.send(p, ["FLUSHALL"]).catch(() => {});
  });
  // 10,000 volatile fillers per master (hash tags route each batch to one master).
  for (const p of c.masters) {
    const tag = (await keysOn(c, p, "tag", 1))[0];
    const batch = [];
    for (let i = 0; i < 10_000; i++) batch.push(c.send(p, ["SET", `filler:{${tag}}:${i}`, "x", "PX", "600000"]));
    await Promise.all(batch);
  }
  const truth = new Truth();
  const volatile: string[] = [];
  const logout: string[] = [];
  for (const p of c.masters) {
    volatile.push(...(await keysOn(c, p, `session:ttl:${p}`, 17)));
    logout.push(...(await keysOn(c, p, `session:logout:${p}`, 4)));
  }
  const cs = await caches(t, c);
  const owner = new Map<string, number>();
  for (const k of [...volatile, ...logout]) owner.set(k, (await c.owner(slotOf(k)))!);
  for (const k of logout) await truth.write(k, 1, () => c.send(owner.get(k)!, ["SET", k, Buffer.from(blob(1))]));
  const ttl = 1500;
  for (const k of volatile) await truth.write(k, 1, () => c.send(owner.get(k)!, ["SET", k, Buffer.from(blob(1)), "PX", String(ttl)]), ttl);
  const keys = [...volatile, ...logout];
  for (const k of keys) {
    assert.equal(version(await cs.header.get(k)), 1);
    assert.equal(version(await cs.tracking.get(k)), 1);
  }
  // Both the tracking checks: a TTL's deadline errs early, so no read started after it may serve the key.
  const rs = readers(t, cs, truth, keys, 0);
  await sleep(300);
  // The logout: the session's TTL shortened to 400 ms.
  for (const k of logout) await truth.write(k, 1, () => c.send(owner.get(k)!, ["PEXPIRE", k, "400"]), 400);
  await sleep(ttl + 1500);
  await finish("TTL expiry (cluster)", rs);
  for (const r of rs) assert.ok(r.reads > keys.length * 4, `${r.name}: too few reads to tell`);
  assert.ok(cs.tracking.stats().ttlExpiries >= 1, "the tracking cache dropped entries at their deadline");
  for (const k of keys) {
    assert.equal(await cs.header.get(k), null);
    assert.equal(await cs.tracking.get(k), null);
  }
});

/**
 * Moves the slot of `tag` from its master to the master on `to` (already in the cluster) while
 * the caches read its keys: IMPORTING/MIGRATING, MIGRATE key by key, each rewritten on `to`
 * after ASKING, then the slot assigned. Reads of the moving keys must succeed (or fail typed for
 * at most the staleness bound), never stale. `more`: further tracking caches to read alongside.
 */
async function reshard(t: TestContext, c: OwnCluster, cs: Caches, to: number, tag: string, label: string, more: { name: string; cache: SessionCache }[] = []) {
  const slot = slotOf(`{${tag}}`);
  const from = (await c.owner(slot))!;
  assert.notEqual(from, to);
  const fromId = await c.id(from);
  const toId = await c.id(to);
  const truth = new Truth();
  const moving = Array.from({ length: 5 }, (_, i) => `session:{${tag}}:${i}`);
  await writeAll(c, from, truth, moving, 1);
  const others = await keysOn(c, from, `session:stay:${tag}`, 3);
  await writeAll(c, from, truth, others, 1);
  const keys = [...moving, ...others];
  for (const cache of [cs.header, cs.tracking, ...more.map((m) => m.cache)]) {
    for (const k of keys) assert.equal(version(await cache.get(k)), 1);
  }
  const rs = [...readers(t, cs, truth, keys), ...more.map((m) => new Reader(m.name, m.cache, truth, keys, BOUND))];
  t.after(() => Promise.all(rs.map((r) => r.stop())));
  await sleep(200);
  await c.send(to, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", fromId]);
  await c.send(from, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", toId]);
  for (const k of moving) {
    assert.equal(String(await c.send(from, ["MIGRATE", "127.0.0.1", String(to), k, "0", "5000"])), "OK");
    await sleep(100);
    // Rewritten where it now lives, reached by ASK.
    await truth.write(k, 2, () => c.asking(to, ["SET", k, Buffer.from(blob(2))]));
    await sleep(150);
  }
  // The slot half-moved for a while: every read of a moved key is an ASK to `to`.
  await sleep(1000);
  const slotSettled = performance.now();
  for (const p of [to, from, ...c.masters.filter((p) => p !== to && p !== from && !c.killed.has(p))]) {
    await c.send(p, ["CLUSTER", "SETSLOT", String(slot), "NODE", toId]);
  }
  await agreed(c, [from, to], (nodes) => nodes.some((n) => n.id === toId && n.slots.includes(String(slot))));
  for (const r of rs) r.expect(moving, 3);
  const rewritten = performance.now();
  await writeAll(c, to, truth, moving, 3);
  const seen = await within(5000, () => rs.every((r) => r.fresh.size === moving.length));
  assert.ok(seen !== undefined, "the rewrite after the move is seen");
  await sleep(300);
  await finish(label, rs);
  for (const r of rs) {
    console.log(
      `${label}: ${r.name}: the longest run of unavailable errors reading a key ${r.maxStreak.toFixed(0)} ms; the rewrite after the move seen ${(Math.max(...r.fresh.values()) - rewritten).toFixed(1)} ms after it was sent (slot assigned ${(rewritten - slotSettled).toFixed(0)} ms before)`,
    );
    assert.ok(r.maxStreak <= BOUND, `${label}, ${r.name}: reads of moving keys failed for ${r.maxStreak.toFixed(0)} ms (bound ${BOUND} ms): ${r.lastError}`);
  }
  return { slot, from, to };
}

test("resharding to an existing master: reads of the moving keys succeed, never stale", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const cs = await caches(t, c);
  const from = await c.owner(slotOf("{move-a}"));
  const to = c.masters.find((p) => p !== from)!;
  await reshard(t, c, cs, to, "move-a", "reshard to an existing master");
  assert.ok(await cs.tracking.waitForTracking(5000), "tracking live again");
});

test("resharding to a master added with CLUSTER MEET: ASK to a node outside the slot map is followed, its fetches are not kept until it is tracked, never stale", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const spare = c.spares[0];
  const cs = await caches(t, c);
  // A tracking cache that re-reads the topology only every 10 s: the new master answers its
  // fetches before it knows the node, which must drop it to header checks, never serve stale.
  const slow = await SessionCache.connect(c.target(), { freshness: "tracking", tracking: { heartbeatMs: 10_000, heartbeatTimeoutMs: 200, retryMs: 50 } });
  t.after(() => slow.close());
  assert.ok(await slow.waitForTracking(5000));
  const spareId = await c.id(spare);
  await c.send(spare, ["CLUSTER", "MEET", "127.0.0.1", String(c.masters[0])]);
  const live = c.alive();
  const took = await agreed(c, live, (nodes) => nodes.length === live.length && nodes.every((n) => !n.flags.includes("handshake")) && nodes.some((n) => n.id === spareId));
  console.log(`new master: the cluster agreed on it ${took.toFixed(0)} ms after CLUSTER MEET`);
  // The new node refuses MIGRATE (CLUSTERDOWN) until it has learnt every slot's owner.
  const ok = await within(10_000, async () => String(await c.send(spare, ["CLUSTER", "INFO"])).includes("cluster_state:ok"));
  assert.ok(ok !== undefined, "the new master sees the cluster up");
  c.masters.push(spare);
  c.spares = c.spares.filter((p) => p !== spare);
  await reshard(t, c, cs, spare, "move-new", "reshard to a new master", [{ name: "tracking, topology re-read every 10 s", cache: slow }]);
  console.log(`reshard to a new master: the slow tracker's cache: ${JSON.stringify(slow.stats())}`);
  assert.ok(slow.stats().untrackedFetches >= 1, "the slow tracker's cache fetched from the new master before it was tracked");
  assert.ok(await slow.waitForTracking(5000), "and tracks it now");
  assert.ok(await cs.tracking.waitForTracking(5000), "tracking live again");
  // The new master is tracked: a write there is announced, and the rest served on tracking alone.
  const k = "session:{move-new}:0";
  assert.equal(version(await cs.tracking.get(k)), 3);
  const checks = cs.tracking.stats().headerChecks;
  await c.send(spare, ["SET", k, Buffer.from(blob(4))]);
  assert.ok((await within(2000, async () => version(await cs.tracking.get(k)) === 4)) !== undefined, "a write on the new master is announced");
  assert.equal(cs.tracking.stats().headerChecks, checks, "served on tracking alone");
});

test("FLUSHALL on every master: nothing served after it (tracking: within the staleness bound)", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const cs = await caches(t, c);
  const truth = new Truth();
  const keys = [];
  for (const p of c.masters) {
    const ks = await keysOn(c, p, `session:flush:${p}`, 3);
    await writeAll(c, p, truth, ks, 1);
    keys.push(...ks);
  }
  for (const k of keys) {
    assert.equal(version(await cs.header.get(k)), 1);
    assert.equal(version(await cs.tracking.get(k)), 1);
  }
  const rs = readers(t, cs, truth, keys);
  await sleep(200);
  await truth.clearing(async () => {
    for (const p of c.masters) await c.send(p, ["FLUSHALL"]);
  });
  await sleep(500);
  await finish("FLUSHALL (cluster)", rs);
  for (const k of keys) assert.equal(await cs.tracking.get(k), null);
});

/** A master with its replica (by `.ci/redis-cluster.sh`'s order), and keys it owns. */
async function shard(c: OwnCluster, index: number, prefix: string, n = 4) {
  const master = c.masters[index];
  const replica = c.replicas[index];
  return { master, replica, keys: await keysOn(c, master, prefix, n) };
}

/**
 * After a failover of `master` to `replica` (by `act`), both caches serve fresh data once the
 * replica is master: measured from the promotion (as the promoted node reports it).
 */
async function failover(t: TestContext, c: OwnCluster, index: number, label: string, act: (master: number, replica: number) => void | Promise<void>) {
  const { master, replica, keys } = await shard(c, index, `session:${label.replace(/\W+/g, "-")}`);
  const cs = await caches(t, c);
  const truth = new Truth();
  await writeAll(c, master, truth, keys, 1);
  for (const k of keys) {
    assert.equal(version(await cs.header.get(k)), 1);
    assert.equal(version(await cs.tracking.get(k)), 1);
  }
  const rs = readers(t, cs, truth, keys);
  await sleep(200);
  const acted = performance.now();
  await act(master, replica);
  const promoted = await within(15_000, async () => {
    const me = (await c.nodes(replica).catch(() => [])).find((n) => n.flags.includes("myself"));
    return me !== undefined && me.flags.includes("master") && me.slots.length > 0;
  });
  assert.ok(promoted !== undefined, "the replica was promoted");
  const at = performance.now();
  // Redis' own window: an old master still alive answers reads (its failover pause holds back
  // writes only) until it learns it was demoted. Writes wait for it, so that what the cluster
  // holds is one thing.
  const demoted = c.killed.has(master)
    ? 0
    : await within(15_000, async () => {
        const me = (await c.nodes(master).catch(() => [])).find((n) => n.flags.includes("myself"));
        return me !== undefined && me.flags.includes("slave");
      });
  assert.ok(demoted !== undefined, "the old master learned it was demoted");
  for (const r of rs) r.expect(keys, 2);
  // The sessions rewritten on the new master, at once.
  for (const k of keys) {
    const s = performance.now();
    const w = truth.sending(k, 2);
    for (;;) {
      try {
        await c.send(replica, ["SET", k, Buffer.from(blob(2))]);
        break;
      } catch (e) {
        assert.ok(performance.now() - s < 5000, `the new master refuses writes: ${String(e)}`);
        await sleep(10);
      }
    }
    truth.acked(w);
  }
  const written = performance.now();
  const fresh = await within(10_000, () => rs.every((r) => r.fresh.size === keys.length));
  assert.ok(fresh !== undefined, "fresh data after the promotion");
  const live = await within(10_000, () => cs.tracking.trackingLive);
  const liveAt = performance.now() - (live ?? 0);
  await sleep(300);
  await finish(label, rs);
  console.log(
    `${label}: promoted ${(at - acted).toFixed(0)} ms after the fault (the old master knew ${demoted.toFixed(1)} ms later); tracking live again ${(liveAt - at).toFixed(0)} ms after the promotion`,
  );
  for (const r of rs) {
    const after = Math.max(...r.fresh.values()) - at;
    console.log(`${label}: ${r.name}: every key fresh ${after.toFixed(0)} ms after the promotion (the rewrites acknowledged ${(written - at).toFixed(0)} ms after it)`);
    assert.ok(after <= 2000, `${label}, ${r.name}: fresh only ${after.toFixed(0)} ms after the promotion`);
  }
  assert.ok(live !== undefined, "tracking live again");
  return rs;
}

test("CLUSTER FAILOVER: never stale; both caches serve fresh data within 2 s of the promotion, tracking live again", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  await failover(t, c, 1, "CLUSTER FAILOVER", async (_master, replica) => {
    await c.send(replica, ["CLUSTER", "FAILOVER"]);
  });
});

test("kill -9 of a master: typed errors while it is down, never stale, fresh data within 2 s of its replica's promotion", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const rs = await failover(t, c, 2, "kill -9 of a master", (master) => {
    c.kill9(master);
  });
  for (const r of rs) assert.ok([...r.errors.values()].reduce((a, b) => a + b, 0) > 0, `${r.name}: errors while the master was down`);
});
