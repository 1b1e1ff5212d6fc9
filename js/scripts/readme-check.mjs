// Runs the code blocks of js/README.md that are marked to run: a fence whose info string is
// `js run=NAME.mjs` (an ES module) or `js run=NAME.cjs` (CommonJS). Each block is written to
// js/.readme-check/NAME and run with Node from there, so `import "sessionpack"` and
// `require("sessionpack")` resolve to this package (its own name, through its `exports`), as in
// an app that installed it. A block fails the check when it throws or exits non-zero.
//
//   REDIS_URL=redis://127.0.0.1:6379 node scripts/readme-check.mjs
//
// Blocks reach Redis through REDIS_URL (and REDIS_CLUSTER_URL where they use a cluster); the
// check fails when a block needs one that is not set.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const README = path.join(JS, "README.md");
const WORK = path.join(JS, ".readme-check");

const text = readFileSync(README, "utf8");
const blocks = [];
const fence = /^```js run=([A-Za-z0-9_-]+\.(?:mjs|cjs))[^\n]*\n([\s\S]*?)^```$/gm;
for (let m; (m = fence.exec(text)) !== null; ) blocks.push({ name: m[1], code: m[2] });
if (blocks.length === 0) {
  console.error("README.md has no block marked `js run=NAME.mjs` or `js run=NAME.cjs`");
  process.exit(1);
}

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
let passed = 0;
let failed = 0;
for (const { name, code } of blocks) {
  const file = path.join(WORK, name);
  writeFileSync(file, code);
  const started = Date.now();
  const r = spawnSync(process.execPath, [file], { cwd: WORK, encoding: "utf8", timeout: 60_000, env: process.env });
  const ms = Date.now() - started;
  if (r.status === 0) {
    passed++;
    console.log(`ok ${name} (${ms} ms)${r.stdout.trim() === "" ? "" : `\n${indent(r.stdout)}`}`);
  } else {
    failed++;
    console.log(`FAILED ${name} (exit ${r.status ?? r.signal}, ${ms} ms)\n${indent(r.stdout)}\n${indent(r.stderr)}`);
  }
}
rmSync(WORK, { recursive: true, force: true });
console.log(`README blocks: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function indent(s) {
  return s
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
