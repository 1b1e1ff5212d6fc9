/**
 * The keyed MAC (SPEC.md §5, §16.3): HMAC-SHA256 over header and body in a 32-byte trailer,
 * verified in constant time with `node:crypto`; and the key ring a reader holds.
 */

import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { fail, invalidInput } from "./errors.js";

/** A MAC key with its id: what `encode` signs with and a decoder's key ring holds. */
export interface MacKey {
  /** The key's id, 1 to 2^32 − 1, written in the header of signed blobs. */
  readonly id: number;
  /** The key bytes: at least 16 (32 random bytes recommended). */
  readonly key: Uint8Array;
}

/** Shortest key accepted, in bytes. */
export const MIN_KEY_LEN = 16;

/** A checked key, prepared once. */
export interface PreparedKey {
  readonly id: number;
  readonly secret: KeyObject;
}

/** Checks and prepares `k` (`invalid_input` for id 0, a non-`u32` id or a short key). */
export function prepareKey(k: MacKey): PreparedKey {
  if (typeof k !== "object" || k === null) invalidInput("a MAC key is { id: number, key: Uint8Array }");
  if (k.id >>> 0 !== k.id || k.id === 0) {
    invalidInput(`MAC key id ${String(k.id)} is invalid: ids are 1 to 4294967295 (0 means unsigned)`);
  }
  if (!(k.key instanceof Uint8Array) || k.key.length < MIN_KEY_LEN) {
    invalidInput(`MAC key ${k.id} is too short: keys are at least ${MIN_KEY_LEN} bytes (32 random bytes recommended)`);
  }
  return { id: k.id, secret: createSecretKey(k.key) };
}

/** HMAC-SHA256 of `data` under `key`. */
export function sign(key: PreparedKey, data: Uint8Array): Uint8Array {
  return createHmac("sha256", key.secret).update(data).digest();
}

/** The keys a reader accepts, by id. */
export class KeyRing {
  private readonly keys = new Map<number, PreparedKey>();

  constructor(keys: Iterable<MacKey> = []) {
    for (const k of keys) this.add(k);
  }

  /** Adds `k`, replacing a key with the same id. */
  add(k: MacKey): void {
    const p = prepareKey(k);
    this.keys.set(p.id, p);
  }

  /** Removes the key with id `id`; false if there was none. */
  remove(id: number): boolean {
    return this.keys.delete(id);
  }

  /** The ids held, ascending. */
  ids(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.keys.size;
  }

  /**
   * Verifies `tag` as the MAC of `signed` under key `id` (R-MAC-KEY, R-MAC-TAG), in constant
   * time; `rules` names the rules for the refusal (sessions or dictionaries).
   */
  verify(id: number, signed: Uint8Array, tag: Uint8Array, what: string, rules: readonly [string, string]): void {
    const key = this.keys.get(id);
    if (key === undefined) {
      fail(
        "unauthenticated",
        rules[0],
        `the ${what} is signed with key id ${id}, which this reader does not hold (${rules[0]}): deny access; ` +
          `add the key to the reader's keys if it is a new key being rolled out`,
      );
    }
    const expected = sign(key, signed);
    if (tag.length !== expected.length || !timingSafeEqual(expected, tag)) {
      fail("unauthenticated", rules[1], `the ${what}'s MAC does not verify under key id ${id} (${rules[1]}): it was forged or damaged; deny access`);
    }
  }
}
