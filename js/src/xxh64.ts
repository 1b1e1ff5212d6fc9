/**
 * XXH64 (seed 0) with 32-bit arithmetic: every 64-bit value is two `u32` halves in local
 * variables, products are built from 16-bit limbs (exact in doubles), and nothing is allocated.
 * A `BigInt` implementation costs about 16 ns a byte; this one about 1.
 *
 * The result of {@link xxh64Into} is left in {@link XXH.hi} and {@link XXH.lo}, so that callers
 * on the read path compare halves without making a bigint.
 */

/** The result of the last {@link xxh64Into}: high and low 32 bits. */
export const XXH = { hi: 0, lo: 0 };

// The primes, as halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

// Scratch result of mul/round, so that the helpers return two values without allocating (an
// Int32Array: a module-level `let` holding a u32 above 2^31 would box it on every store).
const R = new Int32Array(2);

/** (ah:al) × (bh:bl) mod 2^64 → R. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[1] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  R[0] = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh);
}

/** round(acc, lane) = rotl(acc + lane × P2, 31) × P1 → R. */
function round(ah: number, al: number, lh: number, ll: number): void {
  mul(lh, ll, P2H, P2L);
  const lo = al + (R[1]! >>> 0);
  const sl = lo >>> 0;
  const sh = (ah + (R[0]! >>> 0) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  // rotl 31
  const rh = ((sh << 31) | (sl >>> 1)) >>> 0;
  const rl = ((sl << 31) | (sh >>> 1)) >>> 0;
  mul(rh, rl, P1H, P1L);
}

/**
 * XXH64 of `b[start, end)` with `seed` (a `u32`: the format uses 0, and the version byte for
 * version 3 digests), into {@link XXH}.
 */
export function xxh64Into(b: Uint8Array, start: number, end: number, seed = 0): void {
  const len = end - start;
  let p = start;
  let h: number, l: number;
  if (len >= 32) {
    // v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1.
    let v1l = (P1L + P2L) >>> 0;
    let v1h = (P1H + P2H + (P1L + P2L > 0xffffffff ? 1 : 0)) >>> 0;
    let c = v1l + seed;
    v1l = c >>> 0;
    v1h = (v1h + (c > 0xffffffff ? 1 : 0)) >>> 0;
    c = P2L + seed;
    let v2l = c >>> 0;
    let v2h = (P2H + (c > 0xffffffff ? 1 : 0)) >>> 0;
    let v3h = 0, v3l = seed >>> 0;
    // -P1 = ~P1 + 1, then + seed
    let v4l = (~P1L + 1) >>> 0;
    let v4h = (~P1H + (v4l === 0 ? 1 : 0)) >>> 0;
    c = v4l + seed;
    v4l = c >>> 0;
    v4h = (v4h + (c > 0xffffffff ? 1 : 0)) >>> 0;
    const limit = end - 32;
    let x0 = 0, x1 = 0, p00 = 0, p01 = 0, p10 = 0, mid = 0;
    let lh = 0, ll = 0, th = 0, tl = 0, rh = 0, rl = 0, s = 0;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    while (p <= limit) {
      // lane 1
      lh = dv.getUint32(p + 4, true); ll = dv.getUint32(p + 0, true);
      x0 = ll & 0xffff; x1 = ll >>> 16;
      p00 = x0 * 0xeb4f; p01 = x0 * 0x27d4; p10 = x1 * 0xeb4f;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      th = (x1 * 0x27d4 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(lh, 0x27d4eb4f) + Math.imul(ll, 0xc2b2ae3d)) >>> 0;
      tl = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      s = v1l + tl; tl = s >>> 0; th = (v1h + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
      rh = ((th << 31) | (tl >>> 1)) >>> 0; rl = ((tl << 31) | (th >>> 1)) >>> 0;
      x0 = rl & 0xffff; x1 = rl >>> 16;
      p00 = x0 * 0xca87; p01 = x0 * 0x85eb; p10 = x1 * 0xca87;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v1h = (x1 * 0x85eb + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(rh, 0x85ebca87) + Math.imul(rl, 0x9e3779b1)) >>> 0;
      v1l = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      // lane 2
      lh = dv.getUint32(p + 12, true); ll = dv.getUint32(p + 8, true);
      x0 = ll & 0xffff; x1 = ll >>> 16;
      p00 = x0 * 0xeb4f; p01 = x0 * 0x27d4; p10 = x1 * 0xeb4f;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      th = (x1 * 0x27d4 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(lh, 0x27d4eb4f) + Math.imul(ll, 0xc2b2ae3d)) >>> 0;
      tl = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      s = v2l + tl; tl = s >>> 0; th = (v2h + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
      rh = ((th << 31) | (tl >>> 1)) >>> 0; rl = ((tl << 31) | (th >>> 1)) >>> 0;
      x0 = rl & 0xffff; x1 = rl >>> 16;
      p00 = x0 * 0xca87; p01 = x0 * 0x85eb; p10 = x1 * 0xca87;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v2h = (x1 * 0x85eb + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(rh, 0x85ebca87) + Math.imul(rl, 0x9e3779b1)) >>> 0;
      v2l = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      // lane 3
      lh = dv.getUint32(p + 20, true); ll = dv.getUint32(p + 16, true);
      x0 = ll & 0xffff; x1 = ll >>> 16;
      p00 = x0 * 0xeb4f; p01 = x0 * 0x27d4; p10 = x1 * 0xeb4f;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      th = (x1 * 0x27d4 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(lh, 0x27d4eb4f) + Math.imul(ll, 0xc2b2ae3d)) >>> 0;
      tl = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      s = v3l + tl; tl = s >>> 0; th = (v3h + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
      rh = ((th << 31) | (tl >>> 1)) >>> 0; rl = ((tl << 31) | (th >>> 1)) >>> 0;
      x0 = rl & 0xffff; x1 = rl >>> 16;
      p00 = x0 * 0xca87; p01 = x0 * 0x85eb; p10 = x1 * 0xca87;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v3h = (x1 * 0x85eb + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(rh, 0x85ebca87) + Math.imul(rl, 0x9e3779b1)) >>> 0;
      v3l = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      // lane 4
      lh = dv.getUint32(p + 28, true); ll = dv.getUint32(p + 24, true);
      x0 = ll & 0xffff; x1 = ll >>> 16;
      p00 = x0 * 0xeb4f; p01 = x0 * 0x27d4; p10 = x1 * 0xeb4f;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      th = (x1 * 0x27d4 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(lh, 0x27d4eb4f) + Math.imul(ll, 0xc2b2ae3d)) >>> 0;
      tl = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      s = v4l + tl; tl = s >>> 0; th = (v4h + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
      rh = ((th << 31) | (tl >>> 1)) >>> 0; rl = ((tl << 31) | (th >>> 1)) >>> 0;
      x0 = rl & 0xffff; x1 = rl >>> 16;
      p00 = x0 * 0xca87; p01 = x0 * 0x85eb; p10 = x1 * 0xca87;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v4h = (x1 * 0x85eb + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(rh, 0x85ebca87) + Math.imul(rl, 0x9e3779b1)) >>> 0;
      v4l = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      p += 32;
    }
    // acc = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)
    let ah = ((v1h << 1) | (v1l >>> 31)) >>> 0;
    let al = ((v1l << 1) | (v1h >>> 31)) >>> 0;
    th = ((v2h << 7) | (v2l >>> 25)) >>> 0;
    tl = ((v2l << 7) | (v2h >>> 25)) >>> 0;
    s = al + tl;
    al = s >>> 0;
    ah = (ah + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
    th = ((v3h << 12) | (v3l >>> 20)) >>> 0;
    tl = ((v3l << 12) | (v3h >>> 20)) >>> 0;
    s = al + tl;
    al = s >>> 0;
    ah = (ah + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
    th = ((v4h << 18) | (v4l >>> 14)) >>> 0;
    tl = ((v4l << 18) | (v4h >>> 14)) >>> 0;
    s = al + tl;
    al = s >>> 0;
    ah = (ah + th + (s > 0xffffffff ? 1 : 0)) >>> 0;
    // mergeRound(acc, v) = (acc ^ round(0, v)) × P1 + P4
    for (let i = 0; i < 4; i++) {
      const vh = i === 0 ? v1h : i === 1 ? v2h : i === 2 ? v3h : v4h;
      const vl = i === 0 ? v1l : i === 1 ? v2l : i === 2 ? v3l : v4l;
      round(0, 0, vh, vl);
      mul((ah ^ (R[0]! >>> 0)) >>> 0, (al ^ (R[1]! >>> 0)) >>> 0, P1H, P1L);
      s = (R[1]! >>> 0) + P4L;
      al = s >>> 0;
      ah = ((R[0]! >>> 0) + P4H + (s > 0xffffffff ? 1 : 0)) >>> 0;
    }
    h = ah;
    l = al;
  } else {
    const c = P5L + seed;
    h = (P5H + (c > 0xffffffff ? 1 : 0)) >>> 0;
    l = c >>> 0;
  }
  // acc += len (len < 2^53: its high half is len / 2^32)
  {
    const lenLo = len >>> 0;
    const lenHi = Math.floor(len / 4294967296) >>> 0;
    const s = l + lenLo;
    l = s >>> 0;
    h = (h + lenHi + (s > 0xffffffff ? 1 : 0)) >>> 0;
  }
  while (p + 8 <= end) {
    round(0, 0, u32(b, p + 4), u32(b, p));
    h = (h ^ (R[0]! >>> 0)) >>> 0;
    l = (l ^ (R[1]! >>> 0)) >>> 0;
    // rotl 27, × P1, + P4
    const rh = ((h << 27) | (l >>> 5)) >>> 0;
    const rl = ((l << 27) | (h >>> 5)) >>> 0;
    mul(rh, rl, P1H, P1L);
    const s = (R[1]! >>> 0) + P4L;
    l = s >>> 0;
    h = ((R[0]! >>> 0) + P4H + (s > 0xffffffff ? 1 : 0)) >>> 0;
    p += 8;
  }
  if (p + 4 <= end) {
    mul(0, u32(b, p), P1H, P1L);
    h = (h ^ (R[0]! >>> 0)) >>> 0;
    l = (l ^ (R[1]! >>> 0)) >>> 0;
    // rotl 23, × P2, + P3
    const rh = ((h << 23) | (l >>> 9)) >>> 0;
    const rl = ((l << 23) | (h >>> 9)) >>> 0;
    mul(rh, rl, P2H, P2L);
    const s = (R[1]! >>> 0) + P3L;
    l = s >>> 0;
    h = ((R[0]! >>> 0) + P3H + (s > 0xffffffff ? 1 : 0)) >>> 0;
    p += 4;
  }
  while (p < end) {
    mul(0, b[p]!, P5H, P5L);
    h = (h ^ (R[0]! >>> 0)) >>> 0;
    l = (l ^ (R[1]! >>> 0)) >>> 0;
    // rotl 11, × P1
    const rh = ((h << 11) | (l >>> 21)) >>> 0;
    const rl = ((l << 11) | (h >>> 21)) >>> 0;
    mul(rh, rl, P1H, P1L);
    h = (R[0]! >>> 0);
    l = (R[1]! >>> 0);
    p++;
  }
  // avalanche
  l = (l ^ (h >>> 1)) >>> 0; // ^= >> 33
  mul(h, l, P2H, P2L);
  h = (R[0]! >>> 0);
  l = (R[1]! >>> 0);
  l = (l ^ ((l >>> 29) | (h << 3))) >>> 0; // ^= >> 29
  h = (h ^ (h >>> 29)) >>> 0;
  mul(h, l, P3H, P3L);
  h = (R[0]! >>> 0);
  l = (R[1]! >>> 0);
  l = (l ^ h) >>> 0; // ^= >> 32
  XXH.hi = h;
  XXH.lo = l;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}


/**
 * XXH64 (seed 0) of the 12 bytes whose little-endian words are `a`, `b`, `c` (an ObjectId key),
 * into {@link XXH}: {@link xxh64Into}'s steps for exactly 12 bytes, without reading memory.
 */
export function xxh64Words12(a: number, b: number, c: number): void {
  // acc = P5 + 12
  let h = P5H;
  let l = (P5L + 12) >>> 0;
  // the 8-byte lane b:a
  round(0, 0, b >>> 0, a >>> 0);
  h = (h ^ (R[0]! >>> 0)) >>> 0;
  l = (l ^ (R[1]! >>> 0)) >>> 0;
  let rh = ((h << 27) | (l >>> 5)) >>> 0;
  let rl = ((l << 27) | (h >>> 5)) >>> 0;
  mul(rh, rl, P1H, P1L);
  let s = (R[1]! >>> 0) + P4L;
  l = s >>> 0;
  h = ((R[0]! >>> 0) + P4H + (s > 0xffffffff ? 1 : 0)) >>> 0;
  // the 4-byte word c
  mul(0, c >>> 0, P1H, P1L);
  h = (h ^ (R[0]! >>> 0)) >>> 0;
  l = (l ^ (R[1]! >>> 0)) >>> 0;
  rh = ((h << 23) | (l >>> 9)) >>> 0;
  rl = ((l << 23) | (h >>> 9)) >>> 0;
  mul(rh, rl, P2H, P2L);
  s = (R[1]! >>> 0) + P3L;
  l = s >>> 0;
  h = ((R[0]! >>> 0) + P3H + (s > 0xffffffff ? 1 : 0)) >>> 0;
  // avalanche
  l = (l ^ (h >>> 1)) >>> 0;
  mul(h, l, P2H, P2L);
  h = R[0]! >>> 0;
  l = R[1]! >>> 0;
  l = (l ^ ((l >>> 29) | (h << 3))) >>> 0;
  h = (h ^ (h >>> 29)) >>> 0;
  mul(h, l, P3H, P3L);
  h = R[0]! >>> 0;
  l = R[1]! >>> 0;
  XXH.hi = h;
  XXH.lo = (l ^ h) >>> 0;
}
