;; The look-up of one ObjectId dictionary, and membership in one id set, in WebAssembly
;; (issue 21). Assembled from this text by `scripts/build-wasm.mjs` (wabt) into
;; `src/oid-index-wasm.ts`; `src/oid-index.ts` makes one instance per ObjectId dictionary it
;; serves, the first time a key is looked up in it or a set is paired with it (`IdSet.keyed`).
;;
;; Memory layout (set by the caller through `init` and `initSet`, from a validated dictionary
;; and a validated id set, both copied in): the dictionary's keys (12 bytes each, in id order)
;; at $keys; an index of its own at $index, which `init` builds from the keys: the dictionary's
;; (SPEC.md §16.2) with at least twice as many slots as keys, where the dictionary's has 1.25
;; times as many (a look-up probes ~1.5 slots for a key held and ~2.5 for one not held, against
;; ~3 and ~13 at the dictionary's load); and the portable Roaring bytes of one id set, with a
;; table of its containers (`initSet`). Nothing here re-validates: the copies are of bytes the
;; readers checked (SPEC.md §16.3, §7.2). An access outside the
;; memory traps (a RuntimeError); it never reads past it. An array container is searched with
;; 128-bit SIMD instructions, which every Node the package supports (20 and later) has.

(module
  (memory (export "memory") 1)
  (global $P1 i64 (i64.const 0x9E3779B185EBCA87))
  (global $P2 i64 (i64.const 0xC2B2AE3D27D4EB4F))
  (global $P3 i64 (i64.const 0x165667B19E3779F9))
  (global $P4 i64 (i64.const 0x85EBCA77C2B2AE63))
  (global $P5 i64 (i64.const 0x27D4EB2F165667C5))
  (global $keys (mut i32) (i32.const 0))
  (global $index (mut i32) (i32.const 0))
  (global $slots (mut i32) (i32.const 0))
  (global $mask (mut i32) (i32.const 0))
  ;; The id `query` inserts when asked to (`want` 3, from `init`).
  (global $insert (mut i32) (i32.const 0))
  (global $sCount (mut i32) (i32.const 0))
  (global $sKeys (mut i32) (i32.const 0))
  (global $sTable (mut i32) (i32.const 0))
  ;; The dictionary: `count` keys at `keys`, `mask` the id bits of an entry (SPEC.md §16.2). Builds
  ;; its index at `index`, `slots` slots (at least 2 × count, so that a slot is always empty): the
  ;; ids 0, 1, … inserted in order by linear probing, each at the first empty slot from its key's
  ;; home, as the dictionary's own index is built, with the same entries (fingerprint and id).
  ;; The keys are distinct (R-DICT-UNIQUE), so each is inserted once and found once.
  (func (export "init") (param $keys i32) (param $count i32) (param $mask i32) (param $index i32) (param $slots i32)
    (local $id i32) (local $k i32)
    (global.set $keys (local.get $keys)) (global.set $mask (local.get $mask))
    (global.set $index (local.get $index)) (global.set $slots (local.get $slots))
    (memory.fill (local.get $index) (i32.const 0xff) (i32.shl (local.get $slots) (i32.const 2)))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $id) (local.get $count)))
      (global.set $insert (local.get $id))
      (local.set $k (i32.add (local.get $keys) (i32.mul (local.get $id) (i32.const 12))))
      (drop (call $query (i32.load (local.get $k)) (i32.load offset=4 (local.get $k)) (i32.load offset=8 (local.get $k)) (i32.const 3)))
      (local.set $id (i32.add (local.get $id) (i32.const 1)))
      (br $each))))
  ;; The id set: its bytes at `base`; `count` containers, the key/cardinality table at `keysAt`,
  ;; the offset header at `offsetsAt` (or -1: then containers 0, 1, 2 are at p0, p1, p2), the
  ;; run-flag bitset at `flagsAt` (or -1: no run container). Absolute positions. Writes, at
  ;; `table` (8 × count bytes), each container's position and how it is searched: -1 a run
  ;; container, -2 a bitmap, -3 an array of fewer than 64 values, and for a longer array its
  ;; scale, floor((count - 1) * 2^16 / (last - first)) (at least 63), from which `query` guesses a
  ;; value's position without a division.
  (func (export "initSet") (param $base i32) (param $count i32) (param $keysAt i32) (param $offsetsAt i32) (param $flagsAt i32)
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $table i32)
    (local $i i32) (local $at i32) (local $hi i32) (local $t i32) (local $e i32)
    (global.set $sCount (local.get $count)) (global.set $sKeys (local.get $keysAt)) (global.set $sTable (local.get $table))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      ;; -1 is "none"; any other value is a position, which may lie at 2^31 or above (negative as an i32).
      (if (i32.ne (local.get $offsetsAt) (i32.const -1))
        (then (local.set $at (i32.add (local.get $base) (i32.load (i32.add (local.get $offsetsAt) (i32.shl (local.get $i) (i32.const 2)))))))
        (else (local.set $at (select (local.get $p0) (select (local.get $p1) (local.get $p2) (i32.eq (local.get $i) (i32.const 1))) (i32.eqz (local.get $i))))))
      (local.set $hi (i32.load16_u offset=2 (i32.add (local.get $keysAt) (i32.shl (local.get $i) (i32.const 2)))))
      (block $kind
        (local.set $t (i32.const -1))
        (if (i32.ne (local.get $flagsAt) (i32.const -1)) (then
          (br_if $kind (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $flagsAt) (i32.shr_u (local.get $i) (i32.const 3))))
            (i32.and (local.get $i) (i32.const 7))) (i32.const 1)))))
        (local.set $t (i32.const -2))
        (br_if $kind (i32.ge_u (local.get $hi) (i32.const 4096)))
        (local.set $t (i32.const -3))
        (br_if $kind (i32.lt_u (local.get $hi) (i32.const 63)))
        ;; An array's values are strictly increasing: last - first >= count - 1 >= 63.
        (local.set $t (i32.div_u (i32.shl (local.get $hi) (i32.const 16))
          (i32.sub (i32.load16_u (i32.add (local.get $at) (i32.shl (local.get $hi) (i32.const 1)))) (i32.load16_u (local.get $at))))))
      (local.set $e (i32.add (local.get $table) (i32.shl (local.get $i) (i32.const 3))))
      (i32.store (local.get $e) (local.get $at))
      (i32.store offset=4 (local.get $e) (local.get $t))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each))))
  ;; The one query of this module: `want` 0, the id of the key whose 12 bytes are the
  ;; little-endian words a, b, c, or -1 when the dictionary does not hold it; `want` 1, whether
  ;; that key is in the dictionary and its id in the id set (1 or 0); `want` 2, whether the id
  ;; `a` is in the id set (b and c unused); `want` 3 (from `init`), insert the key with the id
  ;; $insert at the first empty slot of its probe. One function rather than three that call each other:
  ;; V8 does not inline WebAssembly calls, and a check pays for each (about 2 ns in all).
  ;;
  ;; The look-up: XXH64 (seed 0) of the 12 bytes, home slot `(h × slots) >> 64`, linear probing;
  ;; an entry's high bits are the hash's low half's (SPEC.md §16.2). Membership: binary search
  ;; of the container keys, then of the run container, one bit of a bitmap container, or the
  ;; array container's search below (SPEC.md §7.1).
  (func $query (export "query") (param $a i32) (param $b i32) (param $c i32) (param $want i32) (result i32)
    (local $h i64) (local $p i32) (local $v i32) (local $fp i32) (local $nm i32) (local $id i32) (local $k i32) (local $i i32)
    (local $key i32) (local $lo i32) (local $hi i32) (local $mid i32) (local $at i32) (local $low i32) (local $s i32) (local $t i32) (local $x v128)
    (block $found
      (if (i32.eq (local.get $want) (i32.const 2)) (then (local.set $id (local.get $a)) (br $found)))
      (local.set $h (i64.add (global.get $P5) (i64.const 12)))
      ;; XXH64's round of the first eight bytes, from an accumulator of 0.
      (local.set $h (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul
        (i64.or (i64.extend_i32_u (local.get $a)) (i64.shl (i64.extend_i32_u (local.get $b)) (i64.const 32))) (global.get $P2))
        (i64.const 31)) (global.get $P1))))
      (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (global.get $P1)) (global.get $P4)))
      (local.set $h (i64.xor (local.get $h) (i64.mul (i64.extend_i32_u (local.get $c)) (global.get $P1))))
      (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (global.get $P2)) (global.get $P3)))
      (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (global.get $P2)))
      (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (global.get $P3)))
      (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))
      (local.set $p (i32.wrap_i64 (i64.shr_u
        (i64.add (i64.mul (i64.shr_u (local.get $h) (i64.const 32)) (i64.extend_i32_u (global.get $slots)))
                 (i64.shr_u (i64.mul (i64.and (local.get $h) (i64.const 0xffffffff)) (i64.extend_i32_u (global.get $slots))) (i64.const 32)))
        (i64.const 32))))
      (local.set $nm (i32.xor (global.get $mask) (i32.const -1)))
      (local.set $fp (i32.and (i32.wrap_i64 (local.get $h)) (local.get $nm)))
      (block $out
        (loop $probe
          (br_if $out (i32.ge_u (local.get $i) (global.get $slots)))
          (local.set $v (i32.load (i32.add (global.get $index) (i32.shl (local.get $p) (i32.const 2)))))
          (if (i32.eq (local.get $v) (i32.const -1))
            (then
              (if (i32.eq (local.get $want) (i32.const 3)) (then
                (i32.store (i32.add (global.get $index) (i32.shl (local.get $p) (i32.const 2))) (i32.or (local.get $fp) (global.get $insert)))
                (return (i32.const 0))))
              (br $out)))
          (if (i32.eq (i32.and (local.get $v) (local.get $nm)) (local.get $fp))
            (then
              (local.set $id (i32.and (local.get $v) (global.get $mask)))
              (local.set $k (i32.add (global.get $keys) (i32.mul (local.get $id) (i32.const 12))))
              (if (i32.and (i32.and (i32.eq (i32.load (local.get $k)) (local.get $a)) (i32.eq (i32.load offset=4 (local.get $k)) (local.get $b)))
                           (i32.eq (i32.load offset=8 (local.get $k)) (local.get $c)))
                (then (br $found)))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (if (i32.eq (local.get $p) (global.get $slots)) (then (local.set $p (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $probe)))
      ;; Not in the dictionary: -1 for the id, 0 for membership.
      (return (i32.sub (i32.const 0) (i32.eqz (local.get $want)))))
    (if (i32.eqz (local.get $want)) (then (return (local.get $id))))
    (local.set $key (i32.shr_u (local.get $id) (i32.const 16)))
    (local.set $low (i32.and (local.get $id) (i32.const 0xffff)))
    (local.set $hi (i32.sub (global.get $sCount) (i32.const 1)))
    (local.set $i (i32.const -1))
    (local.set $lo (i32.const 0))
    (block $container
      (loop $search
        (br_if $container (i32.gt_s (local.get $lo) (local.get $hi)))
        (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
        (local.set $k (i32.load16_u (i32.add (global.get $sKeys) (i32.shl (local.get $mid) (i32.const 2)))))
        (if (i32.lt_u (local.get $k) (local.get $key)) (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))) (br $search)))
        (if (i32.gt_u (local.get $k) (local.get $key)) (then (local.set $hi (i32.sub (local.get $mid) (i32.const 1))) (br $search)))
        (local.set $i (local.get $mid))))
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))
    ;; The container's position and kind (see initSet).
    (local.set $at (i32.load (i32.add (global.get $sTable) (i32.shl (local.get $i) (i32.const 3)))))
    (local.set $t (i32.load offset=4 (i32.add (global.get $sTable) (i32.shl (local.get $i) (i32.const 3)))))
    (if (i32.eq (local.get $t) (i32.const -1))
      (then
        (local.set $lo (i32.const 0))
        (local.set $hi (i32.sub (i32.load16_u (local.get $at)) (i32.const 1)))
        (block $done (loop $runs
          (br_if $done (i32.gt_s (local.get $lo) (local.get $hi)))
          (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
          (local.set $s (i32.load16_u offset=2 (i32.add (local.get $at) (i32.shl (local.get $mid) (i32.const 2)))))
          (if (i32.gt_u (local.get $s) (local.get $low)) (then (local.set $hi (i32.sub (local.get $mid) (i32.const 1))) (br $runs)))
          (if (i32.le_u (i32.sub (local.get $low) (local.get $s)) (i32.load16_u offset=4 (i32.add (local.get $at) (i32.shl (local.get $mid) (i32.const 2)))))
            (then (return (i32.const 1))))
          (local.set $lo (i32.add (local.get $mid) (i32.const 1)))
          (br $runs)))
        (return (i32.const 0))))
    (if (i32.eq (local.get $t) (i32.const -2))
      (then (return (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $at) (i32.shr_u (local.get $low) (i32.const 3)))) (i32.and (local.get $low) (i32.const 7))) (i32.const 1)))))
    (local.set $hi (i32.load16_u offset=2 (i32.add (global.get $sKeys) (i32.shl (local.get $i) (i32.const 2)))))
    (local.set $lo (i32.const 0))
    ;; An array of at least 64 values: guess the value's position from the array's first and last
    ;; values (a user's ids are spread evenly over the dictionary's more often than not), look at
    ;; the value there, and test the 64 values from the guess towards `low` at once (eight 8-lane
    ;; comparisons, no branch on the data); a value outside those 64 narrows the binary search
    ;; below to the side it is on. Exact either way: the values are strictly increasing, so a
    ;; value between the window's first and last is a member only if it is one of the window's.
    (if (i32.ge_s (local.get $t) (i32.const 0))
      (then
        (local.set $v (i32.load16_u (local.get $at)))
        (local.set $s (i32.sub (i32.load16_u (i32.add (local.get $at) (i32.shl (local.get $hi) (i32.const 1)))) (local.get $v)))
        (if (i32.gt_u (i32.sub (local.get $low) (local.get $v)) (local.get $s)) (then (return (i32.const 0))))
        ;; The guess: (low - first) * scale / 2^16, at most (low - first) * (count - 1) / (last - first), at most count - 1.
        (local.set $mid (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.sub (local.get $low) (local.get $v))) (i64.extend_i32_u (local.get $t))) (i64.const 16))))
        ;; The window [k, k + 64): from the guess up when the value there is at most `low`, else down to it; inside the array.
        (local.set $k (select (local.get $mid) (i32.sub (local.get $mid) (i32.const 63))
          (i32.le_u (i32.load16_u (i32.add (local.get $at) (i32.shl (local.get $mid) (i32.const 1)))) (local.get $low))))
        (local.set $k (select (local.get $k) (i32.const 0) (i32.gt_s (local.get $k) (i32.const 0))))
        (local.set $k (select (local.get $k) (i32.sub (local.get $hi) (i32.const 63)) (i32.lt_s (local.get $k) (i32.sub (local.get $hi) (i32.const 63)))))
        (local.set $s (i32.add (local.get $at) (i32.shl (local.get $k) (i32.const 1))))
        (if (i32.lt_u (local.get $low) (i32.load16_u (local.get $s)))
          (then (local.set $hi (i32.sub (local.get $k) (i32.const 1))))
          (else (if (i32.gt_u (local.get $low) (i32.load16_u offset=126 (local.get $s)))
            (then (local.set $lo (i32.add (local.get $k) (i32.const 64))))
            (else
              (local.set $x (i16x8.splat (local.get $low)))
              (return (v128.any_true (v128.or
                (v128.or
                  (v128.or (i16x8.eq (v128.load offset=0 (local.get $s)) (local.get $x)) (i16x8.eq (v128.load offset=16 (local.get $s)) (local.get $x)))
                  (v128.or (i16x8.eq (v128.load offset=32 (local.get $s)) (local.get $x)) (i16x8.eq (v128.load offset=48 (local.get $s)) (local.get $x))))
                (v128.or
                  (v128.or (i16x8.eq (v128.load offset=64 (local.get $s)) (local.get $x)) (i16x8.eq (v128.load offset=80 (local.get $s)) (local.get $x)))
                  (v128.or (i16x8.eq (v128.load offset=96 (local.get $s)) (local.get $x)) (i16x8.eq (v128.load offset=112 (local.get $s)) (local.get $x)))))))))))))
    (block $done (loop $arr
      (br_if $done (i32.gt_s (local.get $lo) (local.get $hi)))
      (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
      (local.set $v (i32.load16_u (i32.add (local.get $at) (i32.shl (local.get $mid) (i32.const 1)))))
      (if (i32.lt_u (local.get $v) (local.get $low)) (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))) (br $arr)))
      (if (i32.gt_u (local.get $v) (local.get $low)) (then (local.set $hi (i32.sub (local.get $mid) (i32.const 1))) (br $arr)))
      (return (i32.const 1))))
    (i32.const 0))
)
