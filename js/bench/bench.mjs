// `npm run bench`: the npm package against JSON.parse on the worst generated profile, side by
// side in one run, and against the npm `roaring` package on the same id sets.
//
// Data: js/bench/data (not committed), written once by the Rust generator in js/bench/gen (the
// profiles and seed of the Rust benches). Timings are the best mean of several batches.
//
//   npm run bench                 # the worst profile
//   npm run bench -- tenant-admin # other profiles (small, medium, large, worst, tenant-admin, sparse)

import { existsSync, readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Decoder, Header, IdDictionaryView, IdSet, encode } from "../dist/index.js";
import { DATA, ensureData } from "./data.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));

const profiles = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["worst"];

/**
 * Times every operation of `ops` (name → function) in interleaved rounds: each round runs each
 * operation for about `ms`, and each keeps the best mean of its rounds (ns per call). On a
 * shared machine, noise then falls on every operation alike and the best round of each is a
 * quiet one.
 */
function timeAll(ops, { ms = 40, rounds = 15 } = {}) {
  const calls = {};
  for (const [name, f] of Object.entries(ops)) {
    let n = 1;
    for (;;) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      if (Number(process.hrtime.bigint() - t) / 1e6 > ms / 2) break;
      n *= 2;
    }
    calls[name] = n;
  }
  const best = Object.fromEntries(Object.keys(ops).map((k) => [k, Infinity]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(ops)) {
      const n = calls[name];
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t) / n);
    }
  }
  return best;
}

function human(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** The npm `roaring` package (CRoaring, native), installed on demand into bench/.deps. */
function loadRoaring() {
  const deps = path.join(HERE, ".deps");
  const require = createRequire(path.join(deps, "package.json"));
  const tryLoad = () => {
    try {
      return { module: require("roaring") };
    } catch (e) {
      return { error: e };
    }
  };
  let r = tryLoad();
  if (r.module) return r;
  try {
    mkdirSync(deps, { recursive: true });
    console.error("installing the npm roaring package into bench/.deps (bench only)…");
    execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", deps, "roaring@2"], { stdio: ["ignore", "ignore", "inherit"] });
  } catch (e) {
    return { error: e };
  }
  r = tryLoad();
  return r;
}

let sink = 0;
const roaring = loadRoaring();

for (const profile of profiles) {
  ensureData(profile);
  const legacyText = readFileSync(path.join(DATA, `${profile}.legacy.json`), "utf8");
  const idsOnlyText = readFileSync(path.join(DATA, `${profile}.ids-only.json`), "utf8");
  const raw = new Uint8Array(readFileSync(path.join(DATA, `${profile}.raw.bin`)));
  const zstd = new Uint8Array(readFileSync(path.join(DATA, `${profile}.zstd.bin`)));
  const meta = JSON.parse(readFileSync(path.join(DATA, `${profile}.meta.json`), "utf8"));
  const probes = meta.probes;
  // Probes of facilities the tenant's dictionary does not hold have no id: not members.
  const ids = probes.filter((p) => p.id !== null).map((p) => p.id);
  const dict = IdDictionaryView.open(new Uint8Array(readFileSync(path.join(DATA, `${profile}.facility.dict`))));
  const oids = probes.map((p) => p.object_id);
  const key = { id: 1, key: new Uint8Array(32).fill(7) };
  const now = { rejectAt: meta.issued_at };
  const decoder = new Decoder({ expiry: now });
  const signedDecoder = new Decoder({ keys: [key], expiry: now });
  const view = decoder.open(raw);
  const signed = encode(view.toSession(), { key });
  if (Header.read(signed).digest !== Header.read(raw).digest) throw new Error("the signed blob's archive differs");
  // Same answers everywhere before timing anything.
  const legacy = JSON.parse(legacyText);
  const byKey = view.facilities.lineage === undefined ? null : view.facilities.keyed(dict);
  for (const p of probes) {
    if ((p.id !== null && view.facilities.has(p.id)) !== p.member) throw new Error(`probe ${p.id}`);
    if (byKey && byKey.has(p.object_id) !== p.member) throw new Error(`keyed probe ${p.object_id}`);
    if (legacy.facilities.some((f) => f._id === p.object_id) !== p.member) throw new Error(`legacy probe ${p.object_id}`);
  }
  if (decoder.open(zstd).toJson() !== view.toJson()) throw new Error("the zstd blob reads differently");

  const rows = [];
  const facilities = view.facilities;
  const ops = {
    has() {
      let n = 0;
      for (let i = 0; i < ids.length; i++) if (facilities.has(ids[i])) n++;
      sink += n;
    },
    openRaw: () => (sink += decoder.open(raw).facilities.size),
    openSigned: () => (sink += signedDecoder.open(signed).facilities.size),
    openZstd: () => (sink += decoder.open(zstd).facilities.size),
    legacyParse: () => (sink += JSON.parse(legacyText).facilities.length),
    idsOnlyParse: () => (sink += JSON.parse(idsOnlyText).facilityIds.length),
    jobLegacy() {
      const s = JSON.parse(legacyText);
      for (const o of oids) if (s.facilities.some((f) => f._id === o)) sink++;
    },
    jobIdsOnly() {
      const s = JSON.parse(idsOnlyText);
      for (const o of oids) if (s.facilityIds.includes(o)) sink++;
    },
    jobRaw() {
      const set = decoder.open(raw).facilities;
      let n = 0;
      for (let i = 0; i < ids.length; i++) if (set.has(ids[i])) n++;
      sink += n;
    },
    // The way services check: from each record's facility ObjectId, through the dictionary.
    jobKeyed() {
      const set = decoder.open(raw).facilities.keyed(dict);
      let n = 0;
      for (let i = 0; i < oids.length; i++) if (set.has(oids[i])) n++;
      sink += n;
    },
  };
  let bitmap;
  let bytes;
  if (roaring.module) {
    const { RoaringBitmap32 } = roaring.module;
    bytes = Buffer.from(view.facilities.bytes);
    bitmap = RoaringBitmap32.deserialize(bytes, "portable");
    for (const p of probes) if (p.id !== null && bitmap.has(p.id) !== p.member) throw new Error("roaring disagrees");
    ops.roaringDeserialize = () => (sink += RoaringBitmap32.deserialize(bytes, "portable").size);
    ops.roaringHas = () => {
      let n = 0;
      for (let i = 0; i < ids.length; i++) if (bitmap.has(ids[i])) n++;
      sink += n;
    };
    ops.idSetFrom = () => (sink += IdSet.from(bytes).size);
  }
  const t = timeAll(ops);
  const { openRaw, openSigned, openZstd, legacyParse, idsOnlyParse, jobLegacy, jobIdsOnly, jobRaw, jobKeyed } = t;
  const hasNs = t.has / ids.length;

  console.log(`\n## ${profile} profile (seed ${meta.seed}), Node ${process.version}\n`);
  console.log(`legacy JSON ${legacyText.length} B, ids-only JSON ${idsOnlyText.length} B, raw blob ${raw.length} B, compressed blob ${zstd.length} B`);
  console.log(`facilities ${view.facilities.size} ids (${view.facilities.bytes.length} B), groups ${view.groups.size} ids (${view.groups.bytes.length} B)\n`);
  rows.push(["JSON.parse legacy JSON", legacyParse, ""]);
  rows.push(["JSON.parse ids-only JSON", idsOnlyParse, ""]);
  rows.push(["open, raw blob", openRaw, `${(legacyParse / openRaw).toFixed(0)}× legacy, ${(idsOnlyParse / openRaw).toFixed(1)}× ids-only`]);
  rows.push(["open, raw blob, signed (HMAC)", openSigned, `${(legacyParse / openSigned).toFixed(0)}× legacy, ${(idsOnlyParse / openSigned).toFixed(1)}× ids-only`]);
  rows.push(["open, compressed blob", openZstd, `${(legacyParse / openZstd).toFixed(0)}× legacy, ${(idsOnlyParse / openZstd).toFixed(1)}× ids-only`]);
  rows.push(["facilities.has (per check)", hasNs, ""]);
  rows.push(["job: JSON.parse legacy + 100 checks", jobLegacy, ""]);
  rows.push(["job: JSON.parse ids-only + 100 checks", jobIdsOnly, `${(jobLegacy / jobIdsOnly).toFixed(1)}× the legacy job`]);
  rows.push(["job: open raw + checks by id", jobRaw, `${(jobLegacy / jobRaw).toFixed(0)}× the legacy job, ${(jobIdsOnly / jobRaw).toFixed(1)}× the ids-only job`]);
  if (byKey) rows.push(["job: open raw + 100 checks by ObjectId", jobKeyed, `${(jobLegacy / jobKeyed).toFixed(0)}× the legacy job, ${(jobIdsOnly / jobKeyed).toFixed(1)}× the ids-only job`]);

  if (roaring.module) {
    const rHas = t.roaringHas / ids.length;
    rows.push(["roaring: deserialize(facilities, 'portable')", t.roaringDeserialize, ""]);
    rows.push(["sessionpack: IdSet.from(facilities) (validates every rule)", t.idSetFrom, `${(t.idSetFrom / t.roaringDeserialize).toFixed(1)}× the time of roaring`]);
    rows.push(["roaring: has (per check)", rHas, `sessionpack has is ${(rHas / hasNs).toFixed(1)}× faster`]);
  } else {
    rows.push(["roaring (npm)", NaN, `not measured: ${String(roaring.error?.message ?? roaring.error).split("\n")[0]}`]);
  }

  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`| ${"operation".padEnd(width)} | time | ratio |`);
  console.log(`| ${"-".repeat(width)} | --- | --- |`);
  for (const [name, ns, ratio] of rows) console.log(`| ${name.padEnd(width)} | ${Number.isNaN(ns) ? "—" : human(ns)} | ${ratio} |`);

  const targets = [
    ["open ≥ 300× JSON.parse of the legacy JSON", legacyParse / openRaw >= 300, `${(legacyParse / openRaw).toFixed(0)}×`],
    ["open ≥ 10× JSON.parse of the ids-only JSON", idsOnlyParse / openRaw >= 10, `${(idsOnlyParse / openRaw).toFixed(1)}×`],
    ["has ≤ 25 ns", hasNs <= 25, human(hasNs)],
  ];
  console.log("\nTargets (issue 14, raw blob):");
  for (const [what, met, value] of targets) console.log(`- ${what}: ${value} — ${met ? "met" : "NOT met"}`);
}

if (sink === 0.5) console.log(sink);
