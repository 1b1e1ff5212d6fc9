// The key-taking functions of sessionpack/redis, against a real server (REDIS_URL): every one
// gives one answer for a bson ObjectId, its 24 hex digits and its 12 bytes, and refuses what is
// not a key with invalid_input — never a silent false, undefined or an empty list. (The core's
// key-taking functions are checked the same way in keys.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ObjectId } from "bson";
import { IdDictionary, Session, newLineage, type KeyLike } from "../dist/index.js";
import { DictionaryCache, SessionAccess, SessionCache, SessionStore, errorKind } from "../dist/redis/index.js";
import { key, target } from "./redis-support.js";

const member = new ObjectId("6926c19047abb94d0ee3aa01");
const other = new ObjectId("6926c19047abb94d0ee3aa02"); // in the dictionary, not the session's
const unknown = new ObjectId("6926c19047abb94d0ee3aa03"); // not in the dictionary
const group = new ObjectId("6926c19047abb94d0ee3bb01");

/** The three forms of one ObjectId key. */
const forms = (oid: ObjectId): [string, KeyLike][] => [
  ["bson ObjectId", oid],
  ["hex text", oid.toHexString()],
  ["12 bytes", Buffer.from(oid.toHexString(), "hex")],
];

/** What is not a key, as a caller's JavaScript may pass it (cast to KeyLike where passed). */
const NON_KEYS: [string, unknown][] = [
  ["a number", 42],
  ["{}", {}],
  ["null", null],
  ["undefined", undefined],
  ["23 hex digits", "6926c19047abb94d0ee3aa0"],
  ["25 hex digits", "6926c19047abb94d0ee3aa011"],
  ["11 bytes", new Uint8Array(11)],
  ["non-hex text", "6926c19047abb94d0ee3aazz"],
];

const invalidInput = (e: unknown) => {
  assert.equal(errorKind(e), "invalid_input", String(e));
  return true;
};

test("sessionpack/redis: DictionaryCache.idOf, Access.canSee/filter/inGroup/filterByGroup and SessionStore.appendDictionary take an ObjectId, hex and bytes alike, and refuse non-keys", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const keys = [{ id: 7, key: randomBytes(32) }];
  const tenant = key("keys-redis").replace(/[^A-Za-z0-9:_-]/g, "_").slice(0, 60);
  const store = await SessionStore.connect(tg, { keys });
  const sessions = await SessionCache.connect(tg, { freshness: "header-check", keys });
  const dictionaries = await DictionaryCache.connect(tg, { keys, refreshIntervalMs: 1 });
  t.after(() => Promise.all([store.close(), sessions.close(), dictionaries.close()]));

  // appendDictionary: each form of one key gets one id; non-keys are refused, nothing written.
  const fkey = `dict:${tenant}:facility`;
  const gkey = `dict:${tenant}:group`;
  const emptyF = IdDictionary.create({ tenant, kind: "facility", keyType: "objectid", lineage: newLineage() });
  const emptyG = IdDictionary.create({ tenant, kind: "group", keyType: "objectid", lineage: newLineage() });
  const ids: number[] = [];
  for (const [, k] of forms(member)) ids.push((await store.appendDictionary(fkey, emptyF, [k])).ids[0]);
  assert.deepEqual(ids, [0, 0, 0], "one id for every form of the key");
  for (const [, k] of forms(other)) assert.deepEqual((await store.appendDictionary(fkey, emptyF, [k])).ids, [1]);
  for (const [, k] of forms(group)) assert.deepEqual((await store.appendDictionary(gkey, emptyG, [k])).ids, [0]);
  for (const [what, k] of NON_KEYS) {
    await assert.rejects(store.appendDictionary(fkey, emptyF, [k as KeyLike]), invalidInput, `appendDictionary(${what})`);
  }
  const facilities = (await store.getDictionary(fkey))!;
  assert.equal(facilities.size, 2, "no non-key was appended");

  // A session that may see `member` (not `other`), in `group`.
  const now = Date.now();
  const view = facilities;
  const groups = (await store.getDictionary(gkey))!;
  const s = new Session({ userId: "u", tenantId: tenant, token: "t", issuedAt: now - 1000, expiresAt: now + 60_000 })
    .withFacilityKeys(view, [member])
    .withGroupKeys(groups, [group]);
  const skey = `session:${tenant}`;
  await store.put(skey, s, 60_000);

  // DictionaryCache.idOf
  for (const [what, k] of forms(member)) assert.equal(await dictionaries.idOf(tenant, "facility", k), 0, `idOf(${what})`);
  for (const [what, k] of forms(unknown)) assert.equal(await dictionaries.idOf(tenant, "facility", k), undefined, `idOf(${what}) of an unknown key`);
  for (const [what, k] of NON_KEYS) await assert.rejects(dictionaries.idOf(tenant, "facility", k as KeyLike), invalidInput, `idOf(${what})`);

  // Access: canSee, filter, inGroup, filterByGroup
  const access = await new SessionAccess({ sessions, dictionaries }).load(skey);
  assert.ok(access !== null);
  for (const [what, k] of forms(member)) assert.equal(await access.canSee(k), true, `canSee(${what})`);
  for (const [what, k] of forms(other)) assert.equal(await access.canSee(k), false, `canSee(${what}) of another facility`);
  for (const [what, k] of forms(unknown)) assert.equal(await access.canSee(k), false, `canSee(${what}) of an unknown facility`);
  for (const [what, k] of forms(group)) assert.equal(await access.inGroup(k), true, `inGroup(${what})`);
  for (const [what, k] of NON_KEYS) {
    await assert.rejects(access.canSee(k as KeyLike), invalidInput, `canSee(${what})`);
    await assert.rejects(access.inGroup(k as KeyLike), invalidInput, `inGroup(${what})`);
    await assert.rejects(access.filter([{ k }], (r) => r.k as KeyLike), invalidInput, `filter(${what})`);
    await assert.rejects(access.filterByGroup([{ k }], (r) => r.k as KeyLike), invalidInput, `filterByGroup(${what})`);
  }
  for (const [what] of forms(member)) {
    const pick = (oid: ObjectId) => forms(oid).find(([w]) => w === what)![1];
    const records = [member, other, unknown, member].map((oid, i) => ({ i, facility: pick(oid), group: pick(i === 0 ? group : other) }));
    assert.deepEqual((await access.filter(records, (r) => r.facility)).map((r) => r.i), [0, 3], `filter by ${what}`);
    assert.deepEqual((await access.filterByGroup(records, (r) => r.group)).map((r) => r.i), [0], `filterByGroup by ${what}`);
  }
});
