// `npm run bench:rollout`: one read in each rollout mode (ROLLOUT.md) on a server at REDIS_URL —
// `load(tenant, legacyKey)` then `filter` of 100 records — for a session of the generator's
// legacy shape with F facilities (whole objects) and F / 2 groups: `legacy` GETs and reads the
// legacy JSON every time, `shadow` also reads the blob (through the session cache: a header
// check when kept) and decides every record twice, `blob` reads the blob only.
//
//   REDIS_URL=redis://127.0.0.1:6379 npm run bench:rollout

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { IdDictionary, LegacyMapping, encode } from "../dist/index.js";
import { RolloutAccess, SessionAccess, SessionCache, SessionStore, dualWrite } from "../dist/redis/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const mapping = LegacyMapping.fromJson(readFileSync(path.join(HERE, "..", "..", "examples", "legacy-mapping.json")));
const url = process.env.REDIS_URL;
if (url === undefined || url === "") {
  console.error("REDIS_URL is not set");
  process.exit(1);
}
const redis = await createClient({ url }).connect();
const mac = { id: 1, key: randomBytes(32) };
const oid = () => randomBytes(12).toString("hex");

for (const count of [20, 400, 2400]) {
  const tenant = oid();
  const fkeys = Array.from({ length: count }, oid);
  const gkeys = Array.from({ length: count / 2 }, oid);
  const doc = {
    token: "tok",
    user: { _id: oid(), email: "dana@example.com", firstName: "Dana", lastName: "Reyes", roles: ["clinician"] },
    tenant: { _id: tenant, name: "Acme Health", slug: "acme" },
    issuedAt: Date.now() - 1000,
    expiresAt: Date.now() + 3_600_000,
    settings: { language: "en" },
    facilities: fkeys.map((_id, n) => ({ _id, name: `Clinic ${n}`, timezone: "America/Chicago", address: { line1: `${n} Main Street`, city: "Springfield" }, npi: String(1234567890 + n) })),
    groups: gkeys.map((_id, n) => ({ _id, name: `Care team ${n}`, type: "care-team", facilityIds: [fkeys[n]], permissions: ["read"] })),
  };
  const json = JSON.stringify(doc);
  const store = await SessionStore.connect(redis, { keys: [mac] });
  const fdict = (await store.appendDictionary(`dict:${tenant}:facility`, IdDictionary.create({ tenant, kind: "facility", keyType: "objectid" }), fkeys)).dictionary;
  const gdict = (await store.appendDictionary(`dict:${tenant}:group`, IdDictionary.create({ tenant, kind: "group", keyType: "objectid" }), gkeys)).dictionary;
  const legacyKey = `sess:bench:${oid()}`;
  const blob = encode(mapping.convert(json, { facilities: fdict, groups: gdict }).session, { key: mac });
  await dualWrite(redis, { legacyKey, legacyJson: json, blob, ttlMs: 600_000 });
  const sessions = await SessionCache.connect(redis, { freshness: "header-check", keys: [mac], metrics: false });
  const dictionaries = sessions.dictionaries({ keys: [mac] });
  const access = new SessionAccess({ sessions, dictionaries });
  const records = Array.from({ length: 100 }, (_, n) => ({ facilityId: n % 2 === 0 ? fkeys[n % count] : oid() }));
  const line = [`${count} facilities (${(json.length / 1e3).toFixed(0)} kB legacy, ${blob.length} B blob):`];
  for (const mode of ["legacy", "shadow", "blob"]) {
    const rollout = await RolloutAccess.connect({ access, mapping, policy: () => mode, onDisagreement: () => undefined });
    const times = [];
    for (let i = 0; i < 300; i++) {
      const t = process.hrtime.bigint();
      const s = await rollout.load(tenant, legacyKey);
      await s.filter(records, (r) => r.facilityId);
      times.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    times.sort((a, b) => a - b);
    const c = rollout.shadowCounts().facility;
    if (c.disagreements !== 0) throw new Error("a faithful blob disagreed");
    line.push(`${mode} p50 ${times[150].toFixed(0)} µs, p99 ${times[296].toFixed(0)} µs`);
  }
  console.log(line.join("  "));
  await dictionaries.close();
  await sessions.close();
  await store.close();
}
await redis.close();
