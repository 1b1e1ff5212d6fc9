/**
 * Keys as users hold them (SPEC.md §16.1): the one place that turns what a caller passes as a
 * dictionary key — its text, its stored bytes, or a bson/mongodb `ObjectId` or `UUID` — into
 * the bytes a dictionary stores. Every function of the package that takes a key reads it here,
 * so every one of them accepts the same forms and refuses the same non-keys.
 *
 * | key type | accepted |
 * | --- | --- |
 * | `objectid` | a bson `ObjectId` (bson 4 to 7, the `mongodb` driver's `_id`), 24 hex digits (either case), 12 bytes |
 * | `uuid` | 8-4-4-4-12 hex digits (either case), 16 bytes, a bson `UUID` or `Binary` of subtype 4 |
 * | `string` | a string of at most 64 UTF-8 bytes without lone surrogates, or its UTF-8 bytes |
 *
 * Anything else is no key of that type: `invalid_input`, naming what was expected and what was
 * given — never a silent "not a member". Reading a key allocates nothing of its own: hex text
 * is parsed into a reused scratch buffer, bytes (a `Uint8Array`, the `id` of a bson 4 to
 * 7.3.0 `ObjectId`, a `Binary`'s `buffer`) are read in place, and a later bson 7 `ObjectId`
 * (whose `id` getter builds a fresh 12-byte buffer at every read) is read from the four
 * numbers it keeps its bytes in (see {@link bsonWordsOf}).
 */

import { hexInto, isUtf8, isWellFormed, toHex, utf8At } from "./bytes.js";
import { invalidInput } from "./errors.js";

/** The type of every key of a dictionary. */
export type KeyType = "objectid" | "uuid" | "string";

/**
 * A bson / `mongodb` `ObjectId` (bson 4 to 7, and anything else of that shape): an object whose
 * `_bsontype` is `"ObjectId"` (`"ObjectID"` in bson 4) and whose 12 bytes are its `id` (a
 * `Uint8Array`) or, failing that, its `toHexString()` (24 hex digits). The package never
 * imports bson.
 */
export interface ObjectIdLike {
  readonly _bsontype: "ObjectId" | "ObjectID";
  toHexString(): string;
}

/**
 * A bson `UUID` or a `Binary` of subtype 4 (what the `mongodb` driver returns for a UUID): an
 * object whose `_bsontype` is `"Binary"`, `sub_type` is 4, and whose 16 bytes are
 * `buffer[0, position)`. Subtype 3 (legacy UUIDs, in a byte order that depends on the driver
 * that wrote them) is refused.
 */
export interface UuidLike {
  readonly _bsontype: "Binary";
  readonly sub_type: number;
  readonly buffer: Uint8Array;
  readonly position: number;
}

/**
 * A key as a caller holds it: text of the dictionary's key type, the key's stored bytes
 * (12 for an ObjectId, 16 for a UUID, the UTF-8 of a string), or a bson `ObjectId` / `UUID`.
 */
export type KeyLike = string | Uint8Array | ObjectIdLike | UuidLike;

/** The longest string key, in bytes. */
export const MAX_STRING_KEY = 64;

/** The byte length of every key of type `t`, or 0 for strings. */
export function keyWidth(t: KeyType): number {
  return t === "objectid" ? 12 : t === "uuid" ? 16 : 0;
}

const EMPTY = new Uint8Array(0);

/**
 * Where {@link readKey} put the key's bytes: `bytes[0, len)` — the caller's own array (read in
 * place) or the scratch buffer it was given. Valid until the next `readKey`.
 */
export const KEY: { bytes: Uint8Array; len: number } = { bytes: EMPTY, len: 0 };

/** A scratch buffer for keys: large enough for any string key of 64 UTF-16 units. */
export function keyScratch(): Uint8Array {
  return new Uint8Array(MAX_STRING_KEY * 3 + 4);
}

const encoder = new TextEncoder();

/**
 * Reads `key` as a key of a dictionary of `keyType` into {@link KEY} (parsing text into
 * `scratch` when needed); throws `invalid_input`, in the words of `where` (the function the
 * caller called), for anything that is not such a key.
 */
export function readKey(keyType: KeyType, key: unknown, scratch: Uint8Array, where: string): void {
  if (typeof key === "string") {
    if (keyType === "objectid") {
      if (key.length === 24 && hexInto(key, 0, 24, scratch, 0)) return found(scratch, 12);
    } else if (keyType === "uuid") {
      if (uuidInto(key, scratch)) return found(scratch, 16);
    } else if (key.length <= MAX_STRING_KEY && isWellFormed(key)) {
      // At most 64 UTF-16 units: at most 192 bytes, which the scratch holds.
      const n = encoder.encodeInto(key, scratch).written;
      if (n <= MAX_STRING_KEY) return found(scratch, n);
    }
    return notAKey(keyType, key, where);
  }
  if (key instanceof Uint8Array) {
    const w = keyWidth(keyType);
    if (w > 0 ? key.length === w : key.length <= MAX_STRING_KEY && isUtf8(key, 0, key.length)) return found(key, key.length);
    return notAKey(keyType, key, where);
  }
  if (typeof key === "object" && key !== null) {
    const t = (key as { _bsontype?: unknown })._bsontype;
    if (keyType === "objectid" && (t === "ObjectId" || t === "ObjectID")) {
      // bson 7.3.4 keeps the bytes as four numbers (its `id` getter would build a buffer);
      // bson 4 to 7.3.0 hand out the stored bytes.
      if (bsonWordsOf(key)) return found(bytesOfWords(scratch), 12);
      const id = (key as { id?: unknown }).id;
      if (id instanceof Uint8Array && id.length === 12) return found(id, 12);
      const toHexString = (key as { toHexString?: unknown }).toHexString;
      if (typeof toHexString === "function") {
        const text: unknown = toHexString.call(key);
        if (typeof text === "string" && text.length === 24 && hexInto(text, 0, 24, scratch, 0)) return found(scratch, 12);
      }
    } else if (keyType === "uuid" && t === "Binary") {
      const b = key as { sub_type?: unknown; buffer?: unknown; position?: unknown };
      if (b.sub_type === 4 && b.position === 16 && b.buffer instanceof Uint8Array && b.buffer.length >= 16) return found(b.buffer, 16);
    }
  }
  return notAKey(keyType, key, where);
}

function found(bytes: Uint8Array, len: number): void {
  KEY.bytes = bytes;
  KEY.len = len;
}

/**
 * Where {@link readObjectIdWords} put an ObjectId key: its 12 bytes as three little-endian
 * 32-bit words (bytes 0–3, 4–7, 8–11) in `OID[0]`, `OID[1]`, `OID[2]`, as the `i32`s WebAssembly
 * takes. A typed array, not an object: its elements are stored and read as raw 32-bit integers
 * (an object's field holding a word outside V8's 31-bit small integers is a boxed number).
 * Valid until the next call.
 */
export const OID = new Int32Array(3);

/** Hex digit → its value, for codes below 128; 0xff for every other character. */
const HEX = new Uint8Array(128).fill(0xff);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/**
 * Two characters (codes below 128, the first shifted left by 7) → the byte their two hex digits
 * spell, or 0x100 when either is not a hex digit: one look-up per byte instead of one per digit
 * (about 15 ns less per ObjectId on the bench machine). 32 KiB, built on the first use.
 */
let PAIRS: Uint16Array | undefined;

function pairTable(): Uint16Array {
  const t = new Uint16Array(1 << 14).fill(0x100);
  for (let x = 0; x < 128; x++) {
    for (let y = 0; y < 128; y++) if (HEX[x]! < 16 && HEX[y]! < 16) t[(x << 7) | y] = (HEX[x]! << 4) | HEX[y]!;
  }
  return (PAIRS = t);
}

/**
 * Reads the hex digits `text[at, at + 8)` (either case) into `OID[slot]`, as the little-endian
 * word of the four bytes they spell; false (leaving `OID` as it was) when any of them is not a
 * hex digit. Writes the word itself rather than returning it: a returned word above 2^30 would be
 * a boxed number, an allocation per call.
 */
function hexWord(text: string, at: number, slot: number, pairs: Uint16Array): boolean {
  const c0 = text.charCodeAt(at), c1 = text.charCodeAt(at + 1), c2 = text.charCodeAt(at + 2), c3 = text.charCodeAt(at + 3);
  const c4 = text.charCodeAt(at + 4), c5 = text.charCodeAt(at + 5), c6 = text.charCodeAt(at + 6), c7 = text.charCodeAt(at + 7);
  const b0 = pairs[((c0 << 7) | c1) & 0x3fff]!, b1 = pairs[((c2 << 7) | c3) & 0x3fff]!;
  const b2 = pairs[((c4 << 7) | c5) & 0x3fff]!, b3 = pairs[((c6 << 7) | c7) & 0x3fff]!;
  // A pair that is not two digits is 0x100 in the table; a code of 128 or more has bits above the low 7.
  if (((b0 | b1 | b2 | b3) & 0x100) !== 0 || (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) >>> 7 !== 0) return false;
  OID[slot] = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
  return true;
}

/** Sets {@link OID} from `b[0, 12)`. */
function wordsOf(b: Uint8Array): true {
  OID[0] = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
  OID[1] = b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24);
  OID[2] = b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24);
  return true;
}

/** Writes the 12 bytes of {@link OID} into `out[0, 12)` and returns `out`. */
function bytesOfWords(out: Uint8Array): Uint8Array {
  const a = OID[0]!, b = OID[1]!, c = OID[2]!;
  out[0] = a; out[1] = a >>> 8; out[2] = a >>> 16; out[3] = a >>> 24;
  out[4] = b; out[5] = b >>> 8; out[6] = b >>> 16; out[7] = b >>> 24;
  out[8] = c; out[9] = c >>> 8; out[10] = c >>> 16; out[11] = c >>> 24;
  return out;
}

/** The fields in which bson 7.3.4 keeps an `ObjectId`'s 12 bytes (not in its public types). */
interface BsonWords {
  readonly i0?: unknown;
  readonly i1?: unknown;
  readonly i2?: unknown;
  readonly i3?: unknown;
  readonly id?: unknown;
}

/**
 * The prototypes (one per copy of bson loaded) whose `i0`–`i3` are known to hold the 12 bytes:
 * checked against the public `id` of the first `ObjectId` seen with that prototype. `true` for
 * a prototype that passed, `false` for one that did not (its objects are read by `id`).
 */
const bsonLayouts = new WeakMap<object, boolean>();
/** The prototype that passed last: the one a service's call site sees every time. */
let bsonProto: object | null = null;
/**
 * The class whose `prototype` is {@link bsonProto}, when it has one: `instanceof` it, with it as
 * `constructor`, is how the fast path knows a key (about 4 ns; `Object.getPrototypeOf` is a call
 * V8 does not inline, about 11 ns on the bench machine).
 */
let bsonClass: (abstract new (...args: never[]) => unknown) | null = null;

/** Whether `v` is a whole number in `[0, 2^24)`: one of the four thirds bson 7.3.4 keeps. */
function isThird(v: unknown): v is number {
  return typeof v === "number" && (v & 0xffffff) === v;
}

/**
 * Sets {@link OID} from a bson `ObjectId` that keeps its 12 bytes as four numbers `i0`–`i3`
 * (each three bytes, big-endian), as bson 7.3.4 does, and returns true; false for any other
 * object (bson 4 to 7.3.0 keep a buffer, read by its `id`). The four fields are not in bson's
 * public types, so they are trusted only for a prototype whose layout was checked: the first
 * `ObjectId` seen of each prototype is compared, once, with its public `id` (the 12 bytes bson
 * documents); a prototype whose fields disagree is never read this way. Allocates nothing
 * after that first comparison.
 */
function bsonWordsOf(key: object): boolean {
  const proto: unknown = Object.getPrototypeOf(key);
  return (proto === bsonProto || bsonLayoutChecked(key, proto)) && thirdsInto(key);
}

/** Sets {@link OID} from `o`'s four thirds `i0`–`i3` (big-endian, three bytes each); false, leaving it, unless all four are thirds. */
function thirdsInto(o: BsonWords): boolean {
  const i0 = o.i0, i1 = o.i1, i2 = o.i2, i3 = o.i3;
  if (!isThird(i0) || !isThird(i1) || !isThird(i2) || !isThird(i3)) return false;
  OID[0] = (i0 >>> 16) | (i0 & 0xff00) | ((i0 & 0xff) << 16) | ((i1 >>> 16) << 24);
  OID[1] = ((i1 >>> 8) & 0xff) | ((i1 & 0xff) << 8) | (i2 & 0xff0000) | ((i2 & 0xff00) << 16);
  OID[2] = (i2 & 0xff) | ((i3 >>> 8) & 0xff00) | ((i3 & 0xff00) << 8) | ((i3 & 0xff) << 24);
  return true;
}

/**
 * Whether the `ObjectId`s of prototype `proto` keep their bytes in `i0`–`i3`: known, or decided
 * now by comparing `o`'s fields with its public `id` (12 bytes). Remembers the answer.
 */
function bsonLayoutChecked(o: BsonWords, proto: unknown): boolean {
  if (typeof proto !== "object" || proto === null) return false;
  let ok = bsonLayouts.get(proto);
  if (ok === undefined) {
    const id = o.id;
    ok = false;
    if (id instanceof Uint8Array && id.length === 12) {
      const t = [o.i0, o.i1, o.i2, o.i3];
      ok = t.every((v, k) => isThird(v) && v === ((id[3 * k]! << 16) | (id[3 * k + 1]! << 8) | id[3 * k + 2]!));
    }
    bsonLayouts.set(proto, ok);
  }
  if (ok) {
    bsonProto = proto;
    const ctor = (proto as { constructor?: unknown }).constructor;
    bsonClass = typeof ctor === "function" && (ctor as { prototype?: unknown }).prototype === proto ? (ctor as typeof bsonClass) : null;
  }
  return ok;
}

/** Sets {@link OID} from 24 hex digits; false when `text` is not that. */
function hexWords(text: string): boolean {
  if (text.length !== 24) return false;
  const pairs = PAIRS ?? pairTable();
  return hexWord(text, 0, 0, pairs) && hexWord(text, 8, 1, pairs) && hexWord(text, 16, 2, pairs);
}

/**
 * The ObjectId fast path of {@link readKey}: reads `key` (24 hex digits in either case, 12
 * bytes, or a bson `ObjectId`) into {@link OID} without allocating anything of its own, and
 * returns true; returns false for anything else, which the caller then hands to `readKey`
 * (which accepts exactly the same keys, and throws the refusal for the rest). A bson `ObjectId`
 * is read as `readKey` reads it: its four numbers (bson 7.3.4, {@link bsonWordsOf}), else its
 * `id` when that is 12 bytes, else its `toHexString()`.
 */
export function readObjectIdWords(key: unknown): boolean {
  if (typeof key === "string") return hexWords(key);
  // A bson 7.3.4 `ObjectId` of the prototype checked last: its four numbers, nothing else asked.
  // (`instanceof` and the constructor together: a subclass's objects, whose prototype is another
  // one, go the long way and get their own layout check.)
  if (bsonClass !== null && key instanceof bsonClass && (key as { constructor?: unknown }).constructor === bsonClass && thirdsInto(key as BsonWords)) return true;
  if (key instanceof Uint8Array) return key.length === 12 && wordsOf(key);
  if (typeof key === "object" && key !== null) {
    const t = (key as { _bsontype?: unknown })._bsontype;
    if (t !== "ObjectId" && t !== "ObjectID") return false;
    if (bsonWordsOf(key)) return true;
    const id = (key as { id?: unknown }).id;
    if (id instanceof Uint8Array && id.length === 12) return wordsOf(id);
    const toHexString = (key as { toHexString?: unknown }).toHexString;
    if (typeof toHexString === "function") {
      const text: unknown = toHexString.call(key);
      return typeof text === "string" && hexWords(text);
    }
  }
  return false;
}

/** Parses a UUID's 8-4-4-4-12 hex digits (either case) into `out[0, 16)`. */
function uuidInto(text: string, out: Uint8Array): boolean {
  return (
    text.length === 36 &&
    text.charCodeAt(8) === 0x2d &&
    text.charCodeAt(13) === 0x2d &&
    text.charCodeAt(18) === 0x2d &&
    text.charCodeAt(23) === 0x2d &&
    hexInto(text, 0, 8, out, 0) &&
    hexInto(text, 9, 13, out, 4) &&
    hexInto(text, 14, 18, out, 6) &&
    hexInto(text, 19, 23, out, 8) &&
    hexInto(text, 24, 36, out, 10)
  );
}

/** The text form of a key's bytes `b[start, end)`: lowercase hex for ObjectIds and UUIDs, the string itself. */
export function keyText(keyType: KeyType, b: Uint8Array, start: number, end: number): string {
  if (keyType === "objectid") return toHex(b, start, end);
  if (keyType === "uuid") {
    const h = toHex(b, start, end);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return utf8At(b, start, end);
}

/** What a dictionary of `keyType` takes, for messages. */
export function expectedKey(keyType: KeyType): string {
  switch (keyType) {
    case "objectid":
      return "an ObjectId key: a bson/mongodb ObjectId, 24 hexadecimal digits (either case), or its 12 bytes (a Uint8Array or Buffer)";
    case "uuid":
      return "a UUID key: 8-4-4-4-12 hexadecimal digits (either case), its 16 bytes (a Uint8Array or Buffer), or a bson UUID (Binary of subtype 4)";
    default:
      return "a string key: a string of at most 64 UTF-8 bytes without lone surrogates, or its UTF-8 bytes (a Uint8Array or Buffer)";
  }
}

function notAKey(keyType: KeyType, key: unknown, where: string): never {
  invalidInput(`${where}: ${describeKey(keyType, key)} is not a key of this ${keyType} dictionary; expected ${expectedKey(keyType)}`);
}

/** What was given instead of a key, and what is wrong with it, in a few words. */
export function describeKey(keyType: KeyType, key: unknown): string {
  if (key === null) return "null";
  switch (typeof key) {
    case "undefined":
      return "undefined";
    case "number":
      return `the number ${key}`;
    case "bigint":
      return `the bigint ${key}n`;
    case "boolean":
      return `the boolean ${key}`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "string": {
      const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
      if (keyType === "objectid") {
        return key.length === 24
          ? `the text ${shown} (24 characters, not all hexadecimal digits)`
          : `the text ${shown} (${key.length} characters, not 24 hexadecimal digits)`;
      }
      if (keyType === "uuid") return `the text ${shown} (${key.length} characters, not 8-4-4-4-12 hexadecimal digits)`;
      return isWellFormed(key) ? `the text ${shown} (above 64 UTF-8 bytes)` : `the text ${shown} (with a lone surrogate: no UTF-8 form)`;
    }
    default:
      break;
  }
  if (key instanceof Uint8Array) {
    const w = keyWidth(keyType);
    if (w > 0) return `${key.length} bytes (not ${w})`;
    return key.length > MAX_STRING_KEY ? `${key.length} bytes (above 64)` : `${key.length} bytes that are not UTF-8`;
  }
  const o = key as { _bsontype?: unknown; sub_type?: unknown; constructor?: { name?: unknown } };
  const t = o._bsontype;
  if (typeof t === "string") {
    if (t === "Binary") {
      const sub = o.sub_type;
      if (sub === 3) return "a bson Binary of subtype 3 (a legacy UUID, whose byte order depends on the driver that wrote it: convert it to subtype 4)";
      if (keyType === "uuid" && sub === 4) return "a bson Binary of subtype 4 whose content is not 16 bytes";
      return `a bson Binary of subtype ${String(sub)}`;
    }
    if (keyType === "objectid" && (t === "ObjectId" || t === "ObjectID")) return "a bson ObjectId whose 12 bytes could not be read (neither `id` nor `toHexString()`)";
    return `a bson ${t}`;
  }
  if (Array.isArray(key)) return `an array of ${key.length}`;
  if (ArrayBuffer.isView(key)) return `a ${key.constructor.name} (not a Uint8Array)`;
  const name = o.constructor?.name;
  return typeof name === "string" && name !== "Object" ? `an object (${name})` : "an object";
}
