/**
 * {@link LegacySession}: a legacy JSON session as `LegacyMapping.readKeys` reads it — the
 * session's fields and its facility and group keys, with no dictionary (ROLLOUT.md
 * RO-LEGACY-KEYS), so that a service in the `legacy` or `shadow` rollout mode decides from it.
 */

import { KEY, keyScratch, keyText, readKey, type KeyLike, type KeyType } from "../key.js";

/** The fields of a session a mapping reads (times in Unix milliseconds). */
export interface LegacyFields {
  readonly userId: string;
  readonly tenantId: string;
  readonly token: string;
  readonly issuedAt: bigint;
  readonly expiresAt: bigint;
  readonly roles: string[];
  readonly settings: Map<string, string>;
  readonly attributes: Map<string, string>;
}

/** The key types `LegacyMapping.readKeys` reads the keys as (each `"objectid"` by default, as a dictionary's `KeyType`). */
export interface LegacyKeyTypes {
  /** The type of the facility keys (default `"objectid"`). */
  facilityKeyType?: KeyType;
  /** The type of the group keys (default `"objectid"`). */
  groupKeyType?: KeyType;
}

/** One set of keys: their type and their text forms (`keyText`: lower-case hex for ObjectIds). */
interface KeySet {
  readonly keyType: KeyType;
  readonly keys: ReadonlySet<string>;
}

const scratch = keyScratch();

/**
 * A legacy session read through a mapping, without dictionaries: its fields, and
 * {@link hasFacility} / {@link hasGroup}, which take a key in every form a blob's keyed checks
 * take (for ObjectIds: 24 hex digits in either case, the 12 bytes, a bson `ObjectId`) and refuse
 * anything else with `invalid_input` — never a silent `false`. Frozen.
 *
 * ```ts
 * import { LegacyMapping } from "sessionpack";
 * const mapping = LegacyMapping.fromJson('{"sessionpack_mapping":1,"user_id":"/u","tenant_id":"/t","token":"/k",' +
 *   '"issued_at":{"path":"/i","unit":"ms"},"expires_at":{"path":"/e","unit":"ms"},"facilities":"/f[]/_id"}');
 * const legacy = mapping.readKeys('{"u":"u1","t":"acme","k":"tok","i":0,"e":4102444800000,"f":[{"_id":"65a0f0c2e1a9d3f4a5b6f005"}]}');
 * legacy.hasFacility("65A0F0C2E1A9D3F4A5B6F005");   // true: either case, or the 12 bytes
 * legacy.hasFacility("65a0f0c2e1a9d3f4a5b6f006");   // false
 * legacy.expiredAt(Date.now());                     // false
 * ```
 */
export class LegacySession implements LegacyFields {
  readonly userId: string;
  readonly tenantId: string;
  readonly token: string;
  /** When the session was issued, Unix milliseconds. */
  readonly issuedAt: bigint;
  /** When the session expires, Unix milliseconds: expired from this millisecond on (RO-LEGACY-EXPIRY). */
  readonly expiresAt: bigint;
  readonly roles: string[];
  readonly settings: Map<string, string>;
  readonly attributes: Map<string, string>;
  readonly #facilities: KeySet;
  readonly #groups: KeySet;

  /** @internal Made by `LegacyMapping.readKeys`. */
  constructor(fields: LegacyFields, facilities: KeySet, groups: KeySet) {
    this.userId = fields.userId;
    this.tenantId = fields.tenantId;
    this.token = fields.token;
    this.issuedAt = fields.issuedAt;
    this.expiresAt = fields.expiresAt;
    this.roles = fields.roles;
    this.settings = fields.settings;
    this.attributes = fields.attributes;
    this.#facilities = facilities;
    this.#groups = groups;
    Object.freeze(this);
  }

  /** The type of the facility keys. */
  get facilityKeyType(): KeyType {
    return this.#facilities.keyType;
  }

  /** The type of the group keys. */
  get groupKeyType(): KeyType {
    return this.#groups.keyType;
  }

  /** The facility keys, in their text forms (lower-case hex for ObjectIds), in no particular order. */
  get facilityKeys(): ReadonlySet<string> {
    return this.#facilities.keys;
  }

  /** The group keys, in their text forms. */
  get groupKeys(): ReadonlySet<string> {
    return this.#groups.keys;
  }

  /** Whether the session is expired at `nowMs` (`now >= expiresAt`). */
  expiredAt(nowMs: number | bigint): boolean {
    return BigInt(nowMs) >= this.expiresAt;
  }

  /** Whether the session lists the facility `key`; `invalid_input` for a key of the wrong form. */
  hasFacility(key: KeyLike): boolean {
    return this.#facilities.keys.has(canonicalKey(this.#facilities.keyType, key, "LegacySession.hasFacility"));
  }

  /** Whether the session lists the group `key`; `invalid_input` for a key of the wrong form. */
  hasGroup(key: KeyLike): boolean {
    return this.#groups.keys.has(canonicalKey(this.#groups.keyType, key, "LegacySession.hasGroup"));
  }
}

/**
 * `key` (any form a dictionary of `keyType` takes) in its text form: lower-case hex for an
 * ObjectId, lower-case 8-4-4-4-12 for a UUID, the string itself; `invalid_input` (in the words
 * of `where`) for anything that is no such key.
 *
 * ```ts
 * canonicalKey("objectid", "65A0F0C2E1A9D3F4A5B6F005", "check");   // "65a0f0c2e1a9d3f4a5b6f005"
 * ```
 */
export function canonicalKey(keyType: KeyType, key: unknown, where: string): string {
  readKey(keyType, key, scratch, where);
  return keyText(keyType, KEY.bytes, 0, KEY.len);
}
