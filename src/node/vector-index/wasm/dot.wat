;; Dot products of one query against a block of rows, with 128-bit SIMD: exact f32 (`dots`) and int8
;; codes (`dots_i8`, exact integer arithmetic, used as a bounded-error prefilter before an exact re-rank).
;; Rows are `stride` floats apart; stride is a multiple of 16 (rows are zero-padded), so the inner loop
;; can take 4 x f32x4 per step into 4 independent accumulators (keeps the adders busy; the scan is
;; memory-bound at ~400+ dims anyway). Assembled by scripts/build-vector-wasm.mjs into dot-wasm.ts.
(module
  ;; JS owns the memory (and grows it by doubling as the index grows).
  (import "env" "memory" (memory 1 65536))

  ;; out[i] = dot(q, base + i*stride) for i in [0, n). All pointers are byte offsets, 16-byte aligned.
  (func (export "dots") (param $q i32) (param $base i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $row i32) (local $rowEnd i32) (local $p i32) (local $qp i32) (local $outEnd i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $row (local.get $base))
    (local.set $outEnd (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $rows
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $row))
      (local.set $qp (local.get $q))
      (local.set $rowEnd (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 2))))
      (loop $cols
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $qp)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $qp)))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $p)) (v128.load offset=32 (local.get $qp)))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $p)) (v128.load offset=48 (local.get $qp)))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
        (br_if $cols (i32.lt_u (local.get $p) (local.get $rowEnd))))
      (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
      (f32.store (local.get $out)
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
      (local.set $row (local.get $rowEnd))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br_if $rows (i32.lt_u (local.get $out) (local.get $outEnd)))))
;; out[i] = dot(q, base + i*stride) over int8 codes, as i32 (exact: 384 * 127 * 127 fits easily).
  ;; stride (bytes) is a multiple of 32; rows are zero-padded. Each 16-byte load is sign-extended to two
  ;; i16x8 halves and multiplied pairwise with i32x4.dot_i16x8_s.
  (func (export "dots_i8") (param $q i32) (param $base i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $row i32) (local $rowEnd i32) (local $p i32) (local $qp i32) (local $outEnd i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $acc0 v128) (local $acc1 v128)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $row (local.get $base))
    (local.set $outEnd (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $rows
      (local.set $acc0 (v128.const i32x4 0 0 0 0))
      (local.set $acc1 (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $row))
      (local.set $qp (local.get $q))
      (local.set $rowEnd (i32.add (local.get $row) (local.get $stride)))
      (loop $cols
        (local.set $a (v128.load (local.get $p)))
        (local.set $b (v128.load (local.get $qp)))
        (local.set $c (v128.load offset=16 (local.get $p)))
        (local.set $d (v128.load offset=16 (local.get $qp)))
        (local.set $acc0 (i32x4.add (local.get $acc0)
          (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $a)) (i16x8.extend_low_i8x16_s (local.get $b)))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $a)) (i16x8.extend_high_i8x16_s (local.get $b))))))
        (local.set $acc1 (i32x4.add (local.get $acc1)
          (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (i16x8.extend_low_i8x16_s (local.get $d)))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (i16x8.extend_high_i8x16_s (local.get $d))))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
        (br_if $cols (i32.lt_u (local.get $p) (local.get $rowEnd))))
      (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
      (i32.store (local.get $out)
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
          (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
      (local.set $row (local.get $rowEnd))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br_if $rows (i32.lt_u (local.get $out) (local.get $outEnd)))))
)
