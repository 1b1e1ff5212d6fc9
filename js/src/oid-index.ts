/**
 * A validated ObjectId dictionary's look-up, and membership in an id set, in WebAssembly
 * (`src/wasm/oid-index.wat`, issue 21): a check by ObjectId is then one call with the key as
 * three `i32` words, no memory written per call.
 *
 * Each ObjectId dictionary view gets its own instance of the module the first time a key is
 * looked up in it (or it is paired with a set, `IdSet.keyed`): the dictionary's keys (already
 * validated by `DictionaryDecoder`, SPEC.md §16.3) are copied into the instance's memory once,
 * and the instance builds an index of them there with twice as many slots as keys (the
 * dictionary's own has 1.25 times as many, and its probes are about twice as long): 20 bytes a
 * key in all, built in ~16 ns a key on the bench machine, ~2.5 ns off every look-up. Both stay
 * while the view lives (the memory goes with the view). An id set checked through the dictionary
 * ({@link OidIndex.contains}) is copied in on its first check (its validated portable bytes,
 * SPEC.md §7.2), and stays until another set is checked through the same dictionary: one
 * copy per session, not per check. Sets above {@link MAX_SET_COPY} bytes are not copied: their
 * checks look the key up here and test the id in place (`IdSet.has`).
 *
 * Nothing is validated again here: the copies are of checked bytes, and an access outside the
 * instance's memory traps (a `RuntimeError`) rather than reading past it.
 */

import type { IdSetView as IdSet } from "./idset.js";
import { OID_INDEX_WASM_BASE64 } from "./oid-index-wasm.js";
import { compile, instantiate, type CompiledModule } from "./wasm-module.js";

interface OidIndexExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  init(keys: number, count: number, mask: number, index: number, slots: number): void;
  initSet(base: number, count: number, keysAt: number, offsetsAt: number, flagsAt: number, p0: number, p1: number, p2: number, table: number): void;
  /** `want` 0: the key's id or -1; 1: whether the key's id is in the set (1 or 0); 2: whether the id `a` is (src/wasm/oid-index.wat). */
  query(a: number, b: number, c: number, want: 0 | 1 | 2): number;
}

/** The largest id set (its portable bytes) copied into an index's memory: 64 KiB. */
export const MAX_SET_COPY = 65536;
/** Where the keys start in the instance's memory. */
const KEYS_AT = 64;
const PAGE = 65536;

let compiled: CompiledModule | undefined;

/** What an index needs of a validated ObjectId dictionary (absolute offsets into its bytes). */
export interface OidDictionaryLayout {
  /** The number of keys. */
  count: number;
  /** Where the keys start (12 bytes each, in id order). */
  keys: number;
  /** The id bits of an index entry (SPEC.md §16.2). */
  mask: number;
}

/**
 * @internal The slots of the index an instance builds for a dictionary of `count` keys: twice as
 * many, at least 2 (see src/wasm/oid-index.wat), so that half of them or more are empty.
 */
export function indexSlots(count: number): number {
  return Math.max(2, 2 * count);
}

/** The look-up of one validated ObjectId dictionary in its own WebAssembly instance. */
export class OidIndex {
  private readonly e: OidIndexExports;
  /** Where an id set's bytes go in the instance's memory (8-aligned, after the index). */
  private readonly setAt: number;
  /** The id set whose bytes are in the instance's memory now, if any. */
  private loaded: IdSet | undefined;
  /** A view of the instance's memory, made afresh when it grows (growing detaches the old buffer). */
  private mem = new Uint8Array(0);

  /**
   * Copies the keys of the validated dictionary `b` (laid out as `l`) into a new instance, which
   * builds its index of them. `setsFrom` (for tests) puts the sets' bytes at that position or
   * later, as a dictionary of ~100 million keys would: at 2^31 or above.
   */
  constructor(b: Uint8Array, l: OidDictionaryLayout, setsFrom = 0) {
    const e = instantiate<OidIndexExports>((compiled ??= compile(OID_INDEX_WASM_BASE64)));
    const keyBytes = 12 * l.count;
    const indexAt = align8(KEYS_AT + keyBytes);
    const slots = indexSlots(l.count);
    this.setAt = Math.max(indexAt + 4 * slots, align8(setsFrom));
    grow(e, this.setAt);
    new Uint8Array(e.memory.buffer).set(b.subarray(l.keys, l.keys + keyBytes), KEYS_AT);
    e.init(KEYS_AT, l.count, l.mask | 0, indexAt, slots);
    this.e = e;
  }

  /** The id of the key whose little-endian words are `a`, `b`, `c`, or -1 when the dictionary lacks it. */
  lookup(a: number, b: number, c: number): number {
    return this.e.query(a, b, c, 0);
  }

  /**
   * Whether the key whose little-endian words are `a`, `b`, `c` is in the dictionary and its id
   * in `set` (a validated set of this dictionary's ids).
   */
  contains(set: IdSet, a: number, b: number, c: number): boolean {
    if (this.loaded !== set && !this.load(set)) {
      const id = this.lookup(a, b, c);
      return id >= 0 && set.has(id);
    }
    return this.e.query(a, b, c, 1) === 1;
  }

  /**
   * @internal Whether `id` is in `set`, tested in WebAssembly (after copying the set in), or
   * `undefined` when the set is too large to copy: for tests, against `IdSet.has`.
   */
  hasId(set: IdSet, id: number): boolean | undefined {
    if (this.loaded !== set && !this.load(set)) return undefined;
    return this.e.query(id, 0, 0, 2) === 1;
  }

  /** Copies `set`'s bytes in (false, copying nothing, when they are above {@link MAX_SET_COPY}). */
  private load(set: IdSet): boolean {
    const len = set.end - set.base;
    if (len > MAX_SET_COPY) return false;
    const e = this.e;
    // The set's bytes, then (8-aligned) the table of its containers that initSet writes: 8 bytes each.
    const table = align8(this.setAt + len);
    grow(e, table + 8 * set.count);
    if (this.mem.buffer !== e.memory.buffer) this.mem = new Uint8Array(e.memory.buffer);
    // The memory holds no set until initSet is done: a throw before then leaves none loaded.
    this.loaded = undefined;
    this.mem.set(set.b.subarray(set.base, set.end), this.setAt);
    // Positions in the set's bytes → in the memory (-1, "none", stays -1).
    const d = this.setAt - set.base;
    const at = this.setAt;
    e.initSet(at, set.count, set.keysAt + d, set.offsetsAt < 0 ? -1 : set.offsetsAt + d, set.flagsAt < 0 ? -1 : set.flagsAt + d, set.p0 + d, set.p1 + d, set.p2 + d, table);
    this.loaded = set;
    return true;
  }
}

/**
 * @internal `x` rounded up to a multiple of 8. Arithmetic, not `(x + 7) & ~7`: a position in
 * the instance's memory may lie at 2^31 or above (a dictionary of ~100 million keys), where
 * JavaScript's 32-bit `&` would make it negative.
 */
export function align8(x: number): number {
  return Math.ceil(x / 8) * 8;
}

/** Grows the instance's memory to at least `bytes`. */
function grow(e: OidIndexExports, bytes: number): void {
  const have = e.memory.buffer.byteLength;
  if (bytes > have) e.memory.grow(Math.ceil((bytes - have) / PAGE));
}
