/**
 * The 40-byte header of an id dictionary (SPEC.md §16.2), read in one place: {@link dictFields}
 * reads every field (nothing checked: dict.ts checks them in the order of §16.3), and
 * {@link DictHeader} is what a header-only read (`GETRANGE key 0 39`) needs, as the Rust crate's
 * `DictHeader::read`.
 */

import { u32, u64 } from "./bytes.js";
import { DICT_MAGIC, startsWithMagic } from "./header.js";

/** The length of a dictionary's header. */
export const DICT_HEADER_LEN = 40;

/** Every field of a dictionary header as stored (SPEC.md §16.2), unchecked. */
export interface DictFields {
  /** Byte 4. */
  readonly version: number;
  /** Byte 5. */
  readonly flags: number;
  /** Bytes 8 to 11 and 12 to 15: the digest's low and high words. */
  readonly digestLo: number;
  readonly digestHi: number;
  /** Bytes 16 to 19. */
  readonly keyId: number;
  /** Bytes 20 to 23. */
  readonly bodyLen: number;
  /** Byte 24: 1 ObjectId, 2 UUID, 3 string. */
  readonly keyTypeCode: number;
  /** Byte 25: 1 facility, 2 group. */
  readonly kindCode: number;
  /** Byte 26. */
  readonly tenantLen: number;
  /** Bytes 28 to 31. */
  readonly count: number;
  /** Bytes 32 to 39. */
  readonly lineage: bigint;
}

/** The fields of the header at the start of `b`, which holds at least {@link DICT_HEADER_LEN} bytes. */
export function dictFields(b: Uint8Array): DictFields {
  return {
    version: b[4]!,
    flags: b[5]!,
    digestLo: u32(b, 8),
    digestHi: u32(b, 12),
    keyId: u32(b, 16),
    bodyLen: u32(b, 20),
    keyTypeCode: b[24]!,
    kindCode: b[25]!,
    tenantLen: b[26]!,
    count: u32(b, 28),
    lineage: u64(b, 32),
  };
}

/**
 * The 40-byte header of an id dictionary (SPEC.md §16.2), as `GETRANGE key 0 39` returns it:
 * enough to learn whether a kept copy is current, nothing validated beyond the magic.
 * `DictionaryDecoder.open` checks the whole dictionary.
 */
export class DictHeader {
  /** The length of the header: the bytes to fetch for a header-only read. */
  static readonly LEN = DICT_HEADER_LEN;
  /** XXH64 of the content: the dictionary's ETag (the same signed or unsigned). */
  readonly digest: bigint;
  /** The MAC key's id; 0 when unsigned. */
  readonly keyId: number;
  /** The number of keys. */
  readonly count: number;
  /** The lineage. */
  readonly lineage: bigint;

  private constructor(f: DictFields) {
    this.digest = (BigInt(f.digestHi) << 32n) | BigInt(f.digestLo);
    this.keyId = f.keyId;
    this.count = f.count;
    this.lineage = f.lineage;
  }

  /** The header of `bytes`, or `undefined` when they are fewer than 40 or lack the dictionary magic. */
  static read(bytes: Uint8Array): DictHeader | undefined {
    if (bytes.length < DICT_HEADER_LEN || !startsWithMagic(bytes, DICT_MAGIC)) return undefined;
    return new DictHeader(dictFields(bytes));
  }
}
