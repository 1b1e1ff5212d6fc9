/** Little-endian reads, UTF-8 checks and conversions, hex: the byte-level helpers. */

/** `u16` at `at` (the caller checked the bounds). */
export function u16(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8)) >>> 0;
}

/** `u32` at `at` (the caller checked the bounds). */
export function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** `i32` at `at` (the caller checked the bounds). */
export function i32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/** `u64` at `at` as a bigint. */
export function u64(b: Uint8Array, at: number): bigint {
  return (BigInt(u32(b, at + 4)) << 32n) | BigInt(u32(b, at));
}

/** `i64` at `at` as a bigint. */
export function i64(b: Uint8Array, at: number): bigint {
  return BigInt.asIntN(64, u64(b, at));
}

export function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** Writes the low 64 bits of `v` (two's complement for negatives). */
export function putU64(b: Uint8Array, at: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  putU32(b, at, Number(u & 0xffffffffn));
  putU32(b, at + 4, Number(u >> 32n));
}

/**
 * Whether `b[start, end)` is UTF-8 as RFC 3629 defines it: no surrogates, no overlong forms,
 * nothing above U+10FFFF, no cut sequence. Allocates nothing.
 */
export function isUtf8(b: Uint8Array, start: number, end: number, dv?: DataView): boolean {
  // The ASCII prefix (most strings are all ASCII) in a loop small enough for V8 to inline into
  // the caller; the rest, from the first byte above 0x7f, in utf8From. A prefix of whole ASCII
  // characters changes nothing about the validity of what follows.
  let i = start;
  if (dv !== undefined) {
    // 16 bytes a step while all of them are ASCII (long strings: a token), then 4.
    while (i + 16 <= end && ((dv.getUint32(i) | dv.getUint32(i + 4) | dv.getUint32(i + 8) | dv.getUint32(i + 12)) & 0x80808080) === 0) i += 16;
    while (i + 4 <= end && (dv.getUint32(i) & 0x80808080) === 0) i += 4;
  }
  while (i < end && b[i]! < 0x80) i++;
  return i === end || utf8From(b, i, end, dv);
}

/** {@link isUtf8} from `b[start]` on. */
function utf8From(b: Uint8Array, start: number, end: number, dv?: DataView): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      // ASCII runs, four bytes at a time.
      if (dv !== undefined) while (i + 4 <= end && (dv.getUint32(i) & 0x80808080) === 0) i += 4;
      continue;
    }
    if (c < 0xc2) return false; // continuation byte or overlong 2-byte lead
    if (c < 0xe0) {
      if (i + 1 >= end || (b[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false; // overlong
      if (c === 0xed && c1 >= 0xa0) return false; // surrogate
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) {
        return false;
      }
      if (c === 0xf0 && c1 < 0x90) return false; // overlong
      if (c === 0xf4 && c1 >= 0x90) return false; // above U+10FFFF
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

// ignoreBOM: a leading U+FEFF is part of the string, not a byte order mark to drop.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const fatalDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
const encoder = new TextEncoder();

/** The string of the (validated) UTF-8 bytes `b[start, end)`. */
export function utf8At(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 32) {
    // Short ASCII strings: cheaper than a TextDecoder call.
    let s = "";
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return decoder.decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(b.subarray(start, end));
}

/** The string of UTF-8 bytes, or `undefined` when they are not UTF-8. */
export function utf8OrUndefined(b: Uint8Array): string | undefined {
  try {
    return fatalDecoder.decode(b);
  } catch {
    return undefined;
  }
}

/** The UTF-8 bytes of a well-formed string (the caller checked `isWellFormed`). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Encodes `s` into `out` from `at`; returns the number of bytes written. */
export function utf8Into(s: string, out: Uint8Array, at: number): number {
  return encoder.encodeInto(s, out.subarray(at)).written;
}

/** The byte length of the UTF-8 of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// A lone surrogate: a high one not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` has no lone surrogate, so that it has a UTF-8 form. */
export const isWellFormed: (s: string) => boolean =
  typeof String.prototype.isWellFormed === "function" ? (s) => s.isWellFormed() : (s) => !LONE_SURROGATE.test(s);

/** Byte-wise comparison of `a[as, ae)` with `b[bs, be)`: negative, 0 or positive. */
export function compareBytes(
  a: Uint8Array,
  as: number,
  ae: number,
  b: Uint8Array,
  bs: number,
  be: number,
): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i]! - b[bs + i]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/** Byte-wise comparison of the UTF-8 forms of two well-formed strings. */
export function compareUtf8(a: string, b: string): number {
  // UTF-16 order equals UTF-8 byte order except between surrogates (U+10000 and above) and
  // U+E000..U+FFFF: compare code points.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x <= 0xdfff && y >= 0xd800 && y <= 0xdfff) return x - y;
    if (x >= 0xd800 && x <= 0xdfff) return y >= 0xe000 ? 1 : x - y;
    if (y >= 0xd800 && y <= 0xdfff) return x >= 0xe000 ? -1 : x - y;
    return x - y;
  }
  return a.length - b.length;
}

const HEX = "0123456789abcdef";

/** Lowercase hex of `b[start, end)`. */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    s += HEX[c >>> 4]! + HEX[c & 15]!;
  }
  return s;
}

/** The 16 lowercase hex digits of a u64. */
export function u64Hex(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Reads exactly `out.length * 2` hex digits (either case) of `text[from, to)` into `out`. */
export function hexInto(text: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  if ((to - from) % 2 !== 0) return false;
  for (let i = from, j = at; i < to; i += 2, j++) {
    const hi = nibble(text.charCodeAt(i));
    const lo = nibble(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return false;
    out[j] = (hi << 4) | lo;
  }
  return true;
}

/** Bytes from an even-length hex string, or `undefined`. */
export function fromHex(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length >>> 1);
  return text.length % 2 === 0 && hexInto(text, 0, text.length, out, 0) ? out : undefined;
}

/** Whether two byte ranges are equal. */
export function equalBytes(a: Uint8Array, as: number, b: Uint8Array, bs: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}
