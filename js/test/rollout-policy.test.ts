// RedisRolloutPolicy (ROLLOUT.md §3) on the standalone server and the cluster, over the app's
// node-redis and ioredis clients: the default (legacy), `*`, a change made with HSET while it runs
// seen within one interval plus slack, an invalid version refused whole (the previous kept, the
// callback told once), an invalid hash or a closed client failing the start, close().
import { test } from "node:test";
import assert from "node:assert/strict";
import { RedisRolloutPolicy, errorKind, type StoreError } from "../dist/redis/index.js";
import type { SessionpackError } from "../dist/index.js";
import { admin, appClient, closeApp, key, target, within, TARGETS } from "./redis-support.js";

const INTERVAL_MS = 50;
/** How long a change may take to be seen: one interval, a round trip, and the slack of a loaded CI machine. */
const SEEN_WITHIN_MS = INTERVAL_MS + 5_000;

for (const tgName of TARGETS) {
  for (const client of ["node-redis", "ioredis"] as const) {
    test(`${tgName} over the app's ${client}: the policy's hash — default legacy, '*', changes seen while running, an invalid version refused whole`, async (t) => {
      const tg = await target(t, tgName);
      if (!tg) return;
      const app = await appClient(tg, client);
      t.after(() => closeApp(app));
      const a = await admin(tg);
      t.after(() => a.close());
      const hash = key("rollout-policy");
      const errors: (SessionpackError | StoreError)[] = [];

      // No hash at all: every tenant legacy.
      const policy = await RedisRolloutPolicy.start(app, { key: hash, refreshIntervalMs: INTERVAL_MS, onError: (e) => errors.push(e) });
      t.after(() => policy.close());
      assert.equal(policy.key, hash);
      assert.equal(policy.modeOf("acme"), "legacy");
      assert.equal(policy.modeOf(""), "legacy");

      // HSET while running: seen within an interval (plus slack).
      await a.send(hash, ["HSET", hash, "acme", "shadow"]);
      assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.modeOf("acme") === "shadow"), undefined, "acme moved to shadow");
      assert.equal(policy.modeOf("globex"), "legacy");
      await a.send(hash, ["HSET", hash, "*", "blob"]);
      assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.modeOf("globex") === "blob"), undefined, "* moved every other tenant to blob");
      assert.equal(policy.modeOf("acme"), "shadow");
      assert.deepEqual([...policy.modes].sort(), [
        ["*", "blob"],
        ["acme", "shadow"],
      ]);

      // An invalid value: that version refused whole (the previous hash kept), the callback told once.
      await a.send(hash, ["HSET", hash, "initech", "Blob", "acme", "legacy"]);
      assert.notEqual(await within(SEEN_WITHIN_MS, () => errors.length > 0), undefined, "the refusal reported");
      const after = policy.refreshes;
      assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.refreshes >= after + 3), undefined, "refreshing on");
      assert.equal(errors.length, 1, "once per refused version");
      assert.equal(errorKind(errors[0]), "invalid_input");
      assert.match(errors[0].message, /"initech"/);
      assert.match(errors[0].message, /"Blob"/);
      assert.equal(policy.modeOf("acme"), "shadow", "the last accepted hash kept, acme's change of the refused version not applied");
      assert.equal(policy.modeOf("initech"), "blob");

      // Fixed: accepted, and reported again if refused anew.
      await a.send(hash, ["HSET", hash, "initech", "legacy"]);
      assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.modeOf("acme") === "legacy"), undefined, "the fixed version accepted");
      assert.equal(policy.modeOf("initech"), "legacy");
      await a.send(hash, ["HDEL", hash, "initech"]);
      assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.modeOf("initech") === "blob"), undefined, "HDEL: back to '*'");

      // An invalid hash fails the start, naming the field and the value.
      const broken = key("rollout-policy-broken");
      await a.send(broken, ["HSET", broken, "acme", "shadow", "hooli", "on"]);
      await assert.rejects(RedisRolloutPolicy.start(app, { key: broken }), (e: SessionpackError) => {
        assert.equal(errorKind(e), "invalid_input");
        assert.match(e.message, /"hooli"/);
        assert.match(e.message, /"on"/);
        return true;
      });
      // Another type under the key: a store error at start.
      const str = key("rollout-policy-string");
      await a.send(str, ["SET", str, "x"]);
      await assert.rejects(RedisRolloutPolicy.start(app, { key: str }), (e: SessionpackError) => errorKind(e) !== undefined);

      // close(): the refreshes stop; modeOf keeps the last hash.
      await policy.close();
      const stopped = policy.refreshes;
      await a.send(hash, ["HSET", hash, "*", "legacy"]);
      await new Promise((r) => setTimeout(r, INTERVAL_MS * 4));
      assert.equal(policy.refreshes, stopped);
      assert.equal(policy.modeOf("globex"), "blob");
    });
  }
}

test("the policy refuses wrong options, and a store error at a refresh keeps the last hash and is reported once per outage", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const app = await appClient(tg, "ioredis");
  let closed = false;
  t.after(() => {
    if (!closed) closeApp(app);
  });
  const a = await admin(tg);
  t.after(() => a.close());
  await assert.rejects(RedisRolloutPolicy.start(app, { refreshIntervalMs: 0 }), (e: SessionpackError) => errorKind(e) === "invalid_input");
  await assert.rejects(RedisRolloutPolicy.start(app, { key: "" }), (e: SessionpackError) => errorKind(e) === "invalid_input");
  const hash = key("rollout-policy-outage");
  await a.send(hash, ["HSET", hash, "*", "shadow"]);
  const errors: (SessionpackError | StoreError)[] = [];
  const policy = await RedisRolloutPolicy.start(app, { key: hash, refreshIntervalMs: INTERVAL_MS, timeoutMs: 200, onError: (e) => errors.push(e) });
  t.after(() => policy.close());
  assert.equal(policy.modeOf("anyone"), "shadow");
  // The app's client closed under it: every refresh fails; reported once; the hash kept.
  closeApp(app);
  closed = true;
  assert.notEqual(await within(SEEN_WITHIN_MS, () => errors.length > 0), undefined, "the outage reported");
  const after = policy.refreshes;
  assert.notEqual(await within(SEEN_WITHIN_MS, () => policy.refreshes >= after + 3), undefined, "refreshing on");
  assert.equal(errors.length, 1, "once per outage");
  assert.ok(["unavailable", "timeout"].includes(String(errorKind(errors[0]))), String(errors[0]));
  assert.equal(policy.modeOf("anyone"), "shadow");
});
