// RO-DUAL-ORDER's second write failing on a real server (REDIS_URL): an ACL user may write the
// blob keys (sp:*) and nothing else, so dualWrite's blob SET succeeds and its legacy SET gets
// NOPERM. Over node-redis and ioredis connected as that user: dualWrite rejects with a store error
// (kind server) whose message names the legacy key's write and says to retry the whole write; the
// blob was written, the legacy key was not, and rollout readers in legacy and shadow modes read the
// session as no session, never from the lone blob.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { RolloutAccess, dualWrite, errorKind } from "../dist/redis/index.js";
import { admin, target } from "./redis-support.js";
import { MAPPING, blobOf, tenantOn } from "./rollout-support.js";

const APP_CLIENTS = ["node-redis", "ioredis"] as const;

for (const client of APP_CLIENTS) {
  test(`standalone over the app's ${client}: the legacy SET of dualWrite refused (NOPERM) after the blob's — rejected naming the legacy write, the blob written, read as no session in legacy and shadow modes (RO-DUAL-ORDER)`, async (t) => {
    const tg = await target(t, "standalone");
    if (!tg) return;
    const w = await tenantOn(t, tg, "node-redis", 1);
    const a = await admin(tg);
    const user = `sp-js-test-blob-writer-${process.pid}-${client}-${Date.now()}`;
    const password = randomBytes(16).toString("hex");
    t.after(async () => {
      await a.send("", ["ACL", "DELUSER", user]);
      await a.close();
    });
    // Read and write on the blob keys only; every command, so that connecting works on both clients.
    assert.equal(String(await a.send("", ["ACL", "SETUSER", user, "reset", "on", `>${password}`, "~sp:*", "+@all"])), "OK");

    const url = new URL(tg.urls[0]);
    let app: { close: () => unknown };
    let conn: object;
    if (client === "node-redis") {
      const c = createClient({ url: tg.urls[0], username: user, password, socket: { reconnectStrategy: false } });
      c.on("error", () => {});
      await c.connect();
      conn = c;
      app = { close: () => c.destroy() };
    } else {
      const c = new Redis({ host: url.hostname, port: Number(url.port), username: user, password, lazyConnect: true, maxRetriesPerRequest: 0 });
      c.on("error", () => {});
      await c.connect();
      conn = c;
      app = { close: () => c.disconnect() };
    }
    t.after(() => app.close());

    const e = w.entries[0];
    const blobKey = `sp:${e.legacyKey}`;
    const blob = blobOf(w, e);
    await assert.rejects(dualWrite(conn, { legacyKey: e.legacyKey, legacyJson: e.json, blob, ttlMs: 600_000 }), (err: unknown) => {
      assert.equal(errorKind(err), "server", String(err));
      const message = (err as Error).message;
      assert.ok(message.includes(`the blob was written to ${JSON.stringify(blobKey)}, the legacy JSON to ${JSON.stringify(e.legacyKey)} was not`), message);
      assert.match(message, /retry the whole write \(RO-DUAL-ORDER\)/);
      assert.match(message, /NOPERM/, "the server's refusal is in the message");
      return true;
    });
    // The blob was written (first), the legacy JSON was not.
    assert.deepEqual(Buffer.from((await a.send(blobKey, ["GET", blobKey])) as Buffer), Buffer.from(blob));
    assert.ok(Number(await a.send(blobKey, ["PTTL", blobKey])) > 0, "the blob has its expiry");
    assert.equal(Number(await a.send(e.legacyKey, ["EXISTS", e.legacyKey])), 0);

    // A blob without its legacy JSON is no session for legacy and shadow readers (and never counted).
    for (const mode of ["legacy", "shadow"] as const) {
      const unreadable: unknown[] = [];
      const rollout = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => mode, onBlobUnreadable: (f) => unreadable.push(f), onDisagreement: (d) => unreadable.push(d) });
      assert.equal(await rollout.load(w.tenant, e.legacyKey), null, mode);
      assert.deepEqual(rollout.shadowCounts(), { facility: { agreements: 0, disagreements: 0 }, group: { agreements: 0, disagreements: 0 } });
      assert.deepEqual(unreadable, []);
    }
    // The blob reader itself would accept it: the lone blob is real, only the legacy readers refuse it.
    const blobReader = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "blob" });
    assert.notEqual(await blobReader.load(w.tenant, e.legacyKey), null);

    // The whole write retried by a user who may write both: both keys now, the legacy reader finds the session.
    await dualWrite(w.x, { legacyKey: e.legacyKey, legacyJson: e.json, blob, ttlMs: 600_000 });
    const legacy = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "legacy" });
    assert.notEqual(await legacy.load(w.tenant, e.legacyKey), null);
    await a.send(e.legacyKey, ["DEL", e.legacyKey]);
    await a.send(blobKey, ["DEL", blobKey]);
  });
}
