/**
 * Id sets checked by key through the dictionary their ids refer to (SPEC.md §6.5): the public
 * {@link IdSet} (an {@link IdSetView} of idset.ts with `keyed` and `hasKey`) and
 * {@link KeyedIdSet}. Built on both id sets and dictionaries, as the Rust crate's
 * dict/keyed_set.rs is: neither of them imports this module.
 */

import type { IdDictionaryView } from "./dict.js";
import { fail, invalidInput } from "./errors.js";
import { IdSetView, validateIdSet } from "./idset.js";
import { OID, readObjectIdWords, type KeyLike } from "./key.js";
import type { OidIndex } from "./oid-index.js";

/**
 * A validated set of `u32` ids read in place from portable Roaring bytes. Made by
 * `SessionView.facilities` / `groups` (or {@link IdSet.from}); every read trusts the validation
 * and allocates nothing (iteration aside).
 */
export class IdSet extends IdSetView {
  /**
   * An id set over portable Roaring bytes from any Roaring library, validated (SPEC.md §7.2).
   * Throws {@link SessionpackError} (`corrupt`) for invalid bytes.
   */
  static from(bytes: Uint8Array): IdSet {
    const shape = validateIdSet(bytes, 0, bytes.length, "id set");
    return new IdSet(bytes, 0, bytes.length, shape, "facility", -1);
  }

  /**
   * This set checked by key through `dictionary`, the facility (or group) dictionary whose ids
   * it holds (SPEC.md §6.5), checked once, in this order: a signed session's set only through
   * an authenticated dictionary (C-KEY-MAC, `unauthenticated`); then the dictionary is the
   * set's own — its kind matches the set, its lineage equals the set's (a set of plain ids has
   * none: refused), its tenant is the session's `tenantId` — or it throws `wrong_dictionary`
   * (C-KEY-CHECK: another dictionary maps the same ids to other facilities). Deny on either.
   */
  keyed(dictionary: IdDictionaryView): KeyedIdSet {
    if (this.signed && !dictionary.authenticated) {
      // SPEC.md C-KEY-MAC, first: an unsigned dictionary could map any key to an id the
      // session holds, and what it says of its kind, lineage and tenant is its own claim.
      fail(
        "unauthenticated",
        "C-KEY-MAC",
        `the session is signed but the dictionary for its ${this.kind === "facility" ? "facilities" : "groups"} is not: ` +
          "open dictionaries with the sessions' keys (new DictionaryDecoder({ keys }))",
      );
    }
    checkDictionary(this.kind, this.lineage, dictionary);
    const session = this.session;
    if (session !== undefined && !dictionary.tenantIs(session.b, session.ix.tenantId, session.ix.tenantIdEnd)) {
      fail(
        "wrong_dictionary",
        "C-KEY-CHECK",
        `the session's ${this.kind === "facility" ? "facilities" : "groups"} belong to tenant ${JSON.stringify(session.tenantId)}, ` +
          `but the dictionary given is tenant ${JSON.stringify(dictionary.tenant)}'s (C-KEY-CHECK): deny, and load the session's tenant's dictionary`,
      );
    }
    return new KeyedIdSet(this, dictionary);
  }

  /**
   * Whether the facility (or group) with `key` is in the set: `keyed(dictionary).has(key)`,
   * for a single check (a `KeyedIdSet` checks the dictionary once for many).
   */
  hasKey(dictionary: IdDictionaryView, key: KeyLike): boolean {
    const id = this.keyed(dictionary).dictionary.find(key, "IdSet.hasKey");
    return id !== undefined && this.has(id);
  }
}

/**
 * Throws `wrong_dictionary` (C-KEY-CHECK) unless `dictionary` is the one a set of `kind` and
 * `lineage` refers to: the same kind, the same (non-zero) lineage.
 */
export function checkDictionary(kind: "facility" | "group", lineage: bigint | undefined, dictionary: IdDictionaryView): void {
  if (dictionary.kind !== kind || lineage !== dictionary.lineage) {
    const set = kind === "facility" ? "facilities" : "groups";
    fail(
      "wrong_dictionary",
      "C-KEY-CHECK",
      lineage === undefined
        ? `the ${set} hold plain ids (no lineage): they cannot be checked by key through a dictionary`
        : `the ${dictionary.kind} dictionary of lineage ${dictionary.lineage.toString(16).padStart(16, "0")} is not the one ` +
            `the ${set} refer to (a ${kind} dictionary of lineage ${lineage.toString(16).padStart(16, "0")}): deny, and load the right dictionary`,
    );
  }
}

/**
 * An id set paired with the dictionary its ids refer to, checked once by {@link IdSet.keyed}:
 * every check is a hash look-up in the dictionary's bytes and a membership test in the set's,
 * both in place. A key is any form of the dictionary's key type (`KeyLike`: for ObjectIds a
 * bson/mongodb `ObjectId`, 24 hex digits in either case, or 12 bytes), and all forms of one key
 * give one answer. A key the dictionary does not hold is never a member: refresh the dictionary
 * once (its header's digest says whether it changed), ask again, then deny. Anything that is
 * not a key of that type (a number, `null`, `undefined`, 23 hex digits, 11 bytes, …) throws
 * `invalid_input`: never a silent `false`.
 */
export class KeyedIdSet {
  /**
   * The dictionary's WebAssembly look-up when its keys are ObjectIds (read by
   * {@link readObjectIdWords}), taken once here rather than asked for at every check.
   */
  private readonly index: OidIndex | undefined;

  constructor(
    /** The ids. */
    readonly ids: IdSet,
    /** The dictionary. */
    readonly dictionary: IdDictionaryView,
  ) {
    this.index = dictionary.keyType === "objectid" ? dictionary.objectIdIndex() : undefined;
  }

  /** Whether the key is a member; a key the dictionary does not hold is not. */
  has(key: KeyLike): boolean {
    return this.member(key, "KeyedIdSet.has");
  }

  /** Whether any of `keys` is a member. Every one of them is checked to be a key. */
  hasAny(keys: Iterable<KeyLike>): boolean {
    let any = false;
    for (const k of keys) if (this.member(k, "KeyedIdSet.hasAny")) any = true;
    return any;
  }

  /** Whether every one of `keys` is a member (true for none). Every one of them is checked to be a key. */
  hasAll(keys: Iterable<KeyLike>): boolean {
    let all = true;
    for (const k of keys) if (!this.member(k, "KeyedIdSet.hasAll")) all = false;
    return all;
  }

  /**
   * Whether `key` is a member, in the words of `where` when it is not a key. The ObjectId forms
   * without a detour: the key read as three words, the look-up and the membership test in one
   * WebAssembly call (src/oid-index.ts); every other key through the dictionary's `find`.
   */
  private member(key: unknown, where: string): boolean {
    const index = this.index;
    if (index !== undefined && readObjectIdWords(key)) return index.contains(this.ids, OID[0]!, OID[1]!, OID[2]!);
    const id = this.dictionary.find(key, where);
    return id !== undefined && this.ids.has(id);
  }

  /**
   * The items whose key (`keyOf(item)`, e.g. `(r) => r.facilityId`, a bson `ObjectId` straight
   * from the driver) is a member, in their order: the PHI filter. An item whose key is not a
   * key throws `invalid_input` (deny the request, or drop such items first).
   */
  filter<T>(items: Iterable<T>, keyOf: (item: T) => KeyLike): T[] {
    if (typeof keyOf !== "function") invalidInput(`KeyedIdSet.filter: keyOf must be a function from an item to its key, got ${typeof keyOf}`);
    const out: T[] = [];
    for (const item of items) if (this.member(keyOf(item), "KeyedIdSet.filter (the key of an item)")) out.push(item);
    return out;
  }

  /** The set's members as keys (text form), in id order; ids this copy of the dictionary lacks are left out. */
  keys(): string[] {
    const out: string[] = [];
    this.ids.forEach((id) => {
      const k = this.dictionary.keyOf(id);
      if (k !== undefined) out.push(k);
    });
    return out;
  }
}
