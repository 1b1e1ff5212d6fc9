// The rollout readers of ROLLOUT.md against real servers (REDIS_URL, REDIS_CLUSTER_URL), over the
// app's node-redis and ioredis clients: shadow reads of a generated tenant's legacy sessions,
// dual-written, with faithful blobs and with blobs lacking one facility (issue 24, must-hold 3);
// each mode reading only its key; the dual writer's one expiry; the shadow counters through an
// in-memory OpenTelemetry exporter; LegacyMapping.readKeys, key templates and modes.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { ObjectId } from "bson";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { LegacyMapping, type SessionpackError } from "../dist/index.js";
import {
  KeyTemplate,
  RolloutAccess,
  SessionAccess,
  SessionCache,
  dualDelete,
  dualExpire,
  dualWrite,
  errorKind,
  parseRolloutMode,
  type RolloutSession,
  type ShadowBlobUnreadable,
  type ShadowDisagreement,
} from "../dist/redis/index.js";
import { admin, appClient, closeApp, key, target, TARGETS, type Admin } from "./redis-support.js";
import { MAPPING, MAPPING_TEXT, blobOf, dualWriteAll, keyForm, legacyDoc, oracleFacilities, oracleGroups, tenantOn, type Tenant } from "./rollout-support.js";

const APP_CLIENTS = ["node-redis", "ioredis"] as const;

const kind = (k: string) => (e: SessionpackError) => {
  assert.equal(errorKind(e), k, String(e));
  return true;
};

/** A record of the service's: a facility key in one of the forms the checks take. */
interface Rec {
  n: number;
  facility: string | Uint8Array | ObjectId;
  group: string | Uint8Array | ObjectId;
}

/** What a round of probes did: how many of each set, and how many touched `everywhere` on a session that lists it. */
interface Probed {
  facility: number;
  group: number;
  touching: number;
}

/**
 * Asks every session, in its mode, about every facility and group key of the tenant (and a few
 * unknown ones) — once with canSee / inGroup, once with filter / filterByGroup — and checks
 * each answer against the oracle on the legacy JSON.
 */
async function probeAll(w: Tenant, rollout: RolloutAccess): Promise<Probed> {
  const probed: Probed = { facility: 0, group: 0, touching: 0 };
  const fkeys = [...w.facilityKeys, ...w.unknownFacilities];
  const gkeys = [...w.groupKeys, ...w.unknownGroups];
  for (const e of w.entries) {
    const s = await rollout.load(w.tenant, e.legacyKey);
    assert.ok(s !== null, "a session");
    const facilities = oracleFacilities(e.json);
    const groups = oracleGroups(e.json);
    for (let i = 0; i < fkeys.length; i++) {
      assert.equal(await s.canSee(keyForm(fkeys[i], i)), facilities.has(fkeys[i]), `canSee ${fkeys[i]} of ${e.legacyKey}`);
    }
    for (let i = 0; i < gkeys.length; i++) {
      assert.equal(await s.inGroup(keyForm(gkeys[i], i + 1)), groups.has(gkeys[i]), `inGroup ${gkeys[i]}`);
    }
    const recs: Rec[] = fkeys.map((f, n) => ({ n, facility: keyForm(f, n + 2), group: keyForm(gkeys[n % gkeys.length], n + 3) }));
    const seen = await s.filter(recs, (r) => r.facility);
    assert.deepEqual(
      seen.map((r) => r.n),
      fkeys.flatMap((f, n) => (facilities.has(f) ? [n] : [])),
      "filter: the records the legacy session may see, in order",
    );
    const inGroups = await s.filterByGroup(recs, (r) => r.group);
    assert.deepEqual(
      inGroups.map((r) => r.n),
      recs.flatMap((r, n) => (groups.has(gkeys[n % gkeys.length]) ? [n] : [])),
      "filterByGroup",
    );
    probed.facility += 2 * fkeys.length;
    probed.group += gkeys.length + recs.length;
    if (facilities.has(w.everywhere)) probed.touching += 2;
  }
  return probed;
}

for (const tgName of TARGETS) {
  for (const client of APP_CLIENTS) {
    test(`${tgName} over the app's ${client}: shadow reads of dual-written legacy sessions — faithful blobs agree on every probe, blobs lacking one facility disagree exactly on the probes touching it, answers always the legacy oracle's`, async (t) => {
      const tg = await target(t, tgName);
      if (!tg) return;
      const w = await tenantOn(t, tg, client, 10);
      const app = w.x as object;
      await dualWriteAll(w, app, "sp:{key}");
      await dualWriteAll(w, app, "sp-lacking:{key}", w.everywhere);

      const disagreements: ShadowDisagreement[] = [];
      const failures: ShadowBlobUnreadable[] = [];
      const faithful = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "shadow", onDisagreement: (d) => disagreements.push(d), onBlobUnreadable: (f) => failures.push(f) });
      const p = await probeAll(w, faithful);
      assert.deepEqual(faithful.shadowCounts(), { facility: { agreements: p.facility, disagreements: 0 }, group: { agreements: p.group, disagreements: 0 } });
      assert.equal(disagreements.length, 0);
      assert.equal(failures.length, 0);

      const lacking = await RolloutAccess.connect({
        access: w.access,
        mapping: MAPPING,
        policy: { modeOf: () => "shadow" },
        template: "sp-lacking:{key}",
        onDisagreement: (d) => disagreements.push(d),
        onBlobUnreadable: (f) => failures.push(f),
      });
      const q = await probeAll(w, lacking);
      assert.equal(q.touching, 2 * w.entries.length, "every session lists the facility, probed twice");
      assert.deepEqual(lacking.shadowCounts(), {
        facility: { agreements: q.facility - q.touching, disagreements: q.touching },
        group: { agreements: q.group, disagreements: 0 },
      });
      assert.equal(failures.length, 0);
      assert.equal(disagreements.length, q.touching);
      for (const d of disagreements) {
        assert.deepEqual(Object.keys(d).sort(), ["blob", "key", "legacy", "session_key", "set", "tenant"], "exactly the fields of RO-SHADOW-LOG");
        assert.equal(d.tenant, w.tenant);
        assert.equal(d.set, "facility");
        assert.equal(d.key, w.everywhere, "the ObjectId as 24 lower-case hex digits");
        assert.equal(d.legacy, true);
        assert.equal(d.blob, false);
      }
      assert.deepEqual(
        [...new Set(disagreements.map((d) => d.session_key))].sort(),
        w.entries.map((e) => e.legacyKey).sort(),
        "each session's key",
      );
      // The first reader's counts did not move.
      assert.equal(faithful.shadowCounts().facility.agreements, p.facility);
    });
  }
}

/** The tenant on the standalone server over node-redis, with one session written, and an admin connection. */
async function oneSession(t: TestContext): Promise<{ w: Tenant; a: Admin } | undefined> {
  const tg = await target(t, "standalone");
  if (!tg) return undefined;
  const w = await tenantOn(t, tg, "node-redis", 1);
  const a = await admin(tg);
  t.after(() => a.close());
  return { w, a };
}

test("legacy mode reads only the legacy key, blob mode only the blob key; shadow mode with the blob missing answers from legacy, counts a disagreement for each legacy-true probe and logs the cause once", async (t) => {
  const got = await oneSession(t);
  if (!got) return;
  const { w, a } = got;
  const e = w.entries[0];
  const facilities = oracleFacilities(e.json);
  const other = w.facilityKeys.find((f) => !facilities.has(f))!;
  // The legacy JSON lists the facilities of the document; the blob another set: answers tell which was read.
  await a.send(e.legacyKey, ["SET", e.legacyKey, e.json, "PX", "600000"]);
  const blobKey = `sp:${e.legacyKey}`;
  const onlyOther = legacyDoc(w.tenant, e.doc.user._id, [other], []);
  await a.send(blobKey, ["SET", blobKey, Buffer.from(blobOf(w, { legacyKey: e.legacyKey, doc: onlyOther, json: JSON.stringify(onlyOther) })), "PX", "600000"]);
  let mode: "legacy" | "shadow" | "blob" = "legacy";
  const disagreements: ShadowDisagreement[] = [];
  const failures: ShadowBlobUnreadable[] = [];
  const rollout = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => mode, onDisagreement: (d) => disagreements.push(d), onBlobUnreadable: (f) => failures.push(f) });

  // legacy: the legacy key, even with the blob key holding garbage.
  await a.send(blobKey, ["SET", blobKey, "garbage, not a blob"]);
  let s = (await rollout.load(w.tenant, e.legacyKey))!;
  assert.equal(s.mode, "legacy");
  assert.equal(s.blob, undefined);
  assert.equal(await s.canSee(w.everywhere), true);
  assert.equal(await s.canSee(other), false);
  assert.equal(s.userId, e.doc.user._id);

  // blob: the blob key, even with the legacy key holding something that is no legacy session.
  await a.send(blobKey, ["SET", blobKey, Buffer.from(blobOf(w, { legacyKey: e.legacyKey, doc: onlyOther, json: JSON.stringify(onlyOther) })), "PX", "600000"]);
  await a.send(e.legacyKey, ["SET", e.legacyKey, "not json", "PX", "600000"]);
  mode = "blob";
  s = (await rollout.load(w.tenant, e.legacyKey))!;
  assert.equal(s.mode, "blob");
  assert.equal(s.legacy, undefined);
  assert.equal(await s.canSee(w.everywhere), false);
  assert.equal(await s.canSee(keyForm(other, 3)), true);
  await assert.rejects(s.canSee("not a key"), kind("invalid_input"));
  assert.deepEqual(rollout.shadowCounts(), { facility: { agreements: 0, disagreements: 0 }, group: { agreements: 0, disagreements: 0 } });

  // The legacy key's refusal is the read's in legacy and shadow modes (M-DOC-JSON), never in blob mode.
  for (const m of ["legacy", "shadow"] as const) {
    mode = m;
    await assert.rejects(rollout.load(w.tenant, e.legacyKey), kind("invalid_input"));
  }

  // shadow, the blob missing: legacy answers; each legacy-true probe is a disagreement; the cause logged once.
  await a.send(e.legacyKey, ["SET", e.legacyKey, e.json, "PX", "600000"]);
  await a.send(blobKey, ["DEL", blobKey]);
  mode = "shadow";
  s = (await rollout.load(w.tenant, e.legacyKey))!;
  assert.equal(s.mode, "shadow");
  assert.equal(s.blob, undefined);
  const probes = [...w.facilityKeys, ...w.unknownFacilities];
  let legacyTrue = 0;
  for (const f of probes) {
    const expected = facilities.has(f);
    if (expected) legacyTrue++;
    assert.equal(await s.canSee(f), expected);
  }
  const visible = await s.filter(probes, (f) => f);
  assert.deepEqual(visible, probes.filter((f) => facilities.has(f)));
  assert.deepEqual(rollout.shadowCounts().facility, { agreements: 2 * (probes.length - legacyTrue), disagreements: 2 * legacyTrue });
  assert.equal(disagreements.length, 2 * legacyTrue);
  assert.ok(disagreements.every((d) => d.legacy && !d.blob));
  assert.deepEqual(failures, [{ tenant: w.tenant, session_key: e.legacyKey, kind: "no_session", error: null }], "logged once for the read");

  // A blob that is no blob: the same, its kind logged; the read never fails.
  await a.send(blobKey, ["SET", blobKey, "garbage, not a blob"]);
  s = (await rollout.load(w.tenant, e.legacyKey))!;
  assert.equal(await s.canSee(w.everywhere), true);
  assert.equal(await s.canSee(w.everywhere), true);
  assert.equal(failures.length, 2);
  assert.equal(failures[1].kind, "not_a_blob");

  // A key of the wrong form is invalid_input in every mode; nothing is counted for it.
  const before = rollout.shadowCounts();
  for (const m of ["legacy", "shadow"] as const) {
    mode = m;
    const r = (await rollout.load(w.tenant, e.legacyKey))!;
    await assert.rejects(r.canSee("65a0f0c2e1a9d3f4a5b6f00"), kind("invalid_input"));
    await assert.rejects(r.filter([42], () => "xyz"), kind("invalid_input"));
    await assert.rejects(r.inGroup(new Uint8Array(11)), kind("invalid_input"));
  }
  assert.deepEqual(rollout.shadowCounts(), before);

  // No session: null in every mode; nothing counted.
  for (const m of ["legacy", "shadow", "blob"] as const) {
    mode = m;
    assert.equal(await rollout.load(w.tenant, key("rollout-missing")), null, m);
  }
  // A policy answer that is not a mode fails the read.
  const bad = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "Shadow" as "shadow" });
  await assert.rejects(bad.load(w.tenant, e.legacyKey), kind("invalid_input"));
  assert.deepEqual(rollout.shadowCounts(), before);
});

test("a legacy session is expired from its expires_at millisecond on (RO-LEGACY-EXPIRY), in legacy and shadow modes", async (t) => {
  const got = await oneSession(t);
  if (!got) return;
  const { w, a } = got;
  const expiresAt = Date.now() + 600_000;
  const doc = legacyDoc(w.tenant, new ObjectId().toHexString(), [w.everywhere], [], expiresAt);
  const k = key("rollout-expiry");
  await a.send(k, ["SET", k, JSON.stringify(doc), "PX", "600000"]);
  for (const mode of ["legacy", "shadow"] as const) {
    const rollout = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => mode, onBlobUnreadable: () => undefined });
    const s: RolloutSession | null = await rollout.loadAt(w.tenant, k, expiresAt - 1);
    assert.ok(s !== null);
    assert.equal(await s.canSee(w.everywhere), true);
    await assert.rejects(rollout.loadAt(w.tenant, k, expiresAt), kind("expired"));
    await assert.rejects(rollout.loadAt(w.tenant, k, BigInt(expiresAt) + 1n), kind("expired"));
  }
});

for (const tgName of TARGETS) {
  for (const client of APP_CLIENTS) {
    test(`${tgName} over the app's ${client}: the dual writer gives both keys the same PEXPIRETIME, computed once`, async (t) => {
      const tg = await target(t, tgName);
      if (!tg) return;
      const app = await appClient(tg, client);
      t.after(() => closeApp(app));
      const a = await admin(tg);
      t.after(() => a.close());
      const w = await tenantOn(t, tg, client, 3);
      for (const e of w.entries) {
        const nowMs = Date.now();
        const written = await dualWrite(app, { legacyKey: e.legacyKey, legacyJson: Buffer.from(e.json), blob: blobOf(w, e), ttlMs: 90_000, template: KeyTemplate.parse("blob:{key}:v3"), nowMs });
        assert.equal(written.blobKey, `blob:${e.legacyKey}:v3`);
        assert.equal(written.expiresAtMs, nowMs + 90_000);
        assert.equal(Number(await a.send(written.blobKey, ["PEXPIRETIME", written.blobKey])), written.expiresAtMs);
        assert.equal(Number(await a.send(e.legacyKey, ["PEXPIRETIME", e.legacyKey])), written.expiresAtMs);
        assert.equal(String(await a.send(e.legacyKey, ["GET", e.legacyKey])), e.json);
        // Sliding both (RO-DUAL-SLIDE): one new absolute expiry on both keys.
        const slid = await dualExpire(app, { legacyKey: e.legacyKey, ttlMs: 7_200_000, template: "blob:{key}:v3", nowMs: nowMs + 1 });
        assert.deepEqual([slid.blobKey, slid.expiresAtMs, slid.existed], [written.blobKey, nowMs + 1 + 7_200_000, { blob: true, legacy: true }]);
        assert.equal(Number(await a.send(written.blobKey, ["PEXPIRETIME", written.blobKey])), slid.expiresAtMs);
        assert.equal(Number(await a.send(e.legacyKey, ["PEXPIRETIME", e.legacyKey])), slid.expiresAtMs);
      }
      // Logged out on the legacy side only: a slide does not revive it, the blob goes too.
      const [first, second] = w.entries;
      assert.ok(first !== undefined && second !== undefined);
      const firstBlob = `blob:${first.legacyKey}:v3`;
      await a.send(first.legacyKey, ["DEL", first.legacyKey]);
      const revived = await dualExpire(app, { legacyKey: first.legacyKey, ttlMs: 60_000, template: "blob:{key}:v3" });
      assert.deepEqual(revived.existed, { blob: false, legacy: false });
      assert.equal(Number(await a.send(firstBlob, ["EXISTS", firstBlob])), 0);
      // Logout in both forms (RO-DUAL-DELETE).
      const secondBlob = `blob:${second.legacyKey}:v3`;
      assert.deepEqual(await dualDelete(app, { legacyKey: second.legacyKey, template: "blob:{key}:v3" }), { blob: true, legacy: true });
      assert.equal(Number(await a.send(secondBlob, ["EXISTS", secondBlob])), 0);
      assert.equal(Number(await a.send(second.legacyKey, ["EXISTS", second.legacyKey])), 0);
      assert.deepEqual(await dualDelete(app, { legacyKey: second.legacyKey, template: "blob:{key}:v3" }), { blob: false, legacy: false });
      const gone = key("rollout-dual-gone");
      const none = await dualExpire(app, { legacyKey: gone, ttlMs: 1000 });
      assert.deepEqual(none.existed, { blob: false, legacy: false });
      assert.equal(Number(await a.send(gone, ["EXISTS", gone])), 0);
      await assert.rejects(dualExpire(app, { legacyKey: gone, ttlMs: 0 }), kind("invalid_input"));
      // Wrong arguments are refused before anything is written.
      const k = key("rollout-dual-refused");
      await assert.rejects(dualWrite(app, { legacyKey: k, legacyJson: "{}", blob: new Uint8Array([1]), ttlMs: 1000, template: "sp:" }), kind("invalid_input"));
      await assert.rejects(dualWrite(app, { legacyKey: k, legacyJson: "{}", blob: new Uint8Array([1]), ttlMs: 0 }), kind("invalid_input"));
      await assert.rejects(dualWrite(app, { legacyKey: k, legacyJson: "{}", blob: new Uint8Array(0), ttlMs: 1000 }), kind("invalid_input"));
      assert.equal(Number(await a.send(k, ["EXISTS", k])), 0);
      assert.equal(Number(await a.send(`sp:${k}`, ["EXISTS", `sp:${k}`])), 0);
    });
  }
}

test("the shadow counters through an in-memory OpenTelemetry exporter: sessionpack.shadow.agreements / .disagreements by set, on the session cache's meter", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 30_000 });
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  const collect = async (): Promise<Record<string, number>> => {
    exporter.reset();
    await reader.forceFlush();
    const out: Record<string, number> = {};
    for (const scope of exporter.getMetrics()[0].scopeMetrics) {
      for (const m of scope.metrics) {
        if (!m.descriptor.name.startsWith("sessionpack.shadow.")) continue;
        assert.equal(m.descriptor.unit, "{probe}");
        for (const p of m.dataPoints) out[`${m.descriptor.name}{${Object.entries(p.attributes).map(([k, v]) => `${k}=${String(v)}`).join(",")}}`] = p.value as number;
      }
    }
    return out;
  };
  const w = await tenantOn(t, tg, "ioredis", 4, { metrics: provider });
  assert.deepEqual(await collect(), {}, "not reported before a rollout reader counts");
  await dualWriteAll(w, w.x, "sp:{key}", w.everywhere);
  const rollout = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "shadow", onDisagreement: () => undefined });
  assert.deepEqual(await collect(), {
    "sessionpack.shadow.agreements{set=facility}": 0,
    "sessionpack.shadow.agreements{set=group}": 0,
    "sessionpack.shadow.disagreements{set=facility}": 0,
    "sessionpack.shadow.disagreements{set=group}": 0,
  });
  const p = await probeAll(w, rollout);
  const expected = {
    "sessionpack.shadow.agreements{set=facility}": p.facility - p.touching,
    "sessionpack.shadow.agreements{set=group}": p.group,
    "sessionpack.shadow.disagreements{set=facility}": p.touching,
    "sessionpack.shadow.disagreements{set=group}": 0,
  };
  assert.deepEqual(await collect(), expected);
  const c = rollout.shadowCounts();
  assert.deepEqual([c.facility.agreements, c.group.agreements, c.facility.disagreements, c.group.disagreements], Object.values(expected));
  // Legacy and blob reads probe nothing.
  for (const mode of ["legacy", "blob"] as const) {
    const r = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => mode });
    const s = (await r.load(w.tenant, w.entries[0].legacyKey))!;
    await s.canSee(w.everywhere);
    await s.filter(w.facilityKeys, (f) => f);
  }
  assert.deepEqual(await collect(), expected);
});

test("LegacyMapping.readKeys: the mapping's fields and keys without dictionaries, keys in every form a keyed check takes, a wrong form refused", () => {
  const doc = legacyDoc("65a0f0c2e1a9d3f4a5b6c700", "65a0f0c2e1a9d3f4a5b6c701", ["65A0F0C2E1A9D3F4A5B6F005", "65a0f0c2e1a9d3f4a5b6f001"], ["65a0f0c2e1a9d3f4a5b66000"]);
  const json = JSON.stringify(doc);
  const legacy = MAPPING.readKeys(json);
  assert.equal(legacy.userId, doc.user._id);
  assert.equal(legacy.tenantId, doc.tenant._id);
  assert.equal(legacy.expiresAt, BigInt(doc.expiresAt));
  assert.deepEqual(legacy.roles, ["clinician", "scheduler"]);
  assert.deepEqual([...legacy.facilityKeys].sort(), ["65a0f0c2e1a9d3f4a5b6f001", "65a0f0c2e1a9d3f4a5b6f005"]);
  for (let i = 0; i < 4; i++) {
    assert.equal(legacy.hasFacility(keyForm("65a0f0c2e1a9d3f4a5b6f005", i)), true);
    assert.equal(legacy.hasFacility(keyForm("65a0f0c2e1a9d3f4a5b6f006", i)), false);
    assert.equal(legacy.hasGroup(keyForm("65a0f0c2e1a9d3f4a5b66000", i)), true);
  }
  for (const wrong of ["65a0f0c2e1a9d3f4a5b6f00", "zza0f0c2e1a9d3f4a5b6f005", new Uint8Array(11), 42, null, undefined, { id: 1 }]) {
    assert.throws(() => legacy.hasFacility(wrong as string), kind("invalid_input"));
  }
  assert.equal(legacy.expiredAt(doc.expiresAt - 1), false);
  assert.equal(legacy.expiredAt(doc.expiresAt), true);
  // The same document through convert (with dictionaries) and readKeys: the same fields.
  const same = LegacyMapping.fromJson(MAPPING_TEXT).readKeys(Buffer.from(json), { facilityKeyType: "objectid", groupKeyType: "objectid" });
  assert.deepEqual([...same.groupKeys], ["65a0f0c2e1a9d3f4a5b66000"]);
  // The mapping's refusals are readKeys' too (a 23-digit ObjectId: M-OID-TEXT, with its path).
  const bad = { ...doc, facilities: [{ ...doc.facilities[0], _id: "65a0f0c2e1a9d3f4a5b6f00" }] };
  assert.throws(
    () => MAPPING.readKeys(JSON.stringify(bad)),
    (e: SessionpackError & { rule?: string; path?: string }) => e.kind === "invalid_input" && e.rule === "M-OID-TEXT" && e.path === "/facilities/0/_id",
  );
  assert.throws(() => MAPPING.readKeys(json, { facilityKeyType: "objectId" as "objectid" }), kind("invalid_input"));
  // String keys: the string itself, or its UTF-8 bytes.
  const strings = MAPPING.readKeys(json, { facilityKeyType: "string" });
  assert.equal(strings.hasFacility("65A0F0C2E1A9D3F4A5B6F005"), true);
  assert.equal(strings.hasFacility("65a0f0c2e1a9d3f4a5b6f005"), false);
  assert.equal(strings.hasFacility(Buffer.from("65a0f0c2e1a9d3f4a5b6f001")), true);
});

test("key templates hold {key} exactly once, and not alone; modes are three lower-case names", () => {
  assert.equal(KeyTemplate.DEFAULT.blobKey("sess:6f1c"), "sp:sess:6f1c");
  assert.equal(KeyTemplate.parse("{key}:v2").blobKey("a"), "a:v2");
  assert.equal(KeyTemplate.parse("x{{key}}y").blobKey("k"), "x{k}y");
  assert.equal(KeyTemplate.parse("pre:{key}:post").text, "pre:{key}:post");
  for (const bad of ["sp:", "{key}{key}", "{Key}", "sp:{key}:{key}", "", "{key}"]) assert.throws(() => KeyTemplate.parse(bad), kind("invalid_input"), bad);
  assert.throws(() => KeyTemplate.parse(7 as unknown as string), kind("invalid_input"));
  for (const m of ["legacy", "shadow", "blob"]) assert.equal(parseRolloutMode(m), m);
  for (const bad of ["Legacy", "BLOB", " shadow", "shadow ", "", null, 1]) assert.throws(() => parseRolloutMode(bad), kind("invalid_input"));
});

test("RolloutAccess.connect refuses what is not its arguments, and a template without {key} exactly once", async (t) => {
  const got = await oneSession(t);
  if (!got) return;
  const { w } = got;
  const ok = { access: w.access, mapping: MAPPING, policy: () => "legacy" as const };
  await assert.rejects(RolloutAccess.connect({ ...ok, template: "sp:{key}{key}" }), kind("invalid_input"));
  await assert.rejects(RolloutAccess.connect({ ...ok, policy: "shadow" as unknown as () => "shadow" }), kind("invalid_input"));
  await assert.rejects(RolloutAccess.connect({ ...ok, mapping: MAPPING_TEXT as unknown as LegacyMapping }), kind("invalid_input"));
  await assert.rejects(RolloutAccess.connect({ ...ok, access: w.sessions as unknown as Tenant["access"] }), kind("invalid_input"));
  const r = await RolloutAccess.connect(ok);
  await assert.rejects(r.load(w.tenant, ""), kind("invalid_input"));
  await assert.rejects(r.load(undefined as unknown as string, "k"), kind("invalid_input"));
});

test("shadow mode: a store error reading the blob never fails the read — legacy answers (from legacyStore), the blob denies, the cause logged once with its kind", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const w = await tenantOn(t, tg, "node-redis", 2);
  await dualWriteAll(w, w.x, "sp:{key}");
  // A blob side whose session cache is closed: every blob read fails (unavailable).
  const closedSessions = await SessionCache.connect(tg, { freshness: "header-check", keys: [w.mac] });
  const closedAccess = new SessionAccess({ sessions: closedSessions, dictionaries: closedSessions.dictionaries({ keys: [w.mac] }) });
  await closedSessions.close();
  const failures: ShadowBlobUnreadable[] = [];
  const rollout = await RolloutAccess.connect({
    access: closedAccess,
    mapping: MAPPING,
    policy: () => "shadow",
    legacyStore: w.x,
    onDisagreement: () => undefined,
    onBlobUnreadable: (f) => failures.push(f),
  });
  t.after(() => rollout.close());
  let legacyTrue = 0;
  for (const e of w.entries) {
    const s = await rollout.load(w.tenant, e.legacyKey);
    assert.ok(s !== null);
    const facilities = oracleFacilities(e.json);
    for (const f of w.facilityKeys) {
      assert.equal(await s.canSee(f), facilities.has(f));
      if (facilities.has(f)) legacyTrue++;
    }
  }
  assert.deepEqual(
    failures.map((f) => [f.session_key, f.kind]),
    w.entries.map((e) => [e.legacyKey, "unavailable"]),
    "once per read",
  );
  assert.deepEqual(rollout.shadowCounts().facility, { agreements: w.entries.length * w.facilityKeys.length - legacyTrue, disagreements: legacyTrue });
  // In blob mode the same blob side fails the read: deny.
  const blobOnly = await RolloutAccess.connect({ access: closedAccess, mapping: MAPPING, policy: () => "blob", legacyStore: w.x });
  await assert.rejects(blobOnly.load(w.tenant, w.entries[0].legacyKey), kind("unavailable"));
});
