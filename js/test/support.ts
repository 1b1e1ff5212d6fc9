// Shared by the tests: where the vectors are (read in place, never copied) and their manifests.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const VECTORS = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));

/** A manifest (or any JSON file), as parsed: its shape is the test's to know. */
export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The MAC key of a manifest entry (`key: [id, hex]`), if it has one. */
export function keyOf(entry: { key?: [number, string] }) {
  return entry.key ? { id: entry.key[0], key: Buffer.from(entry.key[1], "hex") } : undefined;
}

/** Every session vector directory: tests/vectors/<version>/ with a manifest.json (v1, v3, …). */
export function sessionDirs() {
  return readdirSync(VECTORS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "dict" && existsSync(path.join(VECTORS, d.name, "manifest.json")))
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
