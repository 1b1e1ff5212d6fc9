// The Lua scripts and constants the npm package shares with the Rust crate (sessionpack-redis):
// read from the Rust sources and compared, so that the two stores' dictionary appends and the two
// caches' fetches stay the same script byte for byte (up to the surrounding newlines).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { APPEND_ATTEMPTS, APPEND_SCRIPT } from "../dist/redis/store.js";
import { CLUSTER_FETCH_SCRIPT, FETCH_SCRIPT } from "../dist/redis/scripts.js";

const rust = (path: string) => readFileSync(new URL(`../../redis/src/${path}`, import.meta.url), "utf8");

/** The text of the Rust string constant `name` in `source` (a raw `r"…"` or a plain `"…"` literal). */
function rustConst(source: string, name: string) {
  const m = new RegExp(`const ${name}: &str = (r?)"([\\s\\S]*?)";`).exec(source);
  assert.ok(m, `const ${name} in the Rust source`);
  return m[2];
}

test("the dictionary append script and its attempts are the Rust crate's", () => {
  const codec = rust("codec.rs");
  assert.equal(APPEND_SCRIPT.trim(), rustConst(codec, "APPEND_SCRIPT").trim());
  assert.equal(APPEND_ATTEMPTS, Number(/const APPEND_ATTEMPTS: u32 = (\d+);/.exec(codec)?.[1]));
});

test("the caches' fetch scripts are the Rust crate's", () => {
  const link = rust("link/mod.rs");
  assert.equal(FETCH_SCRIPT.body.trim(), rustConst(link, "FETCH_SCRIPT").trim());
  assert.equal(CLUSTER_FETCH_SCRIPT.body.trim(), rustConst(link, "FETCH_CLUSTER_SCRIPT").trim());
});
