// Both module systems: the CommonJS build (dist/cjs/) beside the ES modules (dist/), no top-level
// await anywhere (so `require` works), one error class per module system, and the vendored zstd
// WebAssembly module. `npm run pack-check` checks the same from fresh apps that install the tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esm from "../dist/index.js";
import * as esmRedis from "../dist/redis/index.js";
import { VECTORS, keyOf, readJson, type GoldenEntry } from "./support.js";

const JS = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

test("src/zstd-wasm.ts holds the WebAssembly module of the installed zstddec, byte for byte", () => {
  execFileSync(process.execPath, [path.join(JS, "scripts", "vendor-zstd.mjs"), "--check"], { stdio: "pipe" });
});

test("dist/cjs is CommonJS: require() loads both entry points and opens every v1 vector", () => {
  assert.deepEqual(readJson(path.join(JS, "dist", "cjs", "package.json")), { type: "commonjs" });
  const cjs = require("../dist/cjs/index.js") as typeof import("../dist/cjs/index.js");
  const cjsRedis = require("../dist/cjs/redis/index.js") as typeof import("../dist/cjs/redis/index.js");
  assert.equal(typeof cjsRedis.SessionCache.connect, "function");
  const dir = path.join(VECTORS, "v1");
  const manifest = readJson<GoldenEntry[]>(path.join(dir, "manifest.json"));
  assert.ok(manifest.some((v: { compression: string; }) => v.compression === "always"), "a compressed vector is among them");
  for (const v of manifest) {
    const key = keyOf(v);
    const blob = readFileSync(path.join(dir, `${v.name}.bin`));
    const view = new cjs.Decoder({ keys: key ? [key] : [], expiry: "ignore" }).open(blob);
    const expected = readFileSync(path.join(dir, `${v.name}.json`), "utf8").trimEnd();
    assert.equal(view.toJson(), expected, v.name);
    // The same answers as the ES modules.
    assert.equal(new esm.Decoder({ keys: key ? [key] : [], expiry: "ignore" }).open(blob).toJson(), expected, v.name);
  }
});

test("one SessionpackError per module system, shared by both entry points; the two systems' copies are distinct", () => {
  const cjs = require("../dist/cjs/index.js") as typeof import("../dist/cjs/index.js");
  const cjsRedis = require("../dist/cjs/redis/index.js") as typeof import("../dist/cjs/redis/index.js");
  assert.throws(
    () => cjsRedis.Target.parse(""),
    (e) => e instanceof cjs.SessionpackError && !(e instanceof esm.SessionpackError) && cjsRedis.errorKind(e) === "invalid_input",
  );
  assert.throws(
    () => esmRedis.Target.parse(""),
    (e) => e instanceof esm.SessionpackError && !(e instanceof cjs.SessionpackError) && esmRedis.errorKind(e) === "invalid_input",
  );
  assert.throws(
    () => new cjs.Decoder().open(new Uint8Array(3)),
    (e: esm.SessionpackError) => e instanceof cjs.SessionpackError && e.kind === "not_a_blob",
  );
});

test("the ES module build has no top-level await: require() of dist/index.js works where Node can require ES modules", (t) => {
  if (!process.features.require_module) {
    t.skip(`Node ${process.version} cannot require ES modules`);
    return;
  }
  const script = `const m = require("./dist/index.js"); const r = require("./dist/redis/index.js");
process.stdout.write(String(typeof m.Decoder === "function" && typeof r.SessionStore === "function"));`;
  const out = execFileSync(process.execPath, ["--no-warnings", "-e", script], { cwd: JS, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(out, "true");
});
