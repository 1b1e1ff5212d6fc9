/**
 * {@link LegacyMapping}: legacy JSON sessions converted to sessions through a mapping document
 * (MAPPING.md), the same session byte for byte as the Rust library and the CLI convert.
 */

import { compareUtf8, isWellFormed, utf8Length, utf8OrUndefined } from "../bytes.js";
import { IdDictionary, IdDictionaryView } from "../dict.js";
import { SessionpackError, type ErrorKind } from "../errors.js";
import { KEY, OID, keyScratch, readKey, readObjectIdWords, type KeyType } from "../key.js";
import { DEFAULT_LIMITS } from "../limits.js";
import { Session } from "../session.js";
import { JsonFault, Num, Obj, SKIPPED, Want, arrayIndex, readJson, type Value } from "./reader.js";
import { LegacySession, type LegacyFields, type LegacyKeyTypes } from "./session.js";
import { isoMillis } from "./time.js";

/** The default limit on a legacy document: 16 MiB (M-DOC-SIZE). */
export const DEFAULT_MAX_DOCUMENT_LEN = 16 * 1024 * 1024;

/**
 * A refusal of a mapping document or of a legacy document (MAPPING.md §8): a
 * {@link SessionpackError} whose `rule` is the mapping rule (`M-…`), with the `path` of the
 * fault — a JSON pointer into the document (or into the mapping, when `source` is
 * `"mapping"`), `""` for the whole. A refusal converts nothing and changes no dictionary.
 */
export class LegacyError extends SessionpackError {
  /** Where the fault is: a JSON pointer (RFC 6901) with concrete array indexes; `""` is the whole. */
  readonly path: string;
  /** Whether `path` points into the mapping document or into the legacy document. */
  readonly source: "mapping" | "document";
  /** The rule of MAPPING.md the input breaks (`M-FIELD-REQUIRED`, …). */
  declare readonly rule: string;

  constructor(kind: ErrorKind, rule: string, path: string, source: "mapping" | "document", message: string) {
    super(kind, message, rule);
    this.path = path;
    this.source = source;
  }
}

function refuse(kind: ErrorKind, rule: string, path: string, source: "mapping" | "document", detail: string): never {
  const at = path === "" ? `the whole ${source === "mapping" ? "mapping" : "legacy document"}` : `${source === "mapping" ? "the mapping's" : ""} ${JSON.stringify(path)}`.trim();
  throw new LegacyError(kind, rule, path, source, `${rule} at ${at}: ${detail}`);
}

/**
 * @internal Throws M-DOC-SIZE (kind `limit`) for a document of which only `limit` + 1 bytes were
 * read, so its length is not known (a bounded read, ROLLOUT.md RO-LEGACY-BOUND): `what` names
 * the document. The Rust crate's `LegacyError::document_too_long`.
 */
export function documentTooLong(limit: number, what: string): never {
  return docFail(
    "M-DOC-SIZE",
    "",
    `${what} is more than ${limit} bytes, above the limit of ${limit} bytes (LegacyMapping.withMaxDocumentLen raises it): it was not read whole`,
    "limit",
  );
}

function mapFail(rule: string, path: string, detail: string, kind: ErrorKind = "invalid_input"): never {
  return refuse(kind, rule, path, "mapping", detail);
}

function docFail(rule: string, path: string, detail: string, kind: ErrorKind = "invalid_input"): never {
  return refuse(kind, rule, path, "document", detail);
}

function argument(message: string): never {
  throw new SessionpackError("invalid_input", message);
}

// ---------------------------------------------------------------------------------------------
// Paths (MAPPING.md §2)

/** The most steps a path has (M-PATH-SYNTAX); a document is nested at most 127 levels anyway. */
const MAX_STEPS = 128;

/** The `[]` step of a path: each element of an array. */
const EACH = 0;
type Op = string | typeof EACH;

/** A path of the mapping: its text and its steps (member or index tokens, and `[]`). */
interface Path {
  readonly text: string;
  readonly ops: readonly Op[];
}

/** A token escaped for a JSON pointer (RFC 6901: `~` as `~0`, `/` as `~1`). */
function escapeToken(token: string): string {
  return token.includes("~") || token.includes("/") ? token.replace(/~/g, "~0").replace(/\//g, "~1") : token;
}

/** The pointer of `ops[0, upto)`, each `[]` as the index of the element gone through. */
function pointer(ops: readonly Op[], upto: number, idx: readonly number[]): string {
  let out = "";
  let k = 0;
  for (let n = 0; n < upto; n++) {
    const op = ops[n]!;
    out += "/" + (op === EACH ? String(idx[k++]) : escapeToken(op));
  }
  return out;
}

/** The tokens of `ops[from, …)` as a pointer, the `[]` steps left out. */
function rest(ops: readonly Op[], from: number): string {
  let out = "";
  for (let n = from; n < ops.length; n++) {
    const op = ops[n]!;
    if (op !== EACH) out += "/" + escapeToken(op);
  }
  return out;
}

function parsePath(v: Value | undefined, where: string, lists: boolean, what: string): Path {
  if (typeof v !== "string") mapFail("M-MAP-FIELD", where, `${what} must be a path (a string such as "/user/_id"), found ${describe(v)}`);
  if (v === "") return { text: v, ops: [] };
  if (v.charCodeAt(0) !== 0x2f) mapFail("M-PATH-SYNTAX", where, `the path ${JSON.stringify(v)} must start with "/" (or be "", the whole document)`);
  const ops: Op[] = [];
  let lists_ = false;
  const segments = v.slice(1).split("/");
  if (segments.length > MAX_STEPS) mapFail("M-PATH-SYNTAX", where, `the path ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)} has ${segments.length} steps, more than ${MAX_STEPS}`);
  for (const segment of segments) {
    const each = segment.endsWith("[]");
    const raw = each ? segment.slice(0, -2) : segment;
    let token = "";
    for (let k = 0; k < raw.length; k++) {
      const c = raw.charCodeAt(k);
      if (c === 0x5b) {
        mapFail("M-PATH-SYNTAX", where, `in the path ${JSON.stringify(v)}, "[" may only start the "[]" that ends a step; write a "[" in a name as "~2"`);
      }
      if (c !== 0x7e) {
        token += raw[k];
        continue;
      }
      const e = raw[k + 1];
      if (e === "0") token += "~";
      else if (e === "1") token += "/";
      else if (e === "2") token += "[";
      else mapFail("M-PATH-SYNTAX", where, `in the path ${JSON.stringify(v)}, "~" must be followed by 0 (~), 1 (/) or 2 ([)`);
      k++;
    }
    ops.push(token);
    if (each) {
      ops.push(EACH);
      lists_ = true;
    }
  }
  if (lists_ && !lists) mapFail("M-MAP-PATH", where, `${what} is one value: its path ${JSON.stringify(v)} may not hold "[]"`);
  return { text: v, ops };
}

// ---------------------------------------------------------------------------------------------
// The mapping document (MAPPING.md §1)

type Unit = "s" | "ms";

interface TimeSpec {
  readonly path: Path;
  readonly unit: Unit;
}

/** `settings` or `attributes`: one path to an object of strings, or a path per entry (sorted by name, byte-wise). */
type StringsSpec = { readonly path: Path } | { readonly entries: readonly (readonly [string, Path])[] };

interface Spec {
  readonly userId: Path;
  readonly tenantId: Path;
  readonly token: Path;
  readonly issuedAt: TimeSpec;
  readonly expiresAt: TimeSpec;
  readonly roles: Path | undefined;
  readonly settings: StringsSpec | undefined;
  readonly attributes: StringsSpec | undefined;
  readonly facilities: Path | undefined;
  readonly groups: Path | undefined;
}

const REQUIRED = ["user_id", "tenant_id", "token", "issued_at", "expires_at"] as const;
const KNOWN = new Set<string>(["sessionpack_mapping", ...REQUIRED, "roles", "settings", "attributes", "facilities", "groups"]);

function parseMapping(text: string): Spec {
  let root: Value;
  try {
    root = readJson(text, wholeWant(), true);
  } catch (e) {
    if (e instanceof JsonFault) mapFail("M-MAP-JSON", "", `the mapping is not one JSON object in UTF-8: ${e.message} at ${e.where(text)}`);
    throw e;
  }
  if (!(root instanceof Obj)) mapFail("M-MAP-JSON", "", `the mapping must be a JSON object, found ${describe(root)}`);
  const m = root.m;
  const version = m.get("sessionpack_mapping");
  if (version instanceof Num && INTEGER.test(version.text)) {
    if (version.text !== "1") {
      mapFail("M-MAP-VERSION", "/sessionpack_mapping", `this converter reads mapping version 1, not ${version.text}: upgrade the sessionpack package`, "unsupported");
    }
  } else {
    mapFail("M-MAP-VERSION", "/sessionpack_mapping", `"sessionpack_mapping" must be the integer 1, found ${version === undefined ? "nothing" : describe(version)}`);
  }
  // Each check in the order of MAPPING.md §8: an unknown member first (the first by name,
  // byte-wise), then the members in the order of §1's table, each checked completely.
  for (const name of [...m.keys()].sort(compareUtf8)) {
    if (!KNOWN.has(name)) {
      mapFail("M-MAP-FIELD", "/" + escapeToken(name), `unknown member ${JSON.stringify(name)}: a mapping has sessionpack_mapping, ${[...KNOWN].slice(1).join(", ")}`);
    }
  }
  const present = (name: (typeof REQUIRED)[number]) => {
    if (!m.has(name)) mapFail("M-MAP-FIELD", "/" + name, `the mapping must say where ${name} is (it is required)`);
    return m.get(name);
  };
  const one = (name: (typeof REQUIRED)[number]) => parsePath(present(name), "/" + name, false, name);
  const list = (name: string) => (m.has(name) ? parsePath(m.get(name), "/" + name, true, name) : undefined);
  const userId = one("user_id");
  const tenantId = one("tenant_id");
  const token = one("token");
  const issuedAt = timeSpec(present("issued_at"), "issued_at");
  const expiresAt = timeSpec(present("expires_at"), "expires_at");
  const roles = list("roles");
  const settings = stringsSpec(m, "settings");
  const attributes = stringsSpec(m, "attributes");
  const facilities = list("facilities");
  const groups = list("groups");
  return { userId, tenantId, token, issuedAt, expiresAt, roles, settings, attributes, facilities, groups };
}

function timeSpec(v: Value | undefined, name: string): TimeSpec {
  const where = "/" + name;
  if (!(v instanceof Obj) || [...v.m.keys()].some((k) => k !== "path" && k !== "unit")) {
    mapFail("M-MAP-FIELD", where, `${name} must be {"path": P, "unit": "s" | "ms"}, found ${describe(v)}${v instanceof Obj ? " with other members" : ""}`);
  }
  if (!v.m.has("path")) mapFail("M-MAP-FIELD", where + "/path", `${name} has no "path"`);
  const path = parsePath(v.m.get("path"), where + "/path", false, `${name}'s path`);
  const unit = v.m.get("unit");
  if (unit !== "s" && unit !== "ms") {
    mapFail("M-MAP-UNIT", where + "/unit", `${name}'s unit must be "s" (Unix seconds) or "ms" (Unix milliseconds), found ${unit === undefined ? "nothing" : describe(unit)}: the unit of a number is stated, never guessed`);
  }
  return { path, unit };
}

function stringsSpec(m: Map<string, Value>, name: string): StringsSpec | undefined {
  if (!m.has(name)) return undefined;
  const v = m.get(name);
  const where = "/" + name;
  if (v instanceof Obj) {
    // Checked in the order they are read: by name, byte-wise (MAPPING.md §8).
    const entries: [string, Path][] = [];
    for (const [key, p] of [...v.m].sort((a, b) => compareUtf8(a[0], b[0]))) {
      entries.push([key, parsePath(p, where + "/" + escapeToken(key), false, `${name}'s ${JSON.stringify(key)}`)]);
    }
    return { entries };
  }
  return { path: parsePath(v, where, false, name) };
}

function wholeWant(): Want {
  const w = new Want();
  w.whole = true;
  return w;
}

/** The tree of what the mapping reads. */
function wantOf(spec: Spec): Want {
  const root = new Want();
  const add = (p: Path | undefined, list = false) => {
    if (p === undefined) return;
    let w = root;
    for (const op of asRead(p, list)) w = op === EACH ? w.every() : w.member(op);
    w.whole = true;
  };
  add(spec.userId);
  add(spec.tenantId);
  add(spec.token);
  add(spec.issuedAt.path);
  add(spec.expiresAt.path);
  add(spec.roles, true);
  for (const s of [spec.settings, spec.attributes]) {
    if (s === undefined) continue;
    if ("path" in s) add(s.path);
    else for (const [, p] of s.entries) add(p);
  }
  add(spec.facilities, true);
  add(spec.groups, true);
  return root.seal();
}

/**
 * The steps a path is read with: a list's path without `[]` reads as if its last step ended
 * with `[]`; `""` has no step, and is the whole document as the list's one value (MAPPING.md §2.3).
 */
function asRead(p: Path, list: boolean): readonly Op[] {
  return list && p.ops.length > 0 && !p.ops.includes(EACH) ? [...p.ops, EACH] : p.ops;
}

// ---------------------------------------------------------------------------------------------
// Reading values (MAPPING.md §2.2 to §6)

function describe(v: Value | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "boolean") return `the boolean ${v}`;
  if (v instanceof Num) return `the number ${v.text.length > 40 ? v.text.slice(0, 40) + "…" : v.text}`;
  if (v instanceof Obj) return v.m.size === 1 ? `an object with the one member ${JSON.stringify([...v.m.keys()][0])}` : `an object of ${v.m.size} members`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return "a value";
}

/**
 * Follows `ops` from `root` (MAPPING.md §2.2, §2.3): calls `found` with each value and the
 * indexes of the elements gone through, in document order. Returns false when the value is
 * missing (before the first `[]`, for a list).
 */
function follow(root: Value, ops: readonly Op[], found: (v: Value, idx: readonly number[]) => void): boolean {
  const idx: number[] = [];
  const walk = (v: Value | undefined, i: number): boolean => {
    if (v === null || v === undefined) return false;
    if (v === SKIPPED) throw new Error("sessionpack internal error: a legacy value the mapping reads was not built");
    if (i === ops.length) {
      found(v, idx);
      return true;
    }
    const op = ops[i]!;
    if (op === EACH) {
      if (!Array.isArray(v)) docFail("M-PATH-ARRAY", pointer(ops, i, idx), `the mapping reads each element of an array here ("[]"), found ${describe(v)}`);
      for (let j = 0; j < v.length; j++) {
        idx.push(j);
        if (!walk(v[j], i + 1)) {
          const at = pointer(ops, i + 1, idx) + rest(ops, i + 1);
          docFail("M-PATH-ELEMENT", at, `element ${j} has no value at ${JSON.stringify(at)} (absent or null): every element must have one`);
        }
        idx.pop();
      }
      return true;
    }
    let next: Value | undefined;
    if (v instanceof Obj) next = v.m.get(op);
    else if (Array.isArray(v)) {
      const k = arrayIndex(op);
      if (k < 0) docFail("M-PATH-TYPE", pointer(ops, i, idx), `${JSON.stringify(op)} is no index into this array of ${v.length} (an index is 0 or digits without a leading zero)`);
      next = k < v.length ? v[k] : undefined;
    } else {
      docFail("M-PATH-TYPE", pointer(ops, i, idx), `the path steps into ${JSON.stringify(op)} here, but the value is ${describe(v)}, not an object or array`);
    }
    return walk(next, i + 1);
  };
  return walk(root, 0);
}

/** The one value at a path without `[]`, or undefined when missing. */
function single(root: Value, p: Path): { v: Value; at: string } | undefined {
  let out: { v: Value; at: string } | undefined;
  follow(root, p.ops, (v) => (out = { v, at: pointer(p.ops, p.ops.length, []) }));
  return out;
}

const OID_TEXT = /^[0-9a-fA-F]{24}$/;
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** An integer as MAPPING.md writes one: zero is `0` (`-0` is refused), no leading zero. */
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
const NUMBER_LONG = /^(?:0|-?[1-9][0-9]{0,18})$/;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** `{"$oid": H}` with `H` a string: `H`; else undefined. */
function oidOf(v: Value): string | undefined {
  if (!(v instanceof Obj) || v.m.size !== 1) return undefined;
  const h = v.m.get("$oid");
  return typeof h === "string" ? h : undefined;
}

function oidText(h: string, at: () => string): string {
  if (!OID_TEXT.test(h)) {
    docFail("M-OID-TEXT", at(), `an ObjectId is exactly 24 hexadecimal digits, found ${JSON.stringify(h.length > 40 ? h.slice(0, 40) + "…" : h)} (${h.length} characters)`);
  }
  return h.toLowerCase();
}

const MAX_STRING = DEFAULT_LIMITS.maxStringLen;

function checkLength(s: string, at: () => string, what: string): void {
  // Only a string of more than a third of the limit in UTF-16 units may be above it in bytes.
  if (s.length * 3 <= MAX_STRING) return;
  const n = utf8Length(s);
  if (n > MAX_STRING) docFail("M-SESSION-LIMIT", at(), `${what} is ${n} bytes of UTF-8, above the limit of ${MAX_STRING} (SPEC.md §8)`, "limit");
}

/** A string field's value (M-VALUE-TYPE, M-OID-TEXT), its length checked. */
function stringValue(v: Value, at: () => string, what: string): string {
  let s: string;
  if (typeof v === "string") s = v;
  else {
    const h = oidOf(v);
    if (h === undefined) docFail("M-VALUE-TYPE", at(), `${what} must be a string or {"$oid": "<24 hex digits>"}, found ${describe(v)}`);
    s = oidText(h, at);
  }
  checkLength(s, at, what);
  return s;
}

function timeNumber(text: string, at: string, unit: Unit | "$date"): bigint {
  if (!INTEGER.test(text)) {
    docFail("M-TIME-NUMBER", at, `a time must be an integer written without fraction or exponent (zero as 0, not -0), found ${text.length > 40 ? text.slice(0, 40) + "…" : text}`);
  }
  const v = BigInt(text);
  const ms = unit === "s" ? v * 1000n : v;
  if (v < I64_MIN || v > I64_MAX || ms < I64_MIN || ms > I64_MAX) {
    docFail("M-TIME-NUMBER", at, `${text.length > 40 ? text.slice(0, 40) + "…" : text}${unit === "s" ? " seconds" : ""} is outside the milliseconds a session holds (a signed 64-bit integer)`);
  }
  return ms;
}

function isoValue(text: string, at: string): bigint {
  const ms = isoMillis(text);
  if (ms === undefined) {
    docFail("M-TIME-ISO", at, `ISO-8601 time must be YYYY-MM-DDTHH:MM:SS[.F]Z or …±HH:MM (a real date, T and Z upper case), found ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text)}`);
  }
  return ms;
}

/** A time (MAPPING.md §5), as Unix milliseconds. */
function timeValue(v: Value, at: string, unit: Unit): bigint {
  if (v instanceof Num) return timeNumber(v.text, at, unit);
  if (typeof v === "string") return isoValue(v, at);
  if (v instanceof Obj && v.m.size === 1 && v.m.has("$date")) {
    const inner = v.m.get("$date")!;
    if (typeof inner === "string") return isoValue(inner, at);
    if (inner instanceof Num) return timeNumber(inner.text, at, "$date");
    if (inner instanceof Obj && inner.m.size === 1 && inner.m.has("$numberLong")) {
      const d = inner.m.get("$numberLong");
      if (typeof d !== "string" || !NUMBER_LONG.test(d) || BigInt(d) < I64_MIN || BigInt(d) > I64_MAX) {
        docFail("M-TIME-NUMBER", at, `$numberLong must be a string of "0", or an optional "-" and 1 to 19 digits without leading zeros, fitting 64 bits, found ${describe(d)}`);
      }
      return BigInt(d);
    }
  }
  return docFail("M-TIME-TYPE", at, `a time is an integer, ISO-8601 text, {"$date": …} (text, an integer or {"$numberLong": …}), found ${describe(v)}`);
}

// ---------------------------------------------------------------------------------------------
// Keys through the dictionaries (MAPPING.md §6)

interface KeysRead {
  /** The ids of the keys the dictionary holds, and of the keys appended. */
  ids: number[];
  /** The pointer of the first key the dictionary lacks (without append). */
  absent: string | undefined;
  /** The keys to append, in document order (text form). */
  added: string[];
  /** The pointer of the first key past the dictionary's key limit (with append). */
  full: string | undefined;
}

const scratch = keyScratch();

/**
 * A legacy key's value checked as a key of `keyType` (M-KEY-TEXT, M-OID-TEXT): for an ObjectId,
 * its text as written (the words of {@link OID} set from it); for a UUID, its text in lower case;
 * for a string key, the string.
 */
function keyValue(v: Value, keyType: KeyType, at: () => string): string {
  if (keyType === "objectid") {
    const text = typeof v === "string" ? v : oidOf(v);
    if (text === undefined) docFail("M-KEY-TEXT", at(), `a key of this ObjectId dictionary is a string or {"$oid": …}, found ${describe(v)}`);
    if (!readObjectIdWords(text)) oidText(text, at);
    return text;
  }
  if (typeof v !== "string") docFail("M-KEY-TEXT", at(), `a key of this ${keyType} dictionary is a string, found ${describe(v)}`);
  if (keyType === "uuid") {
    if (!UUID_TEXT.test(v)) docFail("M-KEY-TEXT", at(), `a UUID key is 8-4-4-4-12 hexadecimal digits, found ${describe(v)}`);
    return v.toLowerCase();
  }
  if (utf8Length(v) > 64) docFail("M-KEY-TEXT", at(), `a string key is at most 64 bytes of UTF-8, found ${utf8Length(v)}`);
  return v;
}

function readKeys(root: Value, p: Path, view: IdDictionaryView, append: boolean, maxKeys: number): KeysRead {
  const out: KeysRead = { ids: [], absent: undefined, added: [], full: undefined };
  const keyType = view.keyType;
  const size = view.size;
  const fresh = new Map<string, number>();
  const ops = asRead(p, true);
  follow(root, ops, (v, idx) => {
    const at = () => pointer(ops, ops.length, idx);
    let key = keyValue(v, keyType, at);
    if (keyType === "objectid") {
      const id = size === 0 ? -1 : view.lookupOid(OID[0]!, OID[1]!, OID[2]!);
      if (id >= 0) {
        out.ids.push(id);
        return;
      }
      key = key.toLowerCase();
    } else {
      readKey(keyType, key, scratch, "LegacyMapping.convert");
      const id = view.lookup(KEY.bytes, KEY.len);
      if (id !== undefined) {
        out.ids.push(id);
        return;
      }
    }
    if (!append) {
      out.absent ??= at();
      return;
    }
    let id = fresh.get(key);
    if (id === undefined) {
      id = size + out.added.length;
      if (id >= maxKeys) {
        out.full ??= at();
        return;
      }
      fresh.set(key, id);
      out.added.push(key);
    }
    out.ids.push(id);
  });
  return out;
}

/** The keys at `p` as keys of `keyType`, without a dictionary (RO-LEGACY-KEYS): their text forms ({@link keyText}). */
function plainKeys(root: Value, p: Path, keyType: KeyType): Set<string> {
  const out = new Set<string>();
  const ops = asRead(p, true);
  follow(root, ops, (v, idx) => {
    const key = keyValue(v, keyType, () => pointer(ops, ops.length, idx));
    out.add(keyType === "objectid" ? key.toLowerCase() : key);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The API

/** The dictionaries a conversion goes through, and whether it may append to them. */
export interface LegacyConvertOptions<F extends IdDictionary | IdDictionaryView = IdDictionary | IdDictionaryView, G extends IdDictionary | IdDictionaryView = IdDictionary | IdDictionaryView> {
  /** The tenant's facility dictionary (`IdDictionary` to append to, or an `IdDictionaryView`). */
  facilities: F;
  /** The tenant's group dictionary. */
  groups: G;
  /**
   * Append the keys the dictionaries lack, in document order (default false: such a key is
   * refused, M-DICT-ABSENT). Needs both dictionaries as `IdDictionary` (the writer's).
   */
  append?: boolean;
}

/** What a conversion gives. */
export interface LegacyConversion<F = IdDictionary | IdDictionaryView, G = IdDictionary | IdDictionaryView> {
  /** The session, format version 3 when it has facility or group ids from the dictionaries. */
  session: Session;
  /**
   * The facility dictionary after the conversion: the one given, or, when keys were appended,
   * a new `IdDictionary` holding them (store it, with compare-and-set, before the session).
   */
  facilities: F;
  /** The group dictionary after the conversion; see {@link facilities}. */
  groups: G;
  /** The facility keys appended, in order (text form: lowercase hex for ObjectIds). */
  facilityKeysAdded: string[];
  /** The group keys appended, in order. */
  groupKeysAdded: string[];
}

function isDictionary(d: unknown): d is IdDictionary | IdDictionaryView {
  return d instanceof IdDictionary || d instanceof IdDictionaryView;
}

/**
 * A mapping document (MAPPING.md §1), checked once: where each field of a session lives in a
 * legacy JSON session. {@link convert} reads a legacy document with it into a {@link Session}
 * (the same session as the Rust library's `LegacyMapping` and `sessionpack convert`), through
 * the tenant's facility and group dictionaries. Every refusal is a {@link LegacyError} with the
 * rule, kind and path of MAPPING.md §8; a refusal converts nothing and changes no dictionary.
 *
 * ```ts
 * const mapping = LegacyMapping.fromJson(readFileSync("legacy-mapping.json"));
 * const { session } = mapping.convert(legacyJson, { facilities, groups });
 * ```
 */
export class LegacyMapping {
  /** The largest legacy document {@link convert} reads, in bytes of UTF-8 (default 16 MiB). */
  readonly maxDocumentLen: number;
  readonly #spec: Spec;
  readonly #want: Want;

  private constructor(spec: Spec, want: Want, maxDocumentLen: number) {
    this.#spec = spec;
    this.#want = want;
    this.maxDocumentLen = maxDocumentLen;
  }

  /**
   * Reads and checks a mapping document (its text, or its UTF-8 bytes). Refuses
   * (`LegacyError`, path in the mapping) broken JSON or a repeated member name (M-MAP-JSON), a
   * version other than 1 (M-MAP-VERSION; `unsupported` for another integer), unknown, missing
   * or mistyped members (M-MAP-FIELD), a malformed path (M-PATH-SYNTAX), `[]` where one value
   * is read (M-MAP-PATH) and a unit that is not `"s"` or `"ms"` (M-MAP-UNIT).
   */
  static fromJson(text: string | Uint8Array): LegacyMapping {
    let source: string;
    if (text instanceof Uint8Array) {
      if (text.length > DEFAULT_MAX_DOCUMENT_LEN) mapFail("M-MAP-JSON", "", `a mapping of ${text.length} bytes, above 16 MiB: a mapping is a few lines`);
      const decoded = utf8OrUndefined(text);
      if (decoded === undefined) mapFail("M-MAP-JSON", "", "the mapping is not UTF-8");
      source = decoded;
    } else if (typeof text === "string") {
      if (text.length > DEFAULT_MAX_DOCUMENT_LEN) mapFail("M-MAP-JSON", "", `a mapping of ${text.length} characters, above 16 MiB: a mapping is a few lines`);
      if (!isWellFormed(text)) mapFail("M-MAP-JSON", "", "the mapping holds a lone surrogate (it has no UTF-8 form)");
      source = text;
    } else {
      return argument(`LegacyMapping.fromJson takes the mapping's text (a string) or its UTF-8 bytes (a Uint8Array), not ${typeof text}`);
    }
    if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
    const spec = parseMapping(source);
    return new LegacyMapping(spec, wantOf(spec), DEFAULT_MAX_DOCUMENT_LEN);
  }

  /** This mapping with another limit on the legacy documents it reads (bytes; M-DOC-SIZE). */
  withMaxDocumentLen(maxDocumentLen: number): LegacyMapping {
    if (!Number.isSafeInteger(maxDocumentLen) || maxDocumentLen < 0) {
      argument(`LegacyMapping.withMaxDocumentLen takes a number of bytes (a non-negative integer), not ${String(maxDocumentLen)}`);
    }
    return new LegacyMapping(this.#spec, this.#want, maxDocumentLen);
  }

  /**
   * Converts the legacy document `document` (its text, or its UTF-8 bytes) to a session,
   * translating facility and group keys through `options.facilities` and `options.groups`;
   * with `append`, keys they lack are appended and the new dictionaries returned. Throws a
   * {@link LegacyError} naming the rule, kind and path of the first fault, in MAPPING.md §8's
   * order; then nothing is converted and no dictionary changes.
   */
  convert<F extends IdDictionary | IdDictionaryView, G extends IdDictionary | IdDictionaryView>(
    document: string | Uint8Array,
    options: LegacyConvertOptions<F, G>,
  ): LegacyConversion<F, G> {
    if (typeof options !== "object" || options === null) argument("LegacyMapping.convert needs options: { facilities, groups, append? }");
    const { facilities: fdict, groups: gdict } = options;
    const append = options.append ?? false;
    if (typeof append !== "boolean") argument(`LegacyMapping.convert: append must be true or false, not ${String(append)}`);
    if (!isDictionary(fdict) || !isDictionary(gdict)) {
      argument("LegacyMapping.convert: options.facilities and options.groups must be id dictionaries (IdDictionary, or IdDictionaryView without append)");
    }
    if (append && (!(fdict instanceof IdDictionary) || !(gdict instanceof IdDictionary))) {
      argument("LegacyMapping.convert: append needs the writer's dictionaries (IdDictionary); IdDictionaryView.toDictionary() gives an owned copy");
    }
    const fview = fdict instanceof IdDictionary ? fdict.view() : fdict;
    const gview = gdict instanceof IdDictionary ? gdict.view() : gdict;

    const { root, fields, expiresAt: expires, tenantAt } = this.#fields(document);
    const spec = this.#spec;
    const fkeys = spec.facilities === undefined ? undefined : readKeys(root, spec.facilities, fview, append, maxKeysOf(fdict));
    const gkeys = spec.groups === undefined ? undefined : readKeys(root, spec.groups, gview, append, maxKeysOf(gdict));

    timeOrder(fields, expires);
    if (fview.kind !== "facility" || gview.kind !== "group") {
      refuse(
        "wrong_dictionary",
        "M-DICT-KIND",
        "",
        "document",
        `the facility dictionary is of kind ${fview.kind} and the group dictionary of kind ${gview.kind}: pass the tenant's facility dictionary as facilities and its group dictionary as groups`,
      );
    }
    const tenantId = fields.tenantId;
    for (const [keys, view, what] of [
      [fkeys, fview, "facility"],
      [gkeys, gview, "group"],
    ] as const) {
      if (keys === undefined) continue;
      if (view.tenant !== tenantId) {
        refuse(
          "wrong_dictionary",
          "M-DICT-TENANT",
          tenantAt(),
          "document",
          `the session's tenant is ${JSON.stringify(tenantId)} but the ${what} dictionary is tenant ${JSON.stringify(view.tenant)}'s: convert through the session tenant's dictionaries`,
        );
      }
      if (keys.absent !== undefined) {
        docFail("M-DICT-ABSENT", keys.absent, `the ${what} dictionary (tenant ${JSON.stringify(view.tenant)}, ${view.size} keys) does not hold this key: convert with append (the dictionary's writer), or refresh the dictionary`);
      }
      if (keys.full !== undefined) {
        docFail("M-DICT-FULL", keys.full, `appending this key would take the ${what} dictionary past its limit of ${maxKeysOf(what === "facility" ? fdict : gdict)} keys`, "limit");
      }
    }
    // Every check passed: the dictionaries gain their keys (new dictionaries; the given ones are unchanged).
    const grow = <D extends IdDictionary | IdDictionaryView>(d: D, keys: KeysRead | undefined): D =>
      keys === undefined || keys.added.length === 0 ? d : ((d as IdDictionary).append(keys.added).dictionary as D);
    const facilities = grow(fdict, fkeys);
    const groups = grow(gdict, gkeys);
    const session = new Session({
      ...fields,
      facilityLineage: fkeys === undefined ? undefined : fview.lineage,
      groupLineage: gkeys === undefined ? undefined : gview.lineage,
    });
    // The ids are u32s from the dictionaries: sorted here, without the constructor's per-id checks.
    session.facilities = sortedIds(fkeys?.ids);
    session.groups = sortedIds(gkeys?.ids);
    return { session, facilities, groups, facilityKeysAdded: fkeys?.added ?? [], groupKeysAdded: gkeys?.added ?? [] };
  }

  /**
   * Reads the legacy document `document` (its text, or its UTF-8 bytes) with this mapping,
   * **without dictionaries** (ROLLOUT.md RO-LEGACY-KEYS): the session's fields, and its facility
   * and group keys as keys of `options.facilityKeyType` and `options.groupKeyType` (default
   * `"objectid"` both). Every rule of MAPPING.md applies but those of the dictionaries
   * (M-DICT-…): a document {@link convert} refuses for its own sake is refused here with the
   * same {@link LegacyError}. The session's expiry is not checked here: the caller compares
   * `expiresAt` with its clock ({@link LegacySession.expiredAt}).
   *
   * ```ts
   * const legacy = mapping.readKeys(legacyJson);                      // ObjectId keys
   * legacy.hasFacility("65a0f0c2e1a9d3f4a5b6f005");                   // true or false
   * legacy.hasFacility("not a key");                                  // throws invalid_input
   * ```
   */
  readKeys(document: string | Uint8Array, options: LegacyKeyTypes = {}): LegacySession {
    if (typeof options !== "object" || options === null) argument("LegacyMapping.readKeys: options must be { facilityKeyType?, groupKeyType? }");
    const facilityKeyType = keyTypeOption(options.facilityKeyType, "facilityKeyType");
    const groupKeyType = keyTypeOption(options.groupKeyType, "groupKeyType");
    const { root, fields, expiresAt } = this.#fields(document);
    const spec = this.#spec;
    const facilities = spec.facilities === undefined ? new Set<string>() : plainKeys(root, spec.facilities, facilityKeyType);
    const groups = spec.groups === undefined ? new Set<string>() : plainKeys(root, spec.groups, groupKeyType);
    timeOrder(fields, expiresAt);
    return new LegacySession(fields, { keyType: facilityKeyType, keys: facilities }, { keyType: groupKeyType, keys: groups });
  }

  /** The document read with the mapping: its value tree, the session's fields but the keys, and the pointers its refusals name (M-TIME-ORDER is the caller's, after the keys). */
  #fields(document: unknown): { root: Value; fields: LegacyFields; expiresAt: string; tenantAt: () => string } {
    const text = this.#text(document);
    let root: Value;
    try {
      root = readJson(text, this.#want);
    } catch (e) {
      if (e instanceof JsonFault) docFail("M-DOC-JSON", "", `the legacy document is not one JSON value in UTF-8: ${e.message} at ${e.where(text)}`);
      throw e;
    }

    const spec = this.#spec;
    const required = (p: Path, name: string): { v: Value; at: string } => {
      const got = single(root, p);
      if (got === undefined) {
        docFail("M-FIELD-REQUIRED", rest(p.ops, 0), `the session's ${name} is required, and the document has no value at ${JSON.stringify(p.text)} (absent or null)`);
      }
      return got;
    };
    const str = (p: Path, name: string): string => {
      const got = required(p, name);
      return stringValue(got.v, () => got.at, name);
    };
    const userId = str(spec.userId, "user_id");
    const tenantId = str(spec.tenantId, "tenant_id");
    const token = str(spec.token, "token");
    const issued = required(spec.issuedAt.path, "issued_at");
    const issuedAt = timeValue(issued.v, issued.at, spec.issuedAt.unit);
    const expires = required(spec.expiresAt.path, "expires_at");
    const expiresAt = timeValue(expires.v, expires.at, spec.expiresAt.unit);

    const roles: string[] = [];
    if (spec.roles !== undefined) {
      const ops = asRead(spec.roles, true);
      follow(root, ops, (v, idx) => roles.push(stringValue(v, () => pointer(ops, ops.length, idx), "a role")));
      if (roles.length > DEFAULT_LIMITS.maxRoles) {
        docFail("M-SESSION-LIMIT", spec.roles.text, `${roles.length} roles, above the limit of ${DEFAULT_LIMITS.maxRoles} (SPEC.md §8)`, "limit");
      }
    }
    const settings = readStrings(root, spec.settings, "setting", DEFAULT_LIMITS.maxSettings);
    const attributes = readStrings(root, spec.attributes, "attribute", DEFAULT_LIMITS.maxAttributes);
    return {
      root,
      fields: { userId, tenantId, token, issuedAt, expiresAt, roles, settings, attributes },
      expiresAt: expires.at,
      tenantAt: () => single(root, spec.tenantId)!.at,
    };
  }

  /** The document's text: its size checked first (M-DOC-SIZE), then UTF-8 (M-DOC-JSON), without its byte order mark. */
  #text(document: unknown): string {
    const max = this.maxDocumentLen;
    const tooLarge = (len: string) =>
      docFail("M-DOC-SIZE", "", `the legacy document is ${len} bytes, above the limit of ${max} bytes (LegacyMapping.withMaxDocumentLen raises it)`, "limit");
    let text: string;
    if (document instanceof Uint8Array) {
      if (document.length > max) tooLarge(String(document.length));
      const decoded = utf8OrUndefined(document);
      if (decoded === undefined) docFail("M-DOC-JSON", "", "the legacy document is not UTF-8");
      text = decoded;
    } else if (typeof document === "string") {
      // Every UTF-16 unit is at least one byte of UTF-8, and at most three.
      if (document.length > max) tooLarge(`at least ${document.length}`);
      if (document.length * 3 > max) {
        const n = utf8Length(document);
        if (n > max) tooLarge(String(n));
      }
      if (!isWellFormed(document)) docFail("M-DOC-JSON", "", "the legacy document holds a lone surrogate (it has no UTF-8 form)");
      text = document;
    } else {
      return argument(`LegacyMapping.convert takes the legacy document's text (a string) or its UTF-8 bytes (a Uint8Array), not ${document === null ? "null" : typeof document}`);
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/** M-TIME-ORDER: a session issued after it expires is refused (at `expiresAt`, the pointer of its expiry). */
function timeOrder(fields: LegacyFields, expiresAt: string): void {
  if (fields.issuedAt > fields.expiresAt) {
    docFail("M-TIME-ORDER", expiresAt, `the session expires (${fields.expiresAt} ms) before it is issued (${fields.issuedAt} ms)`);
  }
}

function keyTypeOption(v: unknown, name: string): KeyType {
  if (v === undefined) return "objectid";
  if (v === "objectid" || v === "uuid" || v === "string") return v;
  return argument(`LegacyMapping.readKeys: ${name} must be "objectid", "uuid" or "string" (a dictionary's KeyType), not ${typeof v === "string" ? JSON.stringify(v) : typeof v}`);
}

/** Ascending distinct ids. */
function sortedIds(ids: number[] | undefined): number[] {
  if (ids === undefined || ids.length === 0) return [];
  const all = Uint32Array.from(ids).sort();
  const out: number[] = [all[0]!];
  for (let i = 1; i < all.length; i++) if (all[i] !== all[i - 1]) out.push(all[i]!);
  return out;
}

function maxKeysOf(d: IdDictionary | IdDictionaryView): number {
  return d instanceof IdDictionary ? d.maxKeys : Number.MAX_SAFE_INTEGER;
}

/** `settings` or `attributes` (MAPPING.md §3). */
function readStrings(root: Value, s: StringsSpec | undefined, what: string, max: number): Map<string, string> {
  const out = new Map<string, string>();
  if (s === undefined) return out;
  if ("entries" in s) {
    for (const [key, p] of s.entries) {
      const got = single(root, p);
      if (got === undefined) continue;
      checkLength(key, () => got.at, `the ${what} key ${JSON.stringify(key.slice(0, 40))}`);
      out.set(key, stringValue(got.v, () => got.at, `the ${what} ${JSON.stringify(key)}`));
    }
    if (out.size > max) docFail("M-SESSION-LIMIT", "", `${out.size} ${what}s, above the limit of ${max} (SPEC.md §8)`, "limit");
    return out;
  }
  const got = single(root, s.path);
  if (got === undefined) return out;
  const v = got.v;
  if (!(v instanceof Obj)) docFail("M-VALUE-TYPE", got.at, `the ${what}s must be an object of strings, found ${describe(v)}`);
  // Members in the byte-wise order of their names (MAPPING.md §8): the first fault is the same
  // whatever order the document wrote them in.
  for (const [key, value] of [...v.m].sort((a, b) => compareUtf8(a[0], b[0]))) {
    if (value === null) continue;
    const at = () => got.at + "/" + escapeToken(key);
    checkLength(key, at, `the ${what} key ${JSON.stringify(key.slice(0, 40))}`);
    out.set(key, stringValue(value, at, `the ${what} ${JSON.stringify(key)}`));
  }
  if (out.size > max) docFail("M-SESSION-LIMIT", s.path.text, `${out.size} ${what}s, above the limit of ${max} (SPEC.md §8)`, "limit");
  return out;
}
