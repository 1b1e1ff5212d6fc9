/**
 * The fixed 40-byte header of every blob (SPEC.md §3), readable on its own (from a Redis
 * `GETRANGE key 0 39`) to learn a blob's digest, and `detect` (SPEC.md §11).
 */

import { u32 } from "./bytes.js";
import { corrupt, fail } from "./errors.js";
import { schemaOf, SUPPORTED_VERSIONS } from "./versions.js";

/** The magic every blob starts with: `0x93`, then ASCII `SPK`. */
export const MAGIC = Object.freeze([0x93, 0x53, 0x50, 0x4b]);
/** The magic every id dictionary starts with: `0x93`, then ASCII `SPD` (SPEC.md §16.2). */
export const DICT_MAGIC = Object.freeze([0x93, 0x53, 0x50, 0x44]);
export const HEADER_LEN = 40;
export const MAC_LEN = 32;
export const FLAG_COMPRESSED = 0b01;
export const FLAG_SIGNED = 0b10;
const KNOWN_FLAGS = FLAG_COMPRESSED | FLAG_SIGNED;

/** What a stored value is, judged from its first bytes. */
export type Format =
  | { readonly format: "sessionpack"; readonly version: number; readonly compressed: boolean }
  | { readonly format: "dictionary"; readonly version: number }
  | { readonly format: "json" }
  | { readonly format: "unknown" };

/**
 * What `bytes` are, from their first bytes only (SPEC.md §11): a sessionpack blob (the magic,
 * then at least the version and flags bytes), an id dictionary (its magic and version byte), a
 * JSON document (after an optional UTF-8 byte order mark and JSON whitespace, `{`, `[` or
 * `"`), or unknown (empty input included). Checks nothing else: use `Header.read` or
 * `Decoder.open` to trust anything.
 */
export function detect(bytes: Uint8Array): Format {
  if (startsWithMagic(bytes, MAGIC)) {
    if (bytes.length < 6) return UNKNOWN;
    return { format: "sessionpack", version: bytes[4]!, compressed: (bytes[5]! & FLAG_COMPRESSED) !== 0 };
  }
  if (startsWithMagic(bytes, DICT_MAGIC)) {
    if (bytes.length < 5) return UNKNOWN;
    return { format: "dictionary", version: bytes[4]! };
  }
  let i = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  for (; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b || c === 0x22 ? JSON_FORMAT : UNKNOWN;
  }
  return UNKNOWN;
}

const UNKNOWN: Format = Object.freeze({ format: "unknown" });
const JSON_FORMAT: Format = Object.freeze({ format: "json" });

export function startsWithMagic(bytes: Uint8Array, magic: readonly number[]): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === magic[0] &&
    bytes[1] === magic[1] &&
    bytes[2] === magic[2] &&
    bytes[3] === magic[3]
  );
}

/** The refusal of input that does not start with `magic`, saying what it looks like. */
export function notABlob(bytes: Uint8Array, rule: string, what: string): never {
  const found = detect(bytes).format;
  const why =
    found === "json"
      ? "the input is JSON (a legacy session?): read it with your JSON path or migrate it"
      : found === "dictionary"
        ? "the input is an id dictionary: open it with DictionaryDecoder"
        : found === "sessionpack"
          ? "the input is a session blob: open it with Decoder"
          : bytes.length === 0
        ? "the input is empty"
        : `the input does not start with the ${what} magic`;
  fail("not_a_blob", rule, `not a ${what}: ${why} (${rule})`);
}

/**
 * The header of a blob, checked against every rule the header alone can tell (SPEC.md §3,
 * rules 1 to 6). Compare `digest` with the digest of the copy you hold to learn whether it is
 * still current: fetch only the first 40 bytes (`GETRANGE key 0 39`).
 */
export class Header {
  /** The format version. */
  readonly version: number;
  /** Whether the body is a zstd frame (otherwise the archive, stored raw). */
  readonly compressed: boolean;
  /** Whether a 32-byte HMAC-SHA256 trailer follows the body. */
  readonly signed: boolean;
  /** Low and high halves of the digest (for comparisons without a bigint). */
  readonly digestLo: number;
  readonly digestHi: number;
  /** Length of the stored body. */
  readonly storedLen: number;
  /** Length of the decoded archive. */
  readonly decodedLen: number;
  /** zstd dictionary id, 0 for none. */
  readonly dictionaryId: number;
  /** MAC key id, 0 when unsigned. */
  readonly keyId: number;
  readonly bodyDigestLo: number;
  readonly bodyDigestHi: number;

  /** Header length in bytes. */
  static readonly LEN = HEADER_LEN;

  private constructor(b: Uint8Array) {
    const flags = b[5]!;
    this.version = b[4]!;
    this.compressed = (flags & FLAG_COMPRESSED) !== 0;
    this.signed = (flags & FLAG_SIGNED) !== 0;
    this.digestLo = u32(b, 8);
    this.digestHi = u32(b, 12);
    this.storedLen = u32(b, 16);
    this.decodedLen = u32(b, 20);
    this.dictionaryId = u32(b, 24);
    this.keyId = u32(b, 28);
    this.bodyDigestLo = u32(b, 32);
    this.bodyDigestHi = u32(b, 36);
  }

  /** XXH64 of the decoded archive: the integrity check and the session's ETag. */
  get digest(): bigint {
    return (BigInt(this.digestHi) << 32n) | BigInt(this.digestLo);
  }

  /** XXH64 of the stored body when compressed; 0 when raw. */
  get bodyDigest(): bigint {
    return (BigInt(this.bodyDigestHi) << 32n) | BigInt(this.bodyDigestLo);
  }

  /** The length of the whole blob: header, body and MAC trailer. */
  get blobLen(): number {
    return HEADER_LEN + this.storedLen + (this.signed ? MAC_LEN : 0);
  }

  /** Whether `other` (a header or a digest) names the same archive as this header. */
  sameDigest(other: Header | bigint): boolean {
    if (typeof other === "bigint") return other === this.digest;
    return other.digestLo === this.digestLo && other.digestHi === this.digestHi;
  }

  /**
   * Reads and checks the header at the start of `bytes` (only the first 40 bytes are read):
   * the magic, the length, the version, unknown flags, reserved bytes, the key id against the
   * MAC flag, and what a raw body implies. Throws {@link SessionpackError} for the first rule
   * broken, in SPEC.md's order.
   */
  static read(bytes: Uint8Array): Header {
    if (!startsWithMagic(bytes, MAGIC)) notABlob(bytes, "R-HDR-MAGIC", "sessionpack blob");
    if (bytes.length < HEADER_LEN) {
      corrupt("R-HDR-LEN", `truncated header: ${bytes.length} of its 40 bytes`);
    }
    const version = bytes[4]!;
    if (schemaOf(version) === undefined) {
      fail(
        "unsupported",
        "R-HDR-VERSION",
        `format version ${version} is not one this reader implements (${SUPPORTED_VERSIONS.join(", ")}): ` +
          `upgrade the sessionpack package, or have writers write a version every reader reads (R-HDR-VERSION)`,
      );
    }
    const unknown = bytes[5]! & ~KNOWN_FLAGS;
    if (unknown !== 0) {
      fail(
        "unsupported",
        "R-HDR-FLAGS",
        `unknown header flag bits 0x${unknown.toString(16).padStart(2, "0")}: a newer writer? upgrade this reader (R-HDR-FLAGS)`,
      );
    }
    if (bytes[6] !== 0) corrupt("R-HDR-RESERVED", "reserved header byte 6 is not zero");
    if (bytes[7] !== 0) corrupt("R-HDR-RESERVED", "reserved header byte 7 is not zero");
    const h = new Header(bytes);
    if (h.signed === (h.keyId === 0)) {
      corrupt(
        "R-HDR-KEYID",
        h.signed ? "the MAC flag is set but the key id is 0" : `key id ${h.keyId} on a blob without the MAC flag`,
      );
    }
    if (!h.compressed) {
      if (h.dictionaryId !== 0) corrupt("R-HDR-RAW", `a raw body with dictionary id ${h.dictionaryId}`);
      if (h.bodyDigestLo !== 0 || h.bodyDigestHi !== 0) corrupt("R-HDR-RAW", "a raw body with a non-zero body digest");
      if (h.storedLen !== h.decodedLen) {
        corrupt("R-HDR-RAW", `a raw body whose stored length ${h.storedLen} differs from its decoded length ${h.decodedLen}`);
      }
    }
    return h;
  }
}
