// SessionStore against real servers: REDIS_URL (standalone) and REDIS_CLUSTER_URL (cluster).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ObjectId } from "bson";
import type { Redis } from "ioredis";
import { Decoder, DictionaryDecoder, IdDictionary, SessionpackError } from "../dist/index.js";
import { SessionStore, DictHeader, StoreError, errorKind, type Connectable, type Target } from "../dist/redis/index.js";
import { TARGETS, CLIENTS, over, connectable, appClient, closeApp, target, key, session, blob, admin, set, sleep, within } from "./redis-support.js";

const kind = (k: string) => (e: unknown) => {
  assert.equal(errorKind(e), k, `${String(e)}`);
  return true;
};

for (const name of TARGETS) for (const client of CLIENTS) {
  /** What the store connects to: the target, or an app's client of the kind (closed after the test). */
  const endpoint = async (t: TestContext): Promise<[Target, Connectable] | [undefined, undefined]> => {
    const tg = await target(t, name);
    return tg === undefined ? [undefined, undefined] : [tg, await connectable(t, tg, client)];
  };
  test(`${name}${over(client)}: put, get, peek, delete; a missing key is null`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const store = await SessionStore.connect(x);
    t.after(() => store.close());
    const k = key("store");
    const s = session("u1", [7, 9]);
    await store.put(k, s, 60_000);
    const view = await store.get(k);
    assert.deepEqual(view!.facilities.toArray(), [7, 9]);
    assert.equal(view!.userId, "u1");
    const header = await store.peek(k);
    assert.ok(header!.sameDigest(view!.header));
    assert.equal(header!.blobLen, (await store.getRaw(k))!.length);
    // A blob already encoded is written as it is.
    const b = blob(3);
    await store.put(k, b);
    assert.deepEqual(new Uint8Array((await store.getRaw(k))!), b);
    assert.equal(await store.delete(k), true);
    assert.equal(await store.delete(k), false);
    assert.equal(await store.get(k), null);
    assert.equal(await store.peek(k), null);
    assert.equal(await store.getRaw(k), null);
  });

  test(`${name}${over(client)}: a TTL expires the key (null, not an error); TTLs under 1 ms are refused`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const store = await SessionStore.connect(x);
    t.after(() => store.close());
    const k = key("ttl");
    await store.put(k, session("u", [1]), 500);
    assert.notEqual(await store.get(k), null);
    assert.ok((await within(3000, async () => (await store.get(k)) === null)) !== undefined, "expired in Redis: null");
    assert.equal(await store.peek(k), null);
    for (const ttl of [0, -5, 1.5, Number.NaN]) {
      await assert.rejects(store.put(k, session("u", [1]), ttl), kind("invalid_input"));
    }
  });

  test(`${name}${over(client)}: values that are not blobs are not_a_blob; an expired session is expired; writes of non-blobs are refused`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const store = await SessionStore.connect(x);
    const a = await admin(tg);
    t.after(async () => {
      await store.close();
      await a.close();
    });
    const json = key("json");
    await set(a, json, '{"user_id":"u1"}');
    await assert.rejects(store.get(json), kind("not_a_blob"));
    await assert.rejects(store.peek(json), kind("not_a_blob"));
    const empty = key("empty");
    await set(a, empty, "");
    await assert.rejects(store.get(empty), kind("not_a_blob"));
    await assert.rejects(store.peek(empty), kind("not_a_blob"));
    const list = key("list");
    await a.send(list, ["RPUSH", list, "x"]);
    await assert.rejects(store.get(list), (e) => e instanceof SessionpackError && e.kind === "not_a_blob" && /WRONGTYPE/.test(e.message));
    await assert.rejects(store.peek(list), kind("not_a_blob"));
    const expired = key("expired");
    await store.put(expired, blob(1, { ttlMs: -10 }));
    await assert.rejects(store.get(expired), kind("expired"));
    await assert.rejects(store.put(key("bad"), new TextEncoder().encode("{}")), kind("not_a_blob"));
  });

  test(`${name}${over(client)}: keys imply a MAC: a store reading with keys refuses unsigned blobs and verifies signed ones`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const mac = { id: 7, key: randomBytes(32) };
    const signer = await SessionStore.connect(x, { signingKey: mac });
    const reader = await SessionStore.connect(x, { decoder: new Decoder({ keys: [mac] }) });
    t.after(async () => {
      await signer.close();
      await reader.close();
    });
    const k = key("mac");
    await signer.put(k, session("u", [5]));
    assert.equal((await reader.peek(k))!.keyId, 7);
    assert.deepEqual((await reader.get(k))!.facilities.toArray(), [5]);
    await reader.put(k, blob(5));
    await assert.rejects(reader.get(k), (e: SessionpackError) => kind("unauthenticated")(e) && e.rule === "R-MAC-REQUIRED");
  });

  test(`${name}${over(client)}: dictionaries: put, get, peek; eight concurrent writers appending overlapping keys converge`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const writers = await Promise.all(Array.from({ length: 8 }, () => SessionStore.connect(x)));
    t.after(() => Promise.all(writers.map((w) => w.close())));
    const store = writers[0];
    const k = key("dict");
    const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "string", lineage: 0x5eedn });
    const { dictionary: two } = empty.append(["north", "south"]);
    await store.putDictionary(k, two);
    const view = await store.getDictionary(k);
    assert.equal(view!.idOf("south"), 1);
    const h = await store.peekDictionary(k);
    assert.ok(h instanceof DictHeader);
    assert.deepEqual([h.count, h.lineage, h.keyId, h.digest], [2, 0x5eedn, 0, view!.digest]);
    assert.equal(await store.getDictionary(key("none")), null);
    assert.equal(await store.peekDictionary(key("none")), null);
    await store.put(k + ":s", blob(1));
    await assert.rejects(store.getDictionary(k + ":s"), kind("not_a_blob"));
    await assert.rejects(store.peekDictionary(k + ":s"), kind("not_a_blob"));

    // Eight writers, each appending 40 keys of which most overlap the others'.
    const d = key("converge");
    const keysOf = (w: number) => Array.from({ length: 40 }, (_, i) => `site-${(w * 7 + i) % 64}`);
    const results = await Promise.all(writers.map((w, i) => w.appendDictionary(d, empty, keysOf(i))));
    const final = await store.getDictionary(d);
    const all = new Set(writers.flatMap((_, i) => keysOf(i)));
    assert.equal(final!.size, all.size, "every key exactly once");
    assert.deepEqual(new Set(final!.keys()), all);
    results.forEach(({ ids }, i) => keysOf(i).forEach((site, j) => assert.equal(ids[j], final!.idOf(site), `writer ${i}, ${site}`)));
    const ids = final!.keys().map((s) => final!.idOf(s));
    assert.deepEqual(ids, [...ids.keys()], "ids 0..n, one per key");
    // Appending keys already held writes nothing.
    const again = await store.appendDictionary(d, empty, ["site-3"]);
    assert.equal(again.dictionary.size, final!.size);
    assert.ok((await store.peekDictionary(d))!.digest === final!.digest);
  });

  test(`${name}${over(client)}: ${client === "url" ? "a target that does not answer" : "a closed app client"} fails to connect (unavailable), not a hang`, async (t) => {
    const tg = await target(t, name);
    if (!tg) return;
    const start = performance.now();
    if (client === "url") {
      await assert.rejects(SessionStore.connect("redis://127.0.0.1:1"), (e) => e instanceof StoreError && e.kind === "unavailable");
    } else {
      const c = await appClient(tg, client);
      closeApp(c);
      await assert.rejects(SessionStore.connect(c), (e) => {
        assert.ok(e instanceof StoreError && e.kind === "unavailable", `${String(e)}`);
        return true;
      });
    }
    assert.ok(performance.now() - start < 3000);
    await sleep(0);
  });

  test(`${name}${over(client)}: one key ring: the first key signs sessions and dictionaries, every key verifies; the store reads back what it wrote`, async (t) => {
    const [tg, x] = await endpoint(t);
    if (!tg) return;
    const k1 = { id: 1, key: randomBytes(32) };
    const k2 = { id: 2, key: randomBytes(32) };
    const old = await SessionStore.connect(x, { keys: [k1] });
    const store = await SessionStore.connect(x, { keys: [k2, k1] }); // rotated: k2 signs, k1 still verifies
    const plain = await SessionStore.connect(x);
    // The deprecated options: the same key twice, and the store reads back what it wrote.
    const legacy = await SessionStore.connect(x, { signingKey: k1, dictionaryKey: k1 });
    t.after(() => Promise.all([old, store, plain, legacy].map((s) => s.close())));
    const s1 = key("ring-old");
    const s2 = key("ring-new");
    await old.put(s1, session("u1", [1]));
    await store.put(s2, session("u2", [2]));
    assert.equal((await store.peek(s1))!.keyId, 1);
    assert.equal((await store.peek(s2))!.keyId, 2, "the first key signs");
    assert.deepEqual((await store.get(s1))!.facilities.toArray(), [1], "an older key verifies");
    assert.deepEqual((await store.get(s2))!.facilities.toArray(), [2]);
    await assert.rejects(old.get(s2), (e: SessionpackError) => errorKind(e) === "unauthenticated" && e.rule === "R-MAC-KEY");
    const unsigned = key("ring-unsigned");
    await plain.put(unsigned, session("u3", [3]));
    await assert.rejects(store.get(unsigned), (e: SessionpackError) => errorKind(e) === "unauthenticated" && e.rule === "R-MAC-REQUIRED", "keys imply a MAC");
    // Dictionaries: signed with the first key, read back; bson ObjectIds, hex and bytes appended alike.
    const d = key("ring-dict");
    const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid", lineage: 9n });
    const [a, b, c] = [new ObjectId(), new ObjectId(), new ObjectId()];
    const { ids } = await store.appendDictionary(d, empty, [a, b.toHexString(), c.id]);
    assert.deepEqual(ids, [0, 1, 2]);
    assert.equal((await store.peekDictionary(d))!.keyId, 2);
    const view = await store.getDictionary(d);
    assert.equal(view!.idOf(c), 2);
    assert.equal(view!.idOf(a.toHexString()), 0);
    await assert.rejects(plain.getDictionary(d), (e) => errorKind(e) === "unauthenticated", "a reader without keys refuses a signed dictionary");
    const ld = key("legacy-dict");
    await legacy.appendDictionary(ld, empty, [a]);
    const ls = key("legacy-session");
    await legacy.put(ls, session("u4", [4]));
    assert.equal((await legacy.getDictionary(ld))!.idOf(a), 0, "signingKey/dictionaryKey: the dictionary reads back (was R-DICT-MAC-KEY)");
    assert.deepEqual((await legacy.get(ls))!.facilities.toArray(), [4], "and the session (was R-MAC-KEY)");
    // keys and the deprecated options together: refused before connecting.
    await assert.rejects(SessionStore.connect(x, { keys: [k1], signingKey: k1 }), (e: SessionpackError) => errorKind(e) === "invalid_input" && /not both/.test(e.message));
    await assert.rejects(
      SessionStore.connect(x, { signingKey: k1, dictionaryKey: { id: 1, key: randomBytes(32) } }),
      (e: SessionpackError) => errorKind(e) === "invalid_input" && /share the id 1/.test(e.message),
    );
  });
}

test("a string where a blob's bytes were expected: Decoder.open, DictionaryDecoder.open and the store's replies say so (ioredis get)", async (t) => {
  for (const open of [(v: Uint8Array) => new Decoder().open(v), (v: Uint8Array) => new DictionaryDecoder().open(v)]) {
    assert.throws(
      () => open("\u0093SPK…" as never),
      (e) => e instanceof SessionpackError && e.kind === "invalid_input" && /is a string of 5 characters where bytes were expected/.test(e.message) && /getBuffer/.test(e.message),
    );
  }
  assert.throws(() => new Decoder().open(new Uint8Array(3)), (e: SessionpackError) => e.kind === "not_a_blob", "bytes that are not a blob stay not_a_blob");
  const tg = await target(t, "standalone");
  if (!tg) return;
  const redis = (await connectable(t, tg, "ioredis")) as Redis;
  const store = await SessionStore.connect(redis);
  t.after(() => store.close());
  const k = key("as-text");
  await store.put(k, session("u", [1]));
  const text = await redis.get(k); // the application's own string command
  assert.equal(typeof text, "string");
  assert.throws(() => new Decoder().open(text as never), (e: SessionpackError) => e.kind === "invalid_input" && /Decoder.open is a string of \d+ characters where bytes were expected/.test(e.message));
  assert.deepEqual((await store.get(k))!.facilities.toArray(), [1], "the store reads bytes over the same client");
});
