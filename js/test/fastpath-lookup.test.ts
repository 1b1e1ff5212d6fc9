// The look-up and membership test in WebAssembly (src/oid-index.ts, issue 21) against plain
// reference paths kept here and in the package: a Map of the keys and a Set of the ids (worked
// out here), `IdDictionaryView.lookup` (JavaScript XXH64 and byte comparisons) and `IdSet.has`
// (JavaScript binary searches over the set's bytes). Random keys, sets and sessions, a fixed
// seed; every container kind and layout; two sessions alternating through one dictionary; a set
// too large to copy into WebAssembly, checked in place. Also the block-wise Roaring checks of
// src/wasm/hash.wat against one-at-a-time loops, and UTF-8 validation's inline ASCII prefix
// against a fatal TextDecoder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decoder, DictionaryDecoder, IdDictionary, IdSet, Session, encode, encodeIdSet, type KeyLike } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import { MAX_SET_COPY, OidIndex, indexSlots } from "../dist/oid-index.js";
import { optionalBson, seeded } from "./fastpath-support.js";

const bson = await optionalBson();
/** The same "random" keys and sets every run. */
const { random, bytesOf } = seeded(0x1d5e_7021);
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** An ObjectId's 12 bytes as the three little-endian words the WebAssembly look-up takes. */
const words = (k: Uint8Array): [number, number, number] => {
  const dv = new DataView(k.buffer, k.byteOffset, 12);
  return [dv.getInt32(0, true), dv.getInt32(4, true), dv.getInt32(8, true)];
};

/**
 * Random strictly increasing ids over `containers` random container keys below `maxKey`, each
 * container an array (1 to 4,096 ids), a bitmap (4,097 to 12,000) or a few runs, at random.
 */
function randomIds(containers: number, maxKey = 40): number[] {
  const keys = new Set<number>();
  while (keys.size < Math.min(containers, maxKey)) keys.add(random() % maxKey);
  const ids: number[] = [];
  for (const key of [...keys].sort((a, b) => a - b)) {
    const low = new Set<number>();
    const kind = random() % 3;
    if (kind === 0) {
      const card = 1 + (random() % (random() % 2 ? 40 : 4096));
      while (low.size < card) low.add(random() & 0xffff);
    } else if (kind === 1) {
      const card = 4097 + (random() % 8000);
      while (low.size < card) low.add(random() & 0xffff);
    } else {
      for (let r = 1 + (random() % 6); r > 0; r--) {
        const start = random() & 0xffff;
        for (let v = start; v < Math.min(0x10000, start + 1 + (random() % 3000)); v++) low.add(v);
      }
    }
    for (const v of [...low].sort((a, b) => a - b)) ids.push(key * 65536 + v);
  }
  return ids;
}

/** Portable Roaring bytes with cookie 12346 (no runs, offset header) for `ids` of at most 4,096 per container: a layout the canonical writer uses only from 25 containers. */
function noRunCookie(ids: number[]): Uint8Array {
  const groups = new Map<number, number[]>();
  for (const id of ids) {
    const k = id >>> 16;
    const lows = groups.get(k) ?? [];
    lows.push(id & 0xffff);
    groups.set(k, lows);
  }
  const entries = [...groups];
  const n = entries.length;
  let size = 8 + 8 * n;
  for (const [, lows] of entries) size += 2 * lows.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 12346, true);
  dv.setUint32(4, n, true);
  let at = 8 + 8 * n;
  entries.forEach(([k, lows], i) => {
    dv.setUint16(8 + 4 * i, k, true);
    dv.setUint16(10 + 4 * i, lows.length - 1, true);
    dv.setUint32(8 + 4 * n + 4 * i, at, true);
    for (const v of lows) {
      dv.setUint16(at, v, true);
      at += 2;
    }
  });
  return out;
}

/** The ids to ask about: members, their neighbours, and random ids near and far. */
function probesFor(ids: number[]): number[] {
  const probes = [0, 1, 65535, 65536, 0xffffffff];
  for (let i = 0; i < 300 && ids.length > 0; i++) {
    const id = ids[random() % ids.length];
    probes.push(id, id + 1, Math.max(0, id - 1));
  }
  for (let i = 0; i < 200; i++) probes.push(random() % (41 * 65536), random() >>> 0);
  return probes;
}

const objectIdDictionary = (keys: Uint8Array[], lineage: bigint) => {
  const { dictionary, ids } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage }).append(keys);
  return { view: new DictionaryDecoder().open(dictionary.toBytes()), ids };
};

test("WebAssembly membership agrees with IdSet.has and a Set of the ids, on random sets of every container kind and layout", () => {
  const { view } = objectIdDictionary([bytesOf(12)], 3n);
  const index = new OidIndex(view.b, view.l);
  let copied = 0;
  for (let round = 0; round < 80; round++) {
    // The empty set, then an array of 4,096 ids and a bitmap of 4,097 (the boundary), then random sets.
    const ids = round === 0 ? [] : round <= 2 ? Array.from({ length: 4095 + round }, (_, i) => 65536 + 16 * i) : randomIds(1 + (round % 30));
    const layouts = [encodeIdSet(ids)];
    if (ids.length > 0 && round % 4 === 1) {
      // One container of at most 4,096 ids per key, in the 12346 layout.
      const small = ids.filter((id) => (id & 0xffff) < 4000 && id % 3 === 0);
      if (small.length > 0) layouts.push(noRunCookie(small));
    }
    for (const bytes of layouts) {
      const set = IdSet.from(bytes);
      const reference = new Set(set.toArray());
      const probes = probesFor([...reference]);
      for (const id of probes) {
        const want = reference.has(id);
        assert.equal(set.has(id), want, `IdSet.has(${id})`);
        const got = index.hasId(set, id);
        if (bytes.length > MAX_SET_COPY) assert.equal(got, undefined, "a set above MAX_SET_COPY is not copied");
        else assert.equal(got, want, `WebAssembly has(${id}) in a set of ${bytes.length} bytes, round ${round}`);
      }
      if (bytes.length <= MAX_SET_COPY) copied++;
    }
  }
  assert.ok(copied >= 40, `${copied} sets checked in WebAssembly`);
});


test("WebAssembly membership in an array container agrees with a Set for every value, however its values are spread: the guessed window, both sides of it, and the smallest arrays that use it", () => {
  const { view } = objectIdDictionary([bytesOf(12)], 3n);
  const index = new OidIndex(view.b, view.l);
  // Values with gaps of at least 2 (no runs: an array is the smallest container for them).
  const even = (n: number, from = 0, step = 2) => Array.from({ length: n }, (_, i) => from + step * i);
  const spread = (n: number) => Array.from({ length: n }, (_, i) => Math.floor((i * 65535) / (n - 1)));
  // `n` distinct values drawn at random from all 65,536 (a partial Fisher–Yates shuffle), in order.
  const sample = (n: number) => {
    const all = Array.from({ length: 0x10000 }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + (random() % (0x10000 - i));
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, n).sort((a, b) => a - b);
  };
  const shapes: [string, number[]][] = [
    // Below, at and above the 64 values from which the window is used.
    ...[62, 63, 64, 65, 127, 128].map((n): [string, number[]] => [`${n} values spread over the container`, spread(n)]),
    ["2,400 values spread evenly (the bench's shape)", spread(2400)],
    ["4,096 values spread evenly (the largest array)", spread(4096)],
    ["4,096 values at random", sample(4096)],
    // The guess lands far from the value: clusters with wide gaps, a cubic spread, an outlier at each end.
    ["three clusters of 300", [...even(300, 100), ...even(300, 30000), ...even(300, 64800)]],
    ["a cubic spread of 1,000", [...new Set(Array.from({ length: 1000 }, (_, i) => Math.floor(65535 * (i / 999) ** 3)))]],
    ["2,000 values low and one at 65,535", [...even(2000, 0), 65535]],
    ["0 and 2,000 values high", [0, ...even(2000, 61000)]],
    ["64 consecutive even values", even(64, 40000)],
  ];
  const before = [1, 3, 5, 700, 65535]; // a small array container ahead of the shape's, in container 2
  for (const [name, lows] of shapes) {
    // The shape alone in container 0 or 5; as the second of two containers (key 7); and the same
    // two containers in the 12346 layout (no run flags, an offset header).
    const alone = (key: number) => lows.map((v) => key * 65536 + v);
    const second = [...before.map((v) => 2 * 65536 + v), ...alone(7)];
    const layouts: [string, number, number[], Uint8Array][] = [
      ["alone in container 0", 0, alone(0), encodeIdSet(alone(0))],
      ["alone in container 5", 5, alone(5), encodeIdSet(alone(5))],
      ["the second of two containers", 7, second, encodeIdSet(second)],
      ["the second of two containers, cookie 12346 with offsets", 7, second, noRunCookie(second)],
    ];
    for (const [where, key, , bytes] of layouts.slice(0, 2)) {
      // One array container: the cookie and count (4 bytes), the run flags (1), the key and
      // cardinality (4), two bytes a value (a run container or a bitmap would differ).
      assert.equal(bytes.length, 9 + 2 * lows.length, `${name}, ${where} (key ${key}): one array container`);
    }
    for (const [where, key, ids, bytes] of layouts) {
      const set = IdSet.from(bytes);
      const reference = new Set(ids);
      for (let low = 0; low < 0x10000; low++) {
        const id = key * 65536 + low;
        const got = index.hasId(set, id);
        if (got !== reference.has(id)) assert.fail(`${name}, ${where}: WebAssembly has(${id}) is ${got}, the Set says ${reference.has(id)}`);
      }
      for (const v of before) assert.equal(index.hasId(set, 2 * 65536 + v), key === 7, `${name}, ${where}: the first container's ${v}`);
    }
  }
});
test("a set copied into WebAssembly at 2^31 or above (where a dictionary of ~100 million keys puts it) is read as below: offset header, run flags, every container kind", () => {
  const { view } = objectIdDictionary([bytesOf(12)], 5n);
  // Not a multiple of 8 (the placement rounds it up), and 8 bytes short of a page's end: every set
  // the index copies in makes its memory grow from there.
  const at = 2 ** 31 + 65536 - 12;
  const index = new OidIndex(view.b, view.l, at);
  // Where the sets go (a private field, read here to know the test is where it means to be).
  assert.equal((index as unknown as { setAt: number }).setAt, 2 ** 31 + 65536 - 8);
  for (let round = 0; round < 12; round++) {
    const ids = round === 0 ? [5, 65536 + 7, 3 * 65536 + 65535] : randomIds(1 + (round % 6));
    const layouts = [encodeIdSet(ids)];
    // The 12346 layout (an offset header, no run flags), when every container has at most 4,096 ids.
    const small = ids.filter((id) => (id & 0xffff) < 4000 && id % 3 === 0);
    if (small.length > 0) layouts.push(noRunCookie(small));
    for (const bytes of layouts) {
      const set = IdSet.from(bytes);
      const reference = new Set(bytes === layouts[0] ? ids : small);
      for (const id of probesFor([...reference])) {
        assert.equal(index.hasId(set, id), reference.has(id), `has(${id}) of a set at 2^31 + 65,528, round ${round}, ${bytes === layouts[0] ? "canonical" : "12346"} layout`);
      }
    }
  }
});

test("the index built in WebAssembly wraps from its last slot to its first: keys whose probes wrap are found, with a set copied in right after the index", () => {
  for (const n of [2, 3, 8, 50]) {
    const slots = indexSlots(n);
    // The home slot of SPEC.md §16.2, over the instance's slots.
    const homeOf = (k: Uint8Array) => Number((xxh64(k) * BigInt(slots)) >> 64n);
    // Three keys (or all of them) at home in the last slot, so that all but one wrap; the rest at random.
    const keys: Uint8Array[] = [];
    while (keys.length < Math.min(n, 3)) {
      const k = bytesOf(12);
      if (homeOf(k) === slots - 1) keys.push(k);
    }
    while (keys.length < n) keys.push(bytesOf(12));
    const { view } = objectIdDictionary(keys, 13n);
    const index = new OidIndex(view.b, view.l);
    // A set's bytes go right after the index: a probe that ran past the last slot would read them.
    const set = IdSet.from(encodeIdSet(Array.from({ length: 3000 }, (_, i) => 3 * i)));
    assert.equal(index.hasId(set, 3), true);
    keys.forEach((k, id) => assert.equal(index.lookup(...words(k)), id, `key ${id} of ${n}, home ${homeOf(k)} of ${slots} slots`));
    for (let i = 0; i < 100; i++) assert.equal(index.lookup(...words(bytesOf(12))), -1, "a key the dictionary lacks");
  }
});

test("look-ups by ObjectId in WebAssembly agree with the JavaScript look-up and a Map of the keys, on random dictionaries", () => {
  for (const count of [0, 1, 2, 3, 100, 4000]) {
    const keys = Array.from({ length: count }, () => bytesOf(12));
    // Keys sharing 8 (or 4) of their 12 bytes with another.
    for (let i = 0; i + 1 < keys.length && i < 40; i += 2) keys[i + 1].set(keys[i].subarray(0, i % 4 === 0 ? 8 : 4));
    const { view } = objectIdDictionary(keys, 11n);
    const reference = new Map<string, number>();
    keys.forEach((k, id) => reference.set(hexOf(k), id));
    const probes = [...keys, ...Array.from({ length: 400 }, () => bytesOf(12))];
    for (const k of keys.slice(0, 100)) {
      const near = k.slice();
      near[random() % 12] ^= 1 << (random() % 8);
      probes.push(near);
    }
    const index = new OidIndex(view.b, view.l);
    for (const k of probes) {
      const want = reference.get(hexOf(k));
      const got = index.lookup(...words(k));
      assert.equal(got, want ?? -1, hexOf(k));
      assert.equal(view.lookup(k, 12), want, `the JavaScript look-up of ${hexOf(k)}`);
      assert.equal(view.idOf(k), want);
      assert.equal(view.idOf(hexOf(k)), want);
    }
  }
});

test("checks by ObjectId through sessions (look-up and membership in WebAssembly) agree with the reference; two sessions alternate through one dictionary; a set above 64 KiB is checked in place", () => {
  const keys = Array.from({ length: 3000 }, () => bytesOf(12));
  const { view: dictionary, ids: idOfKey } = objectIdDictionary(keys, 21n);
  const decoder = new Decoder({ expiry: "ignore" });
  const sessionOf = (facilities: number[]) =>
    decoder.open(encode(new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0n, expiresAt: 10n, facilities, groups: [], facilityLineage: 21n }))).facilities;
  const shapes = [
    [], // no facility
    idOfKey.filter(() => random() % 10 === 0), // one array container
    idOfKey.filter((id) => id < 1500), // one run container
    [...new Set(idOfKey.filter(() => random() % 2 === 0))].sort((a, b) => a - b), // an array of ~1,500
    // Members among the dictionary's ids, and ids no key of this copy has yet (later appends):
    // more containers (at most 40 KiB), and 9 × 8 KiB of bitmaps in all: above MAX_SET_COPY.
    [...idOfKey.filter(() => random() % 3 === 0), ...randomIds(5, 40).filter((id) => id >= 65536)],
    [...idOfKey.filter(() => random() % 3 === 0), ...Array.from({ length: 9 }, (_, c) => Array.from({ length: 5000 }, (_, i) => (c + 1) * 65536 + 13 * i)).flat()],
  ];
  const sets = shapes.map((ids) => sessionOf([...new Set(ids)].sort((a, b) => a - b)));
  assert.ok(sets[sets.length - 1].bytes.length > MAX_SET_COPY, "the last set is too large to copy");
  assert.ok(sets.slice(0, -1).every((s) => s.bytes.length <= MAX_SET_COPY));
  const members = sets.map((s) => new Set(s.toArray()));
  const keyed = sets.map((s) => s.keyed(dictionary));
  const probes = [...keys.filter(() => random() % 4 === 0), ...Array.from({ length: 200 }, () => bytesOf(12))];
  const forms = (k: Uint8Array) => {
    const out: KeyLike[] = [k, Buffer.from(k), hexOf(k), hexOf(k).toUpperCase()];
    if (bson) out.push(new bson.ObjectId(hexOf(k)));
    return out;
  };
  // Every probe through every session in turn: each switch of session copies the other set in.
  for (const k of probes) {
    const id = dictionary.lookup(k, 12);
    for (let s = 0; s < sets.length; s++) {
      const want = id !== undefined && members[s].has(id);
      for (const form of forms(k)) assert.equal(keyed[s].has(form), want, `${hexOf(k)} in session ${s}`);
      assert.equal(sets[s].hasKey(dictionary, k), want);
    }
  }
  // Two sessions alternating key by key, and then one session for many keys.
  for (const [a, b] of [[1, 3], [3, 4], [5, 2]]) {
    for (const k of probes.slice(0, 200)) {
      const id = dictionary.lookup(k, 12);
      assert.equal(keyed[a].has(k), id !== undefined && members[a].has(id));
      assert.equal(keyed[b].has(hexOf(k)), id !== undefined && members[b].has(id));
    }
  }
  // filter, hasAny, hasAll take the same keys and give the same answers.
  const want = probes.filter((k) => {
    const id = dictionary.lookup(k, 12);
    return id !== undefined && members[3].has(id);
  });
  assert.deepEqual(keyed[3].filter(probes, (k) => k).map(hexOf), want.map(hexOf));
  // … through every session, in every key form: hasAny and hasAll against the reference, on
  // chunks of mixed keys, of members only and of none; a key that is not one throws even after
  // the answer is known.
  for (let s = 0; s < sets.length; s++) {
    const inSet = (k: Uint8Array) => {
      const id = dictionary.lookup(k, 12);
      return id !== undefined && members[s].has(id);
    };
    const chunks = [probes.slice(0, 3), probes.slice(3, 40), probes.filter(inSet).slice(0, 5), probes.filter((k) => !inSet(k)).slice(0, 5), []];
    for (let f = 0; f < forms(probes[0]).length; f++) {
      for (const chunk of chunks) {
        const asForm = chunk.map((k) => forms(k)[f]);
        assert.equal(keyed[s].hasAny(asForm), chunk.some(inSet), `hasAny, session ${s}, form ${f}, ${chunk.length} keys`);
        assert.equal(keyed[s].hasAll(asForm), chunk.every(inSet), `hasAll, session ${s}, form ${f}, ${chunk.length} keys`);
      }
      const records = probes.map((k) => ({ key: forms(k)[f], hex: hexOf(k) }));
      assert.deepEqual(keyed[s].filter(records, (r) => r.key).map((r) => r.hex), probes.filter(inSet).map(hexOf), `filter, session ${s}, form ${f}`);
    }
    const member = probes.find(inSet);
    if (member !== undefined) {
      assert.throws(() => keyed[s].hasAny([member, 7 as unknown as KeyLike]), { kind: "invalid_input" });
      assert.throws(() => keyed[s].hasAll([hexOf(member), "not an ObjectId"]), { kind: "invalid_input" });
    }
  }
});

test("an empty ObjectId dictionary holds no key, in WebAssembly as in JavaScript", () => {
  const { view } = objectIdDictionary([], 4n);
  const set = new Decoder({ expiry: "ignore" }).open(
    encode(new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0n, expiresAt: 10n, facilities: [0, 1, 2], groups: [], facilityLineage: 4n })),
  ).facilities;
  const keyed = set.keyed(view);
  for (let i = 0; i < 50; i++) {
    const k = bytesOf(12);
    assert.equal(view.idOf(k), undefined);
    assert.equal(keyed.has(k), false);
    assert.equal(keyed.has(hexOf(k)), false);
  }
});

test("the SIMD Roaring checks (order of u16s, 16 at a time; popcount, 16 bytes at a time) agree with plain loops", async () => {
  const { DATA, hashWasm, reserve } = await import("../dist/hash.js");
  const wasm = hashWasm();
  const firstOutOfOrder = (values: number[], previous: number) => {
    for (let i = 0; i < values.length; i++) {
      if (values[i] <= previous) return i;
      previous = values[i];
    }
    return -1;
  };
  const check = (values: number[], previous: number) => {
    const m = reserve(DATA + 2 * values.length + 16);
    const dv = new DataView(m.buffer);
    values.forEach((v, i) => dv.setUint16(DATA + 2 * i, v, true));
    // What follows the values must not matter.
    dv.setUint16(DATA + 2 * values.length, 0, true);
    assert.equal(wasm.ascending16(DATA, values.length, previous), firstOutOfOrder(values, previous), `${values.length} values after ${previous}`);
  };
  for (let count = 0; count <= 40; count++) {
    const ascending = Array.from({ length: count }, (_, i) => 100 + 3 * i);
    check(ascending, -1);
    check(ascending, 99);
    check(ascending, 100);
    // Each position broken in turn: equal to the one before, and below it.
    for (let j = 1; j < count; j++) {
      for (const v of [ascending[j - 1], ascending[j - 1] - 1, 0]) {
        const broken = ascending.slice();
        broken[j] = v;
        check(broken, -1);
      }
    }
  }
  for (let round = 0; round < 30; round++) {
    const count = 64 + (random() % 4033);
    const values = [...new Set(Array.from({ length: count }, () => random() & 0xffff))].sort((a, b) => a - b);
    check(values, -1);
    const j = 1 + (random() % (values.length - 1));
    [values[j - 1], values[j]] = [values[j], values[j - 1]];
    check(values, -1);
  }
  for (let round = 0; round < 20; round++) {
    const bytes = bytesOf(8192);
    if (round % 4 === 0) bytes.fill(round % 8 === 0 ? 0 : 0xff);
    let bits = 0;
    for (const b of bytes) for (let v = b; v !== 0; v &= v - 1) bits++;
    reserve(DATA + 8192).set(bytes, DATA);
    assert.equal(wasm.popcount(DATA, 8192), bits);
  }
});

test("UTF-8 validation (an ASCII prefix inline, then the full check) agrees with a fatal TextDecoder on random strings", async () => {
  const { isUtf8 } = await import("../dist/bytes.js");
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reference = (b: Uint8Array) => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const pieces = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xff], [0xf0, 0x9f, 0x98]];
  for (let round = 0; round < 3000; round++) {
    const out: number[] = [];
    const len = random() % 40;
    while (out.length < len) {
      if (random() % 8 === 0) out.push(...pieces[random() % pieces.length]);
      else out.push(0x20 + (random() % 0x5f));
    }
    // Inside a larger buffer, at an offset, with the bytes around it not ASCII.
    const at = random() % 7;
    const buf = new Uint8Array(at + out.length + 5).fill(0xff);
    buf.set(out, at);
    const dv = new DataView(buf.buffer);
    const want = reference(Uint8Array.from(out));
    assert.equal(isUtf8(buf, at, at + out.length, dv), want, Buffer.from(out).toString("hex"));
    assert.equal(isUtf8(buf, at, at + out.length), want);
  }
});
