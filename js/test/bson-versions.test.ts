// ObjectIds of every bson major the package supports (4, 5, 6 and 7: the real packages, as
// devDependencies `bson4`, `bson5`, `bson6` and `bson`), each of which keeps its 12 bytes
// differently — a Buffer under a symbol (4, 5), a `buffer` field (6 to 7.3.0), four numbers
// `i0`–`i3` (7.3.4) — checked against a plain Map of the keys' hex text: `idOf`, `KeyedIdSet.has`
// and `filter` give the reference's answer for ObjectIds made from text, from bytes and read
// back from a BSON document. Then what the bson 7.3.4 path trusts: the numbers are read only for
// a prototype whose layout agreed with the public `id`, and `id` (which builds a buffer at every
// read) is read once per prototype, not once per check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Decoder, DictionaryDecoder, IdDictionary, Session, encode, type KeyLike } from "../dist/index.js";
import { seeded } from "./fastpath-support.js";

const { random, bytesOf } = seeded(0x0b50_0021);
const require = createRequire(import.meta.url);

/** What the tests use of a bson package, whichever major. */
interface BsonModule {
  ObjectId: new (id: string | Uint8Array) => object;
  serialize(doc: object): Uint8Array;
  deserialize(bytes: Uint8Array): { _id: object };
}

/** The bson packages installed under their aliases, with their versions; an error when one is missing. */
function bsonPackages(): { name: string; version: string; bson: BsonModule }[] {
  return ["bson4", "bson5", "bson6", "bson"].map((name) => ({
    name,
    version: (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")) as { version: string }).version,
    bson: require(name) as BsonModule,
  }));
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("every bson major keeps its bytes its own way, and the tests hold one of each", () => {
  const layouts = bsonPackages().map(({ name, version, bson }) => {
    const oid = new bson.ObjectId("0123456789abcdef01234567") as Record<string | symbol, unknown>;
    const layout = typeof oid.i0 === "number" ? "four numbers" : oid.buffer instanceof Uint8Array ? "buffer field" : "symbol";
    return `${name}@${version.split(".")[0]}: ${layout}`;
  });
  assert.deepEqual(layouts, ["bson4@4: symbol", "bson5@5: symbol", "bson6@6: buffer field", "bson@7: four numbers"]);
});

test("ObjectIds of bson 4, 5, 6 and 7 find the ids a Map of the keys gives, in idOf, has and filter", () => {
  const keys = Array.from({ length: 3000 }, () => bytesOf(12));
  // Keys that share 9 of their 12 bytes with another: the last number (i3) alone tells them apart.
  for (let i = 0; i + 1 < 40; i += 2) keys[i + 1].set(keys[i].subarray(0, 9));
  const { dictionary, ids } = IdDictionary.create({ tenant: "t", kind: "facility", keyType: "objectid", lineage: 21n }).append(keys);
  const dict = new DictionaryDecoder().open(dictionary.toBytes());
  const reference = new Map(keys.map((k, i) => [hexOf(k), ids[i]]));
  const member = new Set(ids.filter(() => random() % 3 === 0));
  const session = new Session({ userId: "u", tenantId: "t", token: "k", issuedAt: 0n, expiresAt: 10n, facilities: [...member], groups: [], facilityLineage: 21n });
  const keyed = new Decoder({ expiry: "ignore" }).open(encode(session)).facilities.keyed(dict);
  const probes = [...keys.slice(0, 500), ...Array.from({ length: 200 }, () => bytesOf(12))];
  for (const k of keys.slice(0, 40)) {
    const near = k.slice();
    near[random() % 12] ^= 1 << random() % 8;
    probes.push(near);
  }
  for (const { name, bson } of bsonPackages()) {
    for (const k of probes) {
      const hex = hexOf(k);
      const want = reference.get(hex);
      const forms = [new bson.ObjectId(hex), new bson.ObjectId(Buffer.from(k)), bson.deserialize(bson.serialize({ _id: new bson.ObjectId(hex) }))._id];
      for (const [i, oid] of forms.entries()) {
        const what = `${hex} as ${name}'s ObjectId (form ${i})`;
        assert.equal(dict.idOf(oid as KeyLike), want, what);
        assert.equal(keyed.has(oid as KeyLike), want !== undefined && member.has(want), what);
      }
    }
    const records = probes.map((k) => ({ facility: new bson.ObjectId(hexOf(k)) as KeyLike, hex: hexOf(k) }));
    const kept = keyed.filter(records, (r) => r.facility).map((r) => r.hex);
    const wanted = records.filter((r) => member.has(reference.get(r.hex) ?? -1)).map((r) => r.hex);
    assert.deepEqual(kept, wanted, `${name}: filter`);
  }
});

test("bson 7's numbers are read without its id getter: one read of id per prototype, to check the layout", () => {
  const { bson } = bsonPackages().at(-1)!;
  // A subclass: a prototype of its own, which the package has not seen before this test, whose
  // id getter counts its reads.
  const Base = bson.ObjectId;
  class Tracked extends Base {}
  let reads = 0;
  Object.defineProperty(Tracked.prototype, "id", {
    get(this: object): unknown {
      reads++;
      return Reflect.get(Base.prototype, "id", this) as unknown;
    },
  });
  const keys = Array.from({ length: 200 }, () => bytesOf(12));
  const { dictionary } = IdDictionary.create({ tenant: "t", kind: "group", keyType: "objectid", lineage: 3n }).append(keys);
  const dict = new DictionaryDecoder().open(dictionary.toBytes());
  keys.forEach((k, id) => assert.equal(dict.idOf(new Tracked(hexOf(k)) as KeyLike), id));
  assert.equal(reads, 1, "the id getter (a new buffer at every read) is read once, for the layout check");
});

test("numbers that disagree with the public id are never trusted: the id decides", () => {
  const keys = Array.from({ length: 50 }, () => bytesOf(12));
  const { dictionary } = IdDictionary.create({ tenant: "t", kind: "group", keyType: "objectid", lineage: 3n }).append(keys);
  const dict = new DictionaryDecoder().open(dictionary.toBytes());
  /** An ObjectId-shaped class whose i0–i3 are 24-bit numbers that are not its bytes. */
  class Decoy {
    readonly _bsontype = "ObjectId";
    readonly i0 = 1;
    readonly i1 = 2;
    readonly i2 = 3;
    readonly i3 = 4;
    constructor(readonly id: Uint8Array) {}
    toHexString(): string {
      return hexOf(this.id);
    }
  }
  for (let round = 0; round < 2; round++) {
    keys.forEach((k, id) => assert.equal(dict.idOf(new Decoy(k) as unknown as KeyLike), id));
  }
  // Numbers out of range (not three bytes each) are not read as bytes either.
  const wide = { _bsontype: "ObjectId", i0: 1 << 24, i1: 0, i2: 0, i3: 0, id: keys[7], toHexString: () => hexOf(keys[7]) };
  assert.equal(dict.idOf(wide as unknown as KeyLike), 7);
});
