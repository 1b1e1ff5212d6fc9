// The adapters of the service's own Redis clients (sessionpack/redis clients/): node-redis client
// and cluster, ioredis Redis and Cluster, each made here the way an application makes it, then
// adapted: commands with Buffer replies, the bytes-expected error, tracking connections per node
// (node-redis RESP3 pushes, ioredis RESP2 redirect) with their invalidations and their loss, the
// application's client never closed, refusals, redirects to a master that joined after the client
// connected, and neither library loaded by the adapter modules.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { TestContext } from "node:test";
import { createClient, createCluster } from "redis";
import { SessionpackError } from "../dist/index.js";
import { errorKind, Target, type Connectable } from "../dist/redis/index.js";
import { adaptClient, clientOrTarget, EXPECTED, isRedisClient } from "../dist/redis/clients/adapt.js";
import { expectBytes, TRACKING_CLIENT_NAME, type NodeAddress, type RedisCommands, type TrackingConn, type TrackingConnOptions } from "../dist/redis/clients/types.js";
import { key, ownServer, reachable, sleep, slotOf, target, unavailable, within } from "./redis-support.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS = path.resolve(HERE, "..");
const REPO = path.resolve(JS, "..");

const hostPort = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

// ----- the clients, made as an application makes them -----

/** An application's client as a test made it, with its own close, PING and GET. */
interface App {
  client: object;
  close(): void;
  ping(): Promise<unknown>;
  get(k: string): Promise<unknown>;
}

/** A kind of client: its name, and how to make one. */
type Kind = [name: string, make: () => Promise<App>];

/** Each kind of client for a standalone server at `url`: [name, make() → { client, close }]. */
function standaloneKinds(url: string): Kind[] {
  return [
    [
      "node-redis client (RESP2)",
      async () => {
        const c = createClient({ url });
        c.on("error", () => {});
        await c.connect();
        return { client: c, close: () => c.destroy(), ping: () => c.ping(), get: (k: string) => c.get(k) };
      },
    ],
    [
      "node-redis client (RESP3)",
      async () => {
        const c = createClient({ url, RESP: 3 });
        c.on("error", () => {});
        await c.connect();
        return { client: c, close: () => c.destroy(), ping: () => c.ping(), get: (k: string) => c.get(k) };
      },
    ],
    [
      "ioredis Redis (its defaults: RESP3 in ioredis 6)",
      async () => {
        const { host, port } = hostPort(url);
        const c = new Redis({ host, port, connectionName: "app", maxRetriesPerRequest: 1 });
        c.on("error", () => {});
        await c.ping();
        return { client: c, close: () => c.disconnect(), ping: () => c.ping(), get: (k: string) => c.get(k) };
      },
    ],
    [
      "ioredis Redis (protocol 2, a URL)",
      async () => {
        const c = new Redis(url, { protocol: 2, lazyConnect: true });
        c.on("error", () => {});
        await c.connect();
        return { client: c, close: () => c.disconnect(), ping: () => c.ping(), get: (k: string) => c.get(k) };
      },
    ],
  ];
}

/** Each kind of cluster client for `seeds`. */
function clusterKinds(seeds: readonly string[]): Kind[] {
  return [
    [
      "node-redis cluster (RESP2)",
      async () => {
        const c = createCluster({ rootNodes: seeds.map((url) => ({ url })) });
        c.on("error", () => {});
        await c.connect();
        return { client: c, close: () => c.destroy(), ping: () => c.sendCommand(undefined, true, ["PING"]), get: (k: string) => c.get(k) };
      },
    ],
    [
      "node-redis cluster (RESP3)",
      async () => {
        const c = createCluster({ rootNodes: seeds.map((url) => ({ url })), RESP: 3 });
        c.on("error", () => {});
        await c.connect();
        return { client: c, close: () => c.destroy(), ping: () => c.sendCommand(undefined, true, ["PING"]), get: (k: string) => c.get(k) };
      },
    ],
    [
      "ioredis Cluster",
      async () => {
        const c = new Redis.Cluster(seeds.map(hostPort), { redisOptions: { connectionName: "app" } });
        c.on("error", () => {});
        await new Promise((resolve, reject) => {
          c.once("ready", resolve);
          c.once("end", () => reject(new Error("ioredis Cluster ended before it was ready")));
        });
        return { client: c, close: () => c.disconnect(), ping: () => c.ping(), get: (k: string) => c.get(k) };
      },
    ],
  ];
}

/** The kinds to run against `name` ("standalone" or "cluster"); undefined when skipped. */
async function kinds(t: TestContext, name: string): Promise<Kind[] | undefined> {
  const tg = await target(t, name);
  if (tg === undefined) return undefined;
  return name === "cluster" ? clusterKinds(tg.urls) : standaloneKinds(tg.urls[0]);
}

/** A plain node-redis connection to one node, for CLIENT KILL and CLIENT LIST. */
async function nodeAdmin(node: NodeAddress) {
  const c = createClient({ socket: { host: node.host, port: node.port, reconnectStrategy: false } });
  c.on("error", () => {});
  await c.connect();
  return c;
}

/** A reply of a plain node-redis connection (CLIENT LIST, GET) as text. */
function textOf(reply: unknown): string {
  assert.ok(typeof reply === "string" || Buffer.isBuffer(reply), `a text reply, not ${typeof reply}`);
  return String(reply);
}

/** [first, last, "host:port"] of each master's slot ranges. */
async function slotOwners(anyNode: NodeAddress): Promise<[number, number, string][]> {
  const c = await nodeAdmin(anyNode);
  try {
    const slots: unknown = await c.sendCommand(["CLUSTER", "SLOTS"]);
    assert.ok(Array.isArray(slots), "CLUSTER SLOTS is an array");
    return (slots as unknown[]).map((range) => {
      assert.ok(Array.isArray(range), "a slot range is an array");
      const [a, b, m] = range as unknown[];
      assert.ok(typeof a === "number" && typeof b === "number" && Array.isArray(m), "a slot range is [first, last, [host, port, …], …]");
      const [host, port] = m as unknown[];
      return [a, b, `${String(host) || anyNode.host}:${String(port)}`];
    });
  } finally {
    c.destroy();
  }
}

function ownerOf(owners: [number, number, string][], k: string): string | undefined {
  const s = slotOf(k);
  return owners.find(([a, b]) => s >= a && s <= b)?.[2];
}

// ----- commands -----

for (const where of ["standalone", "cluster"]) {
  test(`adapters on ${where}: SET, GET, GETRANGE, PTTL, EVAL, DEL with Buffer replies; errors`, async (t) => {
    const list = await kinds(t, where);
    if (list === undefined) return;
    for (const [name, make] of list) {
      const app = await make();
      try {
        const a = adaptClient(app.client);
        assert.equal(a.isCluster, where === "cluster", name);
        assert.equal(a.library, name.startsWith("ioredis") ? "ioredis" : "node-redis");
        assert.equal(isRedisClient(app.client), true);
        const bytes = Buffer.from([0x93, 0x53, 0x50, 0x4b, 0xff, 0x00, 0xfe, 0x80]); // not UTF-8
        // Keys on many slots (one per master at least, on the cluster).
        for (let i = 0; i < 12; i++) {
          const k = key(`adapter-${name}`, i);
          assert.equal(String(await a.send(k, ["SET", k, bytes, "PX", "60000"], false)), "OK", name);
          const got = await a.send(k, ["GET", k], true);
          assert.ok(Buffer.isBuffer(got), `${name}: GET gave ${typeof got}`);
          assert.deepEqual(got, bytes, name);
          assert.deepEqual(await a.send(k, ["GETRANGE", k, "0", "3"], true), bytes.subarray(0, 4), name);
          const pttl = await a.send(k, ["PTTL", k], true);
          assert.ok(typeof pttl === "number", `${name}: PTTL is a number`);
          assert.ok(pttl > 50_000 && pttl <= 60_000, `${name}: PTTL ${pttl}`);
          const ev = await a.send(k, ["EVAL", "return {1, redis.call('GET', KEYS[1]), false, 'x'}", "1", k], false);
          assert.ok(Array.isArray(ev), name);
          assert.equal(ev[0], 1);
          assert.deepEqual(ev[1], bytes);
          assert.equal(ev[2], null);
          assert.deepEqual(ev[3], Buffer.from("x"));
          assert.equal(await a.send(k, ["DEL", k], false), 1, name);
          assert.equal(await a.send(k, ["GET", k], true), null, `${name}: a missing key is null`);
          assert.equal(await a.send(k, ["PTTL", k], true), -2, name);
        }
        // An error reply rejects with the server's message, recognised as a reply.
        const lk = key(`adapter-list-${name}`);
        await a.send(lk, ["RPUSH", lk, "a"], false);
        await assert.rejects(a.send(lk, ["GET", lk], true), (e) => {
          assert.ok(e instanceof Error, `${name}: ${String(e)}`);
          assert.match(e.message, /^WRONGTYPE/, name);
          assert.ok(/ErrorReply|SimpleError/.test(e.constructor.name) || e.name === "ErrorReply", `${name}: ${e.constructor.name}`);
          return true;
        });
        await a.send(lk, ["DEL", lk], false);
        await a.close();
        // The application's client stays open after the adapter closed.
        assert.match(String(await app.ping()), /PONG/i, `${name}: the app's client still answers`);
      } finally {
        app.close();
      }
    }
  });

  test(`on ${where}: a value read as text is refused as bytes expected; the adapter reads bytes whatever the app decodes`, async (t) => {
    const list = await kinds(t, where);
    if (list === undefined) return;
    for (const [name, make] of list) {
      const app = await make();
      try {
        const a = adaptClient(app.client);
        const k = key(`text-${name}`);
        const bytes = Buffer.from([0x93, 0x53, 0x50, 0x4b, 0xc3, 0x28]);
        await a.send(k, ["SET", k, bytes, "PX", "60000"], false);
        const text = await app.get(k); // the application's own string command
        assert.equal(typeof text, "string", name);
        assert.throws(
          () => expectBytes(text, `GET ${k}`),
          (e) => {
            assert.ok(e instanceof SessionpackError);
            assert.equal(e.kind, "invalid_input");
            assert.match(e.message, /is a string of \d+ characters where bytes were expected/);
            assert.match(e.message, /getBuffer/);
            return true;
          },
          name,
        );
        assert.deepEqual(expectBytes(await a.send(k, ["GET", k], true), `GET ${k}`), bytes, name);
        assert.equal(expectBytes(null, "GET"), null);
        assert.equal(errorKind(catchIt(() => expectBytes(42, "GET"))), "server");
        await a.send(k, ["DEL", k], false);
      } finally {
        app.close();
      }
    }
  });
}

/** Whether `e` is the package's error of kind `invalid_input`. */
function invalidInput(e: unknown): e is SessionpackError {
  return e instanceof SessionpackError && e.kind === "invalid_input";
}

function catchIt(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("did not throw");
}

// ----- tracking -----

/** Every tracking connection a test opened, closed after it whatever happened (an open one keeps the process alive). */
const OPEN = new Set<TrackingConn>();
async function openTracking(a: RedisCommands, node: NodeAddress | undefined, options: TrackingConnOptions): Promise<TrackingConn> {
  const conn = await a.openTracking(node, options);
  OPEN.add(conn);
  return conn;
}
function closeOpen() {
  for (const c of OPEN) c.close();
  OPEN.clear();
}

/** Opens a tracking connection per master of `a`, collecting invalidations and losses. */
async function trackAll(a: RedisCommands, prefixes: string[] = []) {
  const masters = await a.masters();
  const conns: { node: NodeAddress; keys: string[]; flushes: number; lost: Error[]; conn: TrackingConn }[] = [];
  for (const node of masters) {
    const rec = { node, keys: [] as string[], flushes: 0, lost: [] as Error[] };
    const conn = await openTracking(a, node, {
      prefixes,
      timeoutMs: 3000,
      onInvalidate: (keys) => (keys === null ? rec.flushes++ : rec.keys.push(...keys.map(String))),
      onLost: (e) => rec.lost.push(e),
    });
    conns.push(Object.assign(rec, { conn }));
  }
  return { masters, conns };
}

for (const where of ["standalone", "cluster"]) {
  test(`tracking on ${where}: one tracking per master receives the invalidations of writes, with prefixes; the app's client is left open`, async (t) => {
    t.after(closeOpen);
    const list = await kinds(t, where);
    if (list === undefined) return;
    for (const [name, make] of list) {
      const app = await make();
      const a = adaptClient(app.client);
      try {
        const prefix = `${key(`trk-${name.replace(/\W+/g, "-")}`)}:`;
        const { masters, conns } = await trackAll(a, [prefix]);
        assert.equal(masters.length, where === "cluster" ? 3 : 1, `${name}: masters ${JSON.stringify(masters)}`);
        const ioredis = a.library === "ioredis";
        for (const r of conns) {
          assert.equal(r.conn.connections, ioredis ? 2 : 1, name);
          assert.equal(r.conn.clientIds.length, r.conn.connections);
          assert.equal(String(await r.conn.send(["PING"])), "PONG");
          await r.conn.ping();
          // The server lists them with our name.
          const admin = await nodeAdmin(r.node);
          try {
            const list = textOf(await admin.sendCommand(["CLIENT", "LIST"]));
            for (const id of r.conn.clientIds) {
              const line = list.split("\n").find((l) => l.startsWith(`id=${id} `));
              assert.ok(line !== undefined, `${name}: client ${id} on ${r.conn.address}`);
              assert.match(line, new RegExp(`name=${TRACKING_CLIENT_NAME} `));
            }
          } finally {
            admin.destroy();
          }
        }
        // A key per master: each write is announced by the master that holds it, and only there.
        const owners = where === "cluster" ? await slotOwners(masters[0]) : undefined;
        const byNode = new Map<string | undefined, string>();
        for (let i = 0; byNode.size < conns.length && i < 10_000; i++) {
          const k = `${prefix}k${i}`;
          const owner = owners === undefined ? conns[0].conn.address : ownerOf(owners, k);
          if (!byNode.has(owner)) byNode.set(owner, k);
        }
        const outside = key("trk-outside");
        await a.send(outside, ["SET", outside, "x", "PX", "60000"], false);
        for (const [, k] of byNode) await a.send(k, ["SET", k, Buffer.from([1, 2, 3]), "PX", "60000"], false);
        for (const r of conns) {
          const k = byNode.get(r.conn.address);
          assert.ok(k !== undefined, `${name}: a key for ${r.conn.address}`);
          const ms = await within(3000, () => r.keys.includes(k));
          assert.ok(ms !== undefined, `${name}: ${r.conn.address} announced ${k} (got ${JSON.stringify(r.keys)})`);
        }
        await sleep(50);
        for (const r of conns) {
          assert.ok(!r.keys.includes(outside), `${name}: a key outside the prefixes is not announced`);
          for (const k of r.keys) assert.ok(k.startsWith(prefix), k);
        }
        // A delete is announced too.
        const [, some] = [...byNode][0];
        await a.send(some, ["DEL", some], false);
        const holder = conns.find((r) => r.conn.address === [...byNode][0][0]);
        assert.ok(holder !== undefined, `${name}: the tracking of ${some}'s master`);
        assert.ok((await within(3000, () => holder.keys.filter((x) => x === some).length >= 2)) !== undefined, `${name}: DEL announced`);
        for (const r of conns) {
          assert.deepEqual(r.lost, [], `${name}: nothing lost`);
          r.conn.close();
          assert.equal(r.conn.lost, true);
        }
        await sleep(50);
        for (const r of conns) assert.deepEqual(r.lost, [], `${name}: close() does not report a loss`);
        for (const [, k] of byNode) await a.send(k, ["DEL", k], false);
        await a.send(outside, ["DEL", outside], false);
        await a.close();
        assert.match(String(await app.ping()), /PONG/i, `${name}: the app's client still answers`);
      } finally {
        await a.close();
        app.close();
      }
    }
  });

  test(`tracking on ${where}: killing any connection of a tracking (CLIENT KILL) reports its loss`, async (t) => {
    t.after(closeOpen);
    const list = await kinds(t, where);
    if (list === undefined) return;
    for (const [name, make] of list) {
      const app = await make();
      const a = adaptClient(app.client);
      try {
        const masters = await a.masters();
        const node = masters[masters.length - 1];
        const first = await openTracking(a, node, { prefixes: [], timeoutMs: 3000, onInvalidate: () => {}, onLost: () => {} });
        const n = first.connections;
        first.close();
        // Kill each of the tracking's connections in turn, on a fresh tracking each time.
        for (let which = 0; which < n; which++) {
          const lost: Error[] = [];
          const conn = await openTracking(a, node, { prefixes: [], timeoutMs: 3000, onInvalidate: () => {}, onLost: (e) => lost.push(e) });
          const admin = await nodeAdmin(node);
          try {
            assert.equal(await admin.sendCommand(["CLIENT", "KILL", "ID", String(conn.clientIds[which])]), 1);
          } finally {
            admin.destroy();
          }
          const ms = await within(3000, () => lost.length > 0);
          assert.ok(ms !== undefined, `${name}: the kill of connection ${which} of ${n} was reported`);
          assert.equal(conn.lost, true);
          await sleep(30);
          assert.equal(lost.length, 1, `${name}: reported once`);
          await assert.rejects(conn.ping(), `${name}: a lost tracking does not answer`);
          conn.close();
        }
        assert.match(String(await app.ping()), /PONG/i, `${name}: the app's client still answers`);
      } finally {
        await a.close();
        app.close();
      }
    }
  });
}

test("tracking: a flush of the database is announced as null (node-redis RESP3 and ioredis RESP2 redirect)", async (t) => {
  t.after(closeOpen);
  const server = await ownServer(t);
  if (server === undefined) return;
  for (const [name, make] of standaloneKinds(server.url)) {
    const app = await make();
    const a = adaptClient(app.client);
    try {
      let flushes = 0;
      const keys: string[] = [];
      const conn = await openTracking(a, undefined, {
        prefixes: [],
        timeoutMs: 3000,
        onInvalidate: (ks) => (ks === null ? flushes++ : keys.push(...ks.map(String))),
        onLost: () => {},
      });
      await a.send("f1", ["SET", "f1", "v"], false);
      assert.ok((await within(3000, () => keys.includes("f1"))) !== undefined, name);
      await a.send("", ["FLUSHALL"], false);
      assert.ok((await within(3000, () => flushes > 0)) !== undefined, `${name}: the flush is announced`);
      conn.close();
    } finally {
      await a.close();
      app.close();
    }
  }
});

test("tracking: the killed server is reported as lost", async (t) => {
  t.after(closeOpen);
  const server = await ownServer(t);
  if (server === undefined) return;
  for (const [name, make] of standaloneKinds(server.url)) {
    const app = await make();
    const a = adaptClient(app.client);
    try {
      const lost: Error[] = [];
      const conn = await openTracking(a, undefined, { prefixes: [], timeoutMs: 3000, onInvalidate: () => {}, onLost: (e) => lost.push(e) });
      await server.restart();
      assert.ok((await within(3000, () => lost.length > 0)) !== undefined, `${name}: loss reported`);
      assert.equal(conn.lost, true);
      conn.close();
    } finally {
      await a.close();
      app.close();
    }
  }
});

test("tracking connections carry the application client's options: password and database", async (t) => {
  t.after(closeOpen);
  const server = await ownServer(t);
  if (server === undefined) return;
  {
    const c = createClient({ url: server.url });
    await c.connect();
    await c.sendCommand(["CONFIG", "SET", "requirepass", "s3cret pass"]);
    c.destroy();
  }
  const url = `redis://:${encodeURIComponent("s3cret pass")}@127.0.0.1:${server.port}/3`;
  // Each connected, its errors ignored; `close` destroys (node-redis) or disconnects (ioredis) it.
  const kinds: [string, () => Promise<{ c: object; close: () => void }>][] = [
    [
      "node-redis client (URL with password and database)",
      async () => {
        const c = createClient({ url });
        c.on("error", () => {});
        await c.connect();
        return { c, close: () => c.destroy() };
      },
    ],
    [
      "ioredis Redis (password and db options)",
      async () => {
        const c = new Redis({ host: "127.0.0.1", port: server.port, password: "s3cret pass", db: 3, lazyConnect: true });
        c.on("error", () => {});
        await c.connect();
        return { c, close: () => c.disconnect() };
      },
    ],
  ];
  for (const [name, make] of kinds) {
    const { c, close } = await make();
    try {
      const a = adaptClient(c);
      const keys: string[] = [];
      const conn = await openTracking(a, undefined, { prefixes: ["db3:"], timeoutMs: 3000, onInvalidate: (ks) => ks && keys.push(...ks.map(String)), onLost: () => {} });
      await a.send("db3:k", ["SET", "db3:k", "v"], false);
      assert.ok((await within(3000, () => keys.includes("db3:k"))) !== undefined, name);
      const admin = createClient({ url });
      admin.on("error", () => {});
      await admin.connect();
      try {
        const list = textOf(await admin.sendCommand(["CLIENT", "LIST"]));
        for (const id of conn.clientIds) assert.match(list, new RegExp(`^id=${id} .* db=3 `, "m"), `${name}: connection ${id} selected db 3`);
        assert.equal(textOf(await admin.sendCommand(["GET", "db3:k"])), "v", "the write went to db 3");
      } finally {
        admin.destroy();
      }
      conn.close();
    } finally {
      close();
    }
  }
});

// ----- refusals -----

test("adaptClient refuses anything but a client, with invalid_input naming what was expected and what was given", () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /got undefined/],
    [null, /got null/],
    [42, /got a number \(42\)/],
    [{}, /got a plain object/],
    [{ get() {} }, /got a plain object/],
    [new Map(), /got an object of class Map/],
    ["redis://127.0.0.1:6379", /got a string .*give a URL to SessionStore.connect/],
    [Target.standalone("redis://127.0.0.1:6379"), /got a Target: give it to SessionStore.connect/],
    [{ sendCommand() {}, execute() {}, isOpen: true }, /node-redis client pool/],
    [{ sendCommand() {}, getMasterNode() {}, isOpen: true, duplicate() {}, connect() {} }, /node-redis Sentinel/],
    [{ callBuffer() {} }, /some of a Redis client's methods/],
  ];
  for (const [x, re] of cases) {
    assert.throws(
      () => adaptClient(x),
      (e) => {
        assert.ok(e instanceof SessionpackError, String(x));
        assert.equal(e.kind, "invalid_input");
        assert.ok(e.message.startsWith(`expected ${EXPECTED}; got `), e.message);
        assert.match(e.message, re);
        return true;
      },
    );
    assert.equal(isRedisClient(x), false);
  }
  assert.match(EXPECTED, /a node-redis client or cluster, an ioredis Redis or Cluster, a Target, or a redis:\/\/ URL/);
  // connect's sorting: URLs and Targets go their own way; the rest must be a client.
  assert.ok(clientOrTarget("redis://127.0.0.1:6379").target instanceof Target);
  assert.ok(clientOrTarget(Target.parse("redis://a:1,redis://b:2")).target?.isCluster);
  assert.throws(() => clientOrTarget({}), (e) => invalidInput(e));
  assert.throws(
    () => clientOrTarget("http://x"),
    (e) => invalidInput(e) && e.message.startsWith(`expected ${EXPECTED}; got a string ("http://x"), which is not a Redis URL`),
  );
});

test("SessionStore, SessionCache and DictionaryCache.connect refuse anything but a client, a Target or a URL, naming what was expected", async () => {
  const { SessionStore, SessionCache, DictionaryCache } = await import("../dist/redis/index.js");
  // Anything, as a JavaScript caller may pass anything.
  const connects: [string, (x: unknown) => Promise<unknown>][] = [
    ["SessionStore", (x) => SessionStore.connect(x as Connectable)],
    ["SessionCache", (x) => SessionCache.connect(x as Connectable, { freshness: "header-check" })],
    ["DictionaryCache", (x) => DictionaryCache.connect(x as Connectable)],
  ];
  for (const [name, connect] of connects) {
    for (const [x, re] of <[unknown, RegExp][]>[
      [{}, /got a plain object/],
      [42, /got a number/],
      [{ get() {}, set() {} }, /got a plain object/],
      ["http://x", /not a Redis URL/],
    ]) {
      await assert.rejects(connect(x), (e) => {
        assert.ok(e instanceof SessionpackError, `${name}: ${String(e)}`);
        assert.equal(e.kind, "invalid_input");
        assert.ok(e.message.startsWith(`expected ${EXPECTED}; got `), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  }
});

test("adaptClient refuses a client with a key prefix, and an ioredis Cluster that reads from replicas (no connection made)", async () => {
  const io = new Redis({ lazyConnect: true, keyPrefix: "app:" });
  assert.throws(() => adaptClient(io), (e) => invalidInput(e) && /key prefix "app:"/.test(e.message) && /app:session:/.test(e.message));
  assert.equal(adaptClient(new Redis({ lazyConnect: true })).library, "ioredis");
  const ioc = new Redis.Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true, keyPrefix: "app:" });
  assert.throws(() => adaptClient(ioc), (e) => invalidInput(e) && /an ioredis Cluster with the key prefix/.test(e.message));
  const replicas = new Redis.Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true, scaleReads: "slave" });
  assert.throws(() => adaptClient(replicas), (e) => invalidInput(e) && /scaleReads "slave"/.test(e.message));
  const nr = createClient({ keyPrefix: "app:" });
  if (nr.options?.keyPrefix === "app:") {
    assert.throws(() => adaptClient(nr), (e) => invalidInput(e) && /a node-redis client with the key prefix/.test(e.message));
  }
  assert.equal(adaptClient(createClient()).library, "node-redis");
  assert.equal(adaptClient(createCluster({ rootNodes: [{ url: "redis://127.0.0.1:1" }] })).isCluster, true);
  // An unconnected client is adapted; its commands fail as the library fails them.
  const closed = adaptClient(createClient({ url: "redis://127.0.0.1:1" }));
  await assert.rejects(closed.send("k", ["GET", "k"], true), /closed/i);
});

// ----- neither library loaded unless used -----

/** Runs `body` (an ES module's text, or CommonJS with `cjs`) in a child process; its stdout's JSON. */
function child(body: string, { cjs = false, env = {} }: { cjs?: boolean; env?: Record<string, string> } = {}): unknown {
  const r = spawnSync(process.execPath, [...(cjs ? [] : ["--input-type=module"]), "-e", body], { cwd: JS, encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return jsonOf(r.stdout.trim().split("\n").at(-1) ?? "");
}

/** `text` parsed as JSON, not yet checked. */
function jsonOf(text: string): unknown {
  return JSON.parse(text);
}

const LOADED = `Object.keys(require.cache).filter((f) => /node_modules[\\\\/](redis|@redis)[\\\\/]/.test(f))`;
const IO_LOADED = `Object.keys(require.cache).filter((f) => /node_modules[\\\\/]ioredis[\\\\/]/.test(f))`;

test("neither node-redis nor ioredis is loaded by importing sessionpack/redis (ESM and require), nor node-redis by an ioredis app's store and caches", async (t) => {
  // Importing the entry point (both builds) and adapting nothing loads neither library.
  const esm = child(`
    import { createRequire } from "node:module";
    await import(${JSON.stringify(path.join(JS, "dist/redis/index.js"))});
    const m = await import(${JSON.stringify(path.join(JS, "dist/redis/clients/adapt.js"))});
    try { m.adaptClient({}); } catch {}
    const require = createRequire(import.meta.url);
    console.log(JSON.stringify({ redis: ${LOADED}, ioredis: ${IO_LOADED} }));
  `);
  assert.deepEqual(esm, { redis: [], ioredis: [] }, "ESM import");
  const cjs = child(`
    require(${JSON.stringify(path.join(JS, "dist/cjs/redis/index.js"))});
    const m = require(${JSON.stringify(path.join(JS, "dist/cjs/redis/clients/adapt.js"))});
    try { m.adaptClient({}); } catch {}
    console.log(JSON.stringify({ redis: ${LOADED}, ioredis: ${IO_LOADED} }));
  `, { cjs: true });
  assert.deepEqual(cjs, { redis: [], ioredis: [] }, "require");
  const tg = await target(t, "standalone");
  if (tg === undefined) return;
  // An ioredis app: store, session cache (tracking) and dictionary cache over its client — node-redis never loaded.
  const { host, port } = hostPort(tg.urls[0]);
  const app = (cjsMode: boolean) => `
    ${cjsMode ? "" : 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'}
    const Redis = require("ioredis");
    const { SessionStore, SessionCache, DictionaryCache } = require(${JSON.stringify(path.join(JS, cjsMode ? "dist/cjs/redis/index.js" : "dist/redis/index.js"))});
    (async () => {
      const redis = new Redis({ host: ${JSON.stringify(host)}, port: ${port} });
      const store = await SessionStore.connect(redis);
      const cache = await SessionCache.connect(redis, { freshness: "tracking" });
      const dicts = await DictionaryCache.connect(redis, { tracker: cache });
      const live = cache.trackingLive;
      await store.getRaw("no-such-key");
      await cache.get("no-such-key");
      await dicts.get("t", "facility");
      await dicts.close(); await cache.close(); await store.close();
      const open = redis.status;
      redis.disconnect();
      console.log(JSON.stringify({ live, open, redis: ${LOADED} }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  for (const cjsMode of [false, true]) {
    const r = child(app(cjsMode), { cjs: cjsMode });
    assert.deepEqual(r, { live: true, open: "ready", redis: [] }, `${cjsMode ? "CommonJS" : "ESM"}: node-redis not loaded, the app's client left open`);
  }
  // The check can fail: a URL target loads node-redis (the link's own connection).
  const control = child(`
    import { createRequire } from "node:module";
    const require = createRequire(import.meta.url);
    const { SessionStore } = await import(${JSON.stringify(path.join(JS, "dist/redis/index.js"))});
    const store = await SessionStore.connect(${JSON.stringify(tg.urls[0])});
    await store.close();
    console.log(JSON.stringify(${LOADED}));
  `);
  assert.ok(Array.isArray(control) && control.length > 0, "a URL loads node-redis");
});

test("without node-redis installed, a URL is refused with invalid_input saying what to install or pass", () => {
  // A directory where `redis` cannot be resolved: a copy of the built package with no node_modules.
  const dir = mkdtempSync(path.join(tmpdir(), "sp-js-no-redis-"));
  try {
    const r = spawnSync("cp", ["-r", path.join(JS, "dist"), path.join(JS, "package.json"), dir]);
    assert.equal(r.status, 0);
    const out = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `
        const m = await import(${JSON.stringify(path.join(dir, "dist/redis/index.js"))});
        try { await m.SessionStore.connect("redis://127.0.0.1:1"); console.log("connected?"); }
        catch (e) { console.log(JSON.stringify({ kind: m.errorKind(e), message: e.message })); }
      `],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(out.status, 0, out.stderr);
    const refused = jsonOf(out.stdout.trim());
    assert.ok(typeof refused === "object" && refused !== null && "kind" in refused && "message" in refused, out.stdout);
    const { kind, message } = refused;
    assert.equal(kind, "invalid_input");
    assert.match(String(message), /needs node-redis .*npm install redis.*or pass your own client/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ----- redirects to a master that joined after the client connected -----

const CLUSTER_SH = path.join(REPO, ".ci/redis-cluster.sh");

/** A cluster of 3 masters and one spare node, of this test's own; undefined when skipped. */
function ownCluster(t: TestContext): { seeds: string[]; masters: number[]; spare: number } | undefined {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) return unavailable(t, "redis-server is not installed");
  const dir = mkdtempSync(path.join(tmpdir(), "sp-js-adapt-cluster-"));
  const r = spawnSync("bash", [CLUSTER_SH, "start", dir, "3", "0", "1"], { encoding: "utf8" });
  if (r.status !== 0) {
    spawnSync("bash", [CLUSTER_SH, "stop", dir]);
    rmSync(dir, { recursive: true, force: true });
    assert.fail(`redis-cluster.sh start failed: ${r.stderr}`);
  }
  t.after(() => {
    spawnSync("bash", [CLUSTER_SH, "stop", dir], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  const out = new Map(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const field = (name: string) => {
    const v = out.get(name);
    assert.ok(v !== undefined, `redis-cluster.sh printed no ${name}: ${r.stdout}`);
    return v;
  };
  return { seeds: field("SEEDS").split(","), masters: field("MASTERS").split(" ").map(Number), spare: Number(field("SPARES")) };
}

function cli(port: number, ...args: string[]): string {
  const r = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `redis-cli -p ${port} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

test("on a cluster, ASK and MOVED to a master that joined after the client connected are followed (node-redis cluster, ioredis Cluster)", async (t) => {
  if (spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).status !== 0) return unavailable(t, "redis-cli is not installed");
  const cl = ownCluster(t);
  if (cl === undefined) return;
  for (const s of cl.seeds) assert.ok(await reachable(s));
  const apps: (App & { name: string })[] = [];
  for (const [name, make] of clusterKinds(cl.seeds)) apps.push({ name, ...(await make()) });
  const adapters = apps.map((app): [string, RedisCommands, App] => [app.name, adaptClient(app.client), app]);
  t.after(async () => {
    closeOpen();
    for (const [, a] of adapters) await a.close();
    for (const app of apps) app.close();
  });

  // Keys of one slot (a hash tag), on the first master: migrated below to the spare node.
  // The slot of the hash tag, as the server computes it, and its owner (the master that takes a write).
  const slot = Number(cli(cl.masters[0], "CLUSTER", "KEYSLOT", "{adapt}x"));
  const source = cl.masters.find((p) => cli(p, "SET", "{adapt}probe", "1") === "OK");
  assert.ok(source !== undefined, "the slot's owner");
  const moved = "{adapt}moved";
  const stays = "{adapt}stays";
  const fresh = "{adapt}fresh";
  for (const [, a] of adapters) {
    await a.send(moved, ["SET", moved, Buffer.from("m")], false);
    await a.send(stays, ["SET", stays, Buffer.from("s")], false);
  }

  // The spare joins, owning nothing: no slot map lists it.
  cli(cl.spare, "CLUSTER", "MEET", "127.0.0.1", String(cl.masters[0]));
  const spareId = cli(cl.spare, "CLUSTER", "MYID");
  const sourceId = cli(source, "CLUSTER", "MYID");
  const known = await within(10_000, () => cl.masters.every((p) => cli(p, "CLUSTER", "NODES").includes(spareId)));
  assert.ok(known !== undefined, "every master knows the spare");
  const ok = await within(10_000, () => cli(cl.spare, "CLUSTER", "INFO").includes("cluster_state:ok"));
  assert.ok(ok !== undefined, "the spare sees the cluster as ok");
  // Tracking must cover it even before it owns a slot (CLUSTER NODES, not CLUSTER SLOTS).
  for (const [name, a] of adapters) {
    const ms = await a.masters();
    assert.ok(ms.some((m) => m.port === cl.spare), `${name}: masters() lists the slotless new master`);
  }

  // Migration under way: `moved` is on the spare, `stays` still on the source.
  assert.equal(cli(cl.spare, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceId), "OK");
  assert.equal(cli(source, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", spareId), "OK");
  assert.equal(cli(source, "MIGRATE", "127.0.0.1", String(cl.spare), "", "0", "5000", "KEYS", moved), "OK");
  // The source now answers ASK for it, to a node no client's slot map lists.
  assert.equal(cli(source, "GET", moved), `ASK ${slot} 127.0.0.1:${cl.spare}`);
  assert.equal(cli(source, "GET", stays), "s");
  for (const [name, a, app] of adapters) {
    assert.deepEqual(await a.send(moved, ["GET", moved], true), Buffer.from("m"), `${name}: GET through ASK to the new master`);
    assert.deepEqual(await a.send(stays, ["GET", stays], true), Buffer.from("s"), name);
    // A key the source does not hold is written on the importing node (ASK).
    assert.equal(String(await a.send(fresh, ["SET", fresh, Buffer.from(name)], false)), "OK", `${name}: SET through ASK`);
    assert.deepEqual(await a.send(fresh, ["GET", fresh], true), Buffer.from(name), name);
    // Tracking the new master announces writes that reach it by ASK.
    const keys: string[] = [];
    const conn = await openTracking(a, { host: "127.0.0.1", port: cl.spare }, {
      prefixes: ["{adapt}"],
      timeoutMs: 3000,
      onInvalidate: (ks) => ks !== null && keys.push(...ks.map(String)),
      onLost: () => {},
    });
    assert.equal(conn.address, `127.0.0.1:${cl.spare}`);
    await a.send(fresh, ["SET", fresh, Buffer.from(`${name}2`)], false);
    assert.ok((await within(3000, () => keys.includes(fresh))) !== undefined, `${name}: the new master announced ${fresh}`);
    conn.close();
    assert.match(String(await app.ping()), /PONG/i);
  }

  // The migration ends: MOVED to the new owner.
  assert.equal(cli(source, "MIGRATE", "127.0.0.1", String(cl.spare), "", "0", "5000", "KEYS", stays), "OK");
  for (const p of [cl.spare, ...cl.masters]) assert.equal(cli(p, "CLUSTER", "SETSLOT", String(slot), "NODE", spareId), "OK");
  assert.equal(cli(source, "GET", moved), `MOVED ${slot} 127.0.0.1:${cl.spare}`);
  for (const [name, a] of adapters) {
    assert.deepEqual(await a.send(moved, ["GET", moved], true), Buffer.from("m"), `${name}: GET through MOVED`);
    assert.equal(String(await a.send(stays, ["SET", stays, Buffer.from(name)], false)), "OK");
    assert.deepEqual(await a.send(stays, ["GET", stays], true), Buffer.from(name), `${name}: SET through MOVED`);
    await a.close();
  }
  for (const app of apps) assert.match(String(await app.ping()), /PONG/i, `${app.name}: still open`);
});
