// Compressed bodies (SPEC.md §4), with zstd frames built here from raw and RLE blocks, so that
// every frame rule can be broken on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decoder, Session, SessionpackError, encode } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";

function put32(b: Uint8Array, at: number, v: number) {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function put64(b: Uint8Array, at: number, v: bigint) {
  put32(b, at, Number(v & 0xffffffffn));
  put32(b, at + 4, Number(v >> 32n));
}

/**
 * A zstd frame of `content`: raw blocks of at most 128 KiB (or `blocks`, a list of
 * [type, size, bytes]), a 4-byte content size, the checksum.
 */
/** How {@link frame} departs from a plain frame. */
interface FrameOptions {
  singleSegment?: boolean;
  checksum?: boolean;
  fhdExtra?: number;
  windowDescriptor?: number;
  contentSize?: number;
  blocks?: [type: number, size: number, bytes: Uint8Array][];
  checksumValue?: number;
}

function frame(content: Uint8Array, o: FrameOptions = {}) {
  const parts: Uint8Array[] = [];
  const fhd = (2 << 6) | (o.singleSegment === false ? 0 : 1 << 5) | (o.checksum === false ? 0 : 1 << 2) | (o.fhdExtra ?? 0);
  parts.push(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, fhd));
  if (o.singleSegment === false) parts.push(Uint8Array.of(o.windowDescriptor ?? 0));
  const fcs = new Uint8Array(4);
  put32(fcs, 0, o.contentSize ?? content.length);
  parts.push(fcs);
  const blocks = o.blocks ?? [];
  if (!o.blocks) {
    for (let at = 0; at < content.length || at === 0; at += 1 << 17) {
      const piece = content.subarray(at, Math.min(content.length, at + (1 << 17)));
      blocks.push([0, piece.length, piece]);
      if (content.length === 0) break;
    }
  }
  blocks.forEach(([type, size, bytes], i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const h = last | (type << 1) | (size << 3);
    parts.push(Uint8Array.of(h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff), bytes);
  });
  if (o.checksum !== false) {
    const c = new Uint8Array(4);
    put32(c, 0, o.checksumValue ?? Number(xxh64(content) & 0xffffffffn));
    parts.push(c);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A compressed blob of `archive` (version `version`) with `body` as its frame. */
function blob(archive: Uint8Array, body: Uint8Array, version = 1, o: { decodedLen?: number; dictionaryId?: number } = {}) {
  const out = new Uint8Array(40 + body.length);
  out.set([0x93, 0x53, 0x50, 0x4b, version, 1, 0, 0]);
  put64(out, 8, xxh64(archive, version === 3 ? 3 : 0));
  put32(out, 16, body.length);
  put32(out, 20, o.decodedLen ?? archive.length);
  put32(out, 24, o.dictionaryId ?? 0);
  put64(out, 32, xxh64(body));
  out.set(body, 40);
  return out;
}

const session = new Session({
  userId: "u1", tenantId: "acme", token: "tok".repeat(50), issuedAt: 0, expiresAt: 10,
  roles: ["staff"], settings: { lang: "en" }, facilities: Array.from({ length: 3000 }, (_, i) => i * 3), groups: [10],
});
const raw = encode(session);
const archive = raw.subarray(40);
const decoder = new Decoder({ expiry: "ignore" });

function refused(bytes: Uint8Array, rule: string, kind = "corrupt") {
  assert.throws(
    () => decoder.open(bytes),
    (e) => {
      assert.ok(e instanceof SessionpackError, String(e));
      assert.equal(e.kind, kind, e.message);
      assert.equal(e.rule, rule, e.message);
      return true;
    },
  );
}

test("frames of raw and RLE blocks inflate to the archive", () => {
  const expected = decoder.open(raw).toJson();
  assert.equal(decoder.open(blob(archive, frame(archive))).toJson(), expected);
  // Several blocks, one of them RLE (the zeros of a padding run would do; here: the first byte).
  const head = archive.subarray(0, 1);
  const rest = archive.subarray(1);
  const rle = frame(archive, { blocks: [[1, 1, head], [0, rest.length, rest]] });
  assert.equal(decoder.open(blob(archive, rle)).toJson(), expected);
  // Not single-segment, with windows from 1 KiB to 2 GiB (window log 31: the 64-bit maximum).
  for (const exponent of [0, 5, 20, 21]) {
    const f = frame(archive, { singleSegment: false, windowDescriptor: (exponent << 3) | 7 });
    assert.equal(decoder.open(blob(archive, f)).toJson(), expected, `window log ${exponent + 10}`);
  }
});

test("every frame rule, broken", () => {
  const good = frame(archive);
  const skippable = new Uint8Array(8 + good.length);
  skippable.set([0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]);
  skippable.set(good, 8);
  refused(blob(archive, skippable), "R-FRAME-MAGIC");
  refused(blob(archive, Uint8Array.of(0x28, 0xb5, 0x2f)), "R-FRAME-MAGIC");
  refused(blob(archive, frame(archive, { checksum: false })), "R-FRAME-CHECKSUM");
  refused(blob(archive, frame(archive, { fhdExtra: 1 << 3 })), "R-FRAME-BITS");
  refused(blob(archive, frame(archive, { fhdExtra: 1 << 4 })), "R-FRAME-BITS");
  refused(blob(archive, frame(archive, { singleSegment: false, windowDescriptor: 22 << 3 })), "R-FRAME-WINDOW");
  refused(blob(archive, frame(archive, { singleSegment: false, windowDescriptor: (31 << 3) | 7 })), "R-FRAME-WINDOW");
  refused(blob(archive, frame(archive, { contentSize: archive.length + 8 })), "R-FRAME-SIZE");
  refused(blob(archive, good, 1, { dictionaryId: 5 }), "R-DICT", "unsupported");
  const twice = new Uint8Array(2 * good.length);
  twice.set(good);
  twice.set(good, good.length);
  refused(blob(archive, twice), "R-FRAME-WHOLE");
  refused(blob(archive, good.subarray(0, good.length - 4)), "R-FRAME-WHOLE");
  refused(blob(archive, frame(archive, { blocks: [[3, 0, new Uint8Array()]] })), "R-FRAME-WHOLE");
  // A frame whose blocks produce one byte less than its declared content size: refused, not
  // padded (R-FRAME-DATA: exactly decoded_len bytes).
  const short = archive.subarray(0, archive.length - 1);
  refused(blob(archive, frame(short, { contentSize: archive.length, checksumValue: Number(xxh64(archive) & 0xffffffffn) })), "R-FRAME-DATA");
  // One byte more.
  const long = new Uint8Array(archive.length + 1);
  long.set(archive);
  refused(blob(archive, frame(long, { contentSize: archive.length, checksumValue: Number(xxh64(archive) & 0xffffffffn) })), "R-FRAME-DATA");
  refused(blob(archive, frame(archive, { checksumValue: 12345 })), "R-FRAME-DATA");
  // The checksum is the low half of XXH64 with seed 0 in version 3 too; the digest has seed 3.
  const v3 = new Session({ ...session, facilityLineage: 77n });
  v3.facilities = session.facilities;
  const a3 = encode(v3).subarray(40);
  assert.equal(decoder.open(blob(a3, frame(a3), 3)).facilityLineage, 77n);
  const seeded = frame(a3, { checksumValue: Number(xxh64(a3, 3) & 0xffffffffn) });
  refused(blob(a3, seeded, 3), "R-FRAME-DATA");
});

test("the inflation ratio is checked from the header", () => {
  // 2 KiB of zeros in one RLE block: a frame of 19 bytes. 16 KiB + 4 × 19 is the most it may declare.
  const zeros = new Uint8Array(8192);
  const f = frame(zeros, { blocks: [[1, 8192, Uint8Array.of(0)]] });
  refused(blob(zeros, f, 1, { decodedLen: 16384 + 4 * f.length + 1 }), "R-LIMIT-RATIO", "limit");
  // Within the ratio, it inflates and then fails as an archive (zeros are no valid archive).
  refused(blob(zeros, f), "R-ARC-PTR");
});
