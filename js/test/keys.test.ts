// Keys as users hold them: every exported function that takes a dictionary key accepts every
// form of a key of the dictionary's type — a bson ObjectId (the real `bson` package, what the
// mongodb driver hands back), hex text in either case, stored bytes — with one answer for all,
// and refuses everything else with invalid_input. Also newLineage() and the number/Date times.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  Decoder,
  DictionaryDecoder,
  IdDictionary,
  IdDictionaryView,
  Session,
  SessionpackError,
  encode,
  newLineage,
  type KeyLike,
  type MacKey,
  type TimeLike,
} from "../dist/index.js";
import { VECTORS, bin, readJson, type DictEntry } from "./support.js";

// bson is a development dependency of these tests only; the package never imports it.
let bson: typeof import("bson") | undefined;
try {
  bson = await import("bson");
} catch (e) {
  if (process.env.CI) throw new Error(`the bson package (a devDependency of the tests) is not installed: ${(e as Error).message}`);
  console.log("# SKIPPED (checked nothing): the bson package is not installed, so bson ObjectId and UUID forms are not tested (npm install --no-save bson)");
}
const withBson = { skip: bson ? false : "the bson package is not installed" };
/** bson, in a test that `withBson` skips without it. */
function withBsonPackage(): typeof import("bson") {
  assert.ok(bson, "the bson package is not installed");
  return bson;
}

const DICT = path.join(VECTORS, "dict", "v1");
const manifest = readJson<DictEntry[]>(path.join(DICT, "manifest.json"));
const golden = (name: string) => {
  const entry = manifest.find((v) => v.name === name)!;
  return { entry, view: new DictionaryDecoder().open(bin(DICT, name)) };
};

function refusal(kind: string, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof SessionpackError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/** Every form a caller may hold the key with canonical text `text` in, for a dictionary of `keyType`. */
/** `[what, key]`: a form of a key, or something that is not one (typed as a caller's JavaScript may pass it). */
type Form = [string, unknown];

function formsOf(keyType: string, text: string): Form[] {
  if (keyType === "string") {
    return [
      ["text", text],
      ["UTF-8 bytes", new TextEncoder().encode(text)],
      ["Buffer", Buffer.from(text, "utf8")],
    ];
  }
  const hex = text.replaceAll("-", "");
  const forms: Form[] = [
    ["lowercase text", text],
    ["uppercase text", text.toUpperCase()],
    [`${hex.length / 2} bytes`, new Uint8Array(Buffer.from(hex, "hex"))],
    ["Buffer", Buffer.from(hex, "hex")],
    ["bytes inside a larger buffer", new Uint8Array([9, ...Buffer.from(hex, "hex"), 9]).subarray(1, 1 + hex.length / 2)],
  ];
  if (bson && keyType === "objectid") {
    const oid = new bson.ObjectId(text);
    forms.push(
      ["bson ObjectId", oid],
      ["bson ObjectId from bytes", new bson.ObjectId(Buffer.from(hex, "hex"))],
      ["bson ObjectId read back from a document", bson.deserialize(bson.serialize({ _id: oid }))._id],
    );
  }
  if (bson && keyType === "uuid") {
    const uuid = new bson.UUID(text);
    forms.push(
      ["bson UUID", uuid],
      ["bson Binary of subtype 4", new bson.Binary(Buffer.from(hex, "hex"), 4)],
      ["bson UUID read back from a document", bson.deserialize(bson.serialize({ u: uuid })).u],
    );
  }
  return forms;
}

/** What is not a key of a dictionary of `keyType`. */
function nonKeysOf(keyType: string): Form[] {
  const common: Form[] = [
    ["a number", 42],
    ["a bigint", 42n],
    ["true", true],
    ["{}", {}],
    ["an array", [1, 2, 3]],
    ["null", null],
    ["undefined", undefined],
    ["a function", () => "6926c19047abb94d0ee3aad9"],
  ];
  if (keyType === "objectid") {
    return [
      ...common,
      ["23 hex digits", "6926c19047abb94d0ee3aad"],
      ["25 hex digits", "6926c19047abb94d0ee3aad90"],
      ["24 characters with non-hex", "6926c19047abb94d0ee3aadz"],
      ["24 characters with a space", " 926c19047abb94d0ee3aad9"],
      ["a UUID's text", "123e4567-e89b-12d3-a456-426614174000"],
      ["the empty string", ""],
      ["11 bytes", new Uint8Array(11)],
      ["13 bytes", new Uint8Array(13)],
      ["a Uint16Array of 12", new Uint16Array(12)],
      ["an ArrayBuffer of 12 bytes", new ArrayBuffer(12)],
      ...(bson
        ? ([
            ["a bson UUID", new bson.UUID("123e4567-e89b-12d3-a456-426614174000")],
            ["a bson Binary of 12 bytes", new bson.Binary(new Uint8Array(12), 0)],
          ] as Form[])
        : []),
    ];
  }
  if (keyType === "uuid") {
    return [
      ...common,
      ["32 hex digits without dashes", "123e4567e89b12d3a456426614174000"],
      ["36 characters with non-hex", "123e4567-e89b-12d3-a456-42661417400z"],
      ["dashes misplaced", "123e4567e-89b-12d3-a456-426614174000"],
      ["15 bytes", new Uint8Array(15)],
      ["17 bytes", new Uint8Array(17)],
      ...(bson
        ? ([
            ["a bson ObjectId", new bson.ObjectId("6926c19047abb94d0ee3aad9")],
            ["a bson Binary of subtype 3 (legacy UUID)", new bson.Binary(new Uint8Array(16), 3)],
            ["a bson Binary of subtype 4 and 15 bytes", new bson.Binary(new Uint8Array(15), 4)],
          ] as Form[])
        : []),
    ];
  }
  return [
    ...common,
    ["65 characters", "x".repeat(65)],
    ["33 two-byte characters (66 UTF-8 bytes)", "ü".repeat(33)],
    ["a lone surrogate", "ward \ud800"],
    ["65 bytes", new Uint8Array(65).fill(0x61)],
    ["bytes that are not UTF-8", Uint8Array.of(0x61, 0xff)],
    ...(bson ? ([["a bson ObjectId", new bson.ObjectId("6926c19047abb94d0ee3aad9")]] as Form[]) : []),
  ];
}

/**
 * A session whose set of the dictionary's kind holds every third key of `dict`, encoded and
 * opened; and every exported function that takes a key, as `[name, key => answer]`.
 */
function functionsOver(dict: IdDictionaryView) {
  const kind = dict.kind;
  const held = dict.keys().filter((_, i) => i % 3 === 0);
  const fresh = () => new Session({ userId: "u", tenantId: dict.tenant, token: "t", issuedAt: 0, expiresAt: 1 });
  const withKeys = (s: Session, keys: Iterable<KeyLike>) => (kind === "facility" ? s.withFacilityKeys(dict, keys) : s.withGroupKeys(dict, keys));
  const view = new Decoder({ expiry: "ignore" }).open(encode(withKeys(fresh(), held)));
  const set = kind === "facility" ? view.facilities : view.groups;
  const keyed = set.keyed(dict);
  const owned = dict.toDictionary();
  // A record as a service has it: the key in a field (a bson document when bson is there).
  const record = (key: KeyLike) => ({ key, name: "r" });
  // Each takes what a caller's JavaScript may pass: a key, or anything else (cast to KeyLike).
  const functions: [string, (k: unknown) => unknown][] = [
    ["IdDictionaryView.idOf", (k) => dict.idOf(k as KeyLike)],
    ["IdDictionaryView.id_of", (k) => dict.id_of(k as KeyLike)],
    ["KeyedIdSet.has", (k) => keyed.has(k as KeyLike)],
    ["KeyedIdSet.hasAny", (k) => keyed.hasAny([k as KeyLike])],
    ["KeyedIdSet.hasAll", (k) => keyed.hasAll([k as KeyLike])],
    ["KeyedIdSet.filter", (k) => keyed.filter([record(k as KeyLike)], (r) => r.key).length],
    ["IdSet.hasKey", (k) => set.hasKey(dict, k as KeyLike)],
    [
      kind === "facility" ? "Session.withFacilityKeys" : "Session.withGroupKeys",
      (k) => {
        try {
          const s = withKeys(fresh(), [k as KeyLike]);
          return kind === "facility" ? s.facilities : s.groups;
        } catch (e) {
          // A key the dictionary lacks is its own error, told apart from a non-key.
          if (e instanceof SessionpackError && /is not in the (facility|group) dictionary/.test(e.message)) return "not in the dictionary";
          throw e;
        }
      },
    ],
    ["IdDictionary.append", (k) => owned.append([k as KeyLike]).ids],
  ];
  return { functions, keyed, set, held, view };
}

const DICTIONARIES = [
  ["objectid", "ffffffffffffffffffffffff"],
  ["uuid", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
  ["string", "not a key of this vector"],
];

for (const [name, unknown] of DICTIONARIES) {
  test(`${name} dictionary: every key-taking function gives one answer for every form of a key`, () => {
    const { entry, view: dict } = golden(name);
    assert.equal(dict.keyType, name);
    assert.ok(!entry.keys.includes(unknown));
    const { functions, held } = functionsOver(dict);
    // A member, a key of the dictionary outside the set, and a well-formed key it lacks.
    const cases: [string, string, boolean | undefined][] = [
      ["a member", held[1], true],
      ["a key outside the set", entry.keys[1], false],
      ["a key the dictionary lacks", unknown, undefined],
    ];
    let checks = 0;
    for (const [fn, call] of functions) {
      for (const [what, text, member] of cases) {
        const forms = formsOf(name, text);
        const want = call(text);
        // The text form's answer is the right one …
        if (fn.endsWith("has") || fn.endsWith("hasAny") || fn.endsWith("hasAll") || fn === "IdSet.hasKey") assert.equal(want, member === true, `${fn}, ${what}`);
        if (fn.startsWith("IdDictionaryView.")) assert.equal(want, member === undefined ? undefined : entry.keys.indexOf(text), `${fn}, ${what}`);
        if (fn === "KeyedIdSet.filter") assert.equal(want, member === true ? 1 : 0, `${fn}, ${what}`);
        if (fn.startsWith("Session.")) assert.deepEqual(want, member === undefined ? "not in the dictionary" : [entry.keys.indexOf(text)], `${fn}, ${what}`);
        if (fn === "IdDictionary.append") assert.deepEqual(want, [member === undefined ? entry.keys.length : entry.keys.indexOf(text)], `${fn}, ${what}`);
        // … and every other form agrees.
        for (const [form, key] of forms) {
          assert.deepEqual(call(key), want, `${fn}: ${what} as ${form}`);
          checks++;
        }
      }
    }
    assert.ok(checks >= functions.length * 3 * (name === "string" ? 3 : 5));
  });

  test(`${name} dictionary: every key-taking function refuses what is not a key with invalid_input`, () => {
    const { view: dict } = golden(name);
    const { functions } = functionsOver(dict);
    const nonKeys = nonKeysOf(name);
    for (const [fn, call] of functions) {
      for (const [what, key] of nonKeys) {
        assert.throws(
          () => call(key),
          (e) => {
            assert.ok(e instanceof SessionpackError, `${fn}(${what}): ${String(e)}`);
            assert.equal(e.kind, "invalid_input", `${fn}(${what}): ${e.message}`);
            // It names the function, what it expected and that this is not a key.
            assert.ok(e.message.startsWith(fn.split(".")[0]), `${fn}(${what}): ${e.message}`);
            assert.match(e.message, new RegExp(`is not a key of this ${name} dictionary; expected an? ${name === "objectid" ? "ObjectId" : name === "uuid" ? "UUID" : "string"} key`));
            return true;
          },
          `${fn}(${what}) did not throw invalid_input`,
        );
      }
    }
  });
}

test("every ObjectId of the golden dictionary, as a bson ObjectId, has its id", withBson, () => {
  const bson = withBsonPackage();
  for (const name of ["objectid", "signed"]) {
    const entry = manifest.find((v) => v.name === name)!;
    const key = { id: entry.key?.[0], key: entry.key ? Buffer.from(entry.key[1], "hex") : undefined };
    const dict = new DictionaryDecoder({ keys: entry.key ? [key as MacKey] : [] }).open(bin(DICT, name));
    entry.keys.forEach((k, id) => {
      assert.equal(dict.idOf(new bson.ObjectId(k)), id);
      assert.equal(dict.idOf(bson.ObjectId.createFromHexString(k.toUpperCase())), id);
    });
    assert.equal(dict.idOf(new bson.ObjectId()), undefined); // a fresh ObjectId: well-formed, unknown
  }
  // Writing with ObjectIds gives the golden bytes.
  const entry = manifest.find((v) => v.name === "objectid")!;
  const { dictionary } = IdDictionary.create({ tenant: entry.tenant, kind: entry.kind, keyType: "objectid", lineage: BigInt("0x" + entry.lineage) }).append(
    entry.keys.map((k) => new bson.ObjectId(k)),
  );
  assert.ok(Buffer.from(dictionary.toBytes()).equals(Buffer.from(bin(DICT, "objectid"))));
});

test("the PHI filter over records straight from the driver: bson documents with ObjectId fields", withBson, () => {
  const { entry, view: dict } = golden("objectid");
  const { keyed, held } = functionsOver(dict);
  const bson = withBsonPackage();
  const records = entry.keys.slice(0, 30).map((k, n) => bson.deserialize(bson.serialize({ _id: new bson.ObjectId(), facilityId: new bson.ObjectId(k), n })));
  const visible = keyed.filter(records, (r) => r.facilityId as KeyLike).map((r) => r.n as number);
  assert.deepEqual(visible, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
  assert.deepEqual(visible.map((n) => entry.keys[n]), held.slice(0, 10));
  // One record without its key: the whole filter is refused, never a silent drop.
  const broken = [...records, { n: 99 }];
  assert.throws(() => keyed.filter(broken, (r) => r.facilityId as KeyLike), refusal("invalid_input", /KeyedIdSet\.filter \(the key of an item\): undefined is not a key/));
  assert.throws(() => keyed.filter(records, "facilityId" as never), refusal("invalid_input", /keyOf must be a function/));
});

test("hasAny and hasAll check every key, whatever the answer", () => {
  const { entry, view: dict } = golden("objectid");
  const { keyed, held } = functionsOver(dict);
  assert.equal(keyed.hasAny([held[0], entry.keys[1]]), true);
  assert.equal(keyed.hasAll([held[0], entry.keys[1]]), false);
  assert.equal(keyed.hasAll([]), true);
  assert.equal(keyed.hasAny([]), false);
  assert.throws(() => keyed.hasAny([held[0], null as never]), refusal("invalid_input", /^KeyedIdSet\.hasAny: null is not a key/));
  assert.throws(() => keyed.hasAll([entry.keys[1], 7 as never]), refusal("invalid_input", /^KeyedIdSet\.hasAll: the number 7 is not a key/));
});

test("the messages: what was expected, what was given, and a key the dictionary lacks", () => {
  const { view: dict } = golden("objectid");
  const { view: groups } = golden("uuid");
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof SessionpackError);
      assert.equal(e.kind, "invalid_input");
      return e.message;
    }
    assert.fail("no error");
  };
  assert.equal(
    message(() => dict.idOf(42 as never)),
    "IdDictionaryView.idOf: the number 42 is not a key of this objectid dictionary; expected an ObjectId key: a bson/mongodb ObjectId, 24 hexadecimal digits (either case), or its 12 bytes (a Uint8Array or Buffer)",
  );
  assert.match(message(() => dict.idOf("6926c19047abb94d0ee3aad")), /the text "6926c19047abb94d0ee3aad" \(23 characters, not 24 hexadecimal digits\)/);
  assert.match(message(() => dict.idOf("6926c19047abb94d0ee3aadz")), /\(24 characters, not all hexadecimal digits\)/);
  assert.match(message(() => dict.idOf(new Uint8Array(11))), /: 11 bytes \(not 12\) is not a key/);
  assert.match(message(() => dict.idOf({} as never)), /: an object is not a key/);
  assert.match(message(() => groups.idOf("123e4567e89b12d3a456426614174000")), /not 8-4-4-4-12 hexadecimal digits.*expected a UUID key/);
  const s = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0, expiresAt: 1 });
  // A non-key says it is not a key; a key the dictionary lacks says so, in its canonical text.
  assert.match(message(() => s.withFacilityKeys(dict, [undefined as never])), /^Session\.withFacilityKeys: undefined is not a key of this objectid dictionary/);
  assert.match(
    message(() => s.withFacilityKeys(dict, ["FFFFFFFFFFFFFFFFFFFFFFFF"])),
    /^Session\.withFacilityKeys: the key "ffffffffffffffffffffffff" is not in the facility dictionary \(tenant "acme", lineage 9e3779b97f4a7c15, 200 keys\): append it with IdDictionary\.append first/,
  );
  assert.deepEqual(s.facilities, []); // nothing was added
  assert.match(message(() => new Session(s).withGroupKeys(groups, [new Uint8Array(16).fill(0xab)])), /the key "abababab-abab-abab-abab-abababababab" is not in the group dictionary/);
  if (bson) {
    assert.match(message(() => dict.idOf(new bson.UUID())), /a bson Binary of subtype 4 is not a key of this objectid dictionary/);
    assert.match(message(() => groups.idOf(new bson.Binary(new Uint8Array(16), 3))), /subtype 3 \(a legacy UUID.*convert it to subtype 4\)/);
    assert.match(message(() => golden("string").view.idOf(new bson.ObjectId())), /a bson ObjectId is not a key of this string dictionary/);
  }
});

test("bson is installed for these tests", withBson, () => {
  const bson = withBsonPackage();
  // The shapes the package recognises, from the real package: `_bsontype`, and `id` (12 bytes).
  const oid = new bson.ObjectId();
  assert.ok(oid._bsontype === "ObjectId" || oid._bsontype === "ObjectID");
  assert.ok(oid.id instanceof Uint8Array && oid.id.length === 12);
  assert.match(oid.toHexString(), /^[0-9a-f]{24}$/);
});

test("newLineage: crypto-random, non-zero 64-bit bigints", () => {
  const seen = new Set();
  let high = 0;
  for (let i = 0; i < 2000; i++) {
    const l = newLineage();
    assert.equal(typeof l, "bigint");
    assert.ok(l > 0n && l < 1n << 64n, String(l));
    if (l >= 1n << 63n) high++;
    seen.add(l);
  }
  assert.equal(seen.size, 2000);
  assert.ok(high > 850 && high < 1150, `top bit set in ${high} of 2000`); // all 64 bits are drawn
  // A dictionary draws its own when given none; the lineage binds sessions to it.
  const a = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid" });
  const b = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid" });
  assert.notEqual(a.lineage, b.lineage);
  const lineage = newLineage();
  const { dictionary } = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid", lineage }).append(["6926c19047abb94d0ee3aad9"]);
  const view = IdDictionaryView.open(dictionary.toBytes());
  assert.equal(view.lineage, lineage);
  const s = new Session({ userId: "u", tenantId: "acme", token: "k", issuedAt: 0, expiresAt: 1 }).withFacilityKeys(view, ["6926c19047abb94d0ee3aad9"]);
  assert.equal(s.facilityLineage, lineage);
  assert.ok(new Decoder({ expiry: "ignore" }).open(encode(s)).facilities.keyed(view).has("6926C19047ABB94D0EE3AAD9"));
  for (const bad of [null, 0n, 1n << 64n, -1n, 5]) {
    assert.throws(() => IdDictionary.create({ tenant: "t", kind: "group", keyType: "string", lineage: bad as bigint }), refusal("invalid_input", /newLineage\(\)/));
  }
});

test("times: exact bigints, and number and Date forms for everyday arithmetic", () => {
  const issued = new Date("2026-11-20T08:00:00.123Z");
  const expires = issued.getTime() + 3_600_000;
  const s = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: issued, expiresAt: expires });
  assert.equal(s.issuedAt, BigInt(issued.getTime()));
  assert.equal(s.expiresAt, BigInt(expires));
  // Date, number and bigint give the same session, byte for byte.
  const same = [
    { issuedAt: issued.getTime(), expiresAt: BigInt(expires) },
    { issuedAt: BigInt(issued.getTime()), expiresAt: new Date(expires) },
  ];
  for (const t of same) assert.ok(Buffer.from(encode({ userId: "u", tenantId: "t", token: "k", ...t })).equals(Buffer.from(encode(s))));
  const view = new Decoder({ expiry: { rejectAt: issued.getTime() } }).open(encode(s));
  for (const x of [s, view]) {
    assert.equal(x.issuedAtMs, issued.getTime());
    assert.equal(x.expiresAtMs, expires);
    assert.ok(x.issuedAtDate instanceof Date);
    assert.equal(x.issuedAtDate.toISOString(), "2026-11-20T08:00:00.123Z");
    assert.equal(x.expiresAtDate.getTime(), expires);
    assert.notEqual(x.expiresAtDate, x.expiresAtDate); // a new Date each time: changing one changes nothing
    assert.equal(x.expiresAtMs - issued.getTime(), 3_600_000); // arithmetic with numbers just works
    assert.equal(typeof (x.expiresAtMs - Date.now()), "number");
    assert.equal(x.isExpiredAt(new Date(expires - 1)), false);
    assert.equal(x.isExpiredAt(new Date(expires)), true);
    assert.equal(x.isExpiredAt(expires), true);
    assert.equal(x.isExpiredAt(BigInt(expires) - 1n), false);
    assert.equal(x.isExpiredAt(1n << 70n), true); // any bigint compares exactly
    assert.equal(x.isExpiredAt(-(1n << 70n)), false);
    for (const bad of [0.5, NaN, Infinity, new Date(NaN), "5", null, undefined]) {
      assert.throws(() => x.isExpiredAt(bad as TimeLike), refusal("invalid_input"), String(bad));
    }
  }
  for (const bad of [1.5, NaN, -Infinity, 2 ** 53, new Date(NaN), "1000", null, undefined, 1n << 63n]) {
    assert.throws(() => new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0, expiresAt: bad as TimeLike }), refusal("invalid_input"), String(bad));
    assert.throws(() => encode({ userId: "u", tenantId: "t", token: "k", issuedAt: bad as TimeLike, expiresAt: 1 }), refusal("invalid_input"), String(bad));
  }
});

test("times: a number form never rounds, a Date never goes invalid: beyond them, limit", () => {
  const MAX = BigInt(Number.MAX_SAFE_INTEGER); // 2^53 - 1
  const DATE_MAX = 8_640_000_000_000_000n;
  const I64_MAX = (1n << 63n) - 1n;
  const at = (issuedAt: TimeLike, expiresAt: TimeLike) => {
    const s = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt, expiresAt });
    return [s, new Decoder({ expiry: "ignore" }).open(encode(s))];
  };
  for (const x of at(-MAX, MAX)) {
    assert.equal(x.issuedAtMs, -Number.MAX_SAFE_INTEGER);
    assert.equal(x.expiresAtMs, Number.MAX_SAFE_INTEGER);
    assert.throws(() => x.expiresAtDate, refusal("limit", /beyond a Date's range.*read expiresAt, a bigint/));
  }
  for (const x of at(-DATE_MAX, DATE_MAX)) {
    assert.equal(x.issuedAtDate.getTime(), -8.64e15);
    assert.equal(x.expiresAtDate.toISOString(), "+275760-09-13T00:00:00.000Z");
    assert.equal(x.expiresAtMs, 8.64e15);
  }
  // 2^53 + 1 has no number: the bigint stays exact, the number form refuses.
  for (const x of at(-(MAX + 1n), MAX + 2n)) {
    assert.equal(x.expiresAt, 9007199254740993n);
    assert.throws(() => x.expiresAtMs, refusal("limit", /expiresAt 9007199254740993 \(Unix ms\) is beyond what a number holds exactly/));
    assert.throws(() => x.issuedAtMs, refusal("limit", /issuedAt -9007199254740992/));
    assert.equal(x.isExpiredAt(Number.MAX_SAFE_INTEGER), false);
    assert.equal(x.isExpiredAt(MAX + 2n), true);
  }
  // A session written to "never" expire (i64::MAX): only the bigint and isExpiredAt.
  for (const x of at(0, I64_MAX)) {
    assert.equal(x.expiresAt, I64_MAX);
    assert.throws(() => x.expiresAtMs, refusal("limit"));
    assert.throws(() => x.expiresAtDate, refusal("limit"));
    assert.equal(x.isExpiredAt(new Date(8.64e15)), false);
    assert.equal(x.issuedAtMs, 0);
  }
  // The golden vectors' times read the same in every form.
  const v1 = new Decoder({ expiry: "ignore" }).open(bin(path.join(VECTORS, "v1"), "raw"));
  assert.equal(BigInt(v1.issuedAtMs), v1.issuedAt);
  assert.equal(BigInt(v1.expiresAtDate.getTime()), v1.expiresAt);
});
