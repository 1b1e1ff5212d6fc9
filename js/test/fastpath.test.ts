// The fast paths (issue 21) against plain reference paths kept here: XXH64 in WebAssembly
// against a BigInt XXH64 written from the specification; the ObjectId look-up (hex, bytes and
// bson forms read as words, the home slot from WebAssembly, the index read as words) against a
// Map of the keys and a BigInt home slot; the WebAssembly checks of Roaring containers and of a
// dictionary's index against refusals worked out here. Random keys and blobs, a fixed seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decoder, DictionaryDecoder, IdDictionary, IdSet, Session, SessionpackError, encode, encodeIdSet, type KeyLike } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import { digestInto, probe12, probeLow } from "../dist/hash.js";
import { XXH, xxh64Into, xxh64Words12 } from "../dist/xxh64.js";
import { optionalBson, seeded } from "./fastpath-support.js";

const bson = await optionalBson();
/** The same "random" keys and blobs every run. */
const { random, bytesOf } = seeded(0x5e55_1021);

// ---- XXH64 from the specification, in BigInts (slow and plain). ----
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n, P2 = 0xc2b2ae3d27d4eb4fn, P3 = 0x165667b19e3779f9n, P4 = 0x85ebca77c2b2ae63n, P5 = 0x27d4eb2f165667c5n;
const rotl = (x: bigint, r: number) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
const le = (b: Uint8Array, at: number, n: number) => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return v;
};
const round = (acc: bigint, lane: bigint) => (rotl((acc + lane * P2) & M, 31) * P1) & M;
function xxh64Ref(b: Uint8Array, seed = 0n) {
  let p = 0;
  const len = b.length;
  let h;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M, v2 = (seed + P2) & M, v3 = seed, v4 = (seed - P1) & M;
    while (p + 32 <= len) {
      v1 = round(v1, le(b, p, 8));
      v2 = round(v2, le(b, p + 8, 8));
      v3 = round(v3, le(b, p + 16, 8));
      v4 = round(v4, le(b, p + 24, 8));
      p += 32;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) & M;
    for (const v of [v1, v2, v3, v4]) h = (((h ^ round(0n, v)) * P1) + P4) & M;
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(len)) & M;
  for (; p + 8 <= len; p += 8) h = ((rotl(h ^ round(0n, le(b, p, 8)), 27) * P1) + P4) & M;
  if (p + 4 <= len) {
    h = ((rotl(h ^ ((le(b, p, 4) * P1) & M), 23) * P2) + P3) & M;
    p += 4;
  }
  for (; p < len; p++) h = (rotl(h ^ ((BigInt(b[p]) * P5) & M), 11) * P1) & M;
  h = ((h ^ (h >> 33n)) * P2) & M;
  h = ((h ^ (h >> 29n)) * P3) & M;
  return h ^ (h >> 32n);
}
const halves = () => (BigInt(XXH.hi) << 32n) | BigInt(XXH.lo);

test("XXH64: WebAssembly, 32-bit JavaScript and the BigInt reference agree on random inputs, offsets and seeds", () => {
  const pool = bytesOf(5000);
  const lengths = [0, 1, 3, 4, 5, 7, 8, 11, 12, 13, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4096];
  for (let i = 0; i < 60; i++) lengths.push(random() % 2000);
  for (const len of lengths) {
    const at = random() % (pool.length - len);
    for (const seed of [0, 3, 0xffffffff, random()]) {
      const want = xxh64Ref(pool.subarray(at, at + len), BigInt(seed));
      digestInto(pool, at, at + len, seed);
      assert.equal(halves(), want, `wasm, length ${len} at ${at}, seed ${seed}`);
      xxh64Into(pool, at, at + len, seed);
      assert.equal(halves(), want, `js, length ${len} at ${at}, seed ${seed}`);
      assert.equal(xxh64(pool.slice(at, at + len), seed), want);
    }
  }
});

test("the ObjectId key hash and home slot (WebAssembly and JavaScript) agree with the reference", () => {
  for (let i = 0; i < 2000; i++) {
    const k = bytesOf(12);
    const dv = new DataView(k.buffer);
    const [a, b, c] = [dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)];
    const h = xxh64Ref(k);
    const slots = [1, 2, 3, 25_000, 75_000, 1_250_000, 0x7fffffff, 0xffffffff][i % 8];
    assert.equal(probe12(a, b, c, slots) >>> 0, Number((h * BigInt(slots)) >> 64n), `home of ${Buffer.from(k).toString("hex")} in ${slots}`);
    assert.equal(probeLow(), Number(h & 0xffffffffn));
    xxh64Words12(a, b, c);
    assert.equal(halves(), h);
  }
});

/** A bson 4–6-shaped ObjectId: its stored bytes are its `id` (no bson import needed). */
const storedObjectId = (bytes: Uint8Array<ArrayBuffer>) => ({ _bsontype: "ObjectId", id: bytes, toHexString: () => Buffer.from(bytes).toString("hex") });
/** An ObjectId-shaped object with only `toHexString` (the fallback path). */
const hexOnlyObjectId = (hex: string) => ({ _bsontype: "ObjectID", toHexString: () => hex });

test("ObjectId look-ups in every key form agree with a Map of the keys, on random dictionaries", () => {
  for (const count of [0, 1, 2, 7, 100, 3000]) {
    const keys = Array.from({ length: count }, () => bytesOf(12));
    // A few keys that share 8 of their 12 bytes with another (same first lane, other last word).
    for (let i = 0; i + 1 < keys.length && i < 20; i += 2) keys[i + 1].set(keys[i].subarray(0, 8));
    const { dictionary } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage: 5n }).append(keys);
    const view = new DictionaryDecoder().open(dictionary.toBytes());
    const reference = new Map<string, number>();
    keys.forEach((k, id) => {
      const hex = Buffer.from(k).toString("hex");
      if (!reference.has(hex)) reference.set(hex, id);
    });
    const probes = [...keys, ...Array.from({ length: 300 }, () => bytesOf(12))];
    // Absent keys one bit away from present ones: same home more often than chance.
    for (const k of keys.slice(0, 50)) {
      const near = k.slice();
      near[random() % 12] ^= 1 << (random() % 8);
      probes.push(near);
    }
    for (const k of probes) {
      const hex = Buffer.from(k).toString("hex");
      const want = reference.get(hex);
      const forms: unknown[] = [hex, hex.toUpperCase(), k, Buffer.from(k), storedObjectId(k), hexOnlyObjectId(hex)];
      if (bson) forms.push(new bson.ObjectId(hex), bson.ObjectId.createFromHexString(hex));
      for (const form of forms) assert.equal(view.idOf(form as KeyLike), want, `${hex} as ${form?.constructor?.name ?? typeof form}`);
    }
  }
});

test("keyed checks in every ObjectId form agree with the reference on random sessions", () => {
  const keys = Array.from({ length: 5000 }, () => bytesOf(12));
  const { dictionary, ids } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage: 9n }).append(keys);
  const dict = new DictionaryDecoder().open(dictionary.toBytes());
  for (const share of [0.001, 0.1, 0.5, 0.95]) {
    const member = new Set(ids.filter(() => random() / 2 ** 32 < share));
    const session = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0n, expiresAt: 10n, facilities: [...member], groups: [], facilityLineage: 9n });
    const set = new Decoder({ expiry: "ignore" }).open(encode(session)).facilities;
    const keyed = set.keyed(dict);
    const probes = [...keys.slice(0, 400), ...Array.from({ length: 100 }, () => bytesOf(12))];
    for (const k of probes) {
      const hex = Buffer.from(k).toString("hex");
      const id = keys.findIndex((x) => Buffer.from(x).equals(Buffer.from(k)));
      const want = id >= 0 && member.has(ids[id]);
      assert.equal(keyed.has(hex), want);
      assert.equal(keyed.has(k), want);
      assert.equal(keyed.has(storedObjectId(k) as KeyLike), want);
      if (bson) assert.equal(keyed.has(new bson.ObjectId(k)), want);
    }
  }
});

test("non-keys are refused on the fast path exactly as before: invalid_input, never a silent miss", () => {
  const { dictionary } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage: 5n }).append([bytesOf(12)]);
  const view = new DictionaryDecoder().open(dictionary.toBytes());
  const bad: unknown[] = [
    "0".repeat(23), "0".repeat(25), "g" + "0".repeat(23), "0".repeat(23) + "\u0130", "\u0660".repeat(24), " ".repeat(24),
    "0".repeat(11) + "\u0100" + "0".repeat(12), bytesOf(11), bytesOf(13), new Uint16Array(6), null, undefined, 42, {},
    { _bsontype: "ObjectId" }, { _bsontype: "ObjectId", id: bytesOf(11), toHexString: () => "zz" }, { _bsontype: "Binary" },
  ];
  for (const k of bad) {
    assert.throws(() => view.idOf(k as KeyLike), (e) => e instanceof SessionpackError && e.kind === "invalid_input", String(k));
  }
});

test("hex keys, every character at every position: the fast path reads what a regular expression and Buffer read, and refuses the rest", () => {
  // The reader takes two characters per table look-up; any code of 128 or more is refused even
  // when its low 7 bits spell a digit (U+00B0 … U+00B9, U+00C1 … U+00C6, U+0130, …).
  const keys = Array.from({ length: 40 }, () => bytesOf(12));
  const { dictionary } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage: 8n }).append(keys);
  const view = new DictionaryDecoder().open(dictionary.toBytes());
  const idOfHex = new Map(keys.map((k, id) => [Buffer.from(k).toString("hex"), id]));
  const base = Buffer.from(keys[7]).toString("hex");
  let accepted = 0;
  let refused = 0;
  for (let at = 0; at < 24; at++) {
    for (let code = 0; code < 0x180; code++) {
      const text = base.slice(0, at) + String.fromCharCode(code) + base.slice(at + 1);
      if (/^[0-9a-fA-F]{24}$/.test(text)) {
        const want = idOfHex.get(text.toLowerCase());
        assert.equal(view.idOf(text), want, JSON.stringify(text));
        accepted++;
      } else {
        assert.throws(() => view.idOf(text), (e) => e instanceof SessionpackError && e.kind === "invalid_input", JSON.stringify(text));
        refused++;
      }
    }
  }
  assert.equal(accepted, 24 * 22);
  assert.equal(refused, 24 * (0x180 - 22));
});

/** Every rule `IdSet.from` checks with WebAssembly, against refusals worked out here. */
test("Roaring containers: the WebAssembly popcount and order checks refuse what the reference refuses, where it does", () => {
  for (let round = 0; round < 40; round++) {
    // One container of `card` ids below 65,536: an array up to 4,096, a bitmap above.
    const card = [1, 2, 63, 64, 65, 500, 4096, 4097, 9000, 60000][round % 10];
    const all = new Set<number>();
    while (all.size < card) all.add(random() & 0xffff);
    const ids = [...all].sort((a, b) => a - b);
    const bytes = encodeIdSet(ids);
    const set = IdSet.from(bytes);
    assert.equal(set.size, card);
    for (const id of ids.slice(0, 50)) assert.ok(set.has(id));
    const dataAt = bytes.length - (card <= 4096 ? 2 * card : 8192);
    if (ids.length >= 2 && !isRuns(bytes)) {
      const broken = bytes.slice();
      if (card <= 4096) {
        // Swap two neighbours: the first position whose value is not above the one before.
        const i = 1 + (random() % (card - 1));
        const dv = new DataView(broken.buffer);
        dv.setUint16(dataAt + 2 * i, ids[i - 1], true);
        dv.setUint16(dataAt + 2 * (i - 1), ids[i], true);
        assert.throws(() => IdSet.from(broken), (e: SessionpackError) => e.rule === "R-SET-ARRAY" && e.message.includes(`set offset ${dataAt + 2 * i}`) && e.message.includes(`holds ${ids[i - 1]} after ${ids[i]}`), `array of ${card}`);
      } else {
        // One more bit set: the count no longer matches.
        let w = dataAt + (random() % 8192);
        while (broken[w] === 0xff) w = dataAt + ((w - dataAt + 1) % 8192);
        broken[w] |= (~broken[w] & 0xff) & -(~broken[w] & 0xff);
        assert.throws(() => IdSet.from(broken), (e: SessionpackError) => e.rule === "R-SET-BITMAP" && e.message.includes(`declares ${card} ids and holds ${card + 1}`), `bitmap of ${card}`);
      }
    }
  }
});

function isRuns(bytes: number[]|Uint8Array<ArrayBufferLike>) {
  return (bytes[0] | (bytes[1] << 8)) === 12347 && (bytes[4] & 1) === 1;
}

test("dictionary validation (digest and index in WebAssembly) refuses a moved index entry and a repeated key, with a true digest", () => {
  for (const keyType of ["objectid", "uuid", "string"] as const) {
    const keys = Array.from({ length: 500 }, (_, i) => {
      if (keyType === "objectid") return bytesOf(12);
      if (keyType === "uuid") return bytesOf(16);
      return `key-${i}-${random().toString(36)}`;
    });
    const { dictionary } = IdDictionary.create({ tenant: "t", kind: "group", keyType, lineage: 7n }).append(keys);
    const good = dictionary.toBytes();
    assert.equal(new DictionaryDecoder().open(good).size, 500);
    const indexAt = good.length - 4 * Math.ceil((5 * 500) / 4);
    const dv = new DataView(good.buffer, good.byteOffset);
    // Swap an occupied slot with an empty one: the entry is no longer where the index puts it.
    const occupied: number[] = [];
    const empty: number[] = [];
    for (let p = indexAt; p < good.length; p += 4) (dv.getUint32(p, true) === 0xffffffff ? empty : occupied).push(p);
    const moved = good.slice();
    const mdv = new DataView(moved.buffer);
    const [from, to] = [occupied[random() % occupied.length], empty[random() % empty.length]];
    mdv.setUint32(to, dv.getUint32(from, true), true);
    mdv.setUint32(from, 0xffffffff, true);
    assert.throws(() => new DictionaryDecoder().open(reseal(moved)), (e: SessionpackError) => e.rule === "R-DICT-INDEX", keyType);
    assert.throws(() => new DictionaryDecoder().open(moved), (e: SessionpackError) => e.rule === "R-DICT-DIGEST", keyType);
  }
  // A key written twice (a writer bug): R-DICT-UNIQUE, found by the index walk.
  const k = bytesOf(12);
  const twice = IdDictionary.create({ tenant: "t", kind: "group", keyType: "objectid", lineage: 7n }).append([k, bytesOf(12)]).dictionary.toBytes();
  twice.set(k, 40 + 1 + 12); // the tenant is "t": keys start at 41
  assert.throws(() => new DictionaryDecoder().open(rebuildIndex(twice, 2)), (e: SessionpackError) => e.rule === "R-DICT-UNIQUE");
});

/** The dictionary with its digest recomputed (by the reference XXH64). */
function reseal(b: Uint8Array) {
  const out = b.slice();
  const h = xxh64Ref(out.subarray(24));
  new DataView(out.buffer).setBigUint64(8, h, true);
  return out;
}

/** An ObjectId dictionary of `count` keys (tenant "t") with its index rebuilt as a writer would, then resealed. */
function rebuildIndex(b: Uint8Array, count: number) {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const slots = Math.ceil((5 * count) / 4);
  const indexAt = out.length - 4 * slots;
  const bits = 32 - Math.clz32(count);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  for (let p = 0; p < slots; p++) dv.setUint32(indexAt + 4 * p, 0xffffffff, true);
  for (let id = 0; id < count; id++) {
    const h = xxh64Ref(out.subarray(41 + 12 * id, 53 + 12 * id));
    let p = Number((h * BigInt(slots)) >> 64n);
    while (dv.getUint32(indexAt + 4 * p, true) !== 0xffffffff) p = (p + 1) % slots;
    dv.setUint32(indexAt + 4 * p, ((Number(h & 0xffffffffn) & ~mask) | id) >>> 0, true);
  }
  return reseal(out);
}
