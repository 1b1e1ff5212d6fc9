/**
 * The archive (SPEC.md §6): validation of every pointer, length, string, key order, id set and
 * limit, and the canonical layout of §6.4, checked once by replaying the writer; and the writer.
 */

import { compareBytes, i32, isUtf8, putU32, putU64, u32, utf8Length, utf8Into } from "./bytes.js";
import { corrupt, fail } from "./errors.js";
import { validateIdSet } from "./idset.js";
import type { Limits } from "./limits.js";
import type { VersionSchema } from "./versions.js";

/** Root field offsets (the same in every version; version 3 appends the lineages). */
export const F = {
  ISSUED_AT: 0,
  EXPIRES_AT: 8,
  USER_ID: 16,
  TENANT_ID: 24,
  TOKEN: 32,
  ROLES: 40,
  SETTINGS: 48,
  ATTRIBUTES: 56,
  FACILITIES: 64,
  GROUPS: 72,
  FACILITY_LINEAGE: 80,
  GROUP_LINEAGE: 88,
} as const;

const ROOT_ALIGN = 8;
const TABLE_ALIGN = 4;
const POINTER_LEN = 8;
const ENTRY_LEN = 16;

/**
 * Where the fields of a validated archive lie: absolute offsets into the bytes the archive is
 * in (`base` is the archive's first byte). Plain numbers, made only by {@link validateArchive}.
 */
export interface Index {
  base: number;
  root: number;
  userId: number;
  userIdEnd: number;
  tenantId: number;
  tenantIdEnd: number;
  token: number;
  tokenEnd: number;
  /** The roles table (8-byte entries). */
  roles: number;
  roleCount: number;
  settings: number;
  settingCount: number;
  attributes: number;
  attributeCount: number;
  facilities: number;
  facilitiesEnd: number;
  groups: number;
  groupsEnd: number;
  facilityShape: ReturnType<typeof validateIdSet>;
  groupShape: ReturnType<typeof validateIdSet>;
}

function limit(what: string, value: number, max: number, rule: string): never {
  fail(
    "limit",
    rule,
    `${what} is ${value}, above the limit of ${max} (${rule}): the session is larger than this reader accepts; ` +
      `raise the limit on both writers and readers, or make the session smaller`,
  );
}

/**
 * The replay of the writer: `pos` is the writer's position (the end of the last vector placed,
 * before the next step's alignment), `dataEnd` the end of the last non-empty vector's items.
 */
class Walk {
  readonly dv: DataView;
  pos = 0;
  dataEnd = 0;
  /** The first layout fault (R-ARC-GAP, R-ARC-EMPTY, R-ARC-PAD): its rule and message. */
  layoutFault: [string, string] | undefined = undefined;
  /** The items' archive offset and count of the last vector followed (no tuple per vector). */
  at = 0;
  len = 0;
  /** The vector being checked, for refusals only (built into a name on a fault): `settings[3].key`. */
  field = "";
  index = -1;
  part = "";
  constructor(
    readonly b: Uint8Array,
    readonly base: number,
    /** Archive offset of the root. */
    readonly root: number,
    readonly maxString: number,
    /** Where the archive's first byte lies in the WebAssembly helper's memory, or -1 (see validateIdSet). */
    readonly copyAt: number,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Names the vector checked next (`index` -1 for a root field). */
  name(field: string, index: number, part: string): void {
    this.field = field;
    this.index = index;
    this.part = part;
  }

  /** Follows the pointer at archive offset `at` to `len` items of `item` bytes (R-ARC-PTR), into `this.at`, `this.len`. */
  pointer(at: number, item: number, align: number): void {
    const offset = this.dv.getInt32(this.base + at, true);
    const len = this.dv.getUint32(this.base + at + 4, true);
    const target = at + offset;
    if (target < 0) corrupt("R-ARC-PTR", `${label(this)}: its pointer at archive offset ${at} targets ${target}, before the archive`);
    if (target + len * item > this.root) {
      corrupt("R-ARC-PTR", `${label(this)}: its ${len} items at archive offset ${target} run past the data area (the root is at ${this.root})`);
    }
    if (target % align !== 0) corrupt("R-ARC-PTR", `${label(this)}: its items at archive offset ${target} are not aligned to ${align}`);
    this.at = target;
    this.len = len;
  }

  /**
   * Checks that the vector does not start inside an earlier non-empty vector's items
   * (R-ARC-ORDER, refused at once), and whether it lies where the writer puts it with zero
   * padding before it: the first such layout fault is kept in `layoutFault` and reported only
   * when the walk finds nothing else (SPEC.md §6.3, "Which rule a reader names").
   */
  place(start: number, len: number, item: number, align: number): void {
    const empty = len === 0;
    if (!empty && start < this.dataEnd) {
      corrupt("R-ARC-ORDER", `${label(this)}: its items at archive offset ${start} start before the end of an earlier field's (${this.dataEnd})`);
    }
    if (this.layoutFault === undefined) {
      const expected = alignUp(this.pos, align);
      if (start !== expected) {
        this.layoutFault = empty
          ? ["R-ARC-EMPTY", `${label(this)}: an empty vector at archive offset ${start}, where the writer puts it at ${expected}`]
          : ["R-ARC-GAP", `${label(this)}: its items start at archive offset ${start}, where the writer puts them at ${expected}`];
      } else if (expected !== this.pos) {
        this.padding(expected);
      }
    }
    this.pos = start + len * item;
    if (!empty) this.dataEnd = this.pos;
  }

  /** The padding `[pos, to)` is zero (R-ARC-PAD); the first non-zero byte is kept in `layoutFault`. */
  padding(to: number): void {
    for (let p = this.pos; p < to; p++) {
      const v = this.b[this.base + p]!;
      if (v !== 0) {
        this.layoutFault = ["R-ARC-PAD", `padding byte at archive offset ${p} before ${label(this)} is 0x${v.toString(16).padStart(2, "0")}, not zero`];
        return;
      }
    }
  }

  /** A string: pointer, limit, UTF-8, place. Leaves its archive offset and length in `at`, `len`. */
  string(limitName: string, at: number): void {
    this.pointer(at, 1, 1);
    const start = this.at;
    const len = this.len;
    if (len > this.maxString) limit(`the length of ${limitName}`, len, this.maxString, "R-LIMIT-STRING");
    if (!isUtf8(this.b, this.base + start, this.base + start + len, this.dv)) {
      corrupt("R-ARC-UTF8", `${label(this)}: not UTF-8 (at archive offset ${start})`);
    }
    this.place(start, len, 1, 1);
  }

  /** A table's pointer and entry limit (into `at`, `len`); it is placed after the strings it points to. */
  table(at: number, item: number, most: number, rule: string): void {
    this.pointer(at, item, TABLE_ALIGN);
    if (this.len > most) limit(`the number of ${this.field}`, this.len, most, rule);
  }

  /** A settings or attributes map: its table, each entry's key and value, the keys' order, the place. */
  entries(field: string, at: number, most: number, rule: string, stringName: string): void {
    this.name(field, -1, "");
    this.table(at, ENTRY_LEN, most, rule);
    const table = this.at;
    const count = this.len;
    const b = this.b;
    const base = this.base;
    let prevStart = -1;
    let prevLen = 0;
    for (let i = 0; i < count; i++) {
      const entry = table + ENTRY_LEN * i;
      this.name(field, i, ".key");
      this.string(stringName, entry);
      const ks = this.at;
      const kl = this.len;
      this.name(field, i, ".value");
      this.string(stringName, entry + POINTER_LEN);
      if (prevStart >= 0 && compareBytes(b, base + prevStart, base + prevStart + prevLen, b, base + ks, base + ks + kl) >= 0) {
        corrupt("R-ARC-KEYS", `${field}: key ${i} is not after key ${i - 1} in byte order (keys must be strictly increasing)`);
      }
      prevStart = ks;
      prevLen = kl;
    }
    this.name(field, -1, "");
    this.place(table, count, ENTRY_LEN, TABLE_ALIGN);
    this.at = table;
    this.len = count;
  }

  /** An id set: pointer, place, then its Roaring bytes. */
  idSet(field: string, at: number): ReturnType<typeof validateIdSet> {
    this.name(field, -1, "");
    this.pointer(at, 1, 1);
    const start = this.at;
    const len = this.len;
    this.place(start, len, 1, 1);
    const copyAt = this.copyAt < 0 ? -1 : this.copyAt + start;
    const shape = validateIdSet(this.b, this.base + start, this.base + start + len, field, this.dv, copyAt);
    this.at = start;
    this.len = len;
    return shape;
  }
}

/** The name of the vector `w` is checking, for a refusal. */
function label(w: Walk): string {
  return w.index < 0 ? w.field : `${w.field}[${w.index}]${w.part}`;
}

function alignUp(pos: number, align: number): number {
  const r = pos % align;
  return r === 0 ? pos : pos + (align - r);
}

/**
 * Checks the archive `b[base, base + len)` against SPEC.md §6 and §7 and `limits`, in the
 * order of §6.3, and returns where everything lies. Allocates the index and two shapes.
 * `copyAt`, when not -1, is where a copy of the archive lies in the WebAssembly helper's memory
 * (left there by hashing it, and not written since): the id sets' long containers are checked
 * in it.
 */
export function validateArchive(b: Uint8Array, base: number, len: number, limits: Limits, schema: VersionSchema, copyAt = -1): Index {
  const rootLen = schema.rootLen;
  if (len % ROOT_ALIGN !== 0 || len < rootLen) {
    corrupt("R-ARC-LEN", `an archive of ${len} bytes: it must be a multiple of 8 and hold the ${rootLen}-byte root`);
  }
  const root = len - rootLen;
  const r = base + root;
  // issued_at <= expires_at, compared as i64 halves (high signed, low unsigned).
  const ih = i32(b, r + 4), il = u32(b, r);
  const eh = i32(b, r + 12), el = u32(b, r + 8);
  if (ih > eh || (ih === eh && il > el)) corrupt("R-ARC-TIME", "issued_at is after expires_at");
  if (schema.lineages) {
    // Version 3: at least one set refers to a dictionary (else the session is written as v1).
    let any = 0;
    for (let p = r + F.FACILITY_LINEAGE; p < r + F.GROUP_LINEAGE + 8; p++) any |= b[p]!;
    if (any === 0) corrupt("R-ARC3-LINEAGE", "a version 3 archive whose two lineages are 0");
  }

  const w = new Walk(b, base, root, limits.maxStringLen, copyAt);
  w.name("user_id", -1, "");
  w.string("user_id", root + F.USER_ID);
  const userId = w.at, userIdLen = w.len;
  w.name("tenant_id", -1, "");
  w.string("tenant_id", root + F.TENANT_ID);
  const tenantId = w.at, tenantIdLen = w.len;
  w.name("token", -1, "");
  w.string("token", root + F.TOKEN);
  const token = w.at, tokenLen = w.len;

  w.name("roles", -1, "");
  w.table(root + F.ROLES, POINTER_LEN, limits.maxRoles, "R-LIMIT-ROLES");
  const roles = w.at, roleCount = w.len;
  for (let i = 0; i < roleCount; i++) {
    w.name("roles", i, "");
    w.string("a role", roles + POINTER_LEN * i);
  }
  w.name("roles", -1, "");
  w.place(roles, roleCount, POINTER_LEN, TABLE_ALIGN);

  w.entries("settings", root + F.SETTINGS, limits.maxSettings, "R-LIMIT-SETTINGS", "a setting key or value");
  const settings = w.at, settingCount = w.len;
  w.entries("attributes", root + F.ATTRIBUTES, limits.maxAttributes, "R-LIMIT-ATTRIBUTES", "an attribute key or value");
  const attributes = w.at, attributeCount = w.len;

  const facilityShape = w.idSet("facilities", root + F.FACILITIES);
  const facilities = w.at, facilitiesLen = w.len;
  const groupShape = w.idSet("groups", root + F.GROUPS);
  const groups = w.at, groupsLen = w.len;

  // The layout faults rank after every other archive rule: the first one found, else the root's place.
  if (w.layoutFault === undefined) {
    const expected = alignUp(w.pos, ROOT_ALIGN);
    if (root !== expected) corrupt("R-ARC-GAP", `the root starts at archive offset ${root}, where the writer puts it at ${expected}`);
    w.name("the root", -1, "");
    w.padding(expected);
  }
  if (w.layoutFault !== undefined) corrupt(w.layoutFault[0], w.layoutFault[1]);

  return {
    base,
    root: r,
    userId: base + userId,
    userIdEnd: base + userId + userIdLen,
    tenantId: base + tenantId,
    tenantIdEnd: base + tenantId + tenantIdLen,
    token: base + token,
    tokenEnd: base + token + tokenLen,
    roles: base + roles,
    roleCount,
    settings: base + settings,
    settingCount,
    attributes: base + attributes,
    attributeCount,
    facilities: base + facilities,
    facilitiesEnd: base + facilities + facilitiesLen,
    groups: base + groups,
    groupsEnd: base + groups + groupsLen,
    facilityShape,
    groupShape,
  };
}

/** What the archive writer needs of a session: strings already checked to be well formed. */
export interface ArchiveInput {
  issuedAt: bigint;
  expiresAt: bigint;
  userId: string;
  tenantId: string;
  token: string;
  roles: readonly string[];
  /** Sorted by UTF-8 bytes, unique. */
  settings: readonly (readonly [string, string])[];
  attributes: readonly (readonly [string, string])[];
  facilities: Uint8Array;
  groups: Uint8Array;
  facilityLineage: bigint | undefined;
  groupLineage: bigint | undefined;
}

/** The canonical archive of `s` (SPEC.md §6.4), for `schema`'s root. */
export function writeArchive(s: ArchiveInput, schema: VersionSchema): Uint8Array {
  // Sizes first, so that the archive is written into one buffer.
  let size = utf8Length(s.userId) + utf8Length(s.tenantId) + utf8Length(s.token);
  for (const r of s.roles) size += utf8Length(r);
  size = alignUp(size, TABLE_ALIGN) + POINTER_LEN * s.roles.length;
  for (const [k, v] of s.settings) size += utf8Length(k) + utf8Length(v);
  size = alignUp(size, TABLE_ALIGN) + ENTRY_LEN * s.settings.length;
  for (const [k, v] of s.attributes) size += utf8Length(k) + utf8Length(v);
  size = alignUp(size, TABLE_ALIGN) + ENTRY_LEN * s.attributes.length;
  size += s.facilities.length + s.groups.length;
  const root = alignUp(size, ROOT_ALIGN);
  const out = new Uint8Array(root + schema.rootLen);

  let pos = 0;
  const str = (text: string): [number, number] => {
    const start = pos;
    pos += utf8Into(text, out, pos);
    return [start, pos - start];
  };
  /** A (relative pointer, length) pair at `at` to `target`. */
  const pointer = (at: number, target: number, len: number): void => {
    putU32(out, at, (target - at) | 0);
    putU32(out, at + 4, len);
  };

  const user = str(s.userId);
  const tenant = str(s.tenantId);
  const token = str(s.token);
  const roleSpans = s.roles.map(str);
  pos = alignUp(pos, TABLE_ALIGN);
  const rolesAt = pos;
  roleSpans.forEach(([start, len], i) => pointer(rolesAt + POINTER_LEN * i, start, len));
  pos += POINTER_LEN * roleSpans.length;
  const entries = (list: readonly (readonly [string, string])[]): number => {
    const spans = list.map(([k, v]) => [str(k), str(v)] as const);
    pos = alignUp(pos, TABLE_ALIGN);
    const at = pos;
    spans.forEach(([k, v], i) => {
      pointer(at + ENTRY_LEN * i, k[0], k[1]);
      pointer(at + ENTRY_LEN * i + POINTER_LEN, v[0], v[1]);
    });
    pos += ENTRY_LEN * spans.length;
    return at;
  };
  const settingsAt = entries(s.settings);
  const attributesAt = entries(s.attributes);
  const facilitiesAt = pos;
  out.set(s.facilities, pos);
  pos += s.facilities.length;
  const groupsAt = pos;
  out.set(s.groups, pos);
  pos += s.groups.length;

  putU64(out, root + F.ISSUED_AT, s.issuedAt);
  putU64(out, root + F.EXPIRES_AT, s.expiresAt);
  pointer(root + F.USER_ID, user[0], user[1]);
  pointer(root + F.TENANT_ID, tenant[0], tenant[1]);
  pointer(root + F.TOKEN, token[0], token[1]);
  pointer(root + F.ROLES, rolesAt, s.roles.length);
  pointer(root + F.SETTINGS, settingsAt, s.settings.length);
  pointer(root + F.ATTRIBUTES, attributesAt, s.attributes.length);
  pointer(root + F.FACILITIES, facilitiesAt, s.facilities.length);
  pointer(root + F.GROUPS, groupsAt, s.groups.length);
  if (schema.lineages) {
    putU64(out, root + F.FACILITY_LINEAGE, s.facilityLineage ?? 0n);
    putU64(out, root + F.GROUP_LINEAGE, s.groupLineage ?? 0n);
  }
  return out;
}
