// The npm package's side of the differential run against the Rust reader (see
// benches/examples/differential.rs, which writes DIR/cases.jsonl and verifies what this writes):
//
//   cargo run --release -p sessionpack-benches --example differential -- generate DIR
//   node scripts/differential.mjs DIR        (after `npm run build`)
//   cargo run --release -p sessionpack-benches --example differential -- verify DIR
//
// For every case: the package accepts exactly when the Rust reader does, refuses with the same
// error kind, and, when it accepts, gives the same JSON form (every field; its SHA-256, and the
// text itself when the case carries it) and the same answer to every membership probe. Every
// accepted raw case's JSON, encoded by the package, is written to DIR/js_encoded.jsonl for the
// Rust side to open and compare byte for byte. Exits 1 on any disagreement.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Decoder, Session, SessionpackError, encode } from "../dist/index.js";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/differential.mjs DIR");
  process.exit(2);
}
const lines = readFileSync(join(dir, "cases.jsonl"), "utf8").split("\n").filter(Boolean);
const hex = (bytes) => Buffer.from(bytes).toString("hex");
let agree = 0;
const disagreements = [];
const encoded = [];
const kinds = new Map();
for (const line of lines) {
  const c = JSON.parse(line);
  // `now` may exceed 2^53: read it from the text, exactly.
  const now = /"now":(-?\d+|null)/.exec(line)?.[1] ?? "null";
  const blob = Buffer.from(c.blob, "hex");
  const key = c.key ? { id: c.key[0], key: Buffer.from(c.key[1], "hex") } : undefined;
  const decoder = new Decoder({
    keys: key ? [key] : [],
    expiry: now === "null" ? "ignore" : { rejectAt: BigInt(now) },
  });
  let got;
  try {
    const view = decoder.open(blob);
    const json = view.toJson();
    const sha = createHash("sha256").update(json).digest("hex");
    const probes = (c.verdict.probes ?? []).filter(([set, id, member]) => view[set].has(id) !== member);
    got = { ok: true, json, sha, wrongProbes: probes.length };
  } catch (e) {
    if (!(e instanceof SessionpackError)) throw e; // a crash, not a refusal
    got = { ok: false, kind: e.kind, message: e.message };
  }
  const want = c.verdict;
  const same = got.ok === want.ok &&
    (want.ok
      ? got.sha === want.json_sha256 && got.wrongProbes === 0 && (want.json === null || want.json === got.json)
      : got.kind === want.kind);
  kinds.set(want.ok ? "accepted" : want.kind, (kinds.get(want.ok ? "accepted" : want.kind) ?? 0) + 1);
  if (same) agree++;
  else disagreements.push(`${c.name}: Rust ${JSON.stringify(want).slice(0, 160)}, package ${JSON.stringify(got).slice(0, 240)}`);
  // Raw accepted blobs: the package encodes their JSON; the Rust side opens the result.
  if (want.ok && got.ok && (blob[5] & 1) === 0) {
    const again = encode(Session.fromJson(got.json), key ? { key } : {});
    if (!Buffer.from(again).equals(blob)) disagreements.push(`${c.name}: the package's encoding differs from the Rust blob`);
    encoded.push(JSON.stringify({ name: c.name, json: got.json, key: c.key ?? null, blob: hex(again) }));
  }
}
writeFileSync(join(dir, "js_encoded.jsonl"), encoded.join("\n") + "\n");
console.log(
  `${lines.length} cases: ${agree} agree with the Rust reader (${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}); ` +
    `${encoded.length} raw sessions encoded byte for byte as Rust's, written for the Rust side to open`,
);
if (disagreements.length > 0 || lines.length === 0) {
  console.error(`${disagreements.length} disagreements:\n${disagreements.slice(0, 30).join("\n")}`);
  process.exit(1);
}
