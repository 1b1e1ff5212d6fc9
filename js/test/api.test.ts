// The API beyond the vectors: JSON edge cases, id sets, decoder policies, encoder refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  Decoder,
  DictionaryDecoder,
  Header,
  IdDictionary,
  IdSet,
  Session,
  SessionpackError,
  detect,
  encode,
  encodeIdSet,
} from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import { VECTORS, bin } from "./support.js";

const KEY = { id: 7, key: Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex") };
const OTHER = { id: 9, key: new Uint8Array(32).fill(9) };
const V1 = path.join(VECTORS, "v1");

function refusal(kind: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SessionpackError, String(e));
    assert.equal(e.kind, kind, e.message);
    return true;
  };
}

const base = () =>
  new Session({
    userId: "u1",
    tenantId: "acme",
    token: "tok",
    issuedAt: 1000n,
    expiresAt: 2000n,
    roles: ["staff"],
    settings: { lang: "en" },
    facilities: [3, 1, 2],
    groups: [10],
  });

test("xxh64 matches the reference implementation", () => {
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = Math.imul(i, 2654435761) >>> 24;
  const expected = {
    0: "ef46db3751d8e999", 1: "e934a84adb052768", 3: "a9cf36b41f9e7d09", 4: "435f59a33b7eb3d1",
    7: "651c1bb8102d53ea", 8: "538cac3b18f9ef8e", 9: "8205bfaa3589d37e", 15: "241184d4482ff811",
    16: "2b72a043e551fe02", 31: "4071dd1310fa5da9", 32: "13ee8a64346f0691", 33: "f75619499e2e2e99",
    63: "63a89bd4f10c9d1e", 64: "fb24d94de825912f", 65: "b853730901e1daee", 100: "8a5b7a72e578e053",
    1000: "8420addb9882cc1b", [1 << 20]: "fc4aa44e4c19d879",
  };
  for (const [n, hex] of Object.entries(expected)) {
    assert.equal(xxh64(big.subarray(0, Number(n))).toString(16).padStart(16, "0"), hex, `length ${n}`);
  }
  assert.equal(xxh64(new TextEncoder().encode("a")), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxh64(new TextEncoder().encode("bc")), 0xbb3f8503e9967519n);
});

test("the spec example (SPEC.md §15) is what encode writes", () => {
  assert.ok(Buffer.from(encode(base())).equals(Buffer.from(bin(V1, "spec_example"))));
  assert.equal(Header.read(encode(base())).digest, 0x9711a3ecac56906an);
});

test("JSON: integers are exact", () => {
  const text = (issued: string, expires: string) =>
    `{"user_id":"u","tenant_id":"t","token":"k","issued_at":${issued},"expires_at":${expires},"roles":[],"settings":{},"attributes":{},"facilities":[4294967295,0],"groups":[]}`;
  const s = Session.fromJson(text("9007199254740993", "9223372036854775807"));
  assert.equal(s.issuedAt, 9007199254740993n);
  assert.equal(s.expiresAt, 9223372036854775807n);
  assert.deepEqual(s.facilities, [0, 4294967295]);
  assert.equal(s.toJson(), text("9007199254740993", "9223372036854775807").replace("[4294967295,0]", "[0,4294967295]"));
  const view = new Decoder({ expiry: "ignore" }).open(encode(s));
  assert.equal(view.issuedAt, 9007199254740993n);
  assert.equal(view.toJson(), s.toJson());
  assert.equal(Session.fromJson(text("-9223372036854775808", "0")).issuedAt, -(1n << 63n));
  for (const [issued, expires] of [
    ["9223372036854775808", "9223372036854775808"],
    ["-9223372036854775809", "0"],
    ["-0", "0"],
    ["0", "1.0"],
    ["0", "1e3"],
    ["0", "1E3"],
    ["01", "2"],
    ["+1", "2"],
    ["0", '"5"'],
    ["0", "null"],
    ["0", "true"],
    ["2", "1"],
  ]) {
    assert.throws(() => Session.fromJson(text(issued, expires)), refusal("invalid_input"), `${issued} ${expires}`);
  }
});

test("JSON: the reader refuses what the Rust reader refuses", () => {
  const ok = '{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,"roles":[],"settings":{},"attributes":{},"facilities":[],"groups":[]}';
  Session.fromJson(ok);
  Session.fromJson(` \t\r\n${ok} \n`);
  Session.fromJson(new TextEncoder().encode(ok));
  const bad = [
    "",
    "[]",
    '"x"',
    ok.slice(0, -1),
    ok + "x",
    ok + "{}",
    "\uFEFF" + ok,
    ok.replace('"token":"k",', ""), // missing
    ok.replace('"groups":[]', '"groups":[],"groups":[]'), // duplicate field
    ok.replace('"groups":[]', '"groups":[],"extra":1'), // unknown field
    ok.replace('"groups":[]', '"groups":[1,1]'),
    ok.replace('"groups":[]', '"groups":[-1]'),
    ok.replace('"groups":[]', '"groups":[4294967296]'),
    ok.replace('"groups":[]', '"groups":[1.5]'),
    ok.replace('"groups":[]', '"groups":[1,]'),
    ok.replace('"groups":[]', '"groups":{}'),
    ok.replace('"settings":{}', '"settings":{"a":"1","a":"2"}'),
    ok.replace('"settings":{}', '"settings":{"a":1}'),
    ok.replace('"settings":{}', '"settings":[]'),
    ok.replace('"roles":[]', '"roles":["a",["b"]]'),
    ok.replace('"roles":[]', '"roles":"a"'),
    ok.replace('"u"', '"\\ud800"'),
    ok.replace('"u"', '"\\udc00"'),
    ok.replace('"u"', '"\\ud800x"'),
    ok.replace('"u"', '"\\x"'),
    ok.replace('"u"', '"a\u0001"'),
    ok.replace('"u"', '"a\nb"'),
    ok.replace('"u"', '"\ud800"'), // a lone surrogate in the JS string itself
    ok.replace('"u"', "5"),
    ok.replace('"t"', "null"),
  ];
  for (const text of bad) assert.throws(() => Session.fromJson(text), refusal("invalid_input"), JSON.stringify(text));
  assert.throws(() => Session.fromJson(new Uint8Array([0x7b, 0xff, 0x7d])), refusal("invalid_input"));
  // Escapes, in keys too.
  const s = Session.fromJson(ok.replace('"user_id":"u"', '"user\\u005fid":"\\ud83e\\ude7a\\/\\"\\\\\\b\\f\\n\\r\\t\\u00e9"'));
  assert.equal(s.userId, "🩺/\"\\\b\f\n\r\té");
});

test("JSON: limits are refused as limit, after the form", () => {
  const make = (f: (s: Record<string, unknown>) => unknown) => {
    const s = {
      user_id: "u", tenant_id: "t", token: "k", issued_at: 0, expires_at: 1, roles: [], settings: {},
      attributes: {}, facilities: [], groups: [],
    };
    f(s);
    return JSON.stringify(s);
  };
  Session.fromJson(make((s) => (s.token = "x".repeat(16384))));
  assert.throws(() => Session.fromJson(make((s) => (s.token = "x".repeat(16385)))), refusal("limit"));
  assert.throws(() => Session.fromJson(make((s) => (s.user_id = "é".repeat(8193)))), refusal("limit"));
  Session.fromJson(make((s) => (s.roles = Array<string>(1024).fill("r"))));
  assert.throws(() => Session.fromJson(make((s) => (s.roles = Array<string>(1025).fill("r")))), refusal("limit"));
  assert.throws(() => Session.fromJson(make((s) => (s.settings = { k: "v".repeat(16385) }))), refusal("limit"));
  assert.throws(() => Session.fromJson(make((s) => (s.attributes = { ["k".repeat(16385)]: "v" }))), refusal("limit"));
  assert.throws(() => Session.fromJson(make((s) => (s.roles = ["a", "b"])), { limits: { maxRoles: 1 } }), refusal("limit"));
  // A form error comes first.
  assert.throws(() => Session.fromJson(make((s) => ((s.token = "x".repeat(16385)), (s.issued_at = 2)))), refusal("invalid_input"));
});

test("JSON: strings are escaped as serde_json does", () => {
  let all = "";
  for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
  all += "\u2028\u2029é🩺";
  const s = base();
  s.token = all;
  const json = s.toJson();
  assert.ok(
    json.includes(
      '"token":"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f" +
        ' !\\"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\u007f\u2028\u2029é🩺"',
    ),
  );
  assert.equal(Session.fromJson(json).token, all);
  assert.equal(new Decoder({ expiry: "ignore" }).open(encode(s)).toJson(), json);
});

test("settings and attributes are written in UTF-8 byte order", () => {
  const s = base();
  // U+FF5E sorts after U+1F600 in UTF-16 units, before it in UTF-8 bytes.
  s.settings = new Map([["😀", "1"], ["～", "2"], ["a", "3"], ["", "4"], ["ab", "5"]]);
  const view = new Decoder({ expiry: "ignore" }).open(encode(s));
  assert.deepEqual([...view.settings.keys()], ["", "a", "ab", "～", "😀"]);
  for (const [k, v] of s.settings) assert.equal(view.setting(k), v);
  assert.equal(view.setting("b"), undefined);
  assert.equal(view.setting("\ud800"), undefined);
  assert.equal(view.attribute("a"), undefined);
  assert.equal(view.toJson(), s.toJson());
  assert.ok(view.toJson().includes('"settings":{"":"4","a":"3","ab":"5","～":"2","😀":"1"}'));
});

test("SessionView reads every field", () => {
  const s = base();
  s.roles = ["staff", "", "staff", "管理者"];
  s.attributes = new Map([["dept", "icu"]]);
  const blob = encode(s, { key: KEY });
  const view = new Decoder({ keys: [KEY], expiry: { rejectAt: 1999 } }).open(blob);
  assert.equal(view.userId, "u1");
  assert.equal(view.tenantId, "acme");
  assert.equal(view.token, "tok");
  assert.equal(view.issuedAt, 1000n);
  assert.equal(view.expiresAt, 2000n);
  assert.equal(view.version, 1);
  assert.deepEqual(view.roles, ["staff", "", "staff", "管理者"]);
  assert.ok(view.hasRole("管理者") && view.hasRole("") && !view.hasRole("admin"));
  assert.equal(view.attribute("dept"), "icu");
  assert.equal(view.facilityLineage, undefined);
  assert.equal(view.facilities.lineage, undefined);
  assert.ok(view.isExpiredAt(2000) && !view.isExpiredAt(1999n));
  assert.ok(view.header.sameDigest(Header.read(blob.subarray(0, 40))));
  assert.deepEqual(view.toSession(), s);
});

test("id sets: membership, bounds, iteration and set operations", () => {
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
  const shapes = [
    [],
    [0],
    [4294967295],
    [0, 4294967295],
    Array.from({ length: 5000 }, (_, i) => 1000 + i), // one run
    Array.from({ length: 4096 }, (_, i) => 2 * i), // array at the limit
    Array.from({ length: 4097 }, (_, i) => 2 * i), // bitmap
    Array.from({ length: 30 }, (_, i) => i * 65536), // 30 containers, no runs: cookie 12346
    Array.from({ length: 2000 }, () => rand() % 300000),
    Array.from({ length: 500 }, () => rand()),
  ];
  for (const raw of shapes) {
    const ids = [...new Set(raw)].sort((a, b) => a - b);
    const bytes = encodeIdSet(ids);
    const set = IdSet.from(bytes);
    assert.equal(set.size, ids.length);
    assert.deepEqual(set.toArray(), ids);
    assert.deepEqual([...set], ids);
    assert.equal(set.min, ids[0]);
    assert.equal(set.max, ids.at(-1));
    const member = new Set(ids);
    for (const id of ids.slice(0, 300)) assert.ok(set.has(id));
    for (let i = 0; i < 300; i++) {
      const probe = rand() % 400000;
      assert.equal(set.has(probe), member.has(probe));
      assert.equal(set.has(probe + 1), member.has(probe + 1));
    }
    assert.ok(!set.has(-1) && !set.has(1.5) && !set.has(2 ** 32) && !set.has(NaN));
    assert.equal(set.hasAny([]), false);
    assert.equal(set.hasAll([]), true);
    if (ids.length > 0) {
      assert.ok(set.hasAny([ids[0], 7.5]));
      assert.ok(set.hasAll(ids.slice(0, 10)));
      assert.deepEqual(set.filter([ids.at(-1)!, -3, ids[0]]), [ids.at(-1), ids[0]]);
      assert.ok(set.intersects(IdSet.from(encodeIdSet([ids.at(-1)!]))));
    }
    assert.ok(!set.intersects(IdSet.from(encodeIdSet([]))));
  }
  assert.equal(encodeIdSet(Array.from({ length: 5000 }, (_, i) => 1000 + i)).length, 15);
  const no12347 = encodeIdSet(Array.from({ length: 30 }, (_, i) => i * 65536));
  assert.deepEqual([...no12347.subarray(0, 8)], [0x3a, 0x30, 0, 0, 30, 0, 0, 0]);
  assert.ok(!IdSet.from(encodeIdSet([1, 3, 5])).intersects(IdSet.from(encodeIdSet([2, 4, 6]))));
  // Sets other writers produce (non-canonical) are read too: cookie 12346 with one container.
  const other = Uint8Array.of(0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 5, 0, 9, 0);
  assert.deepEqual(IdSet.from(other).toArray(), [5, 9]);
  assert.throws(() => IdSet.from(Uint8Array.of(1, 2, 3)), refusal("corrupt"));
});

test("decoder: keys imply a MAC; allowUnsigned weakens that only for unsigned blobs", () => {
  const unsigned = encode(base());
  const signed = encode(base(), { key: KEY });
  const at = { rejectAt: 1500 };
  assert.throws(() => new Decoder({ keys: [KEY], expiry: at }).open(unsigned), refusal("unauthenticated"));
  new Decoder({ keys: [KEY], expiry: at }).open(signed);
  new Decoder({ keys: [KEY], allowUnsigned: true, expiry: at }).open(unsigned);
  assert.throws(() => new Decoder({ keys: [OTHER], allowUnsigned: true, expiry: at }).open(signed), refusal("unauthenticated"));
  assert.throws(() => new Decoder({ expiry: at }).open(signed), refusal("unauthenticated"));
  new Decoder({ expiry: at }).open(unsigned);
  assert.throws(() => new Decoder({ keys: [{ id: 7, key: OTHER.key }], expiry: at }).open(signed), refusal("unauthenticated"));
  // Rotation: remove a key, add one.
  const d = new Decoder({ keys: [KEY, OTHER], expiry: at });
  d.open(signed);
  assert.ok(d.keys.remove(7));
  assert.throws(() => d.open(signed), refusal("unauthenticated"));
  d.keys.add(KEY);
  d.open(signed);
  assert.deepEqual(d.keys.ids(), [7, 9]);
  assert.throws(() => new Decoder({ keys: [{ id: 0, key: KEY.key }] }), refusal("invalid_input"));
  assert.throws(() => new Decoder({ keys: [{ id: 1, key: new Uint8Array(15) }] }), refusal("invalid_input"));
});

test("decoder: expiry", () => {
  const blob = encode(base());
  assert.throws(() => new Decoder().open(blob), refusal("expired")); // expired in 1970, by the clock
  assert.throws(() => new Decoder({ expiry: { rejectAt: 2000 } }).open(blob), refusal("expired"));
  assert.throws(() => new Decoder({ expiry: { rejectAt: 2000n } }).open(blob), refusal("expired"));
  new Decoder({ expiry: { rejectAt: 1999 } }).open(blob);
  new Decoder({ expiry: "ignore" }).open(blob);
  const forever = base();
  forever.expiresAt = (1n << 63n) - 1n;
  new Decoder().open(encode(forever));
  assert.throws(() => new Decoder({ expiry: "sometimes" as never }), TypeError);
});

test("decoder: limits apply from the header", () => {
  const s = base();
  s.roles = ["a", "b", "c"];
  assert.throws(() => new Decoder({ expiry: "ignore", limits: { maxRoles: 2 } }).open(encode(s)), refusal("limit"));
  assert.throws(() => new Decoder({ expiry: "ignore", limits: { maxDecodedLen: 100 } }).open(encode(s)), refusal("limit"));
});

test("header and detect", () => {
  const blob = encode(base(), { key: KEY });
  const h = Header.read(blob.subarray(0, 40));
  assert.equal(h.version, 1);
  assert.equal(h.signed, true);
  assert.equal(h.compressed, false);
  assert.equal(h.keyId, 7);
  assert.equal(h.blobLen, blob.length);
  assert.equal(h.decodedLen, 160);
  assert.ok(h.sameDigest(0x9711a3ecac56906an));
  assert.deepEqual(detect(blob), { format: "sessionpack", version: 1, compressed: false });
  assert.deepEqual(detect(new TextEncoder().encode('\uFEFF \n {"user_id":1}')), { format: "json" });
  assert.deepEqual(detect(new TextEncoder().encode('"{}"')), { format: "json" });
  assert.deepEqual(detect(new Uint8Array()), { format: "unknown" });
  const dict = IdDictionary.create({ tenant: "t", kind: "group", keyType: "string", lineage: 1n }).toBytes();
  assert.deepEqual(detect(dict), { format: "dictionary", version: 1 });
  assert.throws(() => Header.read(dict), (e: SessionpackError) => e.kind === "not_a_blob" && /DictionaryDecoder/.test(e.message));
  assert.throws(() => new DictionaryDecoder().open(blob), (e: SessionpackError) => e.kind === "not_a_blob" && /Decoder/.test(e.message));
  assert.deepEqual(detect(blob.subarray(0, 5)), { format: "unknown" });
  assert.throws(() => Header.read(new TextEncoder().encode('{"user_id":1}')), (e: SessionpackError) => e.kind === "not_a_blob" && /JSON/.test(e.message));
  assert.throws(() => Header.read(blob.subarray(0, 39)), refusal("corrupt"));
});

test("encode refuses what the Rust encoder refuses", () => {
  const s = base();
  s.issuedAt = 3000n;
  assert.throws(() => encode(s), refusal("invalid_input"));
  assert.throws(() => encode(base(), { key: { id: 0, key: KEY.key } }), refusal("invalid_input"));
  assert.throws(() => encode(base(), { key: { id: 1, key: new Uint8Array(8) } }), refusal("invalid_input"));
  const roles = base();
  roles.roles = Array<string>(1025).fill("r");
  assert.throws(() => encode(roles), refusal("limit"));
  const lone = base();
  lone.token = "\ud800";
  assert.throws(() => encode(lone), refusal("invalid_input"));
  const unsorted = base();
  unsorted.facilities = [2, 1];
  assert.throws(() => encode(unsorted), refusal("invalid_input"));
  assert.throws(() => encode(base(), { limits: { maxDecodedLen: 100 } }), refusal("limit"));
  assert.throws(() => new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0.5, expiresAt: 1 }), refusal("invalid_input"));
  assert.throws(() => new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0, expiresAt: 1, groups: [-1] }), refusal("invalid_input"));
  // A plain object works as well as a Session.
  assert.ok(Buffer.from(encode({ userId: "u1", tenantId: "acme", token: "tok", issuedAt: 1000, expiresAt: 2000, roles: ["staff"], settings: { lang: "en" }, facilities: [1, 2, 3], groups: [10] })).equals(Buffer.from(bin(V1, "spec_example"))));
});

test("dictionaries: creation, lookups, append, the key policy", () => {
  const oid = (i: number) => "6926c190" + i.toString(16).padStart(16, "0");
  const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid", lineage: 0x5eedcafen });
  const { dictionary, ids } = empty.append([oid(1), oid(2), oid(1).toUpperCase()]);
  assert.deepEqual(ids, [0, 1, 0]);
  assert.equal(empty.size, 0);
  const signed = dictionary.toBytes(KEY);
  const view = new DictionaryDecoder({ keys: [KEY] }).open(signed);
  assert.equal(view.idOf(oid(2)), 1);
  assert.equal(view.idOf(oid(3)), undefined);
  assert.throws(() => view.idOf("not an objectid"), refusal("invalid_input")); // not a key: an error, never undefined
  assert.equal(view.keyOf(1), oid(2));
  assert.throws(() => new DictionaryDecoder({ keys: [KEY] }).open(dictionary.toBytes()), refusal("unauthenticated"));
  new DictionaryDecoder({ keys: [KEY], allowUnsigned: true }).open(dictionary.toBytes());
  assert.throws(() => new DictionaryDecoder().open(signed), refusal("unauthenticated"));
  assert.throws(() => new DictionaryDecoder({ maxKeys: 1 }).open(dictionary.toBytes()), refusal("limit"));
  // From a signed view back to an owned dictionary, appended to.
  const next = view.toDictionary().append([oid(3), oid(2)]);
  assert.deepEqual(next.ids, [2, 1]);
  assert.ok(Buffer.from(next.dictionary.toBytes()).subarray(0, 24).length === 24);
  assert.equal(new DictionaryDecoder().open(next.dictionary.toBytes()).size, 3);
  assert.throws(() => empty.append(["xyz"]), refusal("invalid_input"));
  const small = IdDictionary.create({ tenant: "t", kind: "group", keyType: "string", lineage: 1n });
  small.maxKeys = 1;
  assert.throws(() => small.append(["a", "b"]), refusal("limit"));
  assert.throws(() => small.append(["x".repeat(65)]), refusal("invalid_input"));
  assert.throws(() => IdDictionary.create({ tenant: "t".repeat(65), kind: "group", keyType: "string", lineage: 1n }), refusal("invalid_input"));
  assert.throws(() => IdDictionary.create({ tenant: "t", kind: "group", keyType: "string", lineage: 0n }), refusal("invalid_input"));
  const uuid = IdDictionary.create({ tenant: "t", kind: "group", keyType: "uuid", lineage: 2n }).append(["123E4567-E89B-12D3-A456-426614174000"]);
  assert.equal(uuid.dictionary.view().keyOf(0), "123e4567-e89b-12d3-a456-426614174000");
  assert.throws(() => uuid.dictionary.append(["123e4567e89b12d3a456426614174000"]), refusal("invalid_input"));
});
