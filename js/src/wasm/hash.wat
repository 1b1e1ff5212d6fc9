;; sessionpack's hot loops in WebAssembly, which has the 64-bit multiply, rotate and popcount
;; that JavaScript lacks. Assembled from this text by `scripts/build-wasm.mjs` (wabt) into
;; `src/hash-wasm.ts` at every build; loaded synchronously on first use by `src/hash.ts`.
;;
;; Memory layout: bytes [0, 16) hold results ($OUT: one i64 at 0, one i32 at 8); callers copy
;; input from DATA (64) on and put tables after it. Every function reads only what it is told
;; to: the caller (src/hash.ts) checks the ranges against the memory it reserved, and any
;; access outside the memory traps (a RuntimeError), it never reads past it.

(module
  (memory (export "memory") 1)

  (global $P1 i64 (i64.const 0x9E3779B185EBCA87))
  (global $P2 i64 (i64.const 0xC2B2AE3D27D4EB4F))
  (global $P3 i64 (i64.const 0x165667B19E3779F9))
  (global $P4 i64 (i64.const 0x85EBCA77C2B2AE63))
  (global $P5 i64 (i64.const 0x27D4EB2F165667C5))

  ;; XXH64 of memory[p, p + len) with `seed`.
  (func $xxh64 (param $p i32) (param $len i32) (param $seed i64) (result i64)
    (local $end i32) (local $limit i32)
    (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64) (local $h i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (if (i32.ge_u (local.get $len) (i32.const 32))
      (then
        (local.set $limit (i32.sub (local.get $end) (i32.const 32)))
        (local.set $v1 (i64.add (i64.add (local.get $seed) (global.get $P1)) (global.get $P2)))
        (local.set $v2 (i64.add (local.get $seed) (global.get $P2)))
        (local.set $v3 (local.get $seed))
        (local.set $v4 (i64.sub (local.get $seed) (global.get $P1)))
        (loop $stripes
          (local.set $v1 (i64.mul (i64.rotl (i64.add (local.get $v1)
            (i64.mul (i64.load (local.get $p)) (global.get $P2))) (i64.const 31)) (global.get $P1)))
          (local.set $v2 (i64.mul (i64.rotl (i64.add (local.get $v2)
            (i64.mul (i64.load offset=8 (local.get $p)) (global.get $P2))) (i64.const 31)) (global.get $P1)))
          (local.set $v3 (i64.mul (i64.rotl (i64.add (local.get $v3)
            (i64.mul (i64.load offset=16 (local.get $p)) (global.get $P2))) (i64.const 31)) (global.get $P1)))
          (local.set $v4 (i64.mul (i64.rotl (i64.add (local.get $v4)
            (i64.mul (i64.load offset=24 (local.get $p)) (global.get $P2))) (i64.const 31)) (global.get $P1)))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $stripes (i32.le_u (local.get $p) (local.get $limit))))
        (local.set $h (i64.add (i64.add (i64.rotl (local.get $v1) (i64.const 1)) (i64.rotl (local.get $v2) (i64.const 7)))
                               (i64.add (i64.rotl (local.get $v3) (i64.const 12)) (i64.rotl (local.get $v4) (i64.const 18)))))
        (local.set $h (call $merge (local.get $h) (local.get $v1)))
        (local.set $h (call $merge (local.get $h) (local.get $v2)))
        (local.set $h (call $merge (local.get $h) (local.get $v3)))
        (local.set $h (call $merge (local.get $h) (local.get $v4))))
      (else
        (local.set $h (i64.add (local.get $seed) (global.get $P5)))))
    (local.set $h (i64.add (local.get $h) (i64.extend_i32_u (local.get $len))))
    (block $done8
      (loop $eights
        (br_if $done8 (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
        (local.set $h (i64.xor (local.get $h) (call $round (i64.const 0) (i64.load (local.get $p)))))
        (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (global.get $P1)) (global.get $P4)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $eights)))
    (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $end))
      (then
        (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load32_u (local.get $p)) (global.get $P1))))
        (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (global.get $P2)) (global.get $P3)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))))
    (block $done1
      (loop $ones
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load8_u (local.get $p)) (global.get $P5))))
        (local.set $h (i64.mul (i64.rotl (local.get $h) (i64.const 11)) (global.get $P1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ones)))
    (call $avalanche (local.get $h)))

  (func $round (param $acc i64) (param $lane i64) (result i64)
    (i64.mul (i64.rotl (i64.add (local.get $acc) (i64.mul (local.get $lane) (global.get $P2))) (i64.const 31)) (global.get $P1)))

  (func $merge (param $acc i64) (param $v i64) (result i64)
    (i64.add (i64.mul (i64.xor (local.get $acc) (call $round (i64.const 0) (local.get $v))) (global.get $P1)) (global.get $P4)))

  (func $avalanche (param $h i64) (result i64)
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (global.get $P2)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (global.get $P3)))
    (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))

  ;; `(h × slots) >> 64`: the home slot of a key whose hash is `h` in an index of `slots` slots
  ;; (SPEC.md §16.2). slots < 2^32, so hi × slots + (lo × slots >> 32) < 2^64: no overflow.
  (func $home (param $h i64) (param $slots i64) (result i32)
    (i32.wrap_i64 (i64.shr_u
      (i64.add (i64.mul (i64.shr_u (local.get $h) (i64.const 32)) (local.get $slots))
               (i64.shr_u (i64.mul (i64.and (local.get $h) (i64.const 0xffffffff)) (local.get $slots)) (i64.const 32)))
      (i64.const 32))))

  ;; XXH64 of memory[p, p + len) with the u32 `seed`, stored at 0 (little-endian: low half at 0).
  (func (export "digest") (param $p i32) (param $len i32) (param $seed i32)
    (i64.store (i32.const 0) (call $xxh64 (local.get $p) (local.get $len) (i64.extend_i32_u (local.get $seed)))))

  ;; The XXH64 (seed 0) of the 12 bytes a | b << 32 | c << 64 (little-endian words), looked up
  ;; in an index of `slots` slots: returns the home slot; the hash's low half is stored at 8.
  (func (export "probe12") (param $a i32) (param $b i32) (param $c i32) (param $slots i32) (result i32)
    (local $h i64)
    (local.set $h (i64.add (global.get $P5) (i64.const 12)))
    (local.set $h (i64.xor (local.get $h) (call $round (i64.const 0)
      (i64.or (i64.extend_i32_u (local.get $a)) (i64.shl (i64.extend_i32_u (local.get $b)) (i64.const 32))))))
    (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (global.get $P1)) (global.get $P4)))
    (local.set $h (i64.xor (local.get $h) (i64.mul (i64.extend_i32_u (local.get $c)) (global.get $P1))))
    (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (global.get $P2)) (global.get $P3)))
    (local.set $h (call $avalanche (local.get $h)))
    (i32.store (i32.const 8) (i32.wrap_i64 (local.get $h)))
    (call $home (local.get $h) (i64.extend_i32_u (local.get $slots))))

  ;; For `count` keys of `width` bytes each from `keys` on: XXH64 (seed 0) of each, as
  ;; (home slot in an index of `slots`, low half of the hash) u32 pairs at `out`.
  (func (export "homes") (param $keys i32) (param $width i32) (param $count i32) (param $slots i32) (param $out i32)
    (local $end i32) (local $h i64) (local $s i64)
    (local.set $s (i64.extend_i32_u (local.get $slots)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $keys
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $h (call $xxh64 (local.get $keys) (local.get $width) (i64.const 0)))
        (i32.store (local.get $out) (call $home (local.get $h) (local.get $s)))
        (i32.store offset=4 (local.get $out) (i32.wrap_i64 (local.get $h)))
        (local.set $keys (i32.add (local.get $keys) (local.get $width)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $keys))))

  ;; As `homes`, for keys of any length: key i is strings[ends[i-1], ends[i]) (ends[-1] = 0), the
  ;; ends u32s at `ends` (already checked to increase and to stay within the strings).
  (func (export "homesVar") (param $ends i32) (param $strings i32) (param $count i32) (param $slots i32) (param $out i32)
    (local $end i32) (local $h i64) (local $s i64) (local $start i32) (local $stop i32)
    (local.set $s (i64.extend_i32_u (local.get $slots)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $keys
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $stop (i32.load (local.get $ends)))
        (local.set $h (call $xxh64 (i32.add (local.get $strings) (local.get $start))
                                   (i32.sub (local.get $stop) (local.get $start)) (i64.const 0)))
        (i32.store (local.get $out) (call $home (local.get $h) (local.get $s)))
        (i32.store offset=4 (local.get $out) (i32.wrap_i64 (local.get $h)))
        (local.set $start (local.get $stop))
        (local.set $ends (i32.add (local.get $ends) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $keys))))

  ;; The number of set bits in memory[p, p + len), len a multiple of 32: four 64-bit popcounts
  ;; into four sums at a time. (Measured: 1.5x the speed of one at a time, 1.9x that of SIMD
  ;; i8x16.popcnt, which x86-64 without AVX-512 BITALG emulates with byte shuffles.)
  (func (export "popcount") (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $n0 i64) (local $n1 i64) (local $n2 i64) (local $n3 i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $n0 (i64.add (local.get $n0) (i64.popcnt (i64.load (local.get $p)))))
        (local.set $n1 (i64.add (local.get $n1) (i64.popcnt (i64.load offset=8 (local.get $p)))))
        (local.set $n2 (i64.add (local.get $n2) (i64.popcnt (i64.load offset=16 (local.get $p)))))
        (local.set $n3 (i64.add (local.get $n3) (i64.popcnt (i64.load offset=24 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $words)))
    (i32.wrap_i64 (i64.add (i64.add (local.get $n0) (local.get $n1)) (i64.add (local.get $n2) (local.get $n3)))))

  ;; The index of the first of the `count` u16s at `p` that is not above the one before it (the
  ;; first breaks no order when `previous` is -1), or -1 when they strictly increase. Sixteen
  ;; neighbouring pairs at a time (values i..i+15 against i+1..i+16: two SIMD compares), then
  ;; eight; from the first failing block on, and for the last few values, one at a time.
  (func (export "ascending16") (param $p i32) (param $count i32) (param $previous i32) (result i32)
    (local $i i32) (local $v i32) (local $at i32)
    (if (i32.eqz (local.get $count)) (then (return (i32.const -1))))
    (if (i32.le_s (i32.load16_u (local.get $p)) (local.get $previous)) (then (return (i32.const 0))))
    ;; Pairs (i, i + 1) for i from 0: a block of sixteen reads values up to i + 16 < count.
    (block $eights
      (loop $sixteens
        (br_if $eights (i32.gt_u (i32.add (local.get $i) (i32.const 17)) (local.get $count)))
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1))))
        (br_if $eights (i32.eqz (i16x8.all_true (v128.and
          (i16x8.gt_u (v128.load offset=2 (local.get $at)) (v128.load (local.get $at)))
          (i16x8.gt_u (v128.load offset=18 (local.get $at)) (v128.load offset=16 (local.get $at)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteens)))
    ;; A block of eight reads values up to i + 8 < count.
    (block $scalar
      (loop $blocks
        (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 9)) (local.get $count)))
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1))))
        (br_if $scalar (i32.eqz (i16x8.all_true
          (i16x8.gt_u (v128.load offset=2 (local.get $at)) (v128.load (local.get $at))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $blocks)))
    ;; From value i (in order with everything before it) on, one at a time.
    (local.set $previous (i32.load16_u (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1)))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $v (i32.load16_u (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1)))))
        (if (i32.le_s (local.get $v) (local.get $previous)) (then (return (local.get $i))))
        (local.set $previous (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $values)))
    (i32.const -1))
)
