/**
 * Id dictionaries (SPEC.md §16): the external keys (ObjectIds, UUIDs, strings) of one kind of one
 * tenant mapped to dense ids `0, 1, 2, …` in first-seen order. {@link DictionaryDecoder} checks a
 * dictionary once and hands out an {@link IdDictionaryView} that looks keys up in place;
 * {@link IdDictionary} is the owned, append-only dictionary a writer keeps.
 */

import { randomFillSync } from "node:crypto";
import { equalBytes, isUtf8, isWellFormed, putU32, putU64, toHex, u32, utf8, utf8At } from "./bytes.js";
import { bytesExpected, corrupt, fail, invalidInput } from "./errors.js";
import { DICT_HEADER_LEN, dictFields } from "./dict-header.js";
import { DICT_MAGIC, notABlob, startsWithMagic } from "./header.js";
import { DATA, digestInto, hashWasm, memory32, reserve } from "./hash.js";
import { KEY, MAX_STRING_KEY, OID, keyScratch, keyText, keyWidth as width, readKey, readObjectIdWords, type KeyLike, type KeyType } from "./key.js";
import { KeyRing, prepareKey, sign, type MacKey } from "./mac.js";
import { OidIndex } from "./oid-index.js";
import { XXH, xxh64Into } from "./xxh64.js";

export type { KeyType } from "./key.js";
/** Which ids a dictionary gives: facilities or groups. */
export type DictKind = "facility" | "group";

const HEADER_LEN = DICT_HEADER_LEN;
const MAC_LEN = 32;
const FLAG_SIGNED = 1;
const DIGEST_FROM = 24;
const MAX_TENANT = 64;
const EMPTY = 0xffffffff;
/** The default limit on a dictionary's keys. */
export const DEFAULT_MAX_KEYS = 1_000_000;

const KEY_TYPES: readonly KeyType[] = ["objectid", "uuid", "string"];
const KINDS: readonly DictKind[] = ["facility", "group"];

function slotsFor(count: number): number {
  return Math.ceil((5 * count) / 4);
}

function maskFor(count: number): number {
  const bits = 32 - Math.clz32(count);
  return bits === 32 ? 0xffffffff : (2 ** bits - 1) >>> 0;
}

/** `(h × slots) >> 64` for the hash `hi:lo` left in XXH. */
function homeOf(hi: number, lo: number, slots: number): number {
  if (slots < 1 << 21) {
    // hi × slots and lo × slots are below 2^53: exact.
    const a = hi * slots;
    const b = lo * slots;
    const ah = Math.floor(a / 4294967296);
    const al = a - ah * 4294967296;
    return ah + (al + Math.floor(b / 4294967296) >= 4294967296 ? 1 : 0);
  }
  const h = (BigInt(hi) << 32n) | BigInt(lo);
  return Number((h * BigInt(slots)) >> 64n);
}

/** Where everything is in a dictionary whose header was read (absolute offsets). */
interface Layout {
  keyType: KeyType;
  kind: DictKind;
  count: number;
  lineage: bigint;
  digestLo: number;
  digestHi: number;
  keyId: number;
  tenantLen: number;
  keys: number;
  strings: number;
  index: number;
  slots: number;
  mask: number;
  end: number;
}

/** The header rules of SPEC.md §16.3 (steps 1 to 12), in order: nothing past the header is read. */
function readLayout(b: Uint8Array, maxKeys: number): Layout {
  if (!startsWithMagic(b, DICT_MAGIC)) notABlob(b, "R-DICT-MAGIC", "id dictionary");
  if (b.length < HEADER_LEN) corrupt("R-DICT-HDR-LEN", `truncated dictionary header: ${b.length} of its 40 bytes`);
  const h = dictFields(b);
  const version = h.version;
  if (version !== 1) {
    fail("unsupported", "R-DICT-VERSION", `dictionary format version ${version} is not one this reader implements (1): upgrade the sessionpack package (R-DICT-VERSION)`);
  }
  const flags = h.flags;
  if ((flags & ~FLAG_SIGNED) !== 0) {
    fail("unsupported", "R-DICT-FLAGS", `unknown dictionary flag bits 0x${(flags & ~FLAG_SIGNED).toString(16)}: upgrade this reader (R-DICT-FLAGS)`);
  }
  for (const at of [6, 7, 27]) if (b[at] !== 0) corrupt("R-DICT-RESERVED", `reserved dictionary header byte ${at} is not zero`);
  const signed = (flags & FLAG_SIGNED) !== 0;
  const keyId = h.keyId;
  if (signed !== (keyId !== 0)) {
    corrupt("R-DICT-KEYID", signed ? "the dictionary's MAC flag is set but its key id is 0" : `key id ${keyId} on an unsigned dictionary`);
  }
  const keyType = KEY_TYPES[h.keyTypeCode - 1];
  if (keyType === undefined) fail("unsupported", "R-DICT-KEYTYPE", `unknown dictionary key type ${h.keyTypeCode} (R-DICT-KEYTYPE)`);
  const kind = KINDS[h.kindCode - 1];
  if (kind === undefined) fail("unsupported", "R-DICT-KIND", `unknown dictionary kind ${h.kindCode} (R-DICT-KIND)`);
  const tenantLen = h.tenantLen;
  if (tenantLen > MAX_TENANT) corrupt("R-DICT-TENANT-LEN", `a tenant of ${tenantLen} bytes, above 64`);
  const lineage = h.lineage;
  if (lineage === 0n) corrupt("R-DICT-LINEAGE", "lineage 0");
  const count = h.count;
  if (count > maxKeys) {
    fail("limit", "R-DICT-LIMIT-KEYS", `the dictionary declares ${count} keys, above the limit of ${maxKeys} (R-DICT-LIMIT-KEYS)`);
  }
  const slots = slotsFor(count);
  const w = width(keyType);
  const fixed = tenantLen + 4 * slots;
  const min = w > 0 ? fixed + w * count : fixed + 4 * count;
  const max = w > 0 ? min : min + MAX_STRING_KEY * count;
  const bodyLen = h.bodyLen;
  if (bodyLen < min || bodyLen > max) {
    corrupt("R-DICT-BODY-LEN", `body_len ${bodyLen} is not what ${count} keys make (${min === max ? min : `${min} to ${max}`})`);
  }
  const end = HEADER_LEN + bodyLen;
  if (end > b.length) corrupt("R-DICT-LEN", `truncated dictionary: ${b.length} bytes, its body ends at ${end}`);
  const expected = end + (signed ? MAC_LEN : 0);
  if (b.length > expected) corrupt("R-DICT-LEN", `${b.length - expected} trailing bytes after the dictionary`);
  if (b.length < expected) corrupt("R-DICT-LEN", "the dictionary's MAC trailer is truncated");
  const keys = HEADER_LEN + tenantLen;
  const index = end - 4 * slots;
  return {
    keyType,
    kind,
    count,
    lineage,
    digestLo: h.digestLo,
    digestHi: h.digestHi,
    keyId,
    tenantLen,
    keys,
    strings: w > 0 ? index : keys + 4 * count,
    index,
    slots,
    mask: maskFor(count),
    end,
  };
}

/** The bytes `[start, end)` of key `id` (absolute; `id < count`). */
function keySpan(b: Uint8Array, l: Layout, id: number): [number, number] {
  const w = width(l.keyType);
  if (w > 0) {
    const start = l.keys + w * id;
    return [start, start + w];
  }
  const end = u32(b, l.keys + 4 * id);
  const start = id === 0 ? 0 : u32(b, l.keys + 4 * (id - 1));
  return [l.strings + start, l.strings + end];
}

function sameKey(b: Uint8Array, l: Layout, x: number, y: number): boolean {
  const [xs, xe] = keySpan(b, l, x);
  const [ys, ye] = keySpan(b, l, y);
  return xe - xs === ye - ys && equalBytes(b, xs, b, ys, xe - xs);
}

/**
 * The content rules of SPEC.md §16.3 (steps 14 to 18), after the MAC. The digested bytes are
 * copied once into the WebAssembly helper's memory, which computes the digest and then the
 * home slot and the hash's low half of every key (the keys are inside the digested bytes);
 * the index rules are then checked here, in order, from that table.
 */
function validateContent(b: Uint8Array, l: Layout): void {
  const len = l.end - DIGEST_FROM;
  // The table of homes: 8 bytes per key, after the copy, 8-aligned.
  const table = (DATA + len + 7) & ~7;
  const wasm = hashWasm();
  const m = reserve(table + 8 * l.count);
  m.set(b.subarray(DIGEST_FROM, l.end), DATA);
  wasm.digest(DATA, len, 0);
  const out = memory32();
  if (out[0] !== l.digestLo || out[1] !== l.digestHi) corrupt("R-DICT-DIGEST", "the dictionary's digest differs from its content's");
  if (!isUtf8(b, HEADER_LEN, HEADER_LEN + l.tenantLen)) corrupt("R-DICT-TENANT-UTF8", "the tenant is not UTF-8");
  // Where byte `at` of the dictionary is in the module's memory.
  const copied = DATA - DIGEST_FROM;
  if (l.keyType === "string") {
    const total = l.index - l.strings;
    let start = 0;
    for (let id = 0; id < l.count; id++) {
      const end = u32(b, l.keys + 4 * id);
      const last = id + 1 === l.count;
      if (end < start || end > total || end - start > MAX_STRING_KEY || (last && end !== total)) {
        corrupt("R-DICT-STR-BOUNDS", `string key ${id}: its end ${end} is out of bounds`);
      }
      if (!isUtf8(b, l.strings + start, l.strings + end)) corrupt("R-DICT-STR-UTF8", `string key ${id} is not UTF-8`);
      start = end;
    }
    // Every key lies within the strings, checked above.
    wasm.homesVar(copied + l.keys, copied + l.strings, l.count, l.slots, table);
  } else {
    wasm.homes(copied + l.keys, width(l.keyType), l.count, l.slots, table);
  }
  // R-DICT-INDEX and R-DICT-UNIQUE: for every id x in increasing order, every slot from its
  // key's home to the one holding x holds an id below x (what inserting in order with linear
  // probing makes), none of them with x's key; then no other slot is occupied.
  const { mask, slots, index } = l;
  const notMask = ~mask >>> 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const homes = memory32();
  for (let x = 0, t = table >>> 2; x < l.count; x++, t += 2) {
    let p = homes[t]!;
    const want = ((homes[t + 1]! & notMask) | x) >>> 0;
    let steps = 0;
    let v = dv.getUint32(index + 4 * p, true);
    while (v !== want) {
      const y = (v & mask) >>> 0;
      if (v === EMPTY || y >= x || steps >= slots) corrupt("R-DICT-INDEX", `id ${x} is not where the canonical index puts it (slot ${p})`);
      if (((v & notMask) >>> 0) === ((want & notMask) >>> 0) && sameKey(b, l, x, y)) {
        corrupt("R-DICT-UNIQUE", `ids ${y} and ${x} have the same key`);
      }
      steps++;
      p = p + 1 === slots ? 0 : p + 1;
      v = dv.getUint32(index + 4 * p, true);
    }
  }
  let occupied = 0;
  for (let p = 0, at = index; p < slots; p++, at += 4) if (dv.getUint32(at, true) !== EMPTY) occupied++;
  if (occupied !== l.count) corrupt("R-DICT-INDEX", `${occupied} index slots are occupied for ${l.count} keys`);
}

/** Options of a {@link DictionaryDecoder}. */
export interface DictionaryDecoderOptions {
  /** MAC keys to accept; **keys imply a MAC** (unsigned dictionaries are refused) unless `allowUnsigned`. */
  keys?: Iterable<MacKey>;
  /** Open unsigned dictionaries even though keys are held: a documented weakening, for migrations. */
  allowUnsigned?: boolean;
  /** The most keys a dictionary may have (default 1,000,000), checked from the header. */
  maxKeys?: number;
}

const DICT_MAC_RULES = ["R-DICT-MAC-KEY", "R-DICT-MAC-TAG"] as const;

/**
 * Opens id dictionaries: checks the header, the key limit, the MAC, the digest and the whole
 * index once (SPEC.md §16.3, in order), and hands out an {@link IdDictionaryView}.
 * Like the session `Decoder`, **keys imply a MAC**. **On any error, deny access.**
 */
export class DictionaryDecoder {
  readonly keys: KeyRing;
  readonly allowUnsigned: boolean;
  readonly maxKeys: number;

  constructor(options: DictionaryDecoderOptions = {}) {
    this.keys = new KeyRing(options.keys ?? []);
    this.allowUnsigned = options.allowUnsigned === true;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (this.maxKeys >>> 0 !== this.maxKeys) throw new RangeError("maxKeys must be an integer in 0..=4294967295");
  }

  get requiresMac(): boolean {
    return this.keys.size > 0 && !this.allowUnsigned;
  }

  /** Checks `bytes` and returns a view over them (do not change them while it is used). */
  open(bytes: Uint8Array): IdDictionaryView {
    if (typeof bytes === "string") throw bytesExpected(bytes, "the value given to DictionaryDecoder.open");
    const l = readLayout(bytes, this.maxKeys);
    if (l.keyId === 0) {
      if (this.requiresMac) {
        fail(
          "unauthenticated",
          "R-DICT-MAC-REQUIRED",
          "the dictionary is unsigned and this reader holds keys, so it requires a MAC (R-DICT-MAC-REQUIRED): sign dictionaries on the writer",
        );
      }
    } else {
      this.keys.verify(l.keyId, bytes.subarray(0, l.end), bytes.subarray(l.end), "dictionary", DICT_MAC_RULES);
    }
    validateContent(bytes, l);
    // A signed dictionary opened here had its MAC verified; an unsigned one vouches for nothing.
    return new IdDictionaryView(bytes, l, l.keyId !== 0);
  }
}

// Scratch space for keys parsed from text, by lookups (which are synchronous and never nested).
const scratch = keyScratch();

/**
 * A validated id dictionary read in place: `idOf` hashes the key and probes the index without
 * allocating. An unknown key means: refresh the dictionary once, then deny.
 */
export class IdDictionaryView {
  /** @internal */ readonly b: Uint8Array;
  /** @internal */ readonly l: Layout;
  /**
   * ObjectId dictionaries: the look-up in WebAssembly, made on the first look-up by ObjectId or
   * the first `IdSet.keyed` with this dictionary, whichever comes first.
   */
  private ix: OidIndex | undefined;
  /**
   * Whether the dictionary is authenticated: opened signed (its MAC verified) or the writer's
   * own ({@link IdDictionary.view}). A signed session is checked by key only through an
   * authenticated dictionary (SPEC.md C-KEY-MAC).
   */
  readonly authenticated: boolean;

  /** @internal */
  constructor(b: Uint8Array, l: Layout, authenticated: boolean) {
    this.b = b;
    this.l = l;
    this.authenticated = authenticated;
  }

  /** Opens `bytes` with a {@link DictionaryDecoder} of `options`. */
  static open(bytes: Uint8Array, options: DictionaryDecoderOptions = {}): IdDictionaryView {
    return new DictionaryDecoder(options).open(bytes);
  }

  /** The number of keys (ids are `0 .. size`). */
  get size(): number {
    return this.l.count;
  }

  /** The lineage: 64 bits fixed when the dictionary was created. */
  get lineage(): bigint {
    return this.l.lineage;
  }

  get tenant(): string {
    return utf8At(this.b, HEADER_LEN, HEADER_LEN + this.l.tenantLen);
  }

  /**
   * @internal Whether the tenant is the UTF-8 `b[start, end)` (a session's tenant id, compared
   * as bytes: neither is decoded into a string).
   */
  tenantIs(b: Uint8Array, start: number, end: number): boolean {
    const len = this.l.tenantLen;
    return end - start === len && equalBytes(this.b, HEADER_LEN, b, start, len);
  }

  get kind(): DictKind {
    return this.l.kind;
  }

  get keyType(): KeyType {
    return this.l.keyType;
  }

  /** The digest (header offset 8): the dictionary's ETag, the same signed or not. */
  get digest(): bigint {
    return (BigInt(this.l.digestHi) << 32n) | BigInt(this.l.digestLo);
  }

  /** The MAC key id, or `undefined` when unsigned. */
  get keyId(): number | undefined {
    return this.l.keyId === 0 ? undefined : this.l.keyId;
  }

  /** The bytes the view reads. */
  get bytes(): Uint8Array {
    return this.b;
  }

  /**
   * The id of `key`, or `undefined` when this copy of the dictionary does not hold it (refresh
   * it once, then deny). A key is any form of the dictionary's key type (`KeyLike`): for an
   * ObjectId dictionary a bson/mongodb `ObjectId`, 24 hex digits in either case, or 12 bytes;
   * for a UUID dictionary 8-4-4-4-12 hex digits in either case, 16 bytes, or a bson `UUID`; for
   * a string dictionary the string or its UTF-8 bytes. Throws `invalid_input` for anything that
   * is not a key of that type (a number, `null`, 23 hex digits, …): never a silent `undefined`.
   */
  idOf(key: KeyLike): number | undefined {
    return this.find(key, "IdDictionaryView.idOf");
  }

  /** Alias of {@link idOf}, named as in the Rust crate. */
  id_of(key: KeyLike): number | undefined {
    return this.find(key, "IdDictionaryView.id_of");
  }

  /** @internal {@link idOf} in the words of `where`, the function the caller called. */
  find(key: unknown, where: string): number | undefined {
    // ObjectId keys, in each of their forms, are read as three words and looked up without
    // a buffer; anything the fast path does not take goes through readKey (which accepts
    // exactly the same keys and refuses the rest).
    if (this.l.keyType === "objectid" && readObjectIdWords(key)) {
      const id = this.lookupOid(OID[0]!, OID[1]!, OID[2]!);
      return id < 0 ? undefined : id;
    }
    readKey(this.l.keyType, key, scratch, where);
    return this.lookup(KEY.bytes, KEY.len);
  }

  /**
   * @internal The id of the ObjectId key whose little-endian words are `a`, `b`, `c` in an
   * ObjectId dictionary, or -1: {@link lookup} for 12 bytes, in WebAssembly ({@link OidIndex}).
   */
  lookupOid(a: number, b: number, c: number): number {
    return this.objectIdIndex().lookup(a, b, c);
  }

  /**
   * @internal The WebAssembly look-up of this ObjectId dictionary (made on first use): a
   * `KeyedIdSet` holds it, and checks a key with one call ({@link OidIndex.contains}).
   */
  objectIdIndex(): OidIndex {
    return this.ix ?? this.oidIndex();
  }

  /** The WebAssembly look-up of this ObjectId dictionary, made on first use. */
  private oidIndex(): OidIndex {
    if (this.l.keyType !== "objectid") throw new TypeError("not an ObjectId dictionary");
    return (this.ix = new OidIndex(this.b, this.l));
  }

  /** The key of `id` in text form, or `undefined` past the last id. */
  keyOf(id: number): string | undefined {
    if (id >>> 0 !== id || id >= this.l.count) return undefined;
    const [s, e] = keySpan(this.b, this.l, id);
    return keyText(this.l.keyType, this.b, s, e);
  }

  /** The stored bytes of key `id` (a view), or `undefined` past the last id. */
  keyBytesOf(id: number): Uint8Array | undefined {
    if (id >>> 0 !== id || id >= this.l.count) return undefined;
    const [s, e] = keySpan(this.b, this.l, id);
    return this.b.subarray(s, e);
  }

  /** The keys in id order, in text form. */
  keys(): string[] {
    const out: string[] = [];
    for (let id = 0; id < this.l.count; id++) out.push(this.keyOf(id)!);
    return out;
  }

  /** An owned copy, unsigned, to append to. */
  toDictionary(): IdDictionary {
    const own = this.b.slice(0, this.l.end);
    own[5] = 0;
    putU32(own, 16, 0);
    return new IdDictionary(own, { ...this.l, keyId: 0 });
  }

  /** @internal */
  lookup(key: Uint8Array, n: number): number | undefined {
    const l = this.l;
    if (l.count === 0) return undefined;
    const b = this.b;
    const w = width(l.keyType);
    if (w > 0 && n !== w) return undefined;
    xxh64Into(key, 0, n);
    const notMask = ~l.mask >>> 0;
    const fingerprint = (XXH.lo & notMask) >>> 0;
    let p = homeOf(XXH.hi, XXH.lo, l.slots);
    for (let i = 0; i < l.slots; i++) {
      const v = u32(b, l.index + 4 * p);
      if (v === EMPTY) return undefined;
      if (((v & notMask) >>> 0) === fingerprint) {
        const id = (v & l.mask) >>> 0;
        // The key's span, as keySpan gives it, without allocating a pair.
        let s: number;
        let e: number;
        if (w > 0) {
          s = l.keys + w * id;
          e = s + w;
        } else {
          s = l.strings + (id === 0 ? 0 : u32(b, l.keys + 4 * (id - 1)));
          e = l.strings + u32(b, l.keys + 4 * id);
        }
        if (e - s === n && equalBytes(b, s, key, 0, n)) return id;
      }
      p = p + 1 === l.slots ? 0 : p + 1;
    }
    return undefined;
  }
}

/**
 * A fresh dictionary lineage: 64 bits from the operating system's cryptographically secure
 * generator (`node:crypto`), never 0 (drawn again in the 2^-64 case), as a `bigint` in
 * `1 .. 2^64 − 1`. Draw one when a tenant's facility (or group) dictionary is created, store it
 * with the dictionary and never change it; {@link IdDictionary.create} draws one itself when
 * given none. A lineage is no secret (it is in every session and dictionary), but two
 * dictionaries must never share one: a session's ids would then read as another's keys.
 */
export function newLineage(): bigint {
  const draw = new BigUint64Array(1);
  do randomFillSync(draw);
  while (draw[0] === 0n);
  return draw[0]!;
}

/** What {@link IdDictionary.create} needs. */
export interface DictionaryInit {
  tenant: string;
  kind: DictKind;
  keyType: KeyType;
  /**
   * 64 bits drawn at random when the dictionary is created, never 0: {@link newLineage}, which
   * `create` calls when the lineage is left out.
   */
  lineage?: bigint;
}

/**
 * An id dictionary a writer owns: its canonical unsigned bytes, to view, sign or append to.
 * Appending never changes an id, and is a pure function (this dictionary is unchanged), so a
 * store can write the result with compare-and-set and retry from the dictionary it finds.
 */
export class IdDictionary {
  /** @internal */ readonly b: Uint8Array;
  /** @internal */ readonly l: Layout;
  /** The most keys {@link append} lets the dictionary have (keep it at most the readers' limit). */
  maxKeys = DEFAULT_MAX_KEYS;

  /** @internal */
  constructor(b: Uint8Array, l: Layout) {
    this.b = b;
    this.l = l;
  }

  /**
   * An empty dictionary, of a fresh lineage ({@link newLineage}) unless `init.lineage` gives
   * one (`invalid_input` for a tenant above 64 bytes, lineage 0 or beyond 64 bits).
   */
  static create(init: DictionaryInit): IdDictionary {
    const lineage = init.lineage === undefined ? newLineage() : init.lineage;
    if (typeof init.tenant !== "string" || !isWellFormed(init.tenant)) invalidInput("the tenant must be a string without lone surrogates");
    const tenant = utf8(init.tenant);
    if (tenant.length > MAX_TENANT) invalidInput(`a tenant of ${tenant.length} bytes: at most 64`);
    if (typeof lineage !== "bigint" || lineage <= 0n || lineage >= 1n << 64n) {
      invalidInput(`the lineage must be a non-zero u64 (a bigint; newLineage() draws one), got ${typeof lineage === "bigint" ? `${lineage}n` : String(lineage)}`);
    }
    if (!KINDS.includes(init.kind)) invalidInput(`unknown dictionary kind ${String(init.kind)}: "facility" or "group"`);
    if (!KEY_TYPES.includes(init.keyType)) invalidInput(`unknown key type ${String(init.keyType)}: "objectid", "uuid" or "string"`);
    return IdDictionary.encode(tenant, init.kind, init.keyType, lineage, []);
  }

  get size(): number {
    return this.l.count;
  }

  get lineage(): bigint {
    return this.l.lineage;
  }

  /** A view, to look keys up without encoding. */
  view(): IdDictionaryView {
    return new IdDictionaryView(this.b, this.l, true);
  }

  /**
   * Appends the keys that are new, in order, each with the next id; returns the new dictionary
   * and the id of every given key (repeats and keys already held get their id). Keys are any
   * form of the dictionary's key type, as for {@link IdDictionaryView.idOf} (a bson `ObjectId`,
   * hex text, stored bytes, …). Throws `invalid_input` for anything that is not a key of the
   * key type (and then appends nothing) and `limit` above `maxKeys`.
   */
  append(keys: Iterable<KeyLike>): { dictionary: IdDictionary; ids: number[] } {
    const view = this.view();
    const ids: number[] = [];
    const added: Uint8Array[] = [];
    const fresh = new Map<string, number>();
    let next = this.l.count;
    const buf = keyScratch();
    for (const key of keys) {
      readKey(this.l.keyType, key, buf, "IdDictionary.append");
      const n = KEY.len;
      const bytes = KEY.bytes.slice(0, n);
      const held = view.lookup(bytes, n);
      const hex = toHex(bytes);
      const id = held ?? fresh.get(hex);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (next >= this.maxKeys) {
        fail("limit", "R-DICT-LIMIT-KEYS", `appending would give the dictionary ${next + 1} keys, above the limit of ${this.maxKeys}`);
      }
      fresh.set(hex, next);
      added.push(bytes);
      ids.push(next);
      next++;
    }
    if (added.length === 0) return { dictionary: this, ids };
    const all: Uint8Array[] = [];
    for (let id = 0; id < this.l.count; id++) all.push(view.keyBytesOf(id)!);
    all.push(...added);
    const d = IdDictionary.encode(this.b.subarray(HEADER_LEN, HEADER_LEN + this.l.tenantLen), this.l.kind, this.l.keyType, this.l.lineage, all);
    d.maxKeys = this.maxKeys;
    return { dictionary: d, ids };
  }

  /** The dictionary's bytes, signed with `key` (HMAC-SHA256 trailer) or unsigned. */
  toBytes(key?: MacKey): Uint8Array {
    if (key === undefined) return this.b.slice();
    const k = prepareKey(key);
    const out = new Uint8Array(this.b.length + MAC_LEN);
    out.set(this.b, 0);
    out[5] = out[5]! | FLAG_SIGNED;
    putU32(out, 16, k.id);
    out.set(sign(k, out.subarray(0, this.b.length)), this.b.length);
    return out;
  }

  /** The canonical unsigned bytes of a dictionary holding `keys` (SPEC.md §16.2). */
  private static encode(tenant: Uint8Array, kind: DictKind, keyType: KeyType, lineage: bigint, keys: readonly Uint8Array[]): IdDictionary {
    const n = keys.length;
    const slots = slotsFor(n);
    const w = width(keyType);
    let keyBytes = 0;
    for (const k of keys) keyBytes += k.length;
    const body = tenant.length + (w > 0 ? 0 : 4 * n) + keyBytes + 4 * slots;
    if (body > 0xffffffff) fail("limit", undefined, `the dictionary's body would be ${body} bytes, above 4 GiB`);
    const out = new Uint8Array(HEADER_LEN + body);
    out.set(DICT_MAGIC, 0);
    out[4] = 1;
    putU32(out, 20, body);
    out[24] = KEY_TYPES.indexOf(keyType) + 1;
    out[25] = KINDS.indexOf(kind) + 1;
    out[26] = tenant.length;
    putU32(out, 28, n);
    putU64(out, 32, lineage);
    out.set(tenant, HEADER_LEN);
    let at = HEADER_LEN + tenant.length;
    if (w === 0) {
      let end = 0;
      for (const k of keys) {
        end += k.length;
        putU32(out, at, end);
        at += 4;
      }
    }
    for (const k of keys) {
      out.set(k, at);
      at += k.length;
    }
    const index = at;
    out.fill(0xff, index, index + 4 * slots);
    const mask = maskFor(n);
    const notMask = ~mask >>> 0;
    keys.forEach((k, id) => {
      xxh64Into(k, 0, k.length);
      let p = homeOf(XXH.hi, XXH.lo, slots);
      while (u32(out, index + 4 * p) !== EMPTY) p = p + 1 === slots ? 0 : p + 1;
      putU32(out, index + 4 * p, ((XXH.lo & notMask) | id) >>> 0);
    });
    digestInto(out, DIGEST_FROM, out.length);
    putU32(out, 8, XXH.lo);
    putU32(out, 12, XXH.hi);
    return new IdDictionary(out, readLayout(out, 0xffffffff));
  }
}
