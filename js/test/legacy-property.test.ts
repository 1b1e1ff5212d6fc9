// Property test of the legacy converter (MAPPING.md) against an independent oracle: random legacy
// documents of the generator's shape, written as text with random whitespace, escapes, repeated
// member names and unread junk, are converted and compared with a straightforward reading of the
// same text through JSON.parse (which keeps the last of a repeated name, as MAPPING.md §7 says).
// Documents stay within what JSON.parse reads exactly (integers below 2^53, no lone surrogates).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { IdDictionary, LegacyError, LegacyMapping, Session } from "../dist/index.js";
import { VECTORS } from "./support.js";

const DIR = path.join(VECTORS, "legacy");
const MAPPING = LegacyMapping.fromJson(readFileSync(path.join(DIR, "generator.mapping.json")));
const SECONDS = LegacyMapping.fromJson(readFileSync(path.join(DIR, "seconds.mapping.json")));
const TENANT = "65a0f0c2e1a9d3f4a5b6c700";
const FACILITY_KEYS = Array.from({ length: 40 }, (_, i) => "65a0f0c2e1a9d3f4a5b6" + (0xf000 + i).toString(16));
const GROUP_KEYS = Array.from({ length: 30 }, (_, i) => "65a0f0c2e1a9d3f4a5b6" + (0x6000 + i).toString(16));
const FACILITIES = IdDictionary.create({ tenant: TENANT, kind: "facility", keyType: "objectid", lineage: 0x4c45474143590001n }).append(FACILITY_KEYS).dictionary;
const GROUPS = IdDictionary.create({ tenant: TENANT, kind: "group", keyType: "objectid", lineage: 0x4c45474143590002n }).append(GROUP_KEYS).dictionary;

/** mulberry32: a small seeded generator, so that a failure names its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type Rng = ReturnType<typeof rng>;

// A JSON value to write: objects as lists of members (a name may repeat), numbers as their text.
type J = string | boolean | null | { num: string } | J[] | { members: [string, J][] };

const ALPHABET = ["a", "b", "Z", "0", " ", "é", "ß", "中", "😀", '"', "\\", "/", "\n", "\t", "\u0001", "\u2028", "~", "["];

function randomString(r: Rng, max = 8): string {
  let s = "";
  for (let n = r.int(max + 1); n > 0; n--) s += r.pick(ALPHABET);
  return s;
}

/** `s` as JSON text, each character escaped or not at random. */
function writeString(r: Rng, s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || c < 0x20 || r.chance(0.15)) {
      if (c > 0xffff) {
        for (const unit of [ch.charCodeAt(0), ch.charCodeAt(1)]) out += "\\u" + unit.toString(16).padStart(4, "0");
      } else if (ch === "/" && r.chance(0.5)) out += "\\/";
      else if (ch === "\n" && r.chance(0.5)) out += "\\n";
      else out += "\\u" + (r.chance(0.5) ? c.toString(16).toUpperCase() : c.toString(16)).padStart(4, "0");
    } else out += ch;
  }
  return out + '"';
}

function ws(r: Rng): string {
  return r.chance(0.7) ? "" : r.pick([" ", "\n", "\t", "\r\n  "]);
}

function write(r: Rng, v: J): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return writeString(r, v);
  if (Array.isArray(v)) return "[" + ws(r) + v.map((x) => write(r, x)).join(ws(r) + "," + ws(r)) + ws(r) + "]";
  if ("num" in v) return v.num;
  return "{" + ws(r) + v.members.map(([k, x]) => writeString(r, k) + ws(r) + ":" + ws(r) + write(r, x)).join("," + ws(r)) + ws(r) + "}";
}

/** Unread junk: any JSON value, a few levels deep. */
function junk(r: Rng, depth = 0): J {
  switch (r.int(depth > 3 ? 4 : 6)) {
    case 0:
      return randomString(r);
    case 1:
      return { num: r.pick(["0", "-0", "12", "-3.5e-7", "1E+400", "123456789012345678901234567890", "0.000"]) };
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return randomString(r, 3);
    case 4:
      return Array.from({ length: r.int(4) }, () => junk(r, depth + 1));
    default:
      return { members: Array.from({ length: r.int(4) }, (): [string, J] => [r.pick(["_id", "x", "facilities", randomString(r, 3)]), junk(r, depth + 1)]) };
  }
}

/** Members with junk members mixed in, and now and then a decoy of a real one before it (the last counts). */
function obj(r: Rng, members: [string, J][]): J {
  const out: [string, J][] = [];
  for (const m of members) {
    if (r.chance(0.2)) out.push([randomString(r, 4), junk(r)]);
    if (r.chance(0.1)) out.push([m[0], junk(r)]);
    out.push(m);
  }
  return { members: out };
}

/** An ObjectId as text or `{"$oid": …}`, in either case (`key`: a dictionary key; a string field takes text as it is, so only its `$oid` form may be upper case). */
function oidValue(r: Rng, hex: string, key = true): J {
  const text = r.chance(0.3) ? hex.toUpperCase() : hex;
  if (r.chance(0.3)) return { members: [["$oid", text]] };
  return key ? text : hex;
}

/** A time (Unix ms, a multiple of 1000 for seconds) in one of the forms of MAPPING.md §5, and its unit. */
function timeValue(r: Rng, ms: number, seconds: boolean): J {
  if (seconds) return { num: String(ms / 1000) };
  const iso = () => {
    if (r.chance(0.5)) return new Date(ms).toISOString();
    // An offset: the local time is the UTC time plus it.
    const off = (r.int(2) === 0 ? -1 : 1) * r.int(24 * 60);
    const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
    const a = Math.abs(off);
    return `${local}${off < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
  };
  switch (r.int(5)) {
    case 0:
      return { num: String(ms) };
    case 1:
      return iso();
    case 2:
      return { members: [["$date", iso()]] };
    case 3:
      return { members: [["$date", { members: [["$numberLong", String(ms)]] }]] };
    default:
      return { members: [["$date", { num: String(ms) }]] };
  }
}

interface Generated {
  text: string;
  seconds: boolean;
}

function generate(r: Rng): Generated {
  const seconds = r.chance(0.2);
  const issued = (r.int(4_000_000_000) - 1_000_000_000) * 1000 + (seconds ? 0 : r.int(1000));
  const expires = issued + (seconds ? r.int(10_000) * 1000 : r.int(10_000_000));
  const user: [string, J][] = [["_id", oidValue(r, "65a0f0c2e1a9d3f4a5b6c7" + r.int(256).toString(16).padStart(2, "0"), false)]];
  if (r.chance(0.8)) user.push(["email", r.chance(0.1) ? null : randomString(r)]);
  if (r.chance(0.8)) user.push(["firstName", randomString(r)]);
  if (r.chance(0.8)) user.push(["lastName", randomString(r)]);
  if (r.chance(0.8)) user.push(["roles", r.chance(0.1) ? null : Array.from({ length: r.int(5) }, () => (r.chance(0.1) ? { members: [["$oid", "AB".repeat(12)]] } : randomString(r)))]);
  const tenant: [string, J][] = [["_id", oidValue(r, TENANT, false)]];
  if (r.chance(0.8)) tenant.push(["name", randomString(r)]);
  if (r.chance(0.8)) tenant.push(["slug", r.chance(0.2) ? null : randomString(r)]);
  const doc: [string, J][] = [
    ["token", randomString(r, 20)],
    ["user", obj(r, user)],
    ["tenant", obj(r, tenant)],
    ["issuedAt", timeValue(r, issued, seconds)],
    ["expiresAt", timeValue(r, expires, seconds)],
  ];
  if (r.chance(0.8)) {
    doc.push([
      "settings",
      r.chance(0.1) ? null : { members: Array.from({ length: r.int(6) }, (): [string, J] => [randomString(r, 5), r.chance(0.1) ? null : randomString(r)]) },
    ]);
  }
  const element = (keys: readonly string[]) => obj(r, [["_id", oidValue(r, r.pick(keys))], ["name", randomString(r)], ["settings", junk(r)]]);
  if (r.chance(0.9)) doc.push(["facilities", r.chance(0.1) ? null : Array.from({ length: r.int(12) }, () => element(FACILITY_KEYS))]);
  if (r.chance(0.9)) doc.push(["groups", r.chance(0.1) ? null : Array.from({ length: r.int(12) }, () => element(GROUP_KEYS))]);
  // Members in any order.
  for (let i = doc.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [doc[i], doc[j]] = [doc[j], doc[i]];
  }
  return { text: (r.chance(0.1) ? "\ufeff" : "") + ws(r) + write(r, obj(r, doc)) + ws(r), seconds };
}

// ---------------------------------------------------------------------------------------------
// The oracle: JSON.parse, then the generator mapping read field by field.

type Parsed = Record<string, unknown>;

function text(v: unknown): string {
  if (typeof v === "string") return v;
  const oid = (v as { $oid: string }).$oid;
  assert.match(oid, /^[0-9a-fA-F]{24}$/);
  return oid.toLowerCase();
}

function millis(v: unknown, seconds: boolean): bigint {
  if (typeof v === "number") return BigInt(v) * (seconds ? 1000n : 1n);
  if (typeof v === "string") return BigInt(Date.parse(v));
  const d = (v as { $date: unknown }).$date;
  if (typeof d === "number") return BigInt(d);
  if (typeof d === "string") return BigInt(Date.parse(d));
  return BigInt((d as { $numberLong: string }).$numberLong);
}

function oracle(doc: string, seconds: boolean): string {
  const d = JSON.parse(doc.replace(/^\ufeff/, "")) as Parsed;
  const user = d["user"] as Parsed;
  const tenant = d["tenant"] as Parsed;
  const present = (v: unknown) => v !== null && v !== undefined;
  const attributes: [string, string][] = [];
  for (const [name, v] of [
    ["email", user["email"]],
    ["firstName", user["firstName"]],
    ["lastName", user["lastName"]],
    ["tenantName", tenant["name"]],
    ["tenantSlug", tenant["slug"]],
  ] as const) {
    if (present(v)) attributes.push([name, text(v)]);
  }
  const settings = present(d["settings"]) ? Object.entries(d["settings"] as Record<string, unknown>).filter(([, v]) => present(v)) : [];
  const ids = (list: unknown, dict: IdDictionary) =>
    present(list) ? (list as Parsed[]).map((e) => dict.view().idOf(text(e["_id"]))!) : [];
  return new Session({
    userId: text(user["_id"]),
    tenantId: text(tenant["_id"]),
    token: d["token"] as string,
    issuedAt: millis(d["issuedAt"], seconds),
    expiresAt: millis(d["expiresAt"], seconds),
    roles: present(user["roles"]) ? (user["roles"] as unknown[]).map(text) : [],
    settings: settings.map(([k, v]) => [k, text(v)] as const),
    attributes,
    facilities: ids(d["facilities"], FACILITIES),
    groups: ids(d["groups"], GROUPS),
    facilityLineage: FACILITIES.lineage,
    groupLineage: GROUPS.lineage,
  }).toJson();
}

test("legacy property: random documents convert to what JSON.parse and a plain reading give", () => {
  const cases = 300;
  for (let seed = 1; seed <= cases; seed++) {
    const r = rng(seed);
    const g = generate(r);
    const mapping = g.seconds ? SECONDS : MAPPING;
    const want = oracle(g.text, g.seconds);
    const asText = mapping.convert(g.text, { facilities: FACILITIES, groups: GROUPS });
    assert.equal(asText.session.toJson(), want, `seed ${seed}: ${g.text}`);
    const asBytes = mapping.convert(Buffer.from(g.text, "utf8"), { facilities: FACILITIES.view(), groups: GROUPS.view() });
    assert.equal(asBytes.session.toJson(), want, `seed ${seed} (bytes)`);
  }
});

test("legacy property: a fault put at random into a random document is the one refused", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(1_000_000 + seed);
    // A document whose facilities are all there, then one fault: an element without _id, an
    // unknown key, a number among the roles, or a broken JSON text.
    const n = 1 + r.int(8);
    const facilities = Array.from({ length: n }, () => ({ _id: r.pick(FACILITY_KEYS), name: randomString(r) }));
    const doc: Parsed = {
      token: "t",
      user: { _id: "u", roles: ["a", "b", "c"] },
      tenant: { _id: TENANT },
      issuedAt: 1,
      expiresAt: 2,
      facilities,
    };
    const k = r.int(n);
    let expected: { kind: string; rule: string; path: string };
    let textOf = (d: Parsed) => JSON.stringify(d);
    switch (r.int(4)) {
      case 0:
        delete (facilities[k] as Partial<(typeof facilities)[number]>)._id;
        expected = { kind: "invalid_input", rule: "M-PATH-ELEMENT", path: `/facilities/${k}/_id` };
        break;
      case 1:
        facilities[k]._id = "65a0f0c2e1a9d3f4a5b6ffff";
        expected = { kind: "invalid_input", rule: "M-DICT-ABSENT", path: `/facilities/${k}/_id` };
        break;
      case 2: {
        const j = r.int(3);
        (doc["user"] as { roles: unknown[] }).roles[j] = 7;
        expected = { kind: "invalid_input", rule: "M-VALUE-TYPE", path: `/user/roles/${j}` };
        break;
      }
      default: {
        const cut = r.int(JSON.stringify(doc).length);
        textOf = (d) => JSON.stringify(d).slice(0, cut);
        expected = { kind: "invalid_input", rule: "M-DOC-JSON", path: "" };
      }
    }
    const before = [FACILITIES.toBytes(), GROUPS.toBytes()];
    assert.throws(
      () => MAPPING.convert(textOf(doc), { facilities: FACILITIES, groups: GROUPS, append: expected.rule !== "M-DICT-ABSENT" }),
      (e) => {
        assert.ok(e instanceof LegacyError, String(e));
        assert.deepEqual({ kind: e.kind, rule: e.rule, path: e.path }, expected, `seed ${seed}: ${e.message}`);
        return true;
      },
    );
    assert.deepEqual([FACILITIES.toBytes(), GROUPS.toBytes()], before);
  }
});
