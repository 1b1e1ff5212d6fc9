// `npm run bench` (second part): HTTP `GET /records` on the worst profile, four ways, one run,
// side by side, over real sockets against a redis-server of the bench's own:
//
//   legacy     express-session + connect-redis holding the legacy JSON session (whole facility
//              objects, 2.6 MB), checked with `facilities.some(f => f._id === hex)`
//   ids-only   express-session + connect-redis holding the ids-only JSON session
//   header     sessionpack's Express middleware, caches in "header-check" mode
//   tracking   sessionpack's Express middleware, caches in "tracking" mode
//
// Every request filters the same 100 Mongo-shaped records (facility `ObjectId`s, members and
// not) and must answer 200 with exactly the permitted ones (checked before timing). Reported:
// requests per second (autocannon, the same connections and duration for each) and the Redis
// bytes and commands per request (`INFO stats` total_net_output_bytes + total_net_input_bytes and
// total_commands_processed, before and after each run, so every command of every client —
// heartbeats included — is counted).
//
//   npm run bench:http                  # 5 s per case, 10 connections
//   BENCH_SECONDS=10 npm run bench:http

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { ObjectId } from "bson";
import { RedisStore } from "connect-redis";
import express from "express5";
import session from "express-session";
import { createClient } from "redis";
import { Decoder, IdDictionaryView, Session, encode } from "../dist/index.js";
import { DictionaryCache, SessionAccess, SessionCache, defaultDictionaryKey, sessionpackExpress } from "../dist/redis/index.js";
import { DATA, ensureData } from "./data.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PROFILE = "worst";

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

/** A redis-server of the bench's own on a free loopback port; stopped by `stop()`. */
async function ownRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "sessionpack-http-bench-"));
  const child = spawn(process.env.REDIS_SERVER ?? "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  const admin = createClient({ url, socket: { reconnectStrategy: false } });
  admin.on("error", () => {});
  for (let i = 0; ; i++) {
    try {
      await admin.connect();
      break;
    } catch (e) {
      if (i > 100) throw new Error(`redis-server on ${port} did not start (is redis-server installed?): ${e}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    admin,
    async stop() {
      admin.destroy();
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes through the server (out + in) and commands processed so far (`INFO stats`). */
async function redisTotals(admin) {
  const info = await admin.info("stats");
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
  return { bytes: field("total_net_output_bytes") + field("total_net_input_bytes"), commands: field("total_commands_processed") };
}

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function load(url, headers) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

ensureData(PROFILE);
const legacy = JSON.parse(readFileSync(path.join(DATA, `${PROFILE}.legacy.json`), "utf8"));
const idsOnly = JSON.parse(readFileSync(path.join(DATA, `${PROFILE}.ids-only.json`), "utf8"));
const raw = new Uint8Array(readFileSync(path.join(DATA, `${PROFILE}.raw.bin`)));
const meta = JSON.parse(readFileSync(path.join(DATA, `${PROFILE}.meta.json`), "utf8"));
const dictBytes = new Uint8Array(readFileSync(path.join(DATA, `${PROFILE}.facility.dict`)));

// The blob, signed and valid for the next hour; its tenant's facility dictionary, signed.
const key = { id: 1, key: new Uint8Array(32).fill(7) };
const view = new Decoder({ expiry: { rejectAt: meta.issued_at } }).open(raw);
const now = BigInt(Date.now());
const blob = encode(new Session({ ...view.toSession(), issuedAt: now, expiresAt: now + 3_600_000n }), { key });
const dictionary = IdDictionaryView.open(dictBytes).toDictionary().toBytes(key);

// 100 records, one per probe: some of the session's facilities, some of the tenant's others,
// some the tenant does not have.
const records = meta.probes.map((p, i) => ({ _id: new ObjectId(), facilityId: ObjectId.createFromHexString(p.object_id), title: `record ${i}` }));
const permitted = JSON.stringify(records.filter((_, i) => meta.probes[i].member));

const redis = await ownRedis();
const rows = [];
try {
  await redis.admin.set("session:bench", Buffer.from(blob));
  await redis.admin.set(defaultDictionaryKey(view.tenantId, "facility"), Buffer.from(dictionary));

  // express-session + connect-redis, as the platform's services hold sessions today.
  const client = createClient({ url: redis.url });
  client.on("error", () => {});
  await client.connect();
  function expressSessionApp(shape, check) {
    const app = express();
    app.disable("x-powered-by");
    app.use(
      session({
        store: new RedisStore({ client, prefix: `sess:${shape}:`, disableTouch: true }),
        secret: "bench secret",
        resave: false,
        saveUninitialized: false,
      }),
    );
    app.post("/login", (req, res) => {
      Object.assign(req.session, shape === "legacy" ? legacy : idsOnly);
      res.json({ ok: true });
    });
    app.get("/records", (req, res) => {
      const s = req.session;
      if (!Array.isArray(shape === "legacy" ? s.facilities : s.facilityIds)) {
        res.status(401).json({ error: "unauthenticated" });
        return;
      }
      res.json(records.filter((r) => check(s, r.facilityId.toHexString())));
    });
    return app;
  }

  async function cookieOf(base) {
    const r = await fetch(`${base}/login`, { method: "POST" });
    const cookie = r.headers.get("set-cookie");
    if (r.status !== 200 || cookie === null) throw new Error(`login answered ${r.status}`);
    return cookie.split(";")[0];
  }

  const cases = [
    ["express-session + connect-redis, legacy JSON", () => expressSessionApp("legacy", (s, hex) => s.facilities.some((f) => f._id === hex))],
    ["express-session + connect-redis, ids-only JSON", () => expressSessionApp("ids-only", (s, hex) => s.facilityIds.includes(hex))],
    ["sessionpack middleware, header checks", "header-check"],
    ["sessionpack middleware, tracking", "tracking"],
  ];
  for (const [name, make] of cases) {
    let server;
    let close = async () => {};
    let headers;
    if (typeof make === "function") {
      server = await listen(make());
      const base = `http://127.0.0.1:${server.address().port}`;
      headers = { cookie: await cookieOf(base) };
    } else {
      const options = { freshness: make, keys: [key] };
      const sessions = await SessionCache.connect(redis.url, options);
      const dictionaries = await DictionaryCache.connect(redis.url, options);
      const access = new SessionAccess({ sessions, dictionaries });
      const app = express();
      app.disable("x-powered-by");
      app.use(sessionpackExpress(access, { sessionKey: (req) => (req.headers.authorization === "Bearer bench" ? "session:bench" : undefined) }));
      app.get("/records", async (req, res, next) => {
        try {
          res.json(await req.sessionpack.filter(records, (r) => r.facilityId));
        } catch (e) {
          next(e);
        }
      });
      server = await listen(app);
      headers = { authorization: "Bearer bench" };
      close = () => Promise.all([sessions.close(), dictionaries.close()]);
    }
    const url = `http://127.0.0.1:${server.address().port}/records`;
    // The same answer everywhere before timing anything.
    const check = await fetch(url, { headers });
    const body = await check.text();
    if (check.status !== 200 || body !== permitted) throw new Error(`${name}: answered ${check.status} with other records than the permitted ones`);
    await load(url, headers); // warm-up: caches filled, JIT warm
    const before = await redisTotals(redis.admin);
    const result = await load(url, headers);
    const after = await redisTotals(redis.admin);
    if (result.non2xx !== 0 || result.errors !== 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    const requests = result.requests.total;
    rows.push({ name, rps: requests / SECONDS, bytesPerRequest: (after.bytes - before.bytes) / requests, commandsPerRequest: (after.commands - before.commands - 1) / requests, p50: result.latency.p50, p99: result.latency.p99 });
    await new Promise((r) => server.close(r));
    await close();
  }
  client.destroy();
} finally {
  await redis.stop();
}

const legacyRps = rows[0].rps;
const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\nGET /records on the ${PROFILE} profile: 100 records filtered by facility ObjectId; ${CONNECTIONS} connections, ${SECONDS} s per case, one run (Node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log("| server | requests/s | × legacy | Redis bytes per request | Redis commands per request | latency p50 / p99 |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.rps)} | ${fmt(r.rps / legacyRps, 1)}× | ${fmt(r.bytesPerRequest, r.bytesPerRequest < 100 ? 1 : 0)} | ${fmt(r.commandsPerRequest, 2)} | ${r.p50} / ${r.p99} ms |`);
}
const tracking = rows[3];
console.log(`\ntargets: tracking ≥ 20× the legacy requests per second: ${fmt(tracking.rps / legacyRps, 1)}× ${tracking.rps / legacyRps >= 20 ? "✓" : "✗"}; ≤ 100 Redis bytes per request: ${fmt(tracking.bytesPerRequest, 1)} ${tracking.bytesPerRequest <= 100 ? "✓" : "✗"}`);
