// Checks by key from the vectors alone (SPEC.md §6.5): tests/vectors/v3/keyed/probes.json pairs
// the version 3 golden sessions with the golden dictionaries of their lineages
// (tests/vectors/dict/v1/) and gives every key's answer, or the check's refusal (kind and rule).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Decoder, DictionaryDecoder, SessionpackError } from "../dist/index.js";
import { VECTORS, assertRefused, bin, keyOf, readJson, type DictEntry, type GoldenEntry } from "./support.js";

/** A key's expected answer through the check, or the refusal of the key itself. */
type Answer = "member" | "not_member" | "unknown" | "invalid_input";

/** A check of tests/vectors/v3/keyed/probes.json: a session's set through a dictionary. */
interface KeyedCheck {
  session: string;
  set: "facilities" | "groups";
  dictionary: string;
  about: string;
  /** The refusal of the check itself (no probes then), or null. */
  refused: { kind: string; rule: string } | null;
  probes: { key: string; answer: Answer }[];
}

const probes = readJson<{ about: string; checks: KeyedCheck[] }>(path.join(VECTORS, "v3", "keyed", "probes.json"));
const sessions = readJson<GoldenEntry[]>(path.join(VECTORS, "v3", "manifest.json"));
const dictionaries = readJson<DictEntry[]>(path.join(VECTORS, "dict", "v1", "manifest.json"));

test("the probes file has answers and refusals", () => {
  assert.ok(probes.checks.filter((c) => c.refused === null).length >= 8);
  assert.ok(probes.checks.filter((c) => c.refused !== null).length >= 5);
});

for (const check of probes.checks) {
  test(`keyed probes: ${check.about}`, () => {
    const entry = sessions.find((s) => s.name === check.session);
    assert.ok(entry, `no session ${check.session}`);
    const sessionKey = keyOf(entry);
    const view = new Decoder({ keys: sessionKey ? [sessionKey] : [], expiry: "ignore" }).open(bin(path.join(VECTORS, "v3"), check.session));
    const dictEntry = dictionaries.find((d) => d.name === check.dictionary);
    assert.ok(dictEntry, `no dictionary ${check.dictionary}`);
    const dictKey = keyOf(dictEntry);
    const dictionary = new DictionaryDecoder({ keys: dictKey ? [dictKey] : [] }).open(bin(path.join(VECTORS, "dict", "v1"), check.dictionary));
    const set = check.set === "facilities" ? view.facilities : view.groups;
    if (check.refused !== null) {
      assert.equal(check.probes.length, 0);
      assertRefused(() => set.keyed(dictionary), check.refused.kind, check.refused.rule, check.about);
      return;
    }
    const keyed = set.keyed(dictionary);
    assert.ok(check.probes.length >= 4);
    for (const { key, answer } of check.probes) {
      if (answer === "invalid_input") {
        assert.throws(() => keyed.has(key), (e) => e instanceof SessionpackError && e.kind === "invalid_input", key);
        continue;
      }
      const known = dictionary.idOf(key) !== undefined;
      switch (answer) {
        case "member":
          assert.equal(keyed.has(key), true, key);
          break;
        case "not_member":
          assert.equal(keyed.has(key), false, key);
          assert.ok(known, `${key} is not in the dictionary`);
          break;
        case "unknown":
          assert.equal(keyed.has(key), false, key);
          assert.ok(!known, `${key} is in the dictionary`);
          break;
        default:
          assert.fail(`answer ${String(answer)}`);
      }
    }
  });
}
