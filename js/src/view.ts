/**
 * {@link SessionView}: the typed face over a validated archive, read in place.
 */

import { compareBytes, i32, i64, isWellFormed, u32, u64, utf8At, utf8Into } from "./bytes.js";
import { F, type Index } from "./archive.js";
import type { Header } from "./header.js";
import { IdSet } from "./keyed.js";
import { writeJson } from "./json.js";
import { Session } from "./session.js";
import { millisDate, millisNumber, toMillis, type TimeLike } from "./time.js";
import type { VersionSchema } from "./versions.js";

const POINTER_LEN = 8;
const ENTRY_LEN = 16;

// Scratch space for the UTF-8 of looked-up keys (grown when needed, never shrunk).
let scratch = new Uint8Array(256);

/** Whether the i64 `hi:lo` (high half signed) is at or before `now`. */
export function reachedI64(hi: number, lo: number, now: number | bigint): boolean {
  if (typeof now === "number" && Number.isSafeInteger(now)) {
    // hi × 2^32 + lo is exact as a double for -2^21 <= hi < 2^21 (|value| <= 2^53); beyond,
    // the value is past every safe-integer `now` (|now| < 2^53) in the direction of its sign.
    if (hi >= 1 << 21) return false;
    if (hi < -(1 << 21)) return true;
    return now >= hi * 4294967296 + lo;
  }
  return BigInt(now) >= ((BigInt(hi) << 32n) | BigInt(lo));
}

/**
 * A session, validated once by `Decoder.open`, read in place: every field getter reads the
 * archive's bytes (strings are decoded on first access and kept), and `facilities` and
 * `groups` answer membership checks from the Roaring bytes without allocating.
 *
 * A view over a raw blob reads the caller's bytes: do not change them while the view is used.
 */
export class SessionView {
  /** @internal */ readonly b: Uint8Array;
  /** @internal */ readonly ix: Index;
  /** The blob's header: its `digest` is the session's ETag (compare with `Header.read` of a fresh copy). */
  readonly header: Header;
  /** The facility ids. */
  readonly facilities: IdSet;
  /** The group ids. */
  readonly groups: IdSet;
  private readonly schema: VersionSchema;
  private cachedUserId: string | undefined;
  private cachedTenantId: string | undefined;

  /** @internal */
  constructor(b: Uint8Array, ix: Index, header: Header, schema: VersionSchema) {
    this.b = b;
    this.ix = ix;
    this.header = header;
    this.schema = schema;
    // A signed blob's MAC was verified by the decoder (SPEC.md C-KEY-MAC needs to know).
    // A keyed check compares the dictionary's tenant with this session's (C-KEY-CHECK).
    // Each set reads its lineage from the root on first use.
    const lineages = schema.lineages;
    this.facilities = new IdSet(b, ix.facilities, ix.facilitiesEnd, ix.facilityShape, "facility", lineages ? ix.root + F.FACILITY_LINEAGE : -1, header.signed, this);
    this.groups = new IdSet(b, ix.groups, ix.groupsEnd, ix.groupShape, "group", lineages ? ix.root + F.GROUP_LINEAGE : -1, header.signed, this);
  }

  /** The format version (the header's). */
  get version(): number {
    return this.schema.version;
  }

  get userId(): string {
    return (this.cachedUserId ??= utf8At(this.b, this.ix.userId, this.ix.userIdEnd));
  }

  get tenantId(): string {
    return (this.cachedTenantId ??= utf8At(this.b, this.ix.tenantId, this.ix.tenantIdEnd));
  }

  get token(): string {
    return utf8At(this.b, this.ix.token, this.ix.tokenEnd);
  }

  /** When the session was issued, Unix milliseconds (exact `i64`). */
  get issuedAt(): bigint {
    return i64(this.b, this.ix.root + F.ISSUED_AT);
  }

  /** When the session expires, Unix milliseconds (exact `i64`). */
  get expiresAt(): bigint {
    return i64(this.b, this.ix.root + F.EXPIRES_AT);
  }

  /**
   * `issuedAt` as a number of Unix milliseconds, for everyday arithmetic. Exact: throws `limit`
   * beyond ±(2^53 − 1) ms (about 285,000 years), where a number would round — read `issuedAt`.
   */
  get issuedAtMs(): number {
    return this.millisAt(F.ISSUED_AT, "issuedAt");
  }

  /**
   * `expiresAt` as a number of Unix milliseconds (`session.expiresAtMs - Date.now()` is the time
   * left). Exact: throws `limit` beyond ±(2^53 − 1) ms, where a number would round — a session
   * written to "never" expire (`i64::MAX`) is one: read `expiresAt`, or use `isExpiredAt`.
   */
  get expiresAtMs(): number {
    return this.millisAt(F.EXPIRES_AT, "expiresAt");
  }

  /** `issuedAt` as a new `Date`; throws `limit` beyond a `Date`'s range (±8.64e15 ms). */
  get issuedAtDate(): Date {
    return millisDate(this.issuedAt, "issuedAt");
  }

  /** `expiresAt` as a new `Date`; throws `limit` beyond a `Date`'s range (±8.64e15 ms). */
  get expiresAtDate(): Date {
    return millisDate(this.expiresAt, "expiresAt");
  }

  private millisAt(offset: number, name: string): number {
    const at = this.ix.root + offset;
    const hi = i32(this.b, at + 4);
    // hi × 2^32 + lo is exact for -2^21 <= hi < 2^21; safe unless it is -2^53.
    if (hi < 1 << 21 && hi > -(1 << 21)) return hi * 4294967296 + u32(this.b, at);
    return millisNumber(i64(this.b, at), name);
  }

  /**
   * Whether the session has expired at `now` (Unix milliseconds as a number or bigint, or a
   * `Date`): from `expiresAt` on. Exact for every time. `invalid_input` for a fraction, `NaN`
   * or an Invalid Date.
   */
  isExpiredAt(now: TimeLike): boolean {
    const at = this.ix.root + F.EXPIRES_AT;
    const t = (typeof now === "number" && Number.isSafeInteger(now)) || typeof now === "bigint" ? now : toMillis(now, "isExpiredAt's time");
    return reachedI64(i32(this.b, at + 4), u32(this.b, at), t);
  }

  /** The facility dictionary's lineage (format version 3), or `undefined`. */
  get facilityLineage(): bigint | undefined {
    return this.lineageAt(F.FACILITY_LINEAGE);
  }

  /** The group dictionary's lineage (format version 3), or `undefined`. */
  get groupLineage(): bigint | undefined {
    return this.lineageAt(F.GROUP_LINEAGE);
  }

  private lineageAt(offset: number): bigint | undefined {
    if (!this.schema.lineages) return undefined;
    const v = u64(this.b, this.ix.root + offset);
    return v === 0n ? undefined : v;
  }

  /** The roles, in the writer's order (repeats kept). */
  get roles(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.ix.roleCount; i++) out.push(this.stringAt(this.ix.roles + POINTER_LEN * i));
    return out;
  }

  /** Whether the session has role `role`. */
  hasRole(role: string): boolean {
    const n = this.encodeKey(role);
    if (n < 0) return false;
    for (let i = 0; i < this.ix.roleCount; i++) {
      const [s, e] = this.spanAt(this.ix.roles + POINTER_LEN * i);
      if (compareBytes(this.b, s, e, scratch, 0, n) === 0) return true;
    }
    return false;
  }

  /** The value of setting `key`, or `undefined` (binary search over the sorted keys). */
  setting(key: string): string | undefined {
    return this.lookup(this.ix.settings, this.ix.settingCount, key);
  }

  /** The value of attribute `key`, or `undefined`. */
  attribute(key: string): string | undefined {
    return this.lookup(this.ix.attributes, this.ix.attributeCount, key);
  }

  /** Every setting, in key order (UTF-8 bytes). */
  get settings(): Map<string, string> {
    return new Map(this.entries(this.ix.settings, this.ix.settingCount));
  }

  /** Every attribute, in key order (UTF-8 bytes). */
  get attributes(): Map<string, string> {
    return new Map(this.entries(this.ix.attributes, this.ix.attributeCount));
  }

  /** The bytes of the decoded archive (a view, not a copy). */
  get archiveBytes(): Uint8Array {
    return this.b.subarray(this.ix.base, this.ix.root + this.schema.rootLen);
  }

  /** The session, owned. */
  toSession(): Session {
    const s = new Session({
      userId: this.userId,
      tenantId: this.tenantId,
      token: this.token,
      issuedAt: this.issuedAt,
      expiresAt: this.expiresAt,
      roles: this.roles,
      settings: this.settings,
      attributes: this.attributes,
      facilityLineage: this.facilityLineage,
      groupLineage: this.groupLineage,
    });
    s.facilities = this.facilities.toArray();
    s.groups = this.groups.toArray();
    return s;
  }

  /** The JSON form (SPEC.md §10): byte for byte what `sessionpack inspect --json` prints, without its newline. */
  toJson(): string {
    return writeJson({
      userId: this.userId,
      tenantId: this.tenantId,
      token: this.token,
      issuedAt: this.issuedAt,
      expiresAt: this.expiresAt,
      roles: this.roles,
      settings: this.entries(this.ix.settings, this.ix.settingCount),
      attributes: this.entries(this.ix.attributes, this.ix.attributeCount),
      facilities: this.facilities,
      groups: this.groups,
      facilityLineage: this.facilityLineage,
      groupLineage: this.groupLineage,
    });
  }

  /** The absolute span of the string whose pointer is at absolute offset `at`. */
  private spanAt(at: number): [number, number] {
    const start = at + i32(this.b, at);
    return [start, start + u32(this.b, at + 4)];
  }

  private stringAt(at: number): string {
    const start = at + i32(this.b, at);
    return utf8At(this.b, start, start + u32(this.b, at + 4));
  }

  private entries(table: number, count: number): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < count; i++) {
      const e = table + ENTRY_LEN * i;
      out.push([this.stringAt(e), this.stringAt(e + POINTER_LEN)]);
    }
    return out;
  }

  /** Encodes `key` into `scratch`; its length, or -1 for a string with no UTF-8 form. */
  private encodeKey(key: string): number {
    if (!isWellFormed(key)) return -1;
    if (key.length * 3 > scratch.length) scratch = new Uint8Array(key.length * 3);
    return utf8Into(key, scratch, 0);
  }

  private lookup(table: number, count: number, key: string): string | undefined {
    const n = this.encodeKey(key);
    if (n < 0) return undefined;
    const b = this.b;
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = table + ENTRY_LEN * mid;
      const ks = e + i32(b, e);
      const c = compareBytes(b, ks, ks + u32(b, e + 4), scratch, 0, n);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid - 1;
      else return this.stringAt(e + POINTER_LEN);
    }
    return undefined;
  }
}
