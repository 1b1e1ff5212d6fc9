/**
 * Id sets: Roaring bitmaps in the portable format (SPEC.md §7), validated once and then read in
 * place ({@link IdSetView}), and the canonical writer ({@link encodeIdSet}, SPEC.md §7.3). The
 * check by key through a dictionary builds on this module (keyed.ts, whose `IdSet` is the public
 * class), as the Rust crate's dict/keyed_set.rs builds on its idset: nothing here knows of
 * dictionaries.
 */

import { u16, u32, u64 } from "./bytes.js";
import { DATA, hashWasm, reserve } from "./hash.js";
import { corrupt } from "./errors.js";

const COOKIE_NO_RUNS = 12346;
const COOKIE_RUNS = 12347;
const MAX_CONTAINERS = 1 << 16;
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;
/** With cookie 12347, the offset header is present from this many containers on. */
const NO_OFFSET_THRESHOLD = 4;
/** With no run container, the writer uses cookie 12346 from this many containers on. */
const NO_RUN_COOKIE_FROM = 25;

/** Where the parts of a validated set lie, as set offsets. */
interface Shape {
  count: number;
  size: number;
  /** Position of the run-flag bitset, or -1 for cookie 12346. */
  flagsAt: number;
  keysAt: number;
  /** Position of the offset header, or -1 when there is none (then `p0..p2` hold positions). */
  offsetsAt: number;
  p0: number;
  p1: number;
  p2: number;
  /** A DataView over all of `b` (the set's bytes and what surrounds them), for the IdSet to keep. */
  dv: DataView;
}

function setFault(rule: string, base: number, at: number, what: string, field: string): never {
  corrupt(rule, `${field}: invalid id set at set offset ${at} (archive offset ${base + at}): ${what}`);
}

/**
 * Validates the portable Roaring bytes `b[base, end)` (SPEC.md §7.2, in the order of the
 * rules) and returns their shape. Allocates only the shape, and a DataView over `b` unless
 * given one (`dv`, over all of `b`: a blob's archive walk passes its own, made once per blob).
 * `copyAt`, when not -1, is where a copy of `b[base, end)` already lies in the WebAssembly
 * helper's memory (`Decoder.open` leaves the archive there when it hashes it): the long
 * containers are then checked in that copy rather than copied in again.
 */
export function validateIdSet(
  b: Uint8Array,
  base: number,
  end: number,
  field: string,
  dv = new DataView(b.buffer, b.byteOffset, b.byteLength),
  copyAt = -1,
): Shape {
  const len = end - base;
  const trunc = (at: number, needed: number): never =>
    setFault("R-SET-TRUNC", base, at, `truncated: ${needed} bytes needed, ${Math.max(0, len - at)} present`, field);
  if (len < 4) trunc(0, 4);
  const cookie = u32(b, base);
  let count: number;
  let flagsAt: number;
  let hasOffsets: boolean;
  if (cookie === COOKIE_NO_RUNS) {
    if (len < 8) trunc(4, 4);
    count = u32(b, base + 4);
    if (count > MAX_CONTAINERS) {
      setFault("R-SET-COUNT", base, 4, `a container count of ${count}, above 65,536`, field);
    }
    flagsAt = -1;
    hasOffsets = true;
  } else if ((cookie & 0xffff) === COOKIE_RUNS) {
    count = (cookie >>> 16) + 1;
    flagsAt = 4;
    hasOffsets = count >= NO_OFFSET_THRESHOLD;
  } else {
    return setFault("R-SET-COOKIE", base, 0, `unknown cookie 0x${cookie.toString(16).padStart(8, "0")}`, field);
  }
  let keysAt: number;
  if (flagsAt >= 0) {
    const flagsLen = (count + 7) >>> 3;
    if (flagsAt + flagsLen > len) trunc(flagsAt, flagsLen);
    keysAt = flagsAt + flagsLen;
    const used = count & 7;
    if (used !== 0 && b[base + keysAt - 1]! >>> used !== 0) {
      setFault("R-SET-RUNFLAGS", base, keysAt - 1, "run-flag bits set past the last container", field);
    }
  } else {
    keysAt = 8;
  }
  const tableLen = 4 * count;
  if (keysAt + tableLen > len) trunc(keysAt, tableLen);
  let offsetsAt = -1;
  let at = keysAt + tableLen;
  if (hasOffsets) {
    if (at + tableLen > len) trunc(at, tableLen);
    offsetsAt = at;
    at += tableLen;
  }
  let p0 = 0, p1 = 0, p2 = 0;
  let size = 0;
  let previousKey = -1;
  for (let i = 0; i < count; i++) {
    const entry = base + keysAt + 4 * i;
    const key = u16(b, entry);
    const card = u16(b, entry + 2) + 1;
    if (key <= previousKey) {
      setFault("R-SET-KEYS", base, keysAt + 4 * i, `container key ${key} after ${previousKey}: keys must increase`, field);
    }
    previousKey = key;
    if (offsetsAt >= 0) {
      const declared = u32(b, base + offsetsAt + 4 * i);
      if (declared !== at) {
        setFault(
          "R-SET-OFFSETS",
          base,
          offsetsAt + 4 * i,
          `the offset header puts container ${i} at ${declared}, where it starts at ${at}`,
          field,
        );
      }
    } else if (i === 0) p0 = at;
    else if (i === 1) p1 = at;
    else p2 = at;
    const run = flagsAt >= 0 && ((b[base + flagsAt + (i >>> 3)]! >>> (i & 7)) & 1) === 1;
    const c = base + at;
    if (run) {
      if (at + 2 > len) trunc(at, 2);
      const runs = u16(b, c);
      if (at + 2 + 4 * runs > len) trunc(at + 2, 4 * runs);
      if (runs === 0) setFault("R-SET-RUN-EMPTY", base, at, `run container ${i} has no run`, field);
      let actual = 0;
      let previousEnd = -2;
      for (let r = 0; r < runs; r++) {
        const start = dv.getUint16(c + 2 + 4 * r, true);
        const extra = dv.getUint16(c + 4 + 4 * r, true);
        const last = start + extra;
        if (last > 0xffff) {
          setFault("R-SET-RUN-OVERFLOW", base, at + 2 + 4 * r, `a run from ${start} of ${extra + 1} ids passes 65,535`, field);
        }
        if (start <= previousEnd + 1) {
          setFault(
            "R-SET-RUN-ORDER",
            base,
            at + 2 + 4 * r,
            `a run starting at ${start} right after or before the previous run's end ${previousEnd}`,
            field,
          );
        }
        previousEnd = last;
        actual += extra + 1;
      }
      if (actual !== card) {
        setFault("R-SET-RUN-CARD", base, at, `run container ${i} declares ${card} ids and holds ${actual}`, field);
      }
      at += 2 + 4 * runs;
    } else if (card <= ARRAY_MAX) {
      if (at + 2 * card > len) trunc(at, 2 * card);
      // Long arrays are checked in the WebAssembly helper (a copy and a tight loop), short ones here.
      const bad = card >= WASM_ARRAY_FROM ? wasmAscending(b, c, card, copyAt < 0 ? -1 : copyAt + at) : ascending(dv, c, card);
      if (bad >= 0) {
        const p = c + 2 * bad;
        const value = dv.getUint16(p, true);
        const previous = bad === 0 ? -1 : dv.getUint16(p - 2, true);
        setFault("R-SET-ARRAY", base, p - base, `array container ${i} holds ${value} after ${previous}`, field);
      }
      at += 2 * card;
    } else {
      if (at + BITMAP_BYTES > len) trunc(at, BITMAP_BYTES);
      let p = copyAt + at;
      if (copyAt < 0) {
        reserve(DATA + BITMAP_BYTES).set(b.subarray(c, c + BITMAP_BYTES), DATA);
        p = DATA;
      }
      const bits = hashWasm().popcount(p, BITMAP_BYTES);
      if (bits !== card) {
        setFault("R-SET-BITMAP", base, at, `bitmap container ${i} declares ${card} ids and holds ${bits}`, field);
      }
      at += BITMAP_BYTES;
    }
    size += card;
  }
  if (at !== len) setFault("R-SET-TRAILING", base, at, `${len - at} bytes after the last container`, field);
  return { count, size, flagsAt, keysAt, offsetsAt, p0, p1, p2, dv };
}

/** From this many ids on, an array container's order is checked in the WebAssembly helper. */
const WASM_ARRAY_FROM = 64;

/** The index of the first of the `count` u16s at `at` not above the one before, or -1. */
function ascending(dv: DataView, at: number, count: number): number {
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const value = dv.getUint16(at + 2 * i, true);
    if (value <= previous) return i;
    previous = value;
  }
  return -1;
}

/**
 * {@link ascending} in the WebAssembly helper, over a copy of the values: the one at `copyAt` in
 * its memory, or (-1) one made here.
 */
function wasmAscending(b: Uint8Array, at: number, count: number, copyAt: number): number {
  if (copyAt >= 0) return hashWasm().ascending16(copyAt, count, -1);
  const m = reserve(DATA + 2 * count);
  m.set(b.subarray(at, at + 2 * count), DATA);
  return hashWasm().ascending16(DATA, count, -1);
}


/** What a set knows of the session it is of (a `SessionView`, which this module does not import). */
export interface SessionOfSet {
  readonly tenantId: string;
  readonly b: Uint8Array;
  readonly ix: { readonly tenantId: number; readonly tenantIdEnd: number };
}

/**
 * A validated set of `u32` ids read in place from portable Roaring bytes: every read trusts the
 * validation and allocates nothing (iteration aside). The public class is its subclass `IdSet`
 * (keyed.ts), which adds the checks by key through a dictionary.
 */
export class IdSetView implements Iterable<number> {
  /** @internal */ readonly b: Uint8Array;
  /** @internal */ readonly base: number;
  /** @internal */ readonly end: number;
  /** Little-endian loads: V8 compiles a DataView read to one load (faster than byte loads and shifts). */
  private readonly dv: DataView;
  // The shape, as absolute positions in `b` (read by OidIndex to copy the set into WebAssembly).
  /** @internal */ readonly count: number;
  /** The number of ids. */
  readonly size: number;
  /** @internal */ readonly flagsAt: number;
  /** @internal */ readonly keysAt: number;
  /** @internal */ readonly offsetsAt: number;
  /** @internal */ readonly p0: number;
  /** @internal */ readonly p1: number;
  /** @internal */ readonly p2: number;
  /** Where the set's lineage (a `u64`, 0 for none) lies in `b`, or -1 when the format has none: read on first use. */
  private readonly lineageAt: number;
  /** The lineage once read (`null` before). */
  private lineageRead: bigint | undefined | null = null;
  /** Whether these are facilities (or groups): the dictionary kind a keyed check expects. */
  readonly kind: "facility" | "group";
  /** Whether the set is of a signed session whose MAC was verified. */
  readonly signed: boolean;
  /**
   * @internal The session the set is of (its tenant id, which a keyed check compares: its
   * UTF-8 at `ix.tenantId` to `ix.tenantIdEnd` in `b`), or `undefined`.
   */
  readonly session: SessionOfSet | undefined;

  /** @internal */
  constructor(
    b: Uint8Array,
    base: number,
    end: number,
    shape: Shape,
    kind: "facility" | "group",
    lineageAt: number,
    signed = false,
    session: SessionOfSet | undefined = undefined,
  ) {
    this.b = b;
    this.base = base;
    this.end = end;
    this.dv = shape.dv;
    this.count = shape.count;
    this.size = shape.size;
    this.flagsAt = shape.flagsAt < 0 ? -1 : base + shape.flagsAt;
    this.keysAt = base + shape.keysAt;
    this.offsetsAt = shape.offsetsAt < 0 ? -1 : base + shape.offsetsAt;
    this.p0 = base + shape.p0;
    this.p1 = base + shape.p1;
    this.p2 = base + shape.p2;
    this.kind = kind;
    this.lineageAt = lineageAt;
    this.signed = signed;
    this.session = session;
  }

  /**
   * The lineage of the dictionary the ids belong to (format version 3), or `undefined`. Read
   * from the archive on first use (a `bigint` is an allocation `open` need not make).
   */
  get lineage(): bigint | undefined {
    if (this.lineageRead !== null) return this.lineageRead;
    const v = this.lineageAt < 0 ? 0n : u64(this.b, this.lineageAt);
    return (this.lineageRead = v === 0n ? undefined : v);
  }

  /** The portable Roaring bytes (a view, not a copy). */
  get bytes(): Uint8Array {
    return this.b.subarray(this.base, this.end);
  }

  /** Absolute position of container `i`. */
  private containerAt(i: number): number {
    if (this.offsetsAt >= 0) return this.base + u32(this.b, this.offsetsAt + 4 * i);
    return i === 0 ? this.p0 : i === 1 ? this.p1 : this.p2;
  }

  private isRun(i: number): boolean {
    return this.flagsAt >= 0 && ((this.b[this.flagsAt + (i >>> 3)]! >>> (i & 7)) & 1) === 1;
  }

  /** Whether `id` is in the set (`false` for anything that is not a `u32`). */
  has(id: number): boolean {
    if (id >>> 0 !== id) return false;
    const dv = this.dv;
    const key = id >>> 16;
    const keysAt = this.keysAt;
    let lo = 0;
    let hi = this.count - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = dv.getUint16(keysAt + 4 * mid, true);
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else {
        i = mid;
        break;
      }
    }
    if (i < 0) return false;
    const low = id & 0xffff;
    const at = this.offsetsAt >= 0 ? this.base + dv.getUint32(this.offsetsAt + 4 * i, true) : i === 0 ? this.p0 : i === 1 ? this.p1 : this.p2;
    if (this.flagsAt >= 0 && ((dv.getUint8(this.flagsAt + (i >>> 3)) >>> (i & 7)) & 1) === 1) {
      lo = 0;
      hi = dv.getUint16(at, true) - 1;
      // The last run starting at or before `low`.
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const r = at + 2 + 4 * mid;
        const start = dv.getUint16(r, true);
        if (start > low) hi = mid - 1;
        else if (low - start <= dv.getUint16(r + 2, true)) return true;
        else lo = mid + 1;
      }
      return false;
    }
    const card = dv.getUint16(keysAt + 4 * i + 2, true) + 1;
    if (card > ARRAY_MAX) return ((dv.getUint8(at + (low >>> 3)) >>> (low & 7)) & 1) === 1;
    lo = 0;
    hi = card - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = dv.getUint16(at + 2 * mid, true);
      if (v < low) lo = mid + 1;
      else if (v > low) hi = mid - 1;
      else return true;
    }
    return false;
  }

  /** The smallest id, or `undefined` for the empty set. */
  get min(): number | undefined {
    if (this.count === 0) return undefined;
    const b = this.b;
    const high = u16(b, this.keysAt) * 65536;
    const at = this.containerAt(0);
    if (this.isRun(0)) return high + u16(b, at + 2);
    const card = u16(b, this.keysAt + 2) + 1;
    if (card <= ARRAY_MAX) return high + u16(b, at);
    for (let i = 0; i < BITMAP_BYTES; i++) {
      const byte = b[at + i]!;
      if (byte !== 0) return high + i * 8 + (31 - Math.clz32(byte & -byte));
    }
    return undefined; // never: a bitmap container holds ids
  }

  /** The largest id, or `undefined` for the empty set. */
  get max(): number | undefined {
    if (this.count === 0) return undefined;
    const b = this.b;
    const i = this.count - 1;
    const high = u16(b, this.keysAt + 4 * i) * 65536;
    const at = this.containerAt(i);
    if (this.isRun(i)) {
      const r = at + 2 + 4 * (u16(b, at) - 1);
      return high + u16(b, r) + u16(b, r + 2);
    }
    const card = u16(b, this.keysAt + 4 * i + 2) + 1;
    if (card <= ARRAY_MAX) return high + u16(b, at + 2 * (card - 1));
    for (let j = BITMAP_BYTES - 1; j >= 0; j--) {
      const byte = b[at + j]!;
      if (byte !== 0) return high + j * 8 + (31 - Math.clz32(byte));
    }
    return undefined; // never
  }

  /** Calls `f` with every id, ascending. */
  forEach(f: (id: number) => void): void {
    const b = this.b;
    for (let i = 0; i < this.count; i++) {
      const high = u16(b, this.keysAt + 4 * i) * 65536;
      const at = this.containerAt(i);
      if (this.isRun(i)) {
        const runs = u16(b, at);
        for (let r = 0; r < runs; r++) {
          const start = u16(b, at + 2 + 4 * r);
          const last = start + u16(b, at + 4 + 4 * r);
          for (let v = start; v <= last; v++) f(high + v);
        }
        continue;
      }
      const card = u16(b, this.keysAt + 4 * i + 2) + 1;
      if (card <= ARRAY_MAX) {
        for (let v = 0; v < card; v++) f(high + u16(b, at + 2 * v));
        continue;
      }
      for (let j = 0; j < BITMAP_BYTES; j++) {
        let byte = b[at + j]!;
        while (byte !== 0) {
          const bit = 31 - Math.clz32(byte & -byte);
          f(high + j * 8 + bit);
          byte &= byte - 1;
        }
      }
    }
  }

  /** The ids, ascending (lazily, container by container). */
  *[Symbol.iterator](): Generator<number, void, undefined> {
    const b = this.b;
    for (let i = 0; i < this.count; i++) {
      const high = u16(b, this.keysAt + 4 * i) * 65536;
      const at = this.containerAt(i);
      if (this.isRun(i)) {
        const runs = u16(b, at);
        for (let r = 0; r < runs; r++) {
          const start = u16(b, at + 2 + 4 * r);
          const last = start + u16(b, at + 4 + 4 * r);
          for (let v = start; v <= last; v++) yield high + v;
        }
        continue;
      }
      const card = u16(b, this.keysAt + 4 * i + 2) + 1;
      if (card <= ARRAY_MAX) {
        for (let v = 0; v < card; v++) yield high + u16(b, at + 2 * v);
        continue;
      }
      for (let j = 0; j < BITMAP_BYTES; j++) {
        let byte = b[at + j]!;
        while (byte !== 0) {
          yield high + j * 8 + (31 - Math.clz32(byte & -byte));
          byte &= byte - 1;
        }
      }
    }
  }

  /** The ids, ascending, as an array. */
  toArray(): number[] {
    const out: number[] = [];
    this.forEach((id) => out.push(id));
    return out;
  }

  /** Whether any of `ids` is in the set. */
  hasAny(ids: Iterable<number>): boolean {
    for (const id of ids) if (this.has(id)) return true;
    return false;
  }

  /** Whether every one of `ids` is in the set (true for none). */
  hasAll(ids: Iterable<number>): boolean {
    for (const id of ids) if (!this.has(id)) return false;
    return true;
  }

  /** The `ids` that are in the set, in their order. */
  filter(ids: Iterable<number>): number[] {
    const out: number[] = [];
    for (const id of ids) if (this.has(id)) out.push(id);
    return out;
  }

  /** Whether the two sets share an id. */
  intersects(other: IdSetView): boolean {
    const [small, large] = this.size <= other.size ? [this, other] : [other, this];
    const b = small.b;
    // Walk the smaller set's containers; skip those whose key the other set lacks.
    for (let i = 0; i < small.count; i++) {
      const key = u16(b, small.keysAt + 4 * i);
      if (!large.hasContainer(key)) continue;
      let found = false;
      const high = key * 65536;
      small.forEachIn(i, (v) => {
        if (!found && large.has(high + v)) found = true;
        return found;
      });
      if (found) return true;
    }
    return false;
  }

  private hasContainer(key: number): boolean {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = u16(this.b, this.keysAt + 4 * mid);
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return true;
    }
    return false;
  }

  /** Calls `f` with the low parts of container `i` until it returns true. */
  private forEachIn(i: number, f: (low: number) => boolean): void {
    const b = this.b;
    const at = this.containerAt(i);
    if (this.isRun(i)) {
      const runs = u16(b, at);
      for (let r = 0; r < runs; r++) {
        const start = u16(b, at + 2 + 4 * r);
        const last = start + u16(b, at + 4 + 4 * r);
        for (let v = start; v <= last; v++) if (f(v)) return;
      }
      return;
    }
    const card = u16(b, this.keysAt + 4 * i + 2) + 1;
    if (card <= ARRAY_MAX) {
      for (let v = 0; v < card; v++) if (f(u16(b, at + 2 * v))) return;
      return;
    }
    for (let j = 0; j < BITMAP_BYTES; j++) {
      let byte = b[at + j]!;
      while (byte !== 0) {
        if (f(j * 8 + (31 - Math.clz32(byte & -byte)))) return;
        byte &= byte - 1;
      }
    }
  }
}

/**
 * The canonical portable Roaring bytes (SPEC.md §7.3) of `ids`, which must be strictly
 * increasing `u32`s (the caller checked).
 */
export function encodeIdSet(ids: ArrayLike<number>): Uint8Array {
  const n = ids.length;
  if (n === 0) return Uint8Array.of(0x3a, 0x30, 0, 0, 0, 0, 0, 0);
  // Containers: [key, start index, end index, runs] over `ids`.
  const keys: number[] = [];
  const starts: number[] = [];
  const runCounts: number[] = [];
  let i = 0;
  while (i < n) {
    const key = ids[i]! >>> 16;
    const start = i;
    let runs = 0;
    let previous = -2;
    while (i < n && ids[i]! >>> 16 === key) {
      const low = ids[i]! & 0xffff;
      if (low !== previous + 1) runs++;
      previous = low;
      i++;
    }
    keys.push(key);
    starts.push(start);
    runCounts.push(runs);
  }
  starts.push(n);
  const count = keys.length;
  const kinds: number[] = []; // 0 array, 1 bitmap, 2 run
  const sizes: number[] = [];
  let anyRun = false;
  for (let c = 0; c < count; c++) {
    const card = starts[c + 1]! - starts[c]!;
    const plain = card <= ARRAY_MAX ? 2 * card : BITMAP_BYTES;
    const runBytes = 2 + 4 * runCounts[c]!;
    if (runBytes < plain) {
      kinds.push(2);
      sizes.push(runBytes);
      anyRun = true;
    } else {
      kinds.push(card <= ARRAY_MAX ? 0 : 1);
      sizes.push(plain);
    }
  }
  const noRunCookie = !anyRun && count >= NO_RUN_COOKIE_FROM;
  const hasOffsets = noRunCookie || count >= NO_OFFSET_THRESHOLD;
  const headerLen = (noRunCookie ? 8 : 4 + ((count + 7) >>> 3)) + 4 * count + (hasOffsets ? 4 * count : 0);
  let total = headerLen;
  for (const s of sizes) total += s;
  const out = new Uint8Array(total);
  let at = 0;
  if (noRunCookie) {
    put32(out, 0, COOKIE_NO_RUNS);
    put32(out, 4, count);
    at = 8;
  } else {
    put32(out, 0, (COOKIE_RUNS | ((count - 1) << 16)) >>> 0);
    at = 4;
    for (let c = 0; c < count; c++) if (kinds[c] === 2) out[at + (c >>> 3)]! |= 1 << (c & 7);
    at += (count + 7) >>> 3;
  }
  for (let c = 0; c < count; c++) {
    put16(out, at, keys[c]!);
    put16(out, at + 2, starts[c + 1]! - starts[c]! - 1);
    at += 4;
  }
  if (hasOffsets) {
    let position = headerLen;
    for (let c = 0; c < count; c++) {
      put32(out, at, position);
      at += 4;
      position += sizes[c]!;
    }
  }
  for (let c = 0; c < count; c++) {
    const from = starts[c]!;
    const to = starts[c + 1]!;
    if (kinds[c] === 2) {
      put16(out, at, runCounts[c]!);
      at += 2;
      let j = from;
      while (j < to) {
        const first = ids[j]! & 0xffff;
        let last = first;
        j++;
        while (j < to && (ids[j]! & 0xffff) === last + 1) {
          last++;
          j++;
        }
        put16(out, at, first);
        put16(out, at + 2, last - first);
        at += 4;
      }
    } else if (kinds[c] === 0) {
      for (let j = from; j < to; j++) {
        put16(out, at, ids[j]! & 0xffff);
        at += 2;
      }
    } else {
      for (let j = from; j < to; j++) {
        const low = ids[j]! & 0xffff;
        out[at + (low >>> 3)]! |= 1 << (low & 7);
      }
      at += BITMAP_BYTES;
    }
  }
  return out;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}
