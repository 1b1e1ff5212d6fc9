/**
 * {@link Session}: the owned model an issuing service builds and encodes, and what
 * `SessionView.toSession()` gives back; its JSON form (SPEC.md §10).
 */

import { compareUtf8, isWellFormed, utf8Length, utf8OrUndefined } from "./bytes.js";
import type { IdDictionaryView } from "./dict.js";
import { fail, invalidInput } from "./errors.js";
import { checkDictionary } from "./keyed.js";
import { Parser, writeJson } from "./json.js";
import { KEY, keyScratch, keyText, readKey, type KeyLike } from "./key.js";
import { DEFAULT_LIMITS, limitsFrom, type Limits } from "./limits.js";
import { millisDate, millisNumber, toMillis, type TimeLike } from "./time.js";
import { schemaFor } from "./versions.js";

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

/** What a {@link Session} is made from; every field but the identity and times is optional. */
export interface SessionInit {
  userId: string;
  tenantId: string;
  token: string;
  /** Unix milliseconds (a bigint, or a safe integer number), or a `Date`. */
  issuedAt: TimeLike;
  /** Unix milliseconds (a bigint, or a safe integer number), or a `Date`; not before `issuedAt`. */
  expiresAt: TimeLike;
  roles?: Iterable<string>;
  settings?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
  attributes?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
  facilities?: Iterable<number>;
  groups?: Iterable<number>;
  /** The lineage of the facility dictionary the facility ids belong to (format version 3). */
  facilityLineage?: bigint | undefined;
  /** The lineage of the group dictionary the group ids belong to (format version 3). */
  groupLineage?: bigint | undefined;
}

/** Options of {@link Session.fromJson}. */
export interface FromJsonOptions {
  /** The limits to check the session against (default: SPEC.md §8's). */
  limits?: Partial<Limits>;
}

function toMap(
  m: SessionInit["settings"] | undefined,
): Map<string, string> {
  if (m === undefined) return new Map();
  if (m instanceof Map) return new Map(m as ReadonlyMap<string, string>);
  if (typeof (m as Iterable<unknown>)[Symbol.iterator] === "function") {
    return new Map(m as Iterable<readonly [string, string]>);
  }
  return new Map(Object.entries(m as Record<string, string>));
}

/** Ascending distinct ids from any iterable (duplicates merged); refuses non-`u32`s. */
function toIds(ids: Iterable<number> | undefined, name: string): number[] {
  if (ids === undefined) return [];
  const all = Uint32Array.from(ids, (id) => {
    if (id >>> 0 !== id) invalidInput(`${name}: ${String(id)} is not an id (an integer in 0..=4294967295)`);
    return id;
  });
  all.sort();
  const out: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]!);
  return out;
}

/** The entries of a map sorted by the UTF-8 bytes of their keys (the archive's order). */
export function sortedEntries(m: ReadonlyMap<string, string>): [string, string][] {
  return [...m.entries()].sort((a, b) => compareUtf8(a[0], b[0]));
}

/**
 * A user's session, owned. Times are Unix milliseconds as `bigint` (exact `i64`), with `number`
 * and `Date` forms for everyday arithmetic (`expiresAtMs`, `expiresAtDate`, …); facility and
 * group ids are dense `u32` ids, kept ascending and distinct.
 */
export class Session {
  userId: string;
  tenantId: string;
  token: string;
  issuedAt: bigint;
  expiresAt: bigint;
  roles: string[];
  settings: Map<string, string>;
  attributes: Map<string, string>;
  /** Ascending, distinct. */
  facilities: number[];
  /** Ascending, distinct. */
  groups: number[];
  facilityLineage: bigint | undefined;
  groupLineage: bigint | undefined;

  constructor(init: SessionInit) {
    this.userId = init.userId;
    this.tenantId = init.tenantId;
    this.token = init.token;
    this.issuedAt = toMillis(init.issuedAt, "issuedAt");
    this.expiresAt = toMillis(init.expiresAt, "expiresAt");
    this.roles = [...(init.roles ?? [])];
    this.settings = toMap(init.settings);
    this.attributes = toMap(init.attributes);
    this.facilities = toIds(init.facilities, "facilities");
    this.groups = toIds(init.groups, "groups");
    this.facilityLineage = init.facilityLineage;
    this.groupLineage = init.groupLineage;
  }

  /**
   * Adds the facilities of `keys`, translated by the facility dictionary `dictionary` (nothing
   * is appended: a writer appends unknown keys first, with `IdDictionary.append`), and sets the
   * facilities' lineage to the dictionary's. Keys are any form of the dictionary's key type, as
   * for `IdDictionaryView.idOf` (a bson `ObjectId`, hex text, stored bytes, …). Throws
   * `invalid_input` when `dictionary` is not a facility dictionary, when the facilities already
   * refer to another lineage (or hold plain ids), for anything that is not a key, and for a key
   * the dictionary does not hold — each with its own message.
   */
  withFacilityKeys(dictionary: IdDictionaryView, keys: Iterable<KeyLike>): this {
    const [ids, lineage] = addKeys("facility", this.facilities, this.facilityLineage, dictionary, keys);
    this.facilities = ids;
    this.facilityLineage = lineage;
    return this;
  }

  /** Adds the groups of `keys` through the group dictionary; see {@link withFacilityKeys}. */
  withGroupKeys(dictionary: IdDictionaryView, keys: Iterable<KeyLike>): this {
    const [ids, lineage] = addKeys("group", this.groups, this.groupLineage, dictionary, keys);
    this.groups = ids;
    this.groupLineage = lineage;
    return this;
  }

  /** `issuedAt` as a number of Unix milliseconds; throws `limit` beyond ±(2^53 − 1), where a number would round. */
  get issuedAtMs(): number {
    return millisNumber(this.issuedAt, "issuedAt");
  }

  /** `expiresAt` as a number of Unix milliseconds; throws `limit` beyond ±(2^53 − 1), where a number would round. */
  get expiresAtMs(): number {
    return millisNumber(this.expiresAt, "expiresAt");
  }

  /** `issuedAt` as a new `Date`; throws `limit` beyond a `Date`'s range (±8.64e15 ms). */
  get issuedAtDate(): Date {
    return millisDate(this.issuedAt, "issuedAt");
  }

  /** `expiresAt` as a new `Date`; throws `limit` beyond a `Date`'s range (±8.64e15 ms). */
  get expiresAtDate(): Date {
    return millisDate(this.expiresAt, "expiresAt");
  }

  /**
   * Whether the session has expired at `now` (Unix milliseconds as a number or bigint, or a
   * `Date`): from `expiresAt` on. `invalid_input` for a fraction, `NaN` or an Invalid Date.
   */
  isExpiredAt(now: TimeLike): boolean {
    return (typeof now === "bigint" ? now : toMillis(now, "isExpiredAt's time")) >= this.expiresAt;
  }

  /**
   * Checks what the encoder checks: well-formed strings, ascending `u32` ids, lineages,
   * `issuedAt <= expiresAt` (all `invalid_input`), then the string and list limits (`limit`).
   */
  check(limits: Limits = DEFAULT_LIMITS): void {
    const strings: [string, string][] = [
      ["userId", this.userId],
      ["tenantId", this.tenantId],
      ["token", this.token],
    ];
    for (const [name, s] of strings) {
      if (typeof s !== "string" || !isWellFormed(s)) invalidInput(`${name} must be a string without lone surrogates`);
    }
    for (const r of this.roles) if (typeof r !== "string" || !isWellFormed(r)) invalidInput("a role must be a string without lone surrogates");
    for (const [name, m] of [["settings", this.settings], ["attributes", this.attributes]] as const) {
      for (const [k, v] of m) {
        if (typeof k !== "string" || typeof v !== "string" || !isWellFormed(k) || !isWellFormed(v)) {
          invalidInput(`${name}: keys and values must be strings without lone surrogates`);
        }
      }
    }
    for (const [name, ids] of [["facilities", this.facilities], ["groups", this.groups]] as const) {
      let previous = -1;
      for (const id of ids) {
        if (id >>> 0 !== id || id <= previous) invalidInput(`${name} must be ascending distinct ids in 0..=4294967295`);
        previous = id;
      }
    }
    for (const [name, l] of [["facilityLineage", this.facilityLineage], ["groupLineage", this.groupLineage]] as const) {
      if (l !== undefined && (typeof l !== "bigint" || l <= 0n || l > U64_MAX)) {
        invalidInput(`${name} must be a non-zero u64 lineage (a bigint), or undefined`);
      }
    }
    if (typeof this.issuedAt !== "bigint" || typeof this.expiresAt !== "bigint") {
      invalidInput("issuedAt and expiresAt must be bigints (Unix milliseconds)");
    }
    if (this.issuedAt < I64_MIN || this.issuedAt > I64_MAX || this.expiresAt < I64_MIN || this.expiresAt > I64_MAX) {
      invalidInput("issuedAt and expiresAt must be in i64");
    }
    if (this.issuedAt > this.expiresAt) {
      invalidInput(`issued_at ${this.issuedAt} is after expires_at ${this.expiresAt}: a session expires after it is issued`);
    }
    checkLimits(this, limits);
  }

  /** The compact JSON form (SPEC.md §10), byte for byte what the Rust crate writes. */
  toJson(): string {
    return writeJson({
      ...this,
      settings: sortedEntries(this.settings),
      attributes: sortedEntries(this.attributes),
      facilities: this.facilities,
      groups: this.groups,
    });
  }

  /**
   * Reads a session from its JSON form (SPEC.md §10), with exact integers: `issued_at` and
   * `expires_at` any `i64`, ids any `u32`. Refuses (`invalid_input`) broken JSON, unknown,
   * missing or repeated fields, values of the wrong type, numbers with a fraction or exponent,
   * repeated keys or ids, `expires_at < issued_at`; then (`limit`) a session above the limits,
   * as the encoder would.
   */
  static fromJson(text: string | Uint8Array, options: FromJsonOptions = {}): Session {
    const limits = limitsFrom(options.limits);
    let source: string;
    if (typeof text === "string") source = text;
    else {
      const decoded = utf8OrUndefined(text);
      if (decoded === undefined) invalidInput("invalid JSON session: the bytes are not UTF-8");
      source = decoded;
    }
    const session = readSession(new Parser(source));
    checkLimits(session, limits);
    return session;
  }
}

function addKeys(
  kind: "facility" | "group",
  ids: readonly number[],
  lineage: bigint | undefined,
  dictionary: IdDictionaryView,
  keys: Iterable<KeyLike>,
): [number[], bigint] {
  const where = kind === "facility" ? "Session.withFacilityKeys" : "Session.withGroupKeys";
  // An empty set without a lineage adopts the dictionary's; plain ids never mix with keys.
  checkDictionary(kind, lineage === undefined && ids.length === 0 ? dictionary.lineage : lineage, dictionary);
  const keyType = dictionary.keyType;
  const scratch = keyScratch();
  const added: number[] = [];
  for (const key of keys) {
    readKey(keyType, key, scratch, where);
    const id = dictionary.lookup(KEY.bytes, KEY.len);
    if (id === undefined) {
      invalidInput(
        `${where}: the key ${JSON.stringify(keyText(keyType, KEY.bytes, 0, KEY.len))} is not in the ${kind} dictionary ` +
          `(tenant ${JSON.stringify(dictionary.tenant)}, lineage ${dictionary.lineage.toString(16).padStart(16, "0")}, ${dictionary.size} keys): ` +
          `append it with IdDictionary.append first (a writer), or refresh the dictionary (a reader)`,
      );
    }
    added.push(id);
  }
  return [toIds([...ids, ...added], kind), dictionary.lineage];
}

/** The string and list limits, in the Rust encoder's order (`Session::check`). */
export function checkLimits(s: Session, limits: Limits): void {
  const max = limits.maxStringLen;
  const str = (what: string, v: string): void => {
    const n = utf8Length(v);
    if (n > max) tooLarge(what, n, max, "R-LIMIT-STRING");
  };
  str("the length of user_id", s.userId);
  str("the length of tenant_id", s.tenantId);
  str("the length of token", s.token);
  if (s.roles.length > limits.maxRoles) tooLarge("the number of roles", s.roles.length, limits.maxRoles, "R-LIMIT-ROLES");
  for (const r of s.roles) str("the length of a role", r);
  if (s.settings.size > limits.maxSettings) tooLarge("the number of settings", s.settings.size, limits.maxSettings, "R-LIMIT-SETTINGS");
  for (const [k, v] of s.settings) str("the length of a setting key or value", utf8Length(k) >= utf8Length(v) ? k : v);
  if (s.attributes.size > limits.maxAttributes) {
    tooLarge("the number of attributes", s.attributes.size, limits.maxAttributes, "R-LIMIT-ATTRIBUTES");
  }
  for (const [k, v] of s.attributes) str("the length of an attribute key or value", utf8Length(k) >= utf8Length(v) ? k : v);
}

function tooLarge(what: string, value: number, max: number, rule: string): never {
  fail(
    "limit",
    rule,
    `${what} is ${value}, above the limit of ${max} (${rule}): readers with the same limits would refuse it; ` +
      `make the session smaller or raise the limit on writers and readers alike`,
  );
}

const FIELDS = [
  "user_id",
  "tenant_id",
  "token",
  "issued_at",
  "expires_at",
  "roles",
  "settings",
  "attributes",
  "facilities",
  "groups",
] as const;

function readText(p: Parser, path: string): string {
  if (p.peek() !== 0x22) p.wrongType(path, "a string");
  return p.string();
}

function readRoles(p: Parser): string[] {
  if (p.peek() !== 0x5b) p.wrongType("roles", "an array of strings");
  p.i++;
  const out: string[] = [];
  if (p.eat(0x5d)) return out;
  for (;;) {
    out.push(readText(p, `roles[${out.length}]`));
    if (p.eat(0x5d)) return out;
    p.expect(0x2c, "`,` or `]`");
  }
}

function plainKey(k: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(k);
}

function readMap(p: Parser, name: string): Map<string, string> {
  if (p.peek() !== 0x7b) p.wrongType(name, "a map of strings");
  p.i++;
  const out = new Map<string, string>();
  if (p.eat(0x7d)) return out;
  for (;;) {
    if (p.peek() !== 0x22) p.syntax("key must be a string");
    const key = p.string();
    if (out.has(key)) p.fail(`${name}: key ${JSON.stringify(key)} appears twice`);
    p.expect(0x3a, "`:`");
    out.set(key, readText(p, plainKey(key) ? `${name}.${key}` : `${name}[${JSON.stringify(key)}]`));
    if (p.eat(0x7d)) return out;
    p.expect(0x2c, "`,` or `}`");
  }
}

function readIds(p: Parser, name: string): number[] {
  if (p.peek() !== 0x5b) p.wrongType(name, "an array of ids");
  p.i++;
  const out: number[] = [];
  if (!p.eat(0x5d)) {
    for (;;) {
      out.push(Number(p.integer(`${name}[${out.length}]`, "an id as an integer in 0..=4294967295", 0n, U32_MAX)));
      if (p.eat(0x5d)) break;
      p.expect(0x2c, "`,` or `]`");
    }
  }
  const sorted = Uint32Array.from(out).sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) p.fail(`${name}: id ${sorted[i]} appears twice`);
  }
  return Array.from(sorted);
}

const LINEAGE_WHAT = "a dictionary lineage as 16 lowercase hex digits, not all zero";

/** A lineage: a string of exactly 16 lowercase hex digits, not all zero (SPEC.md §10). */
function readLineage(p: Parser, name: string): bigint {
  if (p.peek() !== 0x22) p.wrongType(name, LINEAGE_WHAT);
  const at = p.i;
  const text = p.string();
  if (!/^[0-9a-f]{16}$/.test(text) || text === "0000000000000000") {
    p.i = at;
    p.fail(`${name}: expected ${LINEAGE_WHAT}, found the string ${JSON.stringify(text)}`);
  }
  return BigInt("0x" + text);
}

function readSession(p: Parser): Session {
  if (p.peek() !== 0x7b) p.wrongType("the session", "a session as a map of its ten fields");
  p.i++;
  const lineages = schemaFor(true) !== undefined;
  const seen = new Set<string>();
  const v: Record<string, unknown> = {};
  if (!p.eat(0x7d)) {
    for (;;) {
      if (p.peek() !== 0x22) p.syntax("key must be a string");
      const name = p.string();
      const known = (FIELDS as readonly string[]).includes(name) || (lineages && (name === "facility_lineage" || name === "group_lineage"));
      if (!known) {
        p.fail(`unknown field \`${name}\`; a session has exactly the fields ${FIELDS.join(", ")}`);
      }
      if (seen.has(name)) p.fail(`duplicate field \`${name}\``);
      seen.add(name);
      p.expect(0x3a, "`:`");
      switch (name) {
        case "user_id":
        case "tenant_id":
        case "token":
          v[name] = readText(p, name);
          break;
        case "issued_at":
        case "expires_at":
          v[name] = p.integer(name, "Unix milliseconds as an integer", I64_MIN, I64_MAX);
          break;
        case "roles":
          v[name] = readRoles(p);
          break;
        case "settings":
        case "attributes":
          v[name] = readMap(p, name);
          break;
        case "facilities":
        case "groups":
          v[name] = readIds(p, name);
          break;
        default:
          v[name] = readLineage(p, name);
      }
      if (p.eat(0x7d)) break;
      p.expect(0x2c, "`,` or `}`");
    }
  }
  for (const f of FIELDS) if (!seen.has(f)) p.fail(`missing field \`${f}\``);
  const issuedAt = v["issued_at"] as bigint;
  const expiresAt = v["expires_at"] as bigint;
  if (expiresAt < issuedAt) p.fail(`expires_at: ${expiresAt} is before issued_at (${issuedAt})`);
  p.end();
  const s = new Session({
    userId: v["user_id"] as string,
    tenantId: v["tenant_id"] as string,
    token: v["token"] as string,
    issuedAt,
    expiresAt,
    roles: v["roles"] as string[],
    settings: v["settings"] as Map<string, string>,
    attributes: v["attributes"] as Map<string, string>,
    facilities: [],
    groups: [],
    facilityLineage: v["facility_lineage"] as bigint | undefined,
    groupLineage: v["group_lineage"] as bigint | undefined,
  });
  s.facilities = v["facilities"] as number[];
  s.groups = v["groups"] as number[];
  return s;
}
