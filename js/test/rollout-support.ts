// What the rollout tests share (ROLLOUT.md): a tenant of the generator's legacy shape
// (tests/vectors/legacy/generator.*: whole facility and group objects, ObjectIds as text),
// its dictionaries in Redis, its legacy sessions, their blobs written by the dual writer — faithful
// or lacking one facility — and the independent oracle: JSON.parse and the mapping's paths
// (/facilities[]/_id, /groups[]/_id) followed by hand.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { ObjectId } from "bson";
import { IdDictionary, LegacyMapping, encode, type MacKey } from "../dist/index.js";
import { SessionAccess, SessionCache, SessionStore, dualWrite, type MetricsOption, type Target } from "../dist/redis/index.js";
import { VECTORS } from "./support.js";
import { connectable, key, type AppClient, type ClientKind } from "./redis-support.js";

export const MAPPING_TEXT = readFileSync(path.join(VECTORS, "legacy", "generator.mapping.json"), "utf8");
export const MAPPING = LegacyMapping.fromJson(MAPPING_TEXT);

/** A legacy session as the generator writes it (the fields the tests read, and some they don't). */
export interface LegacyDoc {
  token: string;
  user: { _id: string; email: string; firstName: string; lastName: string; roles: string[] };
  tenant: { _id: string; name: string; slug: string };
  issuedAt: number;
  expiresAt: number;
  settings: Record<string, string>;
  facilities: { _id: string; name: string; timezone: string; address: { line1: string; city: string }; settings: { licensedBeds: number } }[];
  groups: { _id: string; name: string; type: string; facilityIds: string[]; permissions: string[] }[];
}

/** One session of the tenant: its legacy key, its document and the document's text. */
export interface LegacyEntry {
  legacyKey: string;
  doc: LegacyDoc;
  json: string;
}

/** mulberry32: a small seeded generator. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, chance: (p: number) => next() < p };
}

/** The oracle: the facility keys of a legacy JSON text, by JSON.parse and the mapping's path by hand (lower case). */
export function oracleFacilities(json: string): Set<string> {
  const doc = JSON.parse(json) as { facilities?: { _id: string }[] };
  return new Set((doc.facilities ?? []).map((f) => f._id.toLowerCase()));
}

/** The oracle's group keys. */
export function oracleGroups(json: string): Set<string> {
  const doc = JSON.parse(json) as { groups?: { _id: string }[] };
  return new Set((doc.groups ?? []).map((g) => g._id.toLowerCase()));
}

/** A key in one of the forms a keyed check takes, by `i`: lower-case hex, upper-case hex, its 12 bytes, a bson ObjectId. */
export function keyForm(hex: string, i: number): string | Uint8Array | ObjectId {
  switch (i % 4) {
    case 0:
      return hex;
    case 1:
      return hex.toUpperCase();
    case 2:
      return Buffer.from(hex, "hex");
    default:
      return new ObjectId(hex);
  }
}

/** A legacy document of the generator's shape for `tenant`, listing `facilities` and `groups`. */
export function legacyDoc(tenant: string, user: string, facilities: readonly string[], groups: readonly string[], expiresAt = Date.now() + 3_600_000): LegacyDoc {
  return {
    token: `tok-${user.slice(-6)}`,
    user: { _id: user, email: `${user.slice(-4)}@example.com`, firstName: "Dana", lastName: "Reyes", roles: ["clinician", "scheduler"] },
    tenant: { _id: tenant, name: "Acme Health", slug: "acme-health" },
    issuedAt: expiresAt - 7_200_000,
    expiresAt,
    settings: { language: "en", theme: "dark", timezone: "America/Chicago" },
    facilities: facilities.map((f, i) => ({
      _id: f,
      name: `Riverside Clinic ${i}`,
      timezone: "America/Chicago",
      address: { line1: `${100 + i} Main Street`, city: "Springfield" },
      settings: { licensedBeds: i },
    })),
    groups: groups.map((g, i) => ({ _id: g, name: `Care team ${i}`, type: "care-team", facilityIds: facilities.slice(0, 1), permissions: ["read", "chart"] })),
  };
}

/** A tenant in Redis: its dictionaries, its legacy sessions (not written yet), the caches and the blob side. */
export interface Tenant {
  tenant: string;
  facilityKeys: string[];
  groupKeys: string[];
  /** Keys in no dictionary and no session. */
  unknownFacilities: string[];
  unknownGroups: string[];
  /** The facility every session lists (the one a lacking blob leaves out). */
  everywhere: string;
  entries: LegacyEntry[];
  mac: MacKey;
  fdict: IdDictionary;
  gdict: IdDictionary;
  x: Target | AppClient;
  sessions: SessionCache;
  access: SessionAccess;
  store: SessionStore;
}

/** A tenant of `n` sessions over `kind` ("url": connections of the caches' own), each listing a random part of 24 facilities (always `everywhere`) and 12 groups. */
export async function tenantOn(
  t: TestContext,
  tg: Target,
  kind: ClientKind,
  n: number,
  options: { metrics?: MetricsOption; seed?: number; legacyKey?: (i: number) => string } = {},
): Promise<Tenant> {
  const x = await connectable(t, tg, kind);
  const mac: MacKey = { id: 5, key: randomBytes(32) };
  const tenant = new ObjectId().toHexString();
  const facilityKeys = Array.from({ length: 24 }, () => new ObjectId().toHexString());
  const groupKeys = Array.from({ length: 12 }, () => new ObjectId().toHexString());
  const everywhere = facilityKeys[7];
  const r = rng(options.seed ?? 24);
  const entries: LegacyEntry[] = [];
  for (let i = 0; i < n; i++) {
    const facilities = facilityKeys.filter((f) => f === everywhere || r.chance(0.4));
    const groups = groupKeys.filter(() => r.chance(0.5));
    const doc = legacyDoc(tenant, new ObjectId().toHexString(), facilities, groups);
    entries.push({ legacyKey: options.legacyKey?.(i) ?? key(`rollout-sess-${i}`), doc, json: JSON.stringify(doc) });
  }
  const store = await SessionStore.connect(x, { keys: [mac] });
  const fdict = (await store.appendDictionary(`dict:${tenant}:facility`, IdDictionary.create({ tenant, kind: "facility", keyType: "objectid" }), facilityKeys)).dictionary;
  const gdict = (await store.appendDictionary(`dict:${tenant}:group`, IdDictionary.create({ tenant, kind: "group", keyType: "objectid" }), groupKeys)).dictionary;
  const sessions = await SessionCache.connect(x, { freshness: "header-check", keys: [mac], ...(options.metrics === undefined ? {} : { metrics: options.metrics }) });
  const dictionaries = sessions.dictionaries({ keys: [mac] });
  t.after(async () => {
    await dictionaries.close();
    await sessions.close();
    await store.close();
  });
  return {
    tenant,
    facilityKeys,
    groupKeys,
    unknownFacilities: [new ObjectId().toHexString(), new ObjectId().toHexString()],
    unknownGroups: [new ObjectId().toHexString()],
    everywhere,
    entries,
    mac,
    fdict,
    gdict,
    x,
    sessions,
    access: new SessionAccess({ sessions, dictionaries }),
    store,
  };
}

/** The blob of `entry` (converted through the tenant's dictionaries), without the facility `lacking` when given. */
export function blobOf(w: Tenant, entry: LegacyEntry, lacking?: string): Uint8Array {
  const doc: LegacyDoc = lacking === undefined ? entry.doc : { ...entry.doc, facilities: entry.doc.facilities.filter((f) => f._id !== lacking) };
  const { session } = MAPPING.convert(JSON.stringify(doc), { facilities: w.fdict, groups: w.gdict });
  return encode(session, { key: w.mac });
}

/** Dual-writes every session of the tenant through the app's client (or a plain node-redis one for "url"), blobs under `template`. */
export async function dualWriteAll(w: Tenant, client: object, template: string, lacking?: string): Promise<void> {
  for (const e of w.entries) {
    const written = await dualWrite(client, { legacyKey: e.legacyKey, legacyJson: e.json, blob: blobOf(w, e, lacking), ttlMs: 600_000, template });
    assert.equal(written.blobKey, template.replace("{key}", e.legacyKey));
  }
}
