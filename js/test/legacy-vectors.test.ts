// Conformance of the legacy converter (MAPPING.md): every case of tests/vectors/legacy/, read in
// place; a refusal converts nothing and changes no dictionary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DictionaryDecoder, IdDictionary, IdDictionaryView, LegacyError, LegacyMapping, SessionpackError } from "../dist/index.js";
import { VECTORS, readJson } from "./support.js";

const DIR = path.join(VECTORS, "legacy");

interface LegacyDict {
  file: string;
  tenant: string;
  kind: string;
  key_type: string;
  lineage: string;
  keys: string[];
}

interface LegacyCase {
  name: string;
  about: string;
  mapping: string;
  document: string | { generate: "oversize"; bytes: number };
  facility_dict: string;
  group_dict: string;
  append: boolean;
  expect?: string;
  facility_keys_added?: string[];
  group_keys_added?: string[];
  refuse?: { kind: string; rule: string; path: string };
}

interface LegacyManifest {
  dictionaries: LegacyDict[];
  cases: LegacyCase[];
  max_document_len?: number;
}

const manifest = readJson<LegacyManifest>(path.join(DIR, "manifest.json"));
const file = (name: string) => new Uint8Array(readFileSync(path.join(DIR, name)));

/** The writer's dictionary of a `.dict.bin` (an owned copy, to append to). */
function dictionary(name: string): IdDictionary {
  return new DictionaryDecoder().open(file(name)).toDictionary();
}

/** The document of a case: its file's bytes, or the generated one (MAPPING.md §9). */
function documentOf(c: LegacyCase): Uint8Array {
  if (typeof c.document === "string") return file(c.document);
  assert.equal(c.document.generate, "oversize");
  const n = c.document.bytes;
  const out = new Uint8Array(n).fill(0x78); // "x"
  out.set(Buffer.from('{"pad":"'), 0);
  out.set(Buffer.from('"}'), n - 2);
  return out;
}

test("legacy: the manifest has cases of both outcomes, and its dictionaries are the .bin files", () => {
  assert.ok(manifest.cases.some((c) => c.expect !== undefined));
  assert.ok(manifest.cases.some((c) => c.refuse !== undefined));
  for (const d of manifest.dictionaries) {
    const view = IdDictionaryView.open(file(d.file));
    assert.equal(view.tenant, d.tenant);
    assert.equal(view.kind, d.kind);
    assert.equal(view.keyType, d.key_type);
    assert.equal(view.lineage.toString(16).padStart(16, "0"), d.lineage);
    assert.deepEqual(view.keys(), d.keys);
  }
});

for (const c of manifest.cases) {
  test(`legacy/${c.name}: ${c.refuse ? `refused as ${c.refuse.kind} ${c.refuse.rule} at ${JSON.stringify(c.refuse.path)}` : `converts to ${c.expect}`}`, () => {
    const facilities = dictionary(c.facility_dict);
    const groups = dictionary(c.group_dict);
    const before = [facilities.toBytes(), groups.toBytes()];
    const document = documentOf(c);
    const convert = () => {
      let mapping = LegacyMapping.fromJson(file(c.mapping));
      if (manifest.max_document_len !== undefined) mapping = mapping.withMaxDocumentLen(manifest.max_document_len);
      return mapping.convert(document, { facilities, groups, append: c.append });
    };
    if (c.refuse !== undefined) {
      const want = c.refuse;
      assert.throws(convert, (e) => {
        assert.ok(e instanceof LegacyError, `not a LegacyError: ${String(e)}`);
        assert.ok(e instanceof SessionpackError);
        assert.deepEqual({ kind: e.kind, rule: e.rule, path: e.path }, want, e.message);
        assert.ok(e.message.startsWith(`${want.rule} at `), e.message);
        return true;
      });
      // A refusal changes no dictionary.
      assert.deepEqual([facilities.toBytes(), groups.toBytes()], before);
      return;
    }
    const expected = readFileSync(path.join(DIR, c.expect!), "utf8");
    const out = convert();
    assert.equal(out.session.toJson(), expected);
    // The same from the document's text as from its bytes.
    const text = Buffer.from(document).toString("utf8");
    const again = LegacyMapping.fromJson(readFileSync(path.join(DIR, c.mapping), "utf8")).convert(text, { facilities, groups, append: c.append });
    assert.equal(again.session.toJson(), expected);
    // The given dictionaries are unchanged; the result's gained exactly the keys listed.
    assert.deepEqual([facilities.toBytes(), groups.toBytes()], before);
    if (c.append) {
      assert.deepEqual(out.facilityKeysAdded, c.facility_keys_added);
      assert.deepEqual(out.groupKeysAdded, c.group_keys_added);
      for (const [given, result, added] of [
        [facilities, out.facilities, c.facility_keys_added!],
        [groups, out.groups, c.group_keys_added!],
      ] as const) {
        assert.ok(result instanceof IdDictionary);
        assert.deepEqual(result.view().keys(), [...given.view().keys(), ...added]);
        if (added.length === 0) assert.equal(result, given);
      }
    } else {
      assert.equal(out.facilities, facilities);
      assert.equal(out.groups, groups);
      assert.deepEqual(out.facilityKeysAdded, []);
    }
  });
}
