// Format version 3 (SPEC.md §6.5): lineages, the seeded digest, keyed checks through dictionaries.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync } from "node:fs";
import { Decoder, DictionaryDecoder, Header, IdDictionary, Session, SessionpackError, encode } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import { VECTORS, bin } from "./support.js";

const V3 = path.join(VECTORS, "v3");

function refusal(kind: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SessionpackError, String(e));
    assert.equal(e.kind, kind, e.message);
    return true;
  };
}

const oid = (i: number) => "6926c190" + i.toString(16).padStart(16, "0");

test("v3 golden: lineages, version and the seed-3 digest", () => {
  const blob = bin(V3, "keyed_raw");
  const view = new Decoder({ expiry: "ignore" }).open(blob);
  assert.equal(view.version, 3);
  assert.equal(view.facilityLineage, 0x9e3f1c2a5b7d4e60n);
  assert.equal(view.groupLineage, 0x1b873c5de2f4a609n);
  assert.equal(view.facilities.lineage, 0x9e3f1c2a5b7d4e60n);
  assert.equal(view.groups.kind, "group");
  assert.equal(xxh64(view.archiveBytes, 3), Header.read(blob).digest);
  assert.notEqual(xxh64(view.archiveBytes, 0), Header.read(blob).digest);
  const facilitiesOnly = new Decoder({ expiry: "ignore" }).open(bin(V3, "facilities_only"));
  assert.equal(facilitiesOnly.facilityLineage, 1n);
  assert.equal(facilitiesOnly.groupLineage, undefined);
  const groupsOnly = new Decoder({ expiry: "ignore" }).open(bin(V3, "groups_only"));
  assert.equal(groupsOnly.groupLineage, (1n << 64n) - 1n);
  assert.ok(groupsOnly.toJson().endsWith(`,"group_lineage":"ffffffffffffffff"}`));
  assert.deepEqual(Session.fromJson(readFileSync(path.join(V3, "groups_only.json"))).groupLineage, (1n << 64n) - 1n);
});

test("a session with a lineage is written as version 3; without, as version 1", () => {
  const s = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0, expiresAt: 10, facilities: [0, 5], facilityLineage: 0x5eedn });
  const blob = encode(s);
  assert.equal(Header.read(blob).version, 3);
  const view = new Decoder({ expiry: { rejectAt: 5 } }).open(blob);
  assert.equal(view.archiveBytes.length % 8, 0);
  assert.equal(view.toJson(), s.toJson());
  assert.ok(s.toJson().endsWith(`"facilities":[0,5],"groups":[],"facility_lineage":"0000000000005eed"}`));
  assert.deepEqual(view.toSession(), s);
  s.facilityLineage = undefined;
  assert.equal(Header.read(encode(s)).version, 1);
  s.facilityLineage = 0n;
  assert.throws(() => encode(s), refusal("invalid_input"));
});

test("JSON: the lineage fields", () => {
  const ok = (extra: string) =>
    `{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,"roles":[],"settings":{},"attributes":{},"facilities":[1],"groups":[]${extra}}`;
  assert.equal(Session.fromJson(ok(`,"facility_lineage":"00000000000000ff"`)).facilityLineage, 255n);
  assert.equal(Session.fromJson(`{"facility_lineage":"00000000000000ff",` + ok("").slice(1)).toJson(), ok(`,"facility_lineage":"00000000000000ff"`));
  for (const bad of [
    `,"facility_lineage":"00000000000000FF"`,
    `,"facility_lineage":"0000000000000000"`,
    `,"facility_lineage":"ff"`,
    `,"facility_lineage":"000000000000000ff"`,
    `,"facility_lineage":null`,
    `,"facility_lineage":"00000000000000ff","facility_lineage":"00000000000000ff"`,
    `,"lineage":"00000000000000ff"`,
  ]) {
    assert.throws(() => Session.fromJson(ok(bad)), refusal("invalid_input"), bad);
  }
});

test("keyed checks through the dictionary the set refers to (C-KEY-CHECK)", () => {
  const lineage = 0x9e3f1c2a5b7d4e60n;
  const facilities = IdDictionary.create({ tenant: "acme-health", kind: "facility", keyType: "objectid", lineage })
    .append(Array.from({ length: 1000 }, (_, i) => oid(i))).dictionary.view();
  const groups = IdDictionary.create({ tenant: "acme-health", kind: "group", keyType: "objectid", lineage: 0x1b873c5de2f4a609n })
    .append(Array.from({ length: 300 }, (_, i) => oid(i))).dictionary.view();
  const view = new Decoder({ expiry: "ignore" }).open(bin(V3, "keyed_raw"));
  const keyed = view.facilities.keyed(facilities);
  assert.ok(keyed.has(oid(17)) && keyed.has(oid(911)) && !keyed.has(oid(3)));
  assert.ok(keyed.has(oid(17).toUpperCase()));
  assert.ok(keyed.has(facilities.keyBytesOf(18)!));
  assert.ok(!keyed.has("ffffffffffffffffffffffff")); // unknown: never a member
  assert.throws(() => keyed.has("not an objectid"), refusal("invalid_input")); // not a key: an error, never false
  assert.deepEqual(keyed.keys(), [0, 1, 2, 17, 18, 19, 20, 911].map(oid));
  const records = [{ f: oid(2), n: 1 }, { f: oid(3), n: 2 }, { f: oid(911), n: 3 }];
  assert.deepEqual(keyed.filter(records, (r) => r.f).map((r) => r.n), [1, 3]);
  assert.ok(keyed.hasAny([oid(3), oid(0)]) && !keyed.hasAll([oid(3), oid(0)]));
  assert.ok(view.groups.hasKey(groups, oid(40)));
  // The wrong dictionary is refused, never answered.
  assert.throws(() => view.groups.keyed(facilities), refusal("wrong_dictionary")); // other kind
  assert.throws(() => view.facilities.keyed(groups), refusal("wrong_dictionary"));
  const other = IdDictionary.create({ tenant: "acme-health", kind: "facility", keyType: "objectid", lineage: lineage + 1n }).append([oid(0)]).dictionary.view();
  assert.throws(() => view.facilities.keyed(other), refusal("wrong_dictionary")); // other lineage
  const v1 = new Decoder({ expiry: "ignore" }).open(bin(path.join(VECTORS, "v1"), "raw"));
  assert.throws(() => v1.facilities.keyed(facilities), refusal("wrong_dictionary")); // plain ids: refused, never "not a member"
  // Another tenant's dictionary of the same kind and lineage: refused too (C-KEY-CHECK).
  const umbrella = IdDictionary.create({ tenant: "umbrella", kind: "facility", keyType: "objectid", lineage }).append([oid(0)]).dictionary.view();
  assert.throws(() => view.facilities.keyed(umbrella), (e) => e instanceof SessionpackError && e.kind === "wrong_dictionary" && e.rule === "C-KEY-CHECK");
});

test("a writer builds a keyed session: append, then withFacilityKeys", () => {
  const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "string", lineage: 9n });
  const { dictionary } = empty.append(["north", "south"]);
  const dict = dictionary.view();
  const s = new Session({ userId: "u", tenantId: "acme", token: "k", issuedAt: 0, expiresAt: 10 }).withFacilityKeys(dict, ["south"]);
  assert.deepEqual(s.facilities, [1]);
  assert.equal(s.facilityLineage, 9n);
  s.withFacilityKeys(dict, ["north"]);
  assert.deepEqual(s.facilities, [0, 1]);
  assert.throws(() => s.withFacilityKeys(dict, ["east"]), refusal("invalid_input"));
  assert.throws(() => s.withGroupKeys(dict, ["north"]), refusal("wrong_dictionary")); // a facility dictionary
  const plain = new Session({ userId: "u", tenantId: "acme", token: "k", issuedAt: 0, expiresAt: 10, facilities: [3] });
  assert.throws(() => plain.withFacilityKeys(dict, ["north"]), refusal("wrong_dictionary")); // plain ids never mix with keys
  const view = new Decoder({ expiry: { rejectAt: 1 } }).open(encode(s));
  assert.ok(view.facilities.keyed(dict).has("north"));
  assert.ok(!view.facilities.keyed(dict).has("east"));
});

test("a signed session is checked by key only through an authenticated dictionary (C-KEY-MAC)", () => {
  const oid = (n: number) => n.toString(16).padStart(24, "0");
  const key = { id: 7, key: new Uint8Array(32).map((_, i) => i) };
  const lineage = 0x9e3f1c2a5b7d4e60n;
  const { dictionary } = IdDictionary.create({ tenant: "acme-health", kind: "facility", keyType: "objectid", lineage }).append(
    Array.from({ length: 1000 }, (_, i) => oid(i)),
  );
  const view = new Decoder({ keys: [key], expiry: "ignore" }).open(bin(V3, "keyed_signed_raw"));
  const unsigned = new DictionaryDecoder().open(dictionary.toBytes());
  assert.throws(() => view.facilities.keyed(unsigned), (e) => e instanceof SessionpackError && e.kind === "unauthenticated");
  // C-KEY-MAC comes before C-KEY-CHECK: an unsigned dictionary of another lineage is refused as unauthenticated.
  const { dictionary: stranger } = IdDictionary.create({ tenant: "umbrella", kind: "group", keyType: "objectid", lineage: 5n }).append([oid(1)]);
  const strangerView = new DictionaryDecoder().open(stranger.toBytes());
  assert.throws(() => view.facilities.keyed(strangerView), (e) => e instanceof SessionpackError && e.kind === "unauthenticated" && e.rule === "C-KEY-MAC");
  // An unsigned dictionary opened by a reader that allows them for a migration is still not authenticated.
  const allowed = new DictionaryDecoder({ keys: [key], allowUnsigned: true }).open(dictionary.toBytes());
  assert.throws(() => view.facilities.keyed(allowed), (e) => e instanceof SessionpackError && e.rule === "C-KEY-MAC");
  const signed = new DictionaryDecoder({ keys: [key] }).open(dictionary.toBytes(key));
  assert.ok(view.facilities.keyed(signed).has(oid(17)));
  assert.ok(view.facilities.keyed(dictionary.view()).has(oid(17))); // the writer's own
  // An unsigned session may be checked through an unsigned dictionary.
  const plain = new Decoder({ expiry: "ignore" }).open(bin(V3, "keyed_raw"));
  assert.ok(plain.facilities.keyed(unsigned).has(oid(17)));
});
