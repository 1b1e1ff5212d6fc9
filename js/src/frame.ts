/**
 * A compressed body (SPEC.md §4): the frame rules, checked here from the bytes before anything
 * is inflated, then one-shot inflation into exactly `decoded_len` bytes with libzstd's reference
 * decoder compiled to WebAssembly (zstddec's module, instantiated synchronously on first use:
 * `zstd.ts`), so `open` stays synchronous and nothing is awaited at import.
 */

import { u16, u32 } from "./bytes.js";
import { corrupt, fail } from "./errors.js";
import { decompress } from "./zstd.js";

/**
 * Window logs above this are refused by libzstd on 64-bit targets (`ZSTD_WINDOWLOG_MAX`), which
 * tests the exponent alone, whatever the mantissa (SPEC.md R-FRAME-WINDOW).
 */
const WINDOWLOG_MAX = 31;
/** The WebAssembly (32-bit) libzstd refuses window logs above this (`ZSTD_WINDOWLOG_MAX_32`). */
const WINDOWLOG_MAX_32 = 30;

/**
 * Checks that `body` is exactly one zstd frame as SPEC.md §4 requires (magic, descriptor bits,
 * window, content size, dictionary, whole frame), in that order. Reads only headers. Returns the
 * frame's window log (0 for a single-segment frame, whose window is its content).
 */
export function checkFrame(body: Uint8Array, decodedLen: number, dictionaryId: number): number {
  const len = body.length;
  if (len < 4) corrupt("R-FRAME-MAGIC", `a compressed body of ${len} bytes cannot hold a zstd frame`);
  if (body[0] !== 0x28 || body[1] !== 0xb5 || body[2] !== 0x2f || body[3] !== 0xfd) {
    const skippable = (body[0]! & 0xf0) === 0x50 && body[1] === 0x2a && body[2] === 0x4d && body[3] === 0x18;
    corrupt("R-FRAME-MAGIC", skippable ? "the body starts with a skippable frame" : "the body does not start with the zstd magic");
  }
  if (len < 5) corrupt("R-FRAME-WHOLE", "the zstd frame header is truncated");
  const fhd = body[4]!;
  if ((fhd & 0b100) === 0) corrupt("R-FRAME-CHECKSUM", "the zstd frame has no content checksum");
  if ((fhd & 0b11000) !== 0) corrupt("R-FRAME-BITS", "the zstd frame header's reserved or unused bit is set");
  const singleSegment = (fhd >>> 5) & 1;
  const fcsFlag = fhd >>> 6;
  const dictFlag = fhd & 3;
  let pos = 5;
  let windowLog = 0;
  if (!singleSegment) {
    if (len < 6) corrupt("R-FRAME-SIZE", "the zstd frame header is truncated");
    windowLog = (body[5]! >>> 3) + 10;
    if (windowLog > WINDOWLOG_MAX) {
      corrupt("R-FRAME-WINDOW", `the zstd frame's window log is ${windowLog}, above the 31 libzstd accepts (its mantissa does not count)`);
    }
    pos = 6;
  }
  const dictSize = dictFlag === 3 ? 4 : dictFlag;
  const fcsSize = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  const headerSize = pos + dictSize + fcsSize;
  if (len < headerSize) corrupt("R-FRAME-SIZE", "the zstd frame header is truncated");
  let frameDict = 0;
  if (dictSize === 1) frameDict = body[pos]!;
  else if (dictSize === 2) frameDict = u16(body, pos);
  else if (dictSize === 4) frameDict = u32(body, pos);
  pos += dictSize;
  if (fcsSize === 0) corrupt("R-FRAME-SIZE", "the zstd frame does not declare its content size");
  let fcsLo: number;
  let fcsHi = 0;
  if (fcsSize === 1) fcsLo = body[pos]!;
  else if (fcsSize === 2) fcsLo = u16(body, pos) + 256;
  else if (fcsSize === 4) fcsLo = u32(body, pos);
  else {
    fcsLo = u32(body, pos);
    fcsHi = u32(body, pos + 4);
  }
  if (fcsHi !== 0 || fcsLo !== decodedLen) {
    const size = fcsHi === 0 ? String(fcsLo) : String((BigInt(fcsHi) << 32n) | BigInt(fcsLo));
    corrupt("R-FRAME-SIZE", `the zstd frame's content size ${size} differs from the header's decoded length ${decodedLen}`);
  }
  if (frameDict !== 0 && frameDict !== dictionaryId) {
    if (dictionaryId === 0) unknownDictionary(frameDict);
    corrupt("R-FRAME-DICT", `the header names zstd dictionary ${dictionaryId} and the frame ${frameDict}`);
  }
  if (dictionaryId !== 0) unknownDictionary(dictionaryId);
  // The blocks, up to the one flagged last, then the 4-byte checksum: exactly the body.
  pos = headerSize;
  for (;;) {
    if (pos + 3 > len) corrupt("R-FRAME-WHOLE", "the zstd frame is truncated (a block header is missing)");
    const bh = body[pos]! | (body[pos + 1]! << 8) | (body[pos + 2]! << 16);
    const type = (bh >>> 1) & 3;
    if (type === 3) corrupt("R-FRAME-WHOLE", "a zstd block of the reserved type");
    const size = type === 1 ? 1 : bh >>> 3;
    if (pos + 3 + size > len) corrupt("R-FRAME-WHOLE", "the zstd frame is truncated (a block is cut)");
    pos += 3 + size;
    if (bh & 1) break;
  }
  if (pos + 4 > len) corrupt("R-FRAME-WHOLE", "the zstd frame is truncated (its checksum is missing)");
  pos += 4;
  if (pos !== len) corrupt("R-FRAME-WHOLE", `${len - pos} bytes after the zstd frame`);
  return windowLog;
}

function unknownDictionary(id: number): never {
  fail(
    "unsupported",
    "R-DICT",
    `the body needs zstd dictionary ${id}, which this reader does not hold (R-DICT): format version 1 readers hold none`,
  );
}

/**
 * Inflates the checked frame `body` into a new buffer of exactly `decodedLen` bytes
 * (R-FRAME-DATA: every block decodes, the output is exactly that long, the checksum matches;
 * libzstd checks the last itself and the caller checks it again with the archive's digest).
 */
export function inflate(body: Uint8Array, decodedLen: number, windowLog: number): Uint8Array {
  if (decodedLen === 0) {
    // Nothing to inflate into; no archive is empty (R-ARC-LEN refuses it next).
    return new Uint8Array(0);
  }
  let frame = body;
  if (windowLog > WINDOWLOG_MAX_32 && decodedLen <= 2 ** WINDOWLOG_MAX_32) {
    // A 2 GiB window, which 64-bit libzstd (the Rust reader's) accepts and the 32-bit build
    // refuses. One-shot decoding into `decoded_len` bytes never reaches back further than
    // that, and 2^30 bytes cover it: declare that window instead, in a copy, so that both
    // readers accept the same frames.
    frame = body.slice();
    frame[5] = (((WINDOWLOG_MAX_32 - 10) << 3) | (body[5]! & 7)) & 0xff;
  }
  let out: Uint8Array;
  try {
    out = decompress(frame, decodedLen);
  } catch (e) {
    corrupt("R-FRAME-DATA", `inflating the zstd frame failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (out.length !== decodedLen) {
    corrupt("R-FRAME-DATA", "the zstd frame does not inflate to exactly the declared length (or its checksum is wrong)");
  }
  return out;
}
