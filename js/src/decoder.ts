/**
 * {@link Decoder}: blobs to validated views, every MUST of SPEC.md §2–§9 checked once, in the
 * order of §9 (the first fault is the one reported).
 */

import { u32 } from "./bytes.js";
import { validateArchive } from "./archive.js";
import { bytesExpected, corrupt, fail, SessionpackError } from "./errors.js";
import { checkFrame, inflate } from "./frame.js";
import { Header, HEADER_LEN } from "./header.js";
import { limitsFrom, maxInflatedLen, type Limits } from "./limits.js";
import { KeyRing, type MacKey } from "./mac.js";
import { SessionView } from "./view.js";
import { schemaOf, type VersionSchema } from "./versions.js";
import { digestInto } from "./hash.js";
import { XXH } from "./xxh64.js";

/**
 * Whether `open` refuses expired sessions:
 * - `"reject-now"` (the default): refuse sessions expired by `Date.now()` when `open` runs;
 * - `{ rejectAt: ms }`: refuse sessions expired at this time (Unix milliseconds), for a caller
 *   with its own clock and for tests;
 * - `"ignore"`: open expired sessions too. This weakens the decoder: for tools that inspect
 *   old blobs, never to grant access.
 */
export type Expiry = "reject-now" | "ignore" | { readonly rejectAt: number | bigint };

/** Options of a {@link Decoder}. */
export interface DecoderOptions {
  /**
   * MAC keys to accept. **Keys imply a MAC:** a decoder holding any key refuses unsigned blobs
   * unless `allowUnsigned` is set.
   */
  keys?: Iterable<MacKey>;
  /**
   * Open unsigned blobs even though keys are held. **This weakens the decoder** (anyone who can
   * write the cache can forge a session by writing it unsigned): for migrations only. Signed
   * blobs are still verified.
   */
  allowUnsigned?: boolean;
  /** Expiry policy; default `"reject-now"`. */
  expiry?: Expiry;
  /** Limits (default SPEC.md §8's); keep them equal to the writers'. */
  limits?: Partial<Limits>;
}

const SESSION_MAC_RULES = ["R-MAC-KEY", "R-MAC-TAG"] as const;

/**
 * Whether the bytes a wrong tag covers fail their own integrity checks too (SPEC.md §5,
 * R-MAC-FIRST), seen without inflating or parsing the body: a decoded length no archive of the
 * version has, then the body digest of a compressed body or the version's digest of a raw one.
 */
function bodyDamaged(bytes: Uint8Array, h: Header, schema: VersionSchema): boolean {
  if (h.decodedLen < schema.rootLen || h.decodedLen % 8 !== 0) return true;
  const bodyEnd = HEADER_LEN + h.storedLen;
  if (h.compressed) {
    digestInto(bytes, HEADER_LEN, bodyEnd);
    return XXH.lo !== h.bodyDigestLo || XXH.hi !== h.bodyDigestHi;
  }
  digestInto(bytes, HEADER_LEN, bodyEnd, schema.digestSeed);
  return XXH.lo !== h.digestLo || XXH.hi !== h.digestHi;
}

/**
 * Reads blobs: checks the header, verifies the MAC, inflates a compressed body (or reads a raw
 * one in place), checks both digests and validates the archive and its id sets, once. The
 * {@link SessionView} it returns then reads fields and answers membership checks without
 * further checks.
 *
 * **On any error, deny access.**
 */
export class Decoder {
  /** The key ring: add and remove keys while rotating them. */
  readonly keys: KeyRing;
  readonly allowUnsigned: boolean;
  readonly expiry: Expiry;
  readonly limits: Limits;

  constructor(options: DecoderOptions = {}) {
    this.keys = new KeyRing(options.keys ?? []);
    this.allowUnsigned = options.allowUnsigned === true;
    this.expiry = options.expiry ?? "reject-now";
    if (
      this.expiry !== "reject-now" &&
      this.expiry !== "ignore" &&
      !(typeof this.expiry === "object" && (typeof this.expiry.rejectAt === "number" || typeof this.expiry.rejectAt === "bigint"))
    ) {
      throw new TypeError('expiry must be "reject-now", "ignore" or { rejectAt: unixMillis }');
    }
    this.limits = limitsFrom(options.limits);
  }

  /** Whether unsigned blobs are refused: keys are held and `allowUnsigned` is not set. */
  get requiresMac(): boolean {
    return this.keys.size > 0 && !this.allowUnsigned;
  }

  /**
   * Checks and opens `bytes`. The view reads a raw body in place (do not change `bytes` while
   * it is used) and a compressed one from a buffer of its own. Throws {@link SessionpackError}
   * for the first rule broken. **Deny access on any error.**
   */
  open(bytes: Uint8Array): SessionView {
    if (typeof bytes === "string") throw bytesExpected(bytes, "the value given to Decoder.open");
    // Step 1: the header (SPEC.md §3, rules 1 to 8).
    const h = Header.read(bytes);
    const schema = schemaOf(h.version)!; // Header.read refused every other version
    const limits = this.limits;
    if (h.decodedLen > limits.maxDecodedLen) {
      fail(
        "limit",
        "R-LIMIT-DECODED",
        `the header declares a decoded archive of ${h.decodedLen} bytes, above the limit of ${limits.maxDecodedLen} (R-LIMIT-DECODED)`,
      );
    }
    if (h.compressed) {
      const allowed = maxInflatedLen(limits, h.storedLen);
      if (h.decodedLen > allowed) {
        fail(
          "limit",
          "R-LIMIT-RATIO",
          `a compressed body of ${h.storedLen} bytes declares ${h.decodedLen} decoded bytes, above the ${allowed} ` +
            `the inflation ratio allows (R-LIMIT-RATIO)`,
        );
      }
    }
    const bodyEnd = HEADER_LEN + h.storedLen;
    const expected = h.blobLen;
    if (bytes.length < expected) {
      corrupt(
        "R-BLOB-LEN",
        `truncated blob: ${bytes.length} bytes where the header says ${expected}` +
          (bytes.length >= bodyEnd && h.signed ? " (the MAC trailer is cut)" : ""),
      );
    }
    if (bytes.length > expected) corrupt("R-BLOB-LEN", `${bytes.length - expected} trailing bytes after the blob`);

    // Step 2: the MAC, before anything in the body is read.
    if (h.signed) {
      try {
        this.keys.verify(h.keyId, bytes.subarray(0, bodyEnd), bytes.subarray(bodyEnd), "blob", SESSION_MAC_RULES);
      } catch (e) {
        if (e instanceof SessionpackError && e.rule === "R-MAC-TAG" && bodyDamaged(bytes, h, schema)) {
          fail(
            "unauthenticated",
            "R-MAC-FIRST",
            `the blob's MAC does not verify under key id ${h.keyId}, and its body fails its digest too: it was damaged or forged; ` +
              "the MAC is checked first, so nothing of it was read (R-MAC-FIRST): deny access",
          );
        }
        throw e;
      }
    } else if (this.requiresMac) {
      fail(
        "unauthenticated",
        "R-MAC-REQUIRED",
        "the blob is unsigned and this reader holds keys, so it requires a MAC (R-MAC-REQUIRED): deny access; " +
          "sign blobs on the writer, or (for a migration only) open with allowUnsigned",
      );
    }

    // Step 3: the body.
    let b: Uint8Array;
    let base: number;
    // Where the archive's copy made by its last digest lies in the hash module's memory (or -1):
    // the id sets' checks below read it there. Nothing writes that memory in between.
    let copyAt: number;
    if (h.compressed) {
      digestInto(bytes, HEADER_LEN, bodyEnd);
      if (XXH.lo !== h.bodyDigestLo || XXH.hi !== h.bodyDigestHi) {
        corrupt("R-BODY-DIGEST", "the stored body's digest differs from the header's body_digest");
      }
      const body = bytes.subarray(HEADER_LEN, bodyEnd);
      const windowLog = checkFrame(body, h.decodedLen, h.dictionaryId);
      b = inflate(body, h.decodedLen, windowLog);
      base = 0;
      // The frame's checksum: the low half of XXH64 with seed 0 (in every version).
      copyAt = digestInto(b, 0, b.length);
      if (b.length > 0 && XXH.lo !== u32(body, body.length - 4)) {
        corrupt("R-FRAME-DATA", "the zstd frame's content checksum does not match what it inflates to");
      }
      if (schema.digestSeed !== 0) copyAt = digestInto(b, 0, b.length, schema.digestSeed);
    } else {
      b = bytes;
      base = HEADER_LEN;
      copyAt = digestInto(bytes, HEADER_LEN, bodyEnd, schema.digestSeed);
    }

    // Step 4: the digest.
    if (XXH.lo !== h.digestLo || XXH.hi !== h.digestHi) {
      corrupt("R-DIGEST", `the archive's digest (XXH64, seed ${schema.digestSeed}: version ${schema.version}) differs from the header's`);
    }

    // Step 5: the archive and its id sets.
    const ix = validateArchive(b, base, h.decodedLen, limits, schema, copyAt);
    const view = new SessionView(b, ix, h, schema);

    // Step 6: expiry.
    const expiry = this.expiry;
    if (expiry !== "ignore") {
      const now = expiry === "reject-now" ? Date.now() : expiry.rejectAt;
      if (view.isExpiredAt(now)) {
        fail(
          "expired",
          "R-EXPIRED",
          `the session expired at ${view.expiresAt} (Unix ms), at or before ${now} (R-EXPIRED): deny access and ask the user to sign in again`,
        );
      }
    }
    return view;
  }
}
