// Shared by the tests: where the vectors are (read in place, never copied), their manifests, and
// the runs every kind of vector gets (its refusals; every bit flip and truncation of its goldens).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SessionpackError, type DictKind, type KeyType } from "../dist/index.js";

export const VECTORS = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));

/** A JSON file (a manifest: {@link GoldenEntry}, {@link RefusalEntry}, {@link DictEntry}), as parsed. */
export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** A manifest entry's MAC key: its id and its bytes in hex; null for none. */
export type ManifestKey = [id: number, hex: string] | null;

/** A golden session vector of tests/vectors/<version>/manifest.json. */
export interface GoldenEntry {
  name: string;
  about: string;
  level: number;
  compression: string;
  key: ManifestKey;
}

/** A refusal vector of a refuse/manifest.json: the error kind and rule it must be refused with. */
export interface RefusalEntry {
  name: string;
  about: string;
  rule: string;
  kind: string;
  key: ManifestKey;
}

/** A refusal vector of a session's refuse/manifest.json: read at `now`. */
export interface SessionRefusalEntry extends RefusalEntry {
  now: number;
}

/** A golden dictionary vector of tests/vectors/dict/<version>/manifest.json. */
export interface DictEntry {
  name: string;
  about: string;
  tenant: string;
  kind: DictKind;
  key_type: KeyType;
  lineage: string;
  keys: string[];
  key: ManifestKey;
}

/** The MAC key of a manifest entry (`key: [id, hex]`), if it has one. */
export function keyOf(entry: { key: ManifestKey }) {
  return entry.key ? { id: entry.key[0], key: Buffer.from(entry.key[1], "hex") } : undefined;
}

/** Every session vector directory: tests/vectors/<version>/ with a manifest.json (v1, v3, …); not dict/ nor legacy/ (MAPPING.md). */
export function sessionDirs() {
  return readdirSync(VECTORS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "dict" && d.name !== "legacy" && existsSync(path.join(VECTORS, d.name, "manifest.json")))
    .map((d) => path.join(VECTORS, d.name))
    .sort();
}

/** Every dictionary vector directory: tests/vectors/dict/<version>/. */
export function dictDirs() {
  const root = path.join(VECTORS, "dict");
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, "manifest.json")))
    .map((d) => path.join(root, d.name))
    .sort();
}

export function bin(dir: string, name: string) {
  return new Uint8Array(readFileSync(path.join(dir, `${name}.bin`)));
}

/** The rule id of a manifest's `rule` ("R-HDR-MAGIC §3" → "R-HDR-MAGIC"). */
export function ruleId(rule: string) {
  return rule.split(" ")[0];
}

/** The refusal vectors of `dir`/refuse/ and that directory; undefined when it has no manifest. */
export function refusalsOf<R extends RefusalEntry>(dir: string): { refuseDir: string; refusals: R[] } | undefined {
  const refuseDir = path.join(dir, "refuse");
  const manifest = path.join(refuseDir, "manifest.json");
  return existsSync(manifest) ? { refuseDir, refusals: readJson<R[]>(manifest) } : undefined;
}

/**
 * Asserts that `f` throws a {@link SessionpackError} of `kind` whose rule is `rule`; `what`
 * (the vector's name) heads the messages of a failure.
 */
export function assertRefused(f: () => unknown, kind: string, rule: string, what: string): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof SessionpackError, `${what}: not a SessionpackError: ${String(e)}`);
    assert.equal(e.kind, kind, `${what}: ${e.message}`);
    assert.equal(e.rule, rule, `${what}: ${e.message}`);
    return true;
  });
}

/**
 * A test per refusal vector of `refuseDir`, named `<prefix>/<name>: refused as <kind> (<rule>)`:
 * `readerFor(entry)` makes the reader (a decoder with the entry's key and clock), then reading
 * the vector's bytes with it throws a {@link SessionpackError} of the entry's kind and rule id.
 */
export function refusalTests<R extends RefusalEntry>(prefix: string, refuseDir: string, refusals: R[], readerFor: (entry: R) => (bytes: Uint8Array) => unknown): void {
  for (const r of refusals) {
    test(`${prefix}/${r.name}: refused as ${r.kind} (${r.rule})`, () => {
      const bytes = bin(refuseDir, r.name);
      const read = readerFor(r);
      assertRefused(() => read(bytes), r.kind, ruleId(r.rule), r.name);
    });
  }
}

/**
 * For every golden vector of the manifests of `dirs`: reads it with `readerFor(entry)` (a
 * decoder with the entry's key; it must be accepted), then asserts that every single-bit flip and
 * every truncation of its bytes is refused with a {@link SessionpackError}. The numbers of
 * vectors, flips and truncations.
 */
export function assertEveryFlipAndTruncationRefused<E extends { name: string }>(
  dirs: string[],
  readerFor: (entry: E) => (bytes: Uint8Array) => unknown,
): { vectors: number; flips: number; truncations: number } {
  let vectors = 0;
  let flips = 0;
  let truncations = 0;
  for (const dir of dirs) {
    for (const v of readJson<E[]>(path.join(dir, "manifest.json"))) {
      const bytes = bin(dir, v.name);
      const read = readerFor(v);
      read(bytes); // the vector itself is accepted
      vectors++;
      const copy = bytes.slice();
      for (let i = 0; i < copy.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          copy[i] ^= 1 << bit;
          assert.throws(() => read(copy), SessionpackError, `${v.name}: flip of bit ${bit} of byte ${i} opened`);
          copy[i] ^= 1 << bit;
          flips++;
        }
      }
      for (let len = 0; len < bytes.length; len++) {
        assert.throws(() => read(bytes.subarray(0, len)), SessionpackError, `${v.name}: truncation to ${len} opened`);
        truncations++;
      }
    }
  }
  return { vectors, flips, truncations };
}
