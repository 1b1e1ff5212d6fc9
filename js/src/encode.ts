/**
 * `encode`: sessions to raw blobs (never compressed), signed or not, byte for byte what the
 * Rust encoder writes with compression off.
 */

import { putU32 } from "./bytes.js";
import { writeArchive } from "./archive.js";
import { fail, invalidInput } from "./errors.js";
import { FLAG_SIGNED, HEADER_LEN, MAC_LEN, MAGIC } from "./header.js";
import { encodeIdSet } from "./idset.js";
import { limitsFrom, type Limits } from "./limits.js";
import { prepareKey, sign, type MacKey } from "./mac.js";
import { Session, sortedEntries, type SessionInit } from "./session.js";
import { schemaFor } from "./versions.js";
import { digestInto } from "./hash.js";
import { XXH } from "./xxh64.js";

/** Options of {@link encode}. */
export interface EncodeOptions {
  /** Sign with this key: an HMAC-SHA256 trailer, and its id in the header. */
  key?: MacKey | undefined;
  /** The limits the session must respect (default SPEC.md §8's): use the readers'. */
  limits?: Partial<Limits>;
}

/**
 * The blob of `session`, its body stored raw. Throws `invalid_input` for a session that breaks
 * a rule (`issuedAt > expiresAt`, a string with a lone surrogate, ids that are not ascending
 * `u32`s, a bad key) and `limit` for one above the limits.
 */
export function encode(session: Session | SessionInit, options: EncodeOptions = {}): Uint8Array {
  const s = session instanceof Session ? session : new Session(session);
  const limits = limitsFrom(options.limits);
  const key = options.key === undefined ? undefined : prepareKey(options.key);
  s.check(limits);
  const hasLineage = s.facilityLineage !== undefined || s.groupLineage !== undefined;
  const schema = schemaFor(hasLineage);
  if (schema === undefined) invalidInput("no format version this package writes holds dictionary lineages");
  const archive = writeArchive(
    {
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
      userId: s.userId,
      tenantId: s.tenantId,
      token: s.token,
      roles: s.roles,
      settings: sortedEntries(s.settings),
      attributes: sortedEntries(s.attributes),
      facilities: encodeIdSet(s.facilities),
      groups: encodeIdSet(s.groups),
      facilityLineage: s.facilityLineage,
      groupLineage: s.groupLineage,
    },
    schema,
  );
  const len = archive.length;
  if (len > limits.maxDecodedLen || len > 0xffffffff) {
    fail(
      "limit",
      "R-LIMIT-DECODED",
      `the archive is ${len} bytes, above the decoded-size limit of ${limits.maxDecodedLen} (R-LIMIT-DECODED): readers would refuse it`,
    );
  }
  const out = new Uint8Array(HEADER_LEN + len + (key ? MAC_LEN : 0));
  out.set(MAGIC, 0);
  out[4] = schema.version;
  out[5] = key ? FLAG_SIGNED : 0;
  digestInto(archive, 0, len, schema.digestSeed);
  putU32(out, 8, XXH.lo);
  putU32(out, 12, XXH.hi);
  putU32(out, 16, len);
  putU32(out, 20, len);
  // dictionary_id 0, key_id, body_digest 0 (raw)
  putU32(out, 28, key ? key.id : 0);
  out.set(archive, HEADER_LEN);
  if (key) out.set(sign(key, out.subarray(0, HEADER_LEN + len)), HEADER_LEN + len);
  return out;
}
