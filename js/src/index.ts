/**
 * sessionpack: read and write sessionpack blobs (SPEC.md) in pure TypeScript.
 *
 * ```ts
 * import { Decoder } from "sessionpack";
 * const decoder = new Decoder({ keys: [{ id: 7, key }] }); // keys imply a MAC
 * const session = decoder.open(blob);                      // throws on any fault: deny access
 * if (session.facilities.has(42)) { … }
 * // Version 3: by key, through the tenant's facility dictionary (an IdDictionaryView).
 * const keyed = session.facilities.keyed(facilityDictionary);
 * keyed.has(record.facilityId);            // a bson ObjectId, 24 hex digits or 12 bytes
 * const ttl = session.expiresAtMs - Date.now();
 * ```
 *
 * **On any error, deny access.**
 */

export { SessionpackError, ERROR_KINDS, type ErrorKind } from "./errors.js";
export { Decoder, type DecoderOptions, type Expiry } from "./decoder.js";
export { SessionView } from "./view.js";
export { IdSet, KeyedIdSet } from "./keyed.js";
export { encodeIdSet } from "./idset.js";
export { Session, type SessionInit, type FromJsonOptions } from "./session.js";
export { encode, type EncodeOptions } from "./encode.js";
export { Header, detect, type Format } from "./header.js";
export { DictHeader } from "./dict-header.js";
export { DEFAULT_LIMITS, INFLATION_ALLOWANCE, type Limits } from "./limits.js";
export { KeyRing, MIN_KEY_LEN, type MacKey } from "./mac.js";
export { type KeyLike, type ObjectIdLike, type UuidLike } from "./key.js";
export { type TimeLike } from "./time.js";
export {
  DictionaryDecoder,
  IdDictionary,
  IdDictionaryView,
  DEFAULT_MAX_KEYS,
  newLineage,
  type DictionaryDecoderOptions,
  type DictionaryInit,
  type DictKind,
  type KeyType,
} from "./dict.js";
export {
  LegacyMapping,
  LegacyError,
  DEFAULT_MAX_DOCUMENT_LEN,
  type LegacyConvertOptions,
  type LegacyConversion,
} from "./legacy/mapping.js";
export { LegacySession, type LegacyFields, type LegacyKeyTypes } from "./legacy/session.js";
