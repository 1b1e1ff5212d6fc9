// `npm pack` gives a tarball that installs into an empty directory and works there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VECTORS } from "./support.js";

const JS = fileURLToPath(new URL("..", import.meta.url));
// The node-redis the tests run with (the development dependency), installed by the app itself.
const REDIS_VERSION = (JSON.parse(readFileSync(path.join(JS, "node_modules", "redis", "package.json"), "utf8")) as { version: string }).version;

test("the packed tarball installs into an empty directory and opens a blob there", { timeout: 240_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), "sessionpack-pack-"));
  try {
    const npm = (args: readonly string[], cwd: string) =>
      execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" } });
    const out = npm(["pack", "--json", "--pack-destination", work], JS);
    const packed = JSON.parse(out.slice(out.indexOf("["))) as { files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts") && files.includes("README.md"), files.join(", "));
    assert.ok(!files.some((f: string) => f.startsWith("test/") || f.startsWith("node_modules/")));
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "no tarball");
    const app = path.join(work, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    // Offline when the registry is unreachable: the dependency is in the npm cache after `npm ci`.
    npm(["install", "--prefer-offline", "--no-package-lock", path.join(work, tarball)], app);
    const blob = path.join(VECTORS, "v1", "spec_example.bin");
    writeFileSync(
      path.join(app, "main.mjs"),
      `import { readFileSync } from "node:fs";
import { Decoder, Header, detect } from "sessionpack";
const blob = readFileSync(${JSON.stringify(blob)});
const view = new Decoder({ expiry: { rejectAt: 1500 } }).open(blob);
console.log(JSON.stringify({ json: view.toJson(), member: view.facilities.has(2), version: detect(blob).version, digest: Header.read(blob).digest.toString(16) }));
`,
    );
    const result = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" })) as { json: string; member: boolean; version: number; digest: string };
    assert.equal(result.member, true);
    assert.equal(result.version, 1);
    assert.equal(result.digest, "9711a3ecac56906a");
    assert.ok(result.json.startsWith('{"user_id":"u1","tenant_id":"acme"'));

    // The core package pulls no Redis client: node-redis is an optional peer dependency of the
    // sessionpack/redis entry point only.
    assert.ok(files.includes("dist/redis/index.js") && files.includes("dist/redis/index.d.ts"), files.join(", "));
    assert.ok(!existsSync(path.join(app, "node_modules", "redis")), "installing sessionpack installed redis");
    assert.ok(!existsSync(path.join(app, "node_modules", "@redis")), "installing sessionpack installed @redis/*");
    // With the application's own node-redis installed, the entry point loads (no server needed).
    npm(["install", "--prefer-offline", "--no-package-lock", `redis@${REDIS_VERSION}`], app);
    writeFileSync(
      path.join(app, "redis.mjs"),
      `import { Target, SessionCache, SessionStore, StoreError } from "sessionpack/redis";
const t = Target.parse("redis://127.0.0.1:7000,redis://127.0.0.1:7001");
console.log(JSON.stringify({ cluster: t.isCluster, seeds: t.urls.length, api: [typeof SessionCache.connect, typeof SessionStore.connect, new StoreError("timeout", "x").kind] }));
`,
    );
    const loaded: unknown = JSON.parse(execFileSync(process.execPath, ["redis.mjs"], { cwd: app, encoding: "utf8" }));
    assert.deepEqual(loaded, { cluster: true, seeds: 2, api: ["function", "function", "timeout"] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
