/**
 * The package's WebAssembly helpers (`src/wasm/hash.wat`, assembled at build time into
 * `hash-wasm.ts`): XXH64 of long inputs (the blob's and the dictionary's digests), the
 * dictionary index's home slots of every key, the home slot of one ObjectId key, and the two
 * Roaring container checks that are loops over bytes (popcount, strictly increasing `u16`s).
 * WebAssembly has the 64-bit multiply, rotate and popcount that JavaScript lacks: XXH64 runs at
 * a few tenths of a nanosecond a byte instead of about one.
 *
 * The 1 KB module is compiled and instantiated **synchronously on first use** (`new
 * WebAssembly.Module` / `new WebAssembly.Instance`), like the zstd decoder: nothing runs at
 * import and there is no top-level `await`. Inputs are copied into the module's memory, which
 * grows to the largest input seen (a dictionary's bytes and its table of homes) and is reused.
 * Only this file calls the module, and every call is synchronous: no two callers share the
 * memory at once.
 */

import { HASH_WASM_BASE64 } from "./hash-wasm.js";
import { compile, instantiate } from "./wasm-module.js";
import { XXH, xxh64Into } from "./xxh64.js";

interface HashExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  digest(p: number, len: number, seed: number): void;
  probe12(a: number, b: number, c: number, slots: number): number;
  homes(keys: number, width: number, count: number, slots: number, out: number): void;
  homesVar(ends: number, strings: number, count: number, slots: number, out: number): void;
  popcount(p: number, len: number): number;
  ascending16(p: number, count: number, previous: number): number;
}

/** Where inputs start in the module's memory (results live below). */
export const DATA = 64;
const PAGE = 65536;

let exports_: HashExports | undefined;
/** Views of the module's memory, made afresh whenever it grows (growing detaches the old buffer). */
let mem8 = new Uint8Array(0);
let mem32 = new Uint32Array(0);

function load(): HashExports {
  const e = instantiate<HashExports>(compile(HASH_WASM_BASE64));
  exports_ = e;
  mem8 = new Uint8Array(e.memory.buffer);
  mem32 = new Uint32Array(e.memory.buffer);
  return e;
}

/** The module, instantiated on first use. */
export function hashWasm(): HashExports {
  return exports_ ?? load();
}

/**
 * Makes the module's memory at least `bytes` long and returns a view of all of it (valid until
 * the next `reserve`).
 */
export function reserve(bytes: number): Uint8Array {
  const e = hashWasm();
  if (mem8.length < bytes) {
    const pages = Math.ceil((bytes - e.memory.buffer.byteLength) / PAGE);
    if (pages > 0) e.memory.grow(pages);
    mem8 = new Uint8Array(e.memory.buffer);
    mem32 = new Uint32Array(e.memory.buffer);
  }
  return mem8;
}

/** The module's memory as `u32`s (valid until the next {@link reserve}). */
export function memory32(): Uint32Array {
  return mem32;
}

/**
 * Below this many bytes, XXH64 runs in JavaScript: copying into the module and calling it cost
 * more than they save (measured: at 64 bytes the module already takes half the time).
 */
const WASM_FROM = 32;

/**
 * XXH64 of `b[start, end)` with the `u32` `seed`, into {@link XXH} (`hi`, `lo`): the same
 * contract as {@link xxh64Into}, which it calls for short inputs. Returns where in the module's
 * memory the bytes it hashed now lie ({@link DATA}), or -1 when it hashed them in JavaScript:
 * the copy stays there until the next call into this module that writes at `DATA`, so a caller
 * that goes on checking the same bytes synchronously (`Decoder.open`'s id sets) reads them
 * there instead of copying them again.
 */
export function digestInto(b: Uint8Array, start: number, end: number, seed = 0): number {
  const len = end - start;
  if (len < WASM_FROM) {
    xxh64Into(b, start, end, seed);
    return -1;
  }
  const e = hashWasm();
  const m = reserve(DATA + len);
  m.set(b.subarray(start, end), DATA);
  e.digest(DATA, len, seed);
  XXH.lo = mem32[0]!;
  XXH.hi = mem32[1]!;
  return DATA;
}

/**
 * The home slot, in an index of `slots` slots, of the ObjectId key whose 12 bytes are the
 * little-endian words `a`, `b`, `c`; the low half of its XXH64 is then {@link probeLow}'s.
 */
export function probe12(a: number, b: number, c: number, slots: number): number {
  return (exports_ ?? load()).probe12(a, b, c, slots);
}

/** The low half of the hash of the last {@link probe12}. */
export function probeLow(): number {
  return mem32[2]!;
}

/** XXH64 of `bytes` (seed 0 unless given: a `u32`) as a bigint. */
export function xxh64(bytes: Uint8Array, seed = 0): bigint {
  if (seed >>> 0 !== seed) throw new RangeError("the seed must be a u32");
  digestInto(bytes, 0, bytes.length, seed);
  return (BigInt(XXH.hi) << 32n) | BigInt(XXH.lo);
}
