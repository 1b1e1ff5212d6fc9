// `npm run pack-check`: packs the package, installs the tarball into fresh apps in a temporary
// directory and checks that both module systems and every TypeScript module resolution work
// there, the way a user's service would see the package:
//
// - core-only app: `npm install <tarball>` alone pulls no Redis client (node-redis is an optional
//   peer of `sessionpack/redis`), and both `import` and `require` of `sessionpack` work;
// - ESM app (`"type": "module"`) and CommonJS app: `import` / `require` of `sessionpack` and
//   `sessionpack/redis` (with the app's own `redis`), resolved to the matching build;
// - TypeScript apps, strict, under `module`/`moduleResolution` node16, nodenext, bundler and
//   node10, each in a CommonJS and an ESM flavour: `tsc` must be clean (declarations included:
//   no skipLibCheck), must have read the declarations of the matching build, and the emitted app
//   must run.
//
// Every app opens every golden vector of tests/vectors/<version>/ (comparing `toJson()` with its
// .json) and refuses every refusal vector with its kind, and checks that `sessionpack/redis`
// throws the `SessionpackError` class of `sessionpack` (one class per module system).
//
// One npm cache (the user's) is reused, with --prefer-offline; redis, typescript and
// @types/node are installed at the versions of this package's development dependencies, so
// after `npm ci` nothing needs the network. The TypeScript apps share one installation (the
// tarball, redis, typescript and @types/node in their parent directory): each app has its own
// package.json ("type") and tsconfig.json. Ends with `N passed, M failed`; exits 1 on any failure,
// and then keeps the temporary directory for a look (`--keep` keeps it always).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS = fileURLToPath(new URL("..", import.meta.url));
const VECTORS = path.resolve(JS, "..", "tests", "vectors");

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--keep");
if (unknown.length > 0) {
  console.error(`usage: node scripts/pack-check.mjs [--keep]; unknown argument(s): ${unknown.join(" ")}`);
  process.exit(2);
}
const keep = args.includes("--keep");
const started = performance.now();

/** The installed version of a development dependency (so the apps' installs hit the npm cache). */
function devVersion(name) {
  return JSON.parse(readFileSync(path.join(JS, "node_modules", name, "package.json"), "utf8")).version;
}

const NPM_ENV = {
  ...process.env,
  npm_config_fund: "false",
  npm_config_audit: "false",
  npm_config_update_notifier: "false",
  npm_config_loglevel: "error",
};

/** Runs a command; resolves to its output, rejects with the output on a non-zero exit. */
function run(cmd, argv, cwd, env = NPM_ENV) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${cmd} ${argv.join(" ")} (in ${cwd}) exited with ${code ?? signal}\n${out}${err}`.trimEnd()));
    });
  });
}

const npm = (argv, cwd) => run("npm", argv, cwd);
const node = (argv, cwd) => run(process.execPath, argv, cwd, { ...process.env, NODE_OPTIONS: "" });

/** Runs `tasks` (functions returning promises), at most `limit` at a time, in order of start. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

let passed = 0;
let failed = 0;
function report(ok, name, detail) {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
}
/** Runs one named check; a throw is its failure (the rest go on). */
async function check(name, fn) {
  const t0 = performance.now();
  try {
    report(true, name, `${await fn()} (${seconds(t0)})`);
  } catch (e) {
    report(false, name, e instanceof Error ? e.message : String(e));
  }
}
function seconds(t0) {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}
function expect(cond, message) {
  if (!cond) throw new Error(message);
}

// The vectors the apps open: every tests/vectors/<version>/ with a manifest (not dict/ nor legacy/), and its refuse/.
const versions = readdirSync(VECTORS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "dict" && d.name !== "legacy" && existsSync(path.join(VECTORS, d.name, "manifest.json")))
  .map((d) => d.name)
  .sort();
const expected = { opened: 0, refused: 0 };
for (const v of versions) {
  expected.opened += JSON.parse(readFileSync(path.join(VECTORS, v, "manifest.json"), "utf8")).length;
  const refuse = path.join(VECTORS, v, "refuse", "manifest.json");
  if (existsSync(refuse)) expected.refused += JSON.parse(readFileSync(refuse, "utf8")).length;
}

// ---------------------------------------------------------------------------------------------
// What the apps run. The JavaScript body and the TypeScript body do the same: open every golden
// vector, refuse every refusal vector, and check the redis entry point's errors. Each prints one
// JSON line that the checks below compare with what is expected.

const JS_BODY = `
const VECTORS = ${JSON.stringify(VECTORS)};
const VERSIONS = ${JSON.stringify(versions)};
const keyOf = (e) => (e.key ? [{ id: e.key[0], key: Buffer.from(e.key[1], "hex") }] : []);
const opened = [];
let refused = 0;
for (const version of VERSIONS) {
  const dir = path.join(VECTORS, version);
  for (const e of JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"))) {
    const view = new Decoder({ keys: keyOf(e), expiry: "ignore" }).open(readFileSync(path.join(dir, e.name + ".bin")));
    const json = readFileSync(path.join(dir, e.name + ".json"), "utf8").replace(/\\n$/, "");
    if (view.toJson() !== json) throw new Error(version + "/" + e.name + ": toJson() differs from the .json");
    if (Header.read(readFileSync(path.join(dir, e.name + ".bin"))).digest !== view.header.digest) throw new Error("digest");
    opened.push(version + "/" + e.name);
  }
  const refuse = path.join(dir, "refuse", "manifest.json");
  if (!existsSync(refuse)) continue;
  for (const r of JSON.parse(readFileSync(refuse, "utf8"))) {
    const decoder = new Decoder({ keys: keyOf(r), expiry: { rejectAt: BigInt(r.now) } });
    try {
      decoder.open(readFileSync(path.join(dir, "refuse", r.name + ".bin")));
      throw new Error(version + "/refuse/" + r.name + " was opened");
    } catch (e) {
      if (!(e instanceof SessionpackError) || e.kind !== r.kind) throw new Error(version + "/refuse/" + r.name + ": " + e);
      refused++;
    }
  }
}
let redisKind = "not thrown";
try {
  Target.parse("");
} catch (e) {
  if (!(e instanceof SessionpackError)) throw new Error("sessionpack/redis threw another SessionpackError class: " + e);
  redisKind = errorKind(e);
}
if (new StoreError("timeout", "t").kind !== "timeout" || typeof SessionCache.connect !== "function" || typeof SessionStore.connect !== "function") {
  throw new Error("sessionpack/redis's API is incomplete");
}
console.log(JSON.stringify({ resolved, opened: opened.length, refused, redisKind, cluster: Target.parse("redis://a:1,redis://b:2").isCluster }));
`;

const ESM_APP = `import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Decoder, Header, SessionpackError } from "sessionpack";
import { SessionCache, SessionStore, StoreError, Target, errorKind } from "sessionpack/redis";
const resolved = [import.meta.resolve("sessionpack"), import.meta.resolve("sessionpack/redis")];
${JS_BODY}`;

const CJS_APP = `"use strict";
const { existsSync, readFileSync } = require("node:fs");
const path = require("node:path");
const { Decoder, Header, SessionpackError } = require("sessionpack");
const { SessionCache, SessionStore, StoreError, Target, errorKind } = require("sessionpack/redis");
const resolved = [require.resolve("sessionpack"), require.resolve("sessionpack/redis")];
${JS_BODY}`;

/** The core alone, without node-redis installed: opens every golden vector. */
const CORE_BODY = `
const dirs = ${JSON.stringify(versions.map((v) => path.join(VECTORS, v)))};
let opened = 0;
for (const dir of dirs) {
  for (const e of JSON.parse(readFileSync(dir + "/manifest.json", "utf8"))) {
    const keys = e.key ? [{ id: e.key[0], key: Buffer.from(e.key[1], "hex") }] : [];
    const view = new Decoder({ keys, expiry: "ignore" }).open(readFileSync(dir + "/" + e.name + ".bin"));
    if (view.toJson() + "\\n" !== readFileSync(dir + "/" + e.name + ".json", "utf8")) throw new Error(e.name + ": toJson() differs");
    opened++;
  }
}
console.log(JSON.stringify({ resolved, opened }));
`;
const CORE_ESM = `import { readFileSync } from "node:fs";
import { Decoder } from "sessionpack";
const resolved = [import.meta.resolve("sessionpack")];
${CORE_BODY}`;
const CORE_CJS = `const { readFileSync } = require("node:fs");
const { Decoder } = require("sessionpack");
const resolved = [require.resolve("sessionpack")];
${CORE_BODY}`;

/** TypeScript: the same checks, typed; `style` is how the app imports. */
function tsApp(style) {
  const prelude =
    style === "import"
      ? `import { existsSync, readFileSync } from "node:fs";
import { Decoder, Header, SessionpackError, type DecoderOptions, type ErrorKind, type SessionView } from "sessionpack";
import { SessionCache, SessionStore, StoreError, Target, errorKind, type CacheOptions, type StoreErrorKind } from "sessionpack/redis";
`
      : // import-equals: CommonJS under module "preserve" (bundler resolution with require).
        `import fs = require("node:fs");
import sessionpack = require("sessionpack");
import sessionpackRedis = require("sessionpack/redis");
const { existsSync, readFileSync } = fs;
const { Decoder, Header, SessionpackError } = sessionpack;
const { SessionCache, SessionStore, StoreError, Target, errorKind } = sessionpackRedis;
type DecoderOptions = sessionpack.DecoderOptions;
type ErrorKind = sessionpack.ErrorKind;
type SessionView = sessionpack.SessionView;
type CacheOptions = sessionpackRedis.CacheOptions;
type StoreErrorKind = sessionpackRedis.StoreErrorKind;
`;
  return `${prelude}
interface Entry {
  name: string;
  kind?: ErrorKind;
  now?: number;
  key: [number, string] | null;
}
const VECTORS: string = ${JSON.stringify(VECTORS)};
const VERSIONS: readonly string[] = ${JSON.stringify(versions)};
const keysOf = (e: Entry): DecoderOptions["keys"] => (e.key ? [{ id: e.key[0], key: Buffer.from(e.key[1], "hex") }] : []);
const manifest = (file: string): Entry[] => JSON.parse(readFileSync(file, "utf8")) as Entry[];

let opened = 0;
let refused = 0;
let last: SessionView | undefined;
for (const version of VERSIONS) {
  const dir = VECTORS + "/" + version;
  for (const e of manifest(dir + "/manifest.json")) {
    const options: DecoderOptions = { keys: keysOf(e), expiry: "ignore" };
    const blob = readFileSync(dir + "/" + e.name + ".bin");
    const view: SessionView = new Decoder(options).open(blob);
    if (view.toJson() + "\\n" !== readFileSync(dir + "/" + e.name + ".json", "utf8")) throw new Error(e.name + ": toJson() differs");
    const digest: bigint = Header.read(blob).digest;
    if (digest !== view.header.digest) throw new Error(e.name + ": digest");
    last = view;
    opened++;
  }
  if (!existsSync(dir + "/refuse/manifest.json")) continue;
  for (const r of manifest(dir + "/refuse/manifest.json")) {
    const decoder = new Decoder({ keys: keysOf(r), expiry: { rejectAt: BigInt(r.now ?? 0) } });
    try {
      decoder.open(readFileSync(dir + "/refuse/" + r.name + ".bin"));
      throw new Error(r.name + " was opened");
    } catch (e) {
      if (!(e instanceof SessionpackError) || e.kind !== r.kind) throw new Error(r.name + ": " + String(e));
      const kind: ErrorKind = e.kind;
      if (kind !== r.kind) throw new Error("kind");
      refused++;
    }
  }
}
if (last === undefined) throw new Error("no vector");
// The types are the package's, not \`any\`: a user id is a string.
// @ts-expect-error: userId is a string
const wrong: number = last.userId;
void wrong;

let redisKind: ErrorKind | StoreErrorKind | undefined | "not thrown" = "not thrown";
try {
  Target.parse("");
} catch (e) {
  if (!(e instanceof SessionpackError)) throw new Error("sessionpack/redis threw another SessionpackError class: " + String(e));
  redisKind = errorKind(e);
}
const cacheOptions: CacheOptions = { freshness: "header-check", maxEntries: 100 };
const storeKind: StoreErrorKind = new StoreError("timeout", "t").kind;
if (cacheOptions.freshness !== "header-check" || storeKind !== "timeout" || typeof SessionCache.connect !== "function" || typeof SessionStore.connect !== "function") {
  throw new Error("sessionpack/redis's API is incomplete");
}
console.log(JSON.stringify({ resolved: [], opened, refused, redisKind, cluster: Target.parse("redis://a:1,redis://b:2").isCluster }));
`;
}

/**
 * The TypeScript flavours: module and moduleResolution, the app's "type", how it imports, and
 * which build's declarations it must read.
 */
const TS_FLAVOURS = [
  { name: "node16-cjs", module: "node16", resolution: "node16", type: "commonjs", style: "import", build: "cjs" },
  { name: "node16-esm", module: "node16", resolution: "node16", type: "module", style: "import", build: "esm" },
  { name: "nodenext-cjs", module: "nodenext", resolution: "nodenext", type: "commonjs", style: "import", build: "cjs" },
  { name: "nodenext-esm", module: "nodenext", resolution: "nodenext", type: "module", style: "import", build: "esm" },
  { name: "bundler-esm", module: "esnext", resolution: "bundler", type: "module", style: "import", build: "esm" },
  { name: "bundler-cjs", module: "preserve", resolution: "bundler", type: "commonjs", style: "require", build: "cjs" },
  // node10 reads no "exports": "types" and redis/package.json, the CommonJS declarations.
  { name: "node10-cjs", module: "commonjs", resolution: "node10", type: "commonjs", style: "import", build: "cjs" },
  { name: "node10-esm", module: "esnext", resolution: "node10", type: "module", style: "import", build: "cjs" },
];

/** Checks an app's JSON line: every vector, every refusal, the redis entry point's error class. */
function checkOutput(out, what) {
  const line = out.trim().split("\n").at(-1) ?? "";
  let r;
  try {
    r = JSON.parse(line);
  } catch {
    throw new Error(`${what} printed no result:\n${out}`);
  }
  expect(r.opened === expected.opened, `${what} opened ${r.opened} vectors, not ${expected.opened}`);
  expect(r.refused === undefined || r.refused === expected.refused, `${what} refused ${r.refused} vectors, not ${expected.refused}`);
  expect(r.redisKind === undefined || r.redisKind === "invalid_input", `${what}: Target.parse("") gave ${r.redisKind}`);
  expect(r.cluster === undefined || r.cluster === true, `${what}: Target.parse of two URLs is not a cluster`);
  return r;
}

/** The path of `file` inside the installed package, for messages (`dist/cjs/index.js`). */
function inPackage(file) {
  const p = file.startsWith("file:") ? fileURLToPath(file) : file;
  const at = p.lastIndexOf(`${path.sep}node_modules${path.sep}sessionpack${path.sep}`);
  return at < 0 ? p : p.slice(at + `${path.sep}node_modules${path.sep}sessionpack${path.sep}`.length).split(path.sep).join("/");
}

// ---------------------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), "sessionpack-pack-check-"));
let tarball = "";
const REDIS = `redis@${devVersion("redis")}`;
const TYPESCRIPT = `typescript@${devVersion("typescript")}`;
const TYPES_NODE = `@types/node@${devVersion("@types/node")}`;
const INSTALL = ["install", "--prefer-offline", "--no-package-lock", "--no-save"];

console.log(`pack-check: node ${process.version}, npm in ${work}`);
await check("npm pack", async () => {
  const { out } = await npm(["pack", "--json", "--pack-destination", work], JS);
  const packed = JSON.parse(out.slice(out.indexOf("[")))[0];
  tarball = path.join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  const must = [
    "package.json",
    "README.md",
    "redis/package.json",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/redis/index.js",
    "dist/redis/index.d.ts",
    "dist/cjs/package.json",
    "dist/cjs/index.js",
    "dist/cjs/index.d.ts",
    "dist/cjs/redis/index.js",
    "dist/cjs/redis/index.d.ts",
  ];
  const missing = must.filter((f) => !files.includes(f));
  expect(missing.length === 0, `the tarball lacks ${missing.join(", ")}`);
  const stray = files.filter((f) => /^(test|bench|scripts|node_modules)\//.test(f) || f.endsWith(".tgz"));
  expect(stray.length === 0, `the tarball holds ${stray.join(", ")}`);
  return `${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed (${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked)`;
});
if (tarball === "") {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(1);
}

/** A fresh app directory with its package.json. */
function app(dir, type, extra = {}) {
  mkdirSync(dir, { recursive: true });
  const pkg = { name: path.basename(dir), version: "1.0.0", private: true, ...(type ? { type } : {}), ...extra };
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  return dir;
}

// The installs, concurrently: the core-only app, the ESM and CommonJS apps, the TypeScript apps' parent.
const core = app(path.join(work, "core-only"), undefined);
const esm = app(path.join(work, "esm"), "module");
const cjs = app(path.join(work, "cjs"), "commonjs");
const ts = app(path.join(work, "ts"), undefined);
const installStarted = performance.now();
const installs = await Promise.allSettled([
  npm([...INSTALL, tarball], core),
  npm([...INSTALL, tarball, REDIS], esm),
  npm([...INSTALL, tarball, REDIS], cjs),
  npm([...INSTALL, tarball, REDIS, TYPESCRIPT, TYPES_NODE], ts),
]);
console.log(`     installed the four apps, concurrently (${seconds(installStarted)})`);
const installed = (i) => {
  const r = installs[i];
  if (r.status === "rejected") throw r.reason;
};

await check("core-only app (npm install <tarball>)", async () => {
  installed(0);
  const modules = readdirSync(path.join(core, "node_modules")).filter((f) => !f.startsWith("."));
  expect(modules.length === 1 && modules[0] === "sessionpack", `installing the tarball installed ${modules.join(", ")} (only sessionpack expected: no runtime dependency, redis is an optional peer)`);
  writeFileSync(path.join(core, "main.mjs"), CORE_ESM);
  writeFileSync(path.join(core, "main.cjs"), CORE_CJS);
  const a = checkOutput((await node(["main.mjs"], core)).out, "import");
  const b = checkOutput((await node(["main.cjs"], core)).out, "require");
  expect(inPackage(a.resolved[0]) === "dist/index.js", `import resolved ${a.resolved[0]}`);
  expect(inPackage(b.resolved[0]) === "dist/cjs/index.js", `require resolved ${b.resolved[0]}`);
  return `node_modules holds sessionpack alone (no redis); import → dist/index.js and require → dist/cjs/index.js each opened ${expected.opened} golden vectors`;
});

await check("ESM app (\"type\": \"module\")", async () => {
  installed(1);
  writeFileSync(path.join(esm, "main.js"), ESM_APP);
  const r = checkOutput((await node(["main.js"], esm)).out, "the ESM app");
  const files = r.resolved.map(inPackage);
  expect(files[0] === "dist/index.js" && files[1] === "dist/redis/index.js", `import resolved ${files.join(", ")}`);
  return `import of sessionpack, sessionpack/redis → ${files.join(", ")}; opened ${r.opened} golden vectors, refused ${r.refused} with their kinds; sessionpack/redis throws sessionpack's SessionpackError`;
});

await check("CommonJS app (\"type\": \"commonjs\")", async () => {
  installed(2);
  writeFileSync(path.join(cjs, "main.js"), CJS_APP);
  const r = checkOutput((await node(["main.js"], cjs)).out, "the CommonJS app");
  const files = r.resolved.map(inPackage);
  expect(files[0] === "dist/cjs/index.js" && files[1] === "dist/cjs/redis/index.js", `require resolved ${files.join(", ")}`);
  return `require of sessionpack, sessionpack/redis → ${files.join(", ")}; opened ${r.opened} golden vectors, refused ${r.refused} with their kinds; sessionpack/redis throws sessionpack's SessionpackError`;
});

// TypeScript: compile every flavour (at most one per core at a time), then run it.
let tsInstalled = true;
try {
  installed(3);
} catch (e) {
  tsInstalled = false;
  report(false, "TypeScript apps' installation", e instanceof Error ? e.message : String(e));
}
if (tsInstalled) {
  const tsc = path.join(ts, "node_modules", "typescript", "bin", "tsc");
  const tsVersion = JSON.parse(readFileSync(path.join(ts, "node_modules", "typescript", "package.json"), "utf8")).version;
  const results = await pool(
    TS_FLAVOURS.map((f) => async () => {
      const dir = app(path.join(ts, f.name), f.type);
      writeFileSync(path.join(dir, "main.ts"), tsApp(f.style));
      const compilerOptions = {
        strict: true,
        target: "es2022",
        lib: ["es2022"],
        module: f.module,
        moduleResolution: f.resolution,
        types: ["node"],
        outDir: "out",
        noEmitOnError: true,
        skipLibCheck: false,
      };
      writeFileSync(path.join(dir, "tsconfig.json"), `${JSON.stringify({ compilerOptions, files: ["main.ts"] }, null, 2)}\n`);
      const t0 = performance.now();
      try {
        // One pass: the type check of `tsc --noEmit`, then the emit (only when clean) to run.
        const { out } = await node([tsc, "-p", ".", "--listFiles"], dir).catch((e) => {
          // The diagnostics, without --listFiles' list.
          const lines = String(e.message).split("\n").filter((l) => !/^\S+\.d\.[cm]?ts$|^\S+[/\\]main\.ts$/.test(l.trim()));
          throw new Error(lines.join("\n"));
        });
        const declarations = [
          ...new Set(
            out
              .split("\n")
              .map((l) => l.trim())
              .filter((l) => l.includes(`${path.sep}node_modules${path.sep}sessionpack${path.sep}`))
              .map(inPackage)
              // The entry points' declarations (modules they import, e.g. redis/store.d.ts, are not entry points).
              .filter((l) => /^dist\/(cjs\/)?(redis\/)?index\.d\.ts$/.test(l)),
          ),
        ].sort();
        const want = f.build === "cjs" ? ["dist/cjs/index.d.ts", "dist/cjs/redis/index.d.ts"] : ["dist/index.d.ts", "dist/redis/index.d.ts"];
        expect(JSON.stringify(declarations) === JSON.stringify(want), `tsc read ${declarations.join(", ") || "no sessionpack declarations"}, not ${want.join(", ")}`);
        const ran = checkOutput((await node([path.join("out", "main.js")], dir)).out, "the compiled app");
        return { f, ok: true, detail: `tsc ${tsVersion} strict: clean, read ${want.join(" + ")}; ran: opened ${ran.opened}, refused ${ran.refused} (${seconds(t0)})` };
      } catch (e) {
        return { f, ok: false, detail: e instanceof Error ? e.message : String(e) };
      }
    }),
    Math.max(1, availableParallelism()),
  );
  for (const { f, ok, detail } of results) {
    report(ok, `TypeScript ${f.name} (module ${f.module}, moduleResolution ${f.resolution}, ${f.type}, ${f.style === "import" ? "import" : "import = require"})`, detail);
  }
}

console.log(`took ${seconds(started)}`);
if (failed > 0 || keep) console.log(`the apps are kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
