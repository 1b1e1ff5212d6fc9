// Conformance of id dictionaries: every golden and refusal vector under tests/vectors/dict/.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { existsSync } from "node:fs";
import { DictionaryDecoder, IdDictionary, IdDictionaryView, SessionpackError } from "../dist/index.js";
import { bin, dictDirs, keyOf, readJson, ruleId, type DictEntry, type RefusalEntry } from "./support.js";

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

  const refuseDir = path.join(dir, "refuse");
  if (existsSync(path.join(refuseDir, "manifest.json"))) {
    for (const r of readJson<RefusalEntry[]>(path.join(refuseDir, "manifest.json"))) {
      test(`dict/${version}/refuse/${r.name}: refused as ${r.kind} (${r.rule})`, () => {
        const key = keyOf(r);
        assert.throws(
          () => IdDictionaryView.open(bin(refuseDir, r.name), { keys: key ? [key] : [] }),
          (e) => {
            assert.ok(e instanceof SessionpackError, String(e));
            assert.equal(e.kind, r.kind, `${r.name}: ${e.message}`);
            assert.equal(e.rule, ruleId(r.rule), `${r.name}: ${e.message}`);
            return true;
          },
        );
      });
    }
  }
}

test("every single-bit flip and every truncation of every golden dictionary is refused", () => {
  let vectors = 0;
  let flips = 0;
  let truncations = 0;
  for (const dir of dirs) {
    for (const v of readJson<DictEntry[]>(path.join(dir, "manifest.json"))) {
      const bytes = bin(dir, v.name);
      const key = keyOf(v);
      const decoder = new DictionaryDecoder({ keys: key ? [key] : [] });
      decoder.open(bytes);
      vectors++;
      const copy = bytes.slice();
      for (let i = 0; i < copy.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          copy[i] ^= 1 << bit;
          assert.throws(() => decoder.open(copy), SessionpackError, `${v.name}: flip of bit ${bit} of byte ${i} opened`);
          copy[i] ^= 1 << bit;
          flips++;
        }
      }
      for (let len = 0; len < bytes.length; len++) {
        assert.throws(() => decoder.open(bytes.subarray(0, len)), SessionpackError, `${v.name}: truncation to ${len} opened`);
        truncations++;
      }
    }
  }
  console.log(`# dictionary vectors: ${vectors} golden, ${flips} bit flips and ${truncations} truncations refused`);
});
