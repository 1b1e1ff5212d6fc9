// The example services (examples/express-service.mjs, examples/fastify-service.mjs) on Express 4
// and 5 and Fastify 4 and 5, over real sockets, against REDIS_URL and REDIS_CLUSTER_URL:
// GET /records filters Mongo-shaped records (bson ObjectIds) by facility. 200 with exactly the
// permitted records; 401 for missing, expired, unsigned, forged and not-a-blob sessions; 500 for a
// dictionary of another lineage; 503 with the store down (a redis-server of the test's own,
// killed); a facility appended after the dictionary copy was fetched is allowed after one
// refresh; an unknown one is denied. Bodies carry no detail.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ObjectId } from "bson";
import express4 from "express4";
import express5 from "express5";
import fastify4 from "fastify4";
import fastify5 from "fastify5";
import type { Server } from "node:http";
import { DictionaryDecoder, IdDictionary, Session } from "../dist/index.js";
import {
  SessionStore,
  SessionCache,
  DictionaryCache,
  SessionAccess,
  errorKind,
  statusOf,
  statusOfKind,
  NoSessionError,
  withSession,
  type Freshness,
  type Target,
} from "../dist/redis/index.js";
import { createExpressService, type ExpressApp, type ServiceDeps } from "../examples/express-service.mjs";
import { createFastifyService, type FastifyApp } from "../examples/fastify-service.mjs";
import type { ReportJobData, ReportResult } from "../examples/bullmq-worker.mjs";
import { TARGETS, CLIENTS, MODES, over, connectable, target, key, admin, set, ownServer, within, sleep, type AppClient } from "./redis-support.js";

const TRACKING = { heartbeatMs: 50, heartbeatTimeoutMs: 150, retryMs: 50 };

/** A service listening on a loopback port: its base URL, and how to stop it. */
interface Listening {
  url: string;
  close: () => Promise<void>;
}

/** A record of the service's: a Mongo-shaped document with a facility ObjectId. */
interface MongoRecord {
  _id: ObjectId;
  tenantId: string;
  facilityId: ObjectId;
  name: string;
}

/** Starts the example service on a framework with `deps`. */
type Listen = (deps: ServiceDeps<MongoRecord>) => Promise<Listening>;

const FRAMEWORKS: [string, Freshness, Listen][] = [
  ["express4", "header-check", (deps) => listenExpress(express4, deps)],
  ["express5", "tracking", (deps) => listenExpress(express5, deps)],
  ["fastify4", "header-check", (deps) => listenFastify(fastify4, deps)],
  ["fastify5", "tracking", (deps) => listenFastify(fastify5, deps)],
];

async function listenExpress(express: () => ExpressApp, deps: ServiceDeps<MongoRecord>): Promise<Listening> {
  const app = createExpressService(express, deps);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === "object", "listening on a TCP port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function listenFastify(fastify: (options: { logger: boolean }) => FastifyApp, deps: ServiceDeps<MongoRecord>): Promise<Listening> {
  const app = await createFastifyService(fastify, deps);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    close: async () => {
      await app.close();
    },
  };
}

/** GET /records as the session `sid` (none: no Authorization header); status, headers and body text. */
async function getRecords(url: string, sid: string | undefined, authorization = sid === undefined ? undefined : `Bearer ${sid}`) {
  const r = await fetch(`${url}/records`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/** An answer of the service: status, headers and body text. */
type Answer = Awaited<ReturnType<typeof getRecords>>;

/** For the tests of the caches without a web app (withSession, BullMQ): nothing listens. */
const noApp: Listen = () => Promise.resolve({ url: "", close: () => Promise.resolve() });

const UNAUTHORIZED = '{"error":"unauthorized"}';

/**
 * Everything a service test needs: keys, a store that signs, a tenant with facilities, records,
 * caches, the app. `x`: what the store and the caches connect to — the target (connections of
 * their own; the dictionary cache with a tracker of its own), or the app's client (the
 * dictionary cache then shares the session cache's tracker: one set of tracking connections).
 */
async function world(t: TestContext, tg: Target, mode: Freshness, listen: Listen, x: Target | AppClient = tg) {
  const mac = { id: 3, key: randomBytes(32) };
  // The target's timeouts, for the app's client too.
  const timeouts = { timeoutMs: tg.timeoutMs, connectTimeoutMs: tg.connectTimeoutMs };
  const store = await SessionStore.connect(x, { keys: [mac], ...timeouts });
  const sessions = await SessionCache.connect(x, { freshness: mode, keys: [mac], tracking: TRACKING, ...timeouts });
  // checkIntervalMs: a header-check copy is kept for a minute, so a facility appended later is found by a refresh.
  const dictionaryOptions = { keys: [mac], refreshIntervalMs: 100, checkIntervalMs: 60_000, ...timeouts };
  const dictionaries =
    x === tg
      ? await DictionaryCache.connect(tg, { freshness: mode, ...dictionaryOptions, tracking: TRACKING })
      : mode === "tracking"
        ? await DictionaryCache.connect(x, { ...dictionaryOptions, tracker: sessions })
        : sessions.dictionaries({ keys: [mac], refreshIntervalMs: 100, checkIntervalMs: 60_000 });
  const tenant = key("mw-tenant").replaceAll(":", "-");
  const facilities = Array.from({ length: 5 }, () => new ObjectId());
  const unknown = new ObjectId(); // in no dictionary
  let records: MongoRecord[] = Array.from({ length: 24 }, (_, i) => ({
    _id: new ObjectId(),
    tenantId: tenant,
    facilityId: i % 6 === 5 ? unknown : facilities[i % 5],
    name: `record ${i}`,
  }));
  const empty = IdDictionary.create({ tenant, kind: "facility", keyType: "objectid", lineage: 0xd1c7n });
  let dictionary = (await store.appendDictionary(`dict:${tenant}:facility`, empty, facilities)).dictionary;
  const denials: string[] = [];
  const access = new SessionAccess({ sessions, dictionaries });
  const app = await listen({ access, records: () => Promise.resolve(records), onError: (err) => denials.push(kindOrName(err)) });
  t.after(async () => {
    await app.close();
    await sessions.close();
    await dictionaries.close();
    await store.close();
  });
  if (mode === "tracking") {
    assert.ok(await sessions.waitForTracking(5000));
    assert.ok(await dictionaries.waitForTracking(5000));
  }
  const now = Date.now();
  /** Writes a session that may see `visible` (ObjectIds) under a new id; the id. */
  const issue = async (visible: ObjectId[], { expiresAt = now + 3_600_000, writer = store, dict = dictionary }: { expiresAt?: number; writer?: SessionStore; dict?: IdDictionary } = {}) => {
    const sid = randomBytes(12).toString("base64url");
    const s = new Session({ userId: "u1", tenantId: tenant, token: "t", issuedAt: now - 1000, expiresAt }).withFacilityKeys(dict.view(), visible);
    await writer.put(`session:${sid}`, s, 3_600_000);
    return sid;
  };
  return {
    mac,
    store,
    sessions,
    dictionaries,
    tenant,
    facilities,
    unknown,
    denials,
    app,
    issue,
    get records() {
      return records;
    },
    addRecord(r: MongoRecord) {
      records = [...records, r];
    },
    async append(oid: ObjectId) {
      dictionary = (await store.appendDictionary(`dict:${tenant}:facility`, empty, [oid])).dictionary;
      return dictionary;
    },
  };
}

const hex = (oid: ObjectId) => oid.toHexString();
/** The ids of records, as the service's JSON (24 hex digits) or as documents (ObjectIds). */
const ids = (records: readonly { _id: string | ObjectId }[]) => records.map((r) => (typeof r._id === "string" ? r._id : r._id.toHexString()));

/** What the `onError` hook records of a denial: the error's kind, or its name. */
function kindOrName(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    if ("kind" in err && typeof err.kind === "string") return err.kind;
    if ("name" in err && typeof err.name === "string") return err.name;
  }
  return String(err);
}

/** A record as the service's JSON writes it: its ObjectIds as hex. */
interface JsonRecord {
  _id: string;
  facilityId: string;
}

function isJsonRecord(r: unknown): r is JsonRecord {
  return typeof r === "object" && r !== null && "_id" in r && typeof r._id === "string" && "facilityId" in r && typeof r.facilityId === "string";
}

/** The records of a 200's JSON body. */
function recordsOf(text: string): JsonRecord[] {
  const body: unknown = JSON.parse(text);
  assert.ok(Array.isArray(body) && body.every(isJsonRecord), `an array of records: ${text}`);
  return body;
}

for (const name of TARGETS) {
  for (const client of CLIENTS) for (const [fw, mode, listen] of FRAMEWORKS) {
    test(`${name}, ${fw} (${mode})${over(client)}: GET /records: 200 with exactly the permitted records; 401 missing, expired, unsigned, forged; appended facility after one refresh; unknown denied`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const x = await connectable(t, tg, client);
      const w = await world(t, tg, mode, listen, x);
      const { facilities: f, app } = w;
      const sid = await w.issue([f[0], f[2], f[4]]);
      const ok = await getRecords(app.url, sid);
      assert.equal(ok.status, 200, ok.text);
      const permitted = w.records.filter((r) => [f[0], f[2], f[4]].some((x) => x.equals(r.facilityId)));
      assert.ok(permitted.length >= 6);
      assert.deepEqual(ids(recordsOf(ok.text)), ids(permitted), "exactly the permitted records, in order");
      assert.deepEqual(recordsOf(ok.text)[0], JSON.parse(JSON.stringify(permitted[0])), "whole records");
      assert.equal(w.denials.length, 0);

      // 401s, with nothing but the generic body.
      const expect401 = (res: Answer, why: string, kindSeen?: string) => {
        assert.equal(res.status, 401, `${why}: ${res.text}`);
        assert.equal(res.text, UNAUTHORIZED, why);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal(res.headers.get("cache-control"), "no-store");
        if (kindSeen !== undefined) assert.equal(w.denials.at(-1), kindSeen, why);
      };
      expect401(await getRecords(app.url, undefined), "no Authorization header", "no_session");
      expect401(await getRecords(app.url, undefined, "Basic dTpw"), "not a bearer token", "no_session");
      expect401(await getRecords(app.url, "no-such-session"), "missing session", "no_session");
      expect401(await getRecords(app.url, "../../etc"), "a session id that is not one", "no_session");
      expect401(await getRecords(app.url, await w.issue([f[0]], { expiresAt: Date.now() - 1 })), "expired", "expired");
      const unsignedStore = await SessionStore.connect(x, { dictionaryDecoder: new DictionaryDecoder({ keys: [w.mac] }) });
      const forger = await SessionStore.connect(x, { keys: [{ id: w.mac.id, key: randomBytes(32) }] });
      t.after(async () => {
        await unsignedStore.close();
        await forger.close();
      });
      expect401(await getRecords(app.url, await w.issue([f[0]], { writer: unsignedStore })), "unsigned", "unauthenticated");
      expect401(await getRecords(app.url, await w.issue([f[0]], { writer: forger })), "forged", "unauthenticated");
      const a = await admin(tg);
      t.after(() => a.close());
      await set(a, "session:jsonsession", '{"user_id":"u1","facilities":[1]}');
      expect401(await getRecords(app.url, "jsonsession"), "a legacy JSON value", "not_a_blob");

      // A dictionary of another lineage than the session's: a fault of the deployment, 500, no detail.
      const other = IdDictionary.create({ tenant: w.tenant, kind: "facility", keyType: "objectid", lineage: 0x07e4n }).append([f[0]]).dictionary;
      const res500 = await getRecords(app.url, await w.issue([f[0]], { dict: other }));
      assert.equal(res500.status, 500);
      assert.equal(res500.text, '{"error":"internal"}');
      assert.equal(w.denials.at(-1), "wrong_dictionary");

      // A facility created after the dictionary copy was fetched: allowed after one refresh.
      const late = new ObjectId();
      await w.append(late);
      const lateRecord = { _id: new ObjectId(), tenantId: w.tenant, facilityId: late, name: "late" };
      w.addRecord(lateRecord);
      const sid2 = await w.issue([f[0], late]);
      // The 500 above refreshed the dictionary (its lineage check): within refreshIntervalMs (100 ms)
      // of that, an unknown key is denied without asking — the rate limit. Let it pass.
      await sleep(120);
      const refreshes = w.dictionaries.stats().refreshes;
      const after = await getRecords(app.url, sid2);
      assert.equal(after.status, 200, after.text);
      const got = recordsOf(after.text);
      assert.deepEqual(ids(got), ids(w.records.filter((r) => r.facilityId.equals(f[0]) || r.facilityId.equals(late))));
      assert.ok(ids(got).includes(lateRecord._id.toHexString()), "the new facility's record is allowed");
      assert.ok(!got.some((r) => r.facilityId === w.unknown.toHexString()), "the unknown facility's records are denied");
      const did = w.dictionaries.stats().refreshes - refreshes;
      if (mode === "header-check") assert.equal(did, 1, "one refresh (the kept copy lacked the key)");
      else assert.ok(did <= 1, "tracking: the append's invalidation may already have evicted the copy");
      // The first session still sees its own, and never the unknown facility's records.
      const again = recordsOf((await getRecords(app.url, sid)).text);
      assert.deepEqual(ids(again), ids(w.records.filter((r) => [f[0], f[2], f[4]].some((x) => x.equals(r.facilityId)))));
      console.log(`${name}, ${fw}${over(client)}: ${JSON.stringify(w.dictionaries.stats())}`);
    });
  }
}

for (const client of CLIENTS) for (const [fw, mode, listen] of FRAMEWORKS) {
  test(`${fw} (${mode})${over(client)}: 503 with the store down (a server of the test's own, killed), never a grant; back to 200 when it returns`, async (t) => {
    const own = await ownServer(t);
    if (!own) return;
    const tg = own.target(300);
    // The app's client reconnects on its own (its library's defaults); each call is held to 300 ms.
    const x = client === "url" ? tg : await connectable(t, tg, client);
    const w = await world(t, tg, mode, listen, x);
    const sid = await w.issue([w.facilities[1]]);
    const ok = await getRecords(w.app.url, sid);
    assert.equal(ok.status, 200);
    assert.ok(recordsOf(ok.text).length > 0);
    const saved = await w.store.getRaw(`dict:${w.tenant}:facility`);
    assert.ok(saved !== null, "the dictionary is stored");
    await own.kill();
    for (let i = 0; i < 3; i++) {
      const r = await getRecords(w.app.url, sid);
      assert.equal(r.status, 503, r.text);
      assert.equal(r.text, '{"error":"unavailable"}');
      assert.equal(r.headers.get("retry-after"), "1");
    }
    assert.ok(["unavailable", "timeout"].includes(w.denials[w.denials.length - 1]), w.denials.join());
    await own.spawn(); // empty: the session is gone
    let last: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      last = await getRecords(w.app.url, sid);
      if (last.status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(last?.status, 401, "back: the restarted server holds no session");
    // The dictionary restored (as from a backup), then a new session: 200 again.
    const a = await admin(tg);
    t.after(() => a.close());
    await set(a, `dict:${w.tenant}:facility`, saved);
    const sid2 = await w.issue([w.facilities[1]]);
    assert.equal((await getRecords(w.app.url, sid2)).status, 200);
  });
}

test("statusOf / statusOfKind: the mapping of error kinds to HTTP statuses", () => {
  const table = {
    no_session: 401,
    expired: 401,
    unauthenticated: 401,
    not_a_blob: 401,
    corrupt: 401,
    unavailable: 503,
    timeout: 503,
    server: 500,
    contended: 500,
    unsupported: 500,
    limit: 500,
    invalid_input: 500,
    wrong_dictionary: 500,
  };
  for (const [k, s] of Object.entries(table)) assert.equal(statusOfKind(k), s, k);
  assert.equal(statusOfKind(undefined), 500);
  assert.equal(statusOf(new NoSessionError()), 401);
  assert.equal(statusOf(new Error("bug")), 500);
  assert.equal(statusOf("thrown string"), 500);
  assert.equal(errorKind(new NoSessionError()), undefined, "errorKind keeps to the caches' kinds");
});

for (const name of TARGETS) {
  test(`${name}: withSession: a job that checks 100 records costs one session read and one dictionary read (none while tracking)`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    for (const mode of MODES) {
      const w = await world(t, tg, mode, noApp);
      const sid = await w.issue([w.facilities[0], w.facilities[3]]);
      type Job = { data: { sessionKey?: string; records: { facilityId: ObjectId }[] } };
      const processor = withSession(new SessionAccess({ sessions: w.sessions, dictionaries: w.dictionaries }), (job: Job) => job.data.sessionKey, async (access, job) => {
        let seen = 0;
        for (const r of job.data.records) if (await access.canSee(r.facilityId)) seen++;
        return seen;
      });
      const records = Array.from({ length: 100 }, (_, i) => ({ facilityId: w.facilities[i % 5] }));
      const job = { data: { sessionKey: `session:${sid}`, records } };
      // Warm: until the session and the dictionary are kept (a fetch that races the write's own
      // invalidation is not kept: the next job fetches again).
      assert.ok((await within(2000, async () => (await processor(job)) === 40 && w.sessions.stats().entries > 0 && w.dictionaries.stats().entries > 0)) !== undefined);
      const s0 = w.sessions.stats();
      const d0 = w.dictionaries.stats();
      assert.equal(await processor(job), 40);
      const s1 = w.sessions.stats();
      const d1 = w.dictionaries.stats();
      const reads = s1.headerChecks - s0.headerChecks + (s1.fetches - s0.fetches) + (d1.headerChecks - d0.headerChecks) + (d1.fetches - d0.fetches);
      assert.equal(reads, mode === "tracking" ? 0 : 1, `${mode}: ${reads} round trips for a job of 100 checks: ${JSON.stringify([s0, s1, d0, d1])}`);
      await assert.rejects(processor({ data: { records } }), (e) => e instanceof NoSessionError);
      await assert.rejects(processor({ data: { sessionKey: "session:none", records } }), (e) => e instanceof NoSessionError);
    }
  });
}

/**
 * The app's ioredis connection for BullMQ (which uses ioredis itself, and wants
 * `maxRetriesPerRequest: null` for its workers' blocking commands): a `Redis`, or a `Cluster`.
 */
async function bullConnection(tg: Target) {
  const { Redis } = await import("ioredis");
  const hp = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
  if (!tg.isCluster) {
    const c = new Redis(tg.urls[0], { maxRetriesPerRequest: null, lazyConnect: true });
    c.on("error", () => {});
    await c.connect();
    return c;
  }
  const c = new Redis.Cluster(tg.urls.map(hp), { redisOptions: { maxRetriesPerRequest: null } });
  c.on("error", () => {});
  await new Promise((resolve, reject) => {
    c.once("ready", resolve);
    c.once("end", () => reject(new Error("ioredis Cluster ended before it was ready")));
  });
  return c;
}

/** The outcome of a report job: its result, or why it failed. */
type JobOutcome = { ok: ReportResult; failed?: undefined } | { ok?: undefined; failed: string };

for (const name of TARGETS) {
  for (const client of CLIENTS) {
    const how = client === "ioredis" ? " (BullMQ and the caches over the app's one ioredis connection)" : `${over(client)} (BullMQ over the app's ioredis)`;
    test(`${name}: the BullMQ worker example${how}: a job's 100 checks cost one session read, none while tracking; jobs without a valid session fail`, async (t) => {
      const tg = await target(t, name);
      if (!tg) return;
      const { Queue, QueueEvents, Worker } = await import("bullmq");
      const { createReportWorker } = await import("../examples/bullmq-worker.mjs");
      // BullMQ's own connection is the app's ioredis; for "ioredis" the caches read through it too.
      const connection = await bullConnection(tg);
      t.after(() => {
        assert.equal(connection.status, "ready", "nothing closed the app's connection");
        connection.disconnect();
      });
      const x = client === "ioredis" ? connection : await connectable(t, tg, client);
      // A cluster needs BullMQ's keys in one slot: a hash-tag prefix.
      const prefix = tg.isCluster ? "{bull}" : "bull";
      for (const mode of MODES) {
        const w = await world(t, tg, mode, noApp, x);
        const queueName = key("bullmq").replaceAll(":", "-");
        const queue = new Queue<ReportJobData, ReportResult>(queueName, { connection, prefix });
        // Short blocking reads, so that closing does not wait out BullMQ's defaults (10 s, 5 s).
        const events = new QueueEvents(queueName, { connection, prefix, blockingTimeout: 200 });
        const worker = createReportWorker(Worker, { queueName, connection, prefix, drainDelay: 0.2, access: new SessionAccess({ sessions: w.sessions, dictionaries: w.dictionaries }), concurrency: 1 });
        // Closed before the app's connection (the hooks of t.after run in the order they were added).
        const closeBull = async () => {
          await worker.close();
          await events.close();
          await queue.close();
        };
        try {
          await events.waitUntilReady();
          await worker.waitUntilReady();
          const sid = await w.issue([w.facilities[1], w.facilities[2]]);
          const records = Array.from({ length: 100 }, (_, i) => ({ _id: new ObjectId().toHexString(), facilityId: hex(i % 7 === 6 ? w.unknown : w.facilities[i % 5]) }));
          const permitted = records.filter((r) => r.facilityId === hex(w.facilities[1]) || r.facilityId === hex(w.facilities[2])).map((r) => r._id);
          const run = async (data: ReportJobData): Promise<JobOutcome> => {
            const job = await queue.add("report", data);
            try {
              return { ok: await job.waitUntilFinished(events, 10_000) };
            } catch (e) {
              return { failed: e instanceof Error ? e.message : String(e) };
            }
          };
          // Warm until the session and the dictionary are kept (a fetch racing the write's own invalidation is not kept).
          assert.ok((await within(3000, async () => (await run({ sessionId: sid, records })).ok !== undefined && w.sessions.stats().entries > 0 && w.dictionaries.stats().entries > 0)) !== undefined);
          const s0 = w.sessions.stats();
          const d0 = w.dictionaries.stats();
          const { ok } = await run({ sessionId: sid, records });
          assert.deepEqual(ok?.visible, permitted, "exactly the permitted records");
          const s1 = w.sessions.stats();
          const d1 = w.dictionaries.stats();
          const sessionReads = s1.headerChecks - s0.headerChecks + s1.fetches - s0.fetches;
          assert.equal(sessionReads, mode === "tracking" ? 0 : 1, `${mode}: the job's session read once (${sessionReads})`);
          assert.equal(d1.fetches - d0.fetches, 0, "no dictionary fetch");
          // The unknown facility's records (never in the dictionary): at most one refresh per job, within the interval none.
          assert.ok(d1.refreshes - d0.refreshes <= 1);
          const missing = await run({ records });
          assert.match(missing.failed ?? "", /no session/);
          const expired = await run({ sessionId: await w.issue([w.facilities[1]], { expiresAt: Date.now() - 1 }), records });
          assert.match(expired.failed ?? "", /expired/);
          console.log(`BullMQ worker, ${name}${over(client)}, ${mode}: a job of 100 checks: ${sessionReads} session reads, ${d1.headerChecks - d0.headerChecks} dictionary header checks`);
        } finally {
          await closeBull();
        }
      }
    });
  }
}
