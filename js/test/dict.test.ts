// Conformance of id dictionaries: every golden and refusal vector under tests/vectors/dict/.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { DictionaryDecoder, IdDictionary, IdDictionaryView } from "../dist/index.js";
import { assertEveryFlipAndTruncationRefused, bin, dictDirs, keyOf, readJson, refusalTests, refusalsOf, type DictEntry, type RefusalEntry } from "./support.js";

const dirs = dictDirs();

test("the dictionary vector directories are found", () => assert.ok(dirs.length >= 1));

for (const dir of dirs) {
  const version = path.basename(dir);
  for (const v of readJson<DictEntry[]>(path.join(dir, "manifest.json"))) {
    test(`dict/${version}/${v.name}: reads to its manifest entry`, () => {
      const bytes = bin(dir, v.name);
      const key = keyOf(v);
      const view = new DictionaryDecoder({ keys: key ? [key] : [] }).open(bytes);
      assert.equal(view.tenant, v.tenant);
      assert.equal(view.kind, v.kind);
      assert.equal(view.keyType, v.key_type);
      assert.equal(view.lineage, BigInt("0x" + v.lineage));
      assert.equal(view.size, v.keys.length);
      assert.deepEqual(view.keys(), v.keys);
      assert.equal(view.keyId, key?.id);
      v.keys.forEach((k: string, id: number) => {
        assert.equal(view.idOf(k), id);
        assert.equal(view.id_of(k), id);
        assert.equal(view.idOf(view.keyBytesOf(id)!), id);
        if (v.key_type !== "string") assert.equal(view.idOf(k.toUpperCase()), id);
      });
      assert.equal(view.keyOf(v.keys.length), undefined);
      if (v.key_type === "objectid") assert.equal(view.idOf("ffffffffffffffffffffffff"), undefined);
      if (v.key_type === "string") assert.equal(view.idOf("not a key of this vector"), undefined);
    });

    test(`dict/${version}/${v.name}: appending its keys to an empty dictionary gives its bytes`, () => {
      const empty = IdDictionary.create({
        tenant: v.tenant,
        kind: v.kind,
        keyType: v.key_type,
        lineage: BigInt("0x" + v.lineage),
      });
      const { dictionary, ids } = empty.append(v.keys);
      assert.deepEqual(ids, v.keys.map((_: string, i: number) => i));
      const bytes = dictionary.toBytes(keyOf(v));
      assert.ok(Buffer.from(bytes).equals(Buffer.from(bin(dir, v.name))), "append is not byte-identical to the .bin");
      // Appending in two steps gives the same bytes; repeats keep their ids.
      const half = Math.floor(v.keys.length / 2);
      const first = empty.append(v.keys.slice(0, half)).dictionary;
      const second = first.append([...v.keys.slice(half), ...v.keys.slice(0, half)]);
      assert.ok(Buffer.from(second.dictionary.toBytes(keyOf(v))).equals(Buffer.from(bytes)));
      assert.deepEqual(second.ids, [...v.keys.map((_: string, i: number) => i).slice(half), ...v.keys.map((_: string, i: number) => i).slice(0, half)]);
    });
  }

  const refusing = refusalsOf<RefusalEntry>(dir);
  if (refusing !== undefined) {
    refusalTests(`dict/${version}/refuse`, refusing.refuseDir, refusing.refusals, (r) => {
      const key = keyOf(r);
      return (bytes) => IdDictionaryView.open(bytes, { keys: key ? [key] : [] });
    });
  }
}

test("every single-bit flip and every truncation of every golden dictionary is refused", () => {
  const { vectors, flips, truncations } = assertEveryFlipAndTruncationRefused<DictEntry>(dirs, (v) => {
    const key = keyOf(v);
    const decoder = new DictionaryDecoder({ keys: key ? [key] : [] });
    return (bytes) => decoder.open(bytes);
  });
  console.log(`# dictionary vectors: ${vectors} golden, ${flips} bit flips and ${truncations} truncations refused`);
});
