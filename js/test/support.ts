// Shared by the tests: where the vectors are (read in place, never copied) and their manifests.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { DictKind, KeyType } from "../dist/index.js";

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
