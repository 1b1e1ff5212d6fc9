// The legacy converter's edges that the vectors do not reach (MAPPING.md): the JSON reader's
// refusals (repeated names in a mapping, lone surrogates, nesting, UTF-8), exact integers, the
// size limit at its boundary, the dictionaries' key limit, the session limits, wrong arguments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { IdDictionary, LegacyError, LegacyMapping, SessionpackError } from "../dist/index.js";
import { VECTORS } from "./support.js";

const DIR = path.join(VECTORS, "legacy");
const GENERATOR = readFileSync(path.join(DIR, "generator.mapping.json"), "utf8");
const MAPPING = LegacyMapping.fromJson(GENERATOR);
const TENANT = "65a0f0c2e1a9d3f4a5b6c700";
const F0 = "65a0f0c2e1a9d3f4a5b6f000";
const FACILITIES = IdDictionary.create({ tenant: TENANT, kind: "facility", keyType: "objectid", lineage: 1n }).append([F0]).dictionary;
const GROUPS = IdDictionary.create({ tenant: TENANT, kind: "group", keyType: "objectid", lineage: 2n });
const DICTS = { facilities: FACILITIES, groups: GROUPS };

/** A small document of the generator's shape, with `extra` members replacing its own. */
function doc(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { token: "t", user: { _id: "u", roles: ["r"] }, tenant: { _id: TENANT }, issuedAt: 1000, expiresAt: 2000, facilities: [{ _id: F0 }], ...extra };
}

function refused(f: () => unknown, kind: string, rule: string, p: string, source: "mapping" | "document" = "document") {
  assert.throws(f, (e) => {
    assert.ok(e instanceof LegacyError, String(e));
    assert.deepEqual({ kind: e.kind, rule: e.rule, path: e.path, source: e.source }, { kind, rule, path: p, source }, e.message);
    return true;
  });
}

test("legacy mapping: refusals name the rule and the path in the mapping", () => {
  const m = JSON.parse(GENERATOR) as Record<string, unknown>;
  const variant = (change: Record<string, unknown>) => JSON.stringify({ ...m, ...change });
  refused(() => LegacyMapping.fromJson(GENERATOR.replace('"token": "/token"', '"token": "/token", "token": "/t"')), "invalid_input", "M-MAP-JSON", "", "mapping");
  refused(() => LegacyMapping.fromJson("[1]"), "invalid_input", "M-MAP-JSON", "", "mapping");
  refused(() => LegacyMapping.fromJson(new Uint8Array([0x7b, 0xff, 0x7d])), "invalid_input", "M-MAP-JSON", "", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ sessionpack_mapping: "1" })), "invalid_input", "M-MAP-VERSION", "/sessionpack_mapping", "mapping");
  refused(() => LegacyMapping.fromJson(GENERATOR.replace('"sessionpack_mapping": 1', '"sessionpack_mapping": 1.0')), "invalid_input", "M-MAP-VERSION", "/sessionpack_mapping", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ sessionpack_mapping: 2 })), "unsupported", "M-MAP-VERSION", "/sessionpack_mapping", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ "a/b": "/x" })), "invalid_input", "M-MAP-FIELD", "/a~1b", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ token: 7 })), "invalid_input", "M-MAP-FIELD", "/token", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ issued_at: { path: "/i", unit: "ms", zone: "Z" } })), "invalid_input", "M-MAP-FIELD", "/issued_at", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ expires_at: { unit: "ms" } })), "invalid_input", "M-MAP-FIELD", "/expires_at/path", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ expires_at: { path: "/e", unit: "us" } })), "invalid_input", "M-MAP-UNIT", "/expires_at/unit", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ token: "token" })), "invalid_input", "M-PATH-SYNTAX", "/token", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ token: "/a[b" })), "invalid_input", "M-PATH-SYNTAX", "/token", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ roles: "/a[][]" })), "invalid_input", "M-PATH-SYNTAX", "/roles", "mapping");
  refused(() => LegacyMapping.fromJson(variant({ attributes: { "x/y": "/a[]" } })), "invalid_input", "M-MAP-PATH", "/attributes/x~1y", "mapping");
  const { token, ...noToken } = m;
  assert.equal(token, "/token");
  refused(() => LegacyMapping.fromJson(JSON.stringify(noToken)), "invalid_input", "M-MAP-FIELD", "/token", "mapping");
  // A byte order mark is skipped, as in documents.
  assert.ok(LegacyMapping.fromJson("\ufeff" + GENERATOR) instanceof LegacyMapping);
});

test("legacy documents: the JSON reader refuses what is not one JSON value in UTF-8", () => {
  const base = JSON.stringify(doc());
  const bad = [
    base.replace('"t"', '"\\ud800"'), // a lone surrogate, escaped
    base.replace('"t"', '"\\udc00x"'),
    base.replace('"t"', '"\\ud800\\u0041"'),
    base.replace('"t"', '"\\x"'),
    base.replace('"t"', '"\u0001"'),
    base.replace("1000", "01000"),
    base.replace("1000", "1000."),
    base.replace("1000", "+1000"),
    base.replace("[{", "[{,"),
    base + "x",
    "",
    "  ",
    "\ufeff\ufeff" + base,
    base.replace(":", " : NaN, \"z\":"),
    base.slice(0, -1),
  ];
  for (const text of bad) refused(() => MAPPING.convert(text, DICTS), "invalid_input", "M-DOC-JSON", "");
  // A lone surrogate in the text itself, and bytes that are not UTF-8.
  refused(() => MAPPING.convert(base.replace('"t"', '"\ud800"'), DICTS), "invalid_input", "M-DOC-JSON", "");
  refused(() => MAPPING.convert(Buffer.concat([Buffer.from(base.slice(0, 10)), Buffer.from([0xc3, 0x28]), Buffer.from(base.slice(10))]), DICTS), "invalid_input", "M-DOC-JSON", "");
  // An escaped surrogate pair is a character.
  assert.equal(MAPPING.convert(base.replace('"t"', '"\\ud83d\\ude00"'), DICTS).session.token, "😀");
});

test("legacy documents: nesting of 127 levels is read, 128 refused (serde_json's limit)", () => {
  const nested = (levels: number) => JSON.stringify(doc()).replace('"token"', `"deep":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)},"token"`);
  // The document itself is one level.
  assert.equal(MAPPING.convert(nested(127), DICTS).session.token, "t");
  refused(() => MAPPING.convert(nested(128), DICTS), "invalid_input", "M-DOC-JSON", "");
  // Objects count as arrays do, and so does the mapping document.
  const objects = (levels: number) => JSON.stringify(doc()).replace('"token"', `"deep":${'{"a":'.repeat(levels - 1)}1${"}".repeat(levels - 1)},"token"`);
  assert.equal(MAPPING.convert(objects(127), DICTS).session.token, "t");
  refused(() => MAPPING.convert(objects(128), DICTS), "invalid_input", "M-DOC-JSON", "");
  refused(() => MAPPING.convert("[".repeat(100_000), DICTS), "invalid_input", "M-DOC-JSON", "");
});

test("legacy documents: times are exact integers, never rounded through a double", () => {
  const text = JSON.stringify(doc()).replace("1000", "9007199254740993").replace("2000", "9223372036854775807");
  const s = MAPPING.convert(text, DICTS).session;
  assert.equal(s.issuedAt, 9007199254740993n);
  assert.equal(s.expiresAt, 9223372036854775807n);
  refused(() => MAPPING.convert(text.replace("9223372036854775807", "9223372036854775808"), DICTS), "invalid_input", "M-TIME-NUMBER", "/expiresAt");
  // Zero is written 0: -0 is refused (MAPPING.md M-TIME-NUMBER), in every form.
  assert.equal(MAPPING.convert(JSON.stringify(doc()).replace("1000", "0"), DICTS).session.issuedAt, 0n);
  for (const zero of ["-0", "-0.0", "0e0", '{"$date":-0}', '{"$date":{"$numberLong":"-0"}}']) {
    refused(() => MAPPING.convert(JSON.stringify(doc()).replace("1000", zero), DICTS), "invalid_input", "M-TIME-NUMBER", "/issuedAt");
  }
  // A repeated member: the last counts.
  assert.equal(MAPPING.convert(JSON.stringify(doc()).replace('"issuedAt":1000', '"issuedAt":true,"issuedAt":1500'), DICTS).session.issuedAt, 1500n);
  // ISO-8601 edges: a leap day, year 0000, the offset's sign.
  const iso = (t: string) => MAPPING.convert(JSON.stringify(doc({ issuedAt: t, expiresAt: "9999-12-31T23:59:59.999999999-23:59" })), DICTS).session.issuedAt;
  assert.equal(iso("2024-02-29T00:00:00Z"), BigInt(Date.UTC(2024, 1, 29)));
  assert.equal(iso("0000-01-01T00:00:00.5+00:00"), -62167219200000n + 500n);
  assert.equal(iso("1970-01-01T00:00:00-01:30"), 5_400_000n);
  for (const t of ["2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00.Z", "2024-01-01t00:00:00Z", "2024-01-01T00:00Z"]) {
    refused(() => MAPPING.convert(JSON.stringify(doc({ issuedAt: t })), DICTS), "invalid_input", "M-TIME-ISO", "/issuedAt");
  }
  refused(() => MAPPING.convert(JSON.stringify(doc({ issuedAt: { $date: null } })), DICTS), "invalid_input", "M-TIME-TYPE", "/issuedAt");
  refused(() => MAPPING.convert(JSON.stringify(doc({ issuedAt: { $date: 1, x: 1 } })), DICTS), "invalid_input", "M-TIME-TYPE", "/issuedAt");
  refused(() => MAPPING.convert(JSON.stringify(doc({ issuedAt: { $date: { $numberLong: "12345678901234567890" } } })), DICTS), "invalid_input", "M-TIME-NUMBER", "/issuedAt");
});

test("legacy documents: the size limit is checked before parsing, a document of exactly the limit is read", () => {
  const text = JSON.stringify(doc()).replace('"token"', '"pad":"é","token"');
  const bytes = Buffer.byteLength(text);
  assert.equal(MAPPING.withMaxDocumentLen(bytes).convert(text, DICTS).session.token, "t");
  assert.equal(MAPPING.withMaxDocumentLen(bytes).convert(Buffer.from(text), DICTS).session.token, "t");
  refused(() => MAPPING.withMaxDocumentLen(bytes - 1).convert(text, DICTS), "limit", "M-DOC-SIZE", "");
  refused(() => MAPPING.withMaxDocumentLen(bytes - 1).convert(Buffer.from(text), DICTS), "limit", "M-DOC-SIZE", "");
  // Not parsed: broken JSON above the limit is refused for its size.
  refused(() => MAPPING.withMaxDocumentLen(3).convert("{{{{", DICTS), "limit", "M-DOC-SIZE", "");
  assert.equal(MAPPING.maxDocumentLen, 16 * 1024 * 1024);
  assert.throws(() => MAPPING.withMaxDocumentLen(-1), SessionpackError);
  assert.throws(() => MAPPING.withMaxDocumentLen(1.5), SessionpackError);
});

test("legacy documents: the dictionaries' key limit (M-DICT-FULL) and the session's limits (M-SESSION-LIMIT)", () => {
  const small = IdDictionary.create({ tenant: TENANT, kind: "facility", keyType: "objectid", lineage: 1n }).append([F0]).dictionary;
  small.maxKeys = 2;
  const before = small.toBytes();
  const keys = [F0, "65a0f0c2e1a9d3f4a5b6f001", "65a0f0c2e1a9d3f4a5b6f001", "65a0f0c2e1a9d3f4a5b6f002"];
  const text = JSON.stringify(doc({ facilities: keys.map((_id) => ({ _id })) }));
  refused(() => MAPPING.convert(text, { facilities: small, groups: GROUPS, append: true }), "limit", "M-DICT-FULL", "/facilities/3/_id");
  assert.deepEqual(small.toBytes(), before);
  const out = MAPPING.convert(JSON.stringify(doc({ facilities: keys.slice(0, 3).map((_id) => ({ _id })) })), { facilities: small, groups: GROUPS, append: true });
  assert.deepEqual(out.facilityKeysAdded, ["65a0f0c2e1a9d3f4a5b6f001"]);
  assert.deepEqual(out.session.facilities, [0, 1]);
  assert.deepEqual(small.toBytes(), before);

  refused(() => MAPPING.convert(JSON.stringify(doc({ token: "x".repeat(16 * 1024 + 1) })), DICTS), "limit", "M-SESSION-LIMIT", "/token");
  assert.equal(MAPPING.convert(JSON.stringify(doc({ token: "x".repeat(16 * 1024) })), DICTS).session.token.length, 16 * 1024);
  refused(() => MAPPING.convert(JSON.stringify(doc({ user: { _id: "u", roles: Array(1025).fill("r") } })), DICTS), "limit", "M-SESSION-LIMIT", "/user/roles");
  refused(() => MAPPING.convert(JSON.stringify(doc({ settings: { ["k".repeat(16 * 1024 + 1)]: "v" } })), DICTS), "limit", "M-SESSION-LIMIT", "/settings/" + "k".repeat(16 * 1024 + 1));
});

test("legacy documents: values are read in document order, the first fault named", () => {
  // A number at index 1 comes before the null at index 2.
  refused(() => MAPPING.convert(JSON.stringify(doc({ user: { _id: "u", roles: ["a", 5, null] } })), DICTS), "invalid_input", "M-VALUE-TYPE", "/user/roles/1");
  refused(() => MAPPING.convert(JSON.stringify(doc({ user: { _id: "u", roles: ["a", null, 5] } })), DICTS), "invalid_input", "M-PATH-ELEMENT", "/user/roles/1");
  // Key text is checked with the facilities, before the time order and the dictionaries.
  refused(() => MAPPING.convert(JSON.stringify(doc({ expiresAt: 1, facilities: [{ _id: 7 }] })), DICTS), "invalid_input", "M-KEY-TEXT", "/facilities/0/_id");
  refused(() => MAPPING.convert(JSON.stringify(doc({ expiresAt: 1 })), { facilities: GROUPS, groups: FACILITIES }), "invalid_input", "M-TIME-ORDER", "/expiresAt");
  refused(() => MAPPING.convert(JSON.stringify(doc({ facilities: [{ _id: { $oid: "abc" } }] })), DICTS), "invalid_input", "M-OID-TEXT", "/facilities/0/_id");
  refused(() => MAPPING.convert(JSON.stringify(doc({ user: { _id: { $oid: "x", y: 1 } } })), DICTS), "invalid_input", "M-VALUE-TYPE", "/user/_id");
  refused(() => MAPPING.convert(JSON.stringify(doc({ user: [] })), DICTS), "invalid_input", "M-PATH-TYPE", "/user");
  refused(() => MAPPING.convert(JSON.stringify(doc({ settings: "dark" })), DICTS), "invalid_input", "M-VALUE-TYPE", "/settings");
  // An object's members by name (byte-wise: U+FF01 before U+1F600, unlike UTF-16), not as the document wrote them.
  refused(() => MAPPING.convert(JSON.stringify(doc({ settings: { z: 5, "é": 6, a: 7 } })), DICTS), "invalid_input", "M-VALUE-TYPE", "/settings/a");
  refused(() => MAPPING.convert(JSON.stringify(doc({ settings: { "😀": 6, "！": 5 } })), DICTS), "invalid_input", "M-VALUE-TYPE", "/settings/！");
  // An index past the end is missing; a token that is no index, refused.
  const m = LegacyMapping.fromJson(GENERATOR.replace('"/user/_id"', '"/ids/01"'));
  refused(() => m.convert(JSON.stringify(doc({ ids: ["a", "b"] })), DICTS), "invalid_input", "M-PATH-TYPE", "/ids");
  const n = LegacyMapping.fromJson(GENERATOR.replace('"/user/_id"', '"/ids/99999999999999999999"'));
  refused(() => n.convert(JSON.stringify(doc({ ids: ["a"] })), DICTS), "invalid_input", "M-FIELD-REQUIRED", "/ids/99999999999999999999");
});

test("legacy: wrong arguments are errors", () => {
  const text = JSON.stringify(doc());
  const wrong = (f: () => unknown) => assert.throws(f, (e) => e instanceof SessionpackError && e.kind === "invalid_input" && !(e instanceof LegacyError));
  wrong(() => LegacyMapping.fromJson(42 as unknown as string));
  wrong(() => MAPPING.convert(42 as unknown as string, DICTS));
  wrong(() => MAPPING.convert(text, { facilities: FACILITIES, groups: "g" as unknown as IdDictionary }));
  wrong(() => MAPPING.convert(text, { facilities: FACILITIES.view(), groups: GROUPS.view(), append: true }));
  wrong(() => MAPPING.convert(text, { ...DICTS, append: "yes" as unknown as boolean }));
  wrong(() => MAPPING.convert(text, undefined as unknown as typeof DICTS));
});
