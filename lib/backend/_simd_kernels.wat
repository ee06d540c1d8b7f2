;; The forward plan's element-wise loops in WebAssembly SIMD (four float32 lanes at a time), which
;; V8 does not vectorise from JavaScript. Every array lives in the one memory the caller gives;
;; pointers are byte offsets, lengths are floats, and `channels` is a multiple of 4.
;;
;; Built into lib/backend/_simd_kernels_wasm.ts by `deno task build:simd`; edit this file, not that.
(module
  (memory (import "plan" "memory") 1)

  ;; out[r, j, c] = relu(max(p[r, 2j, c], p[r, 2j + 1, c]) + bias[c]): max pooling of 2, the bias
  ;; and ReLU of a convolution's product, its rows `rowStride` floats apart in p and packed in out.
  (func (export "pairRelu")
    (param $p i32) (param $rows i32) (param $rowStride i32) (param $length i32)
    (param $channels i32) (param $bias i32) (param $out i32)
    (local $r i32) (local $j i32) (local $c i32) (local $a i32) (local $b i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $channels) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $a (i32.add (local.get $p)
        (i32.shl (i32.mul (local.get $r) (local.get $rowStride)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $positionsDone (loop $position
        (br_if $positionsDone (i32.ge_u (local.get $j) (local.get $length)))
        (local.set $b (i32.add (local.get $a) (local.get $cb)))
        (local.set $c (i32.const 0))
        (block $channelsDone (loop $channel
          (br_if $channelsDone (i32.ge_u (local.get $c) (local.get $cb)))
          (v128.store (local.get $out)
            (f32x4.max (v128.const f32x4 0 0 0 0)
              (f32x4.add
                (f32x4.max
                  (v128.load (i32.add (local.get $a) (local.get $c)))
                  (v128.load (i32.add (local.get $b) (local.get $c))))
                (v128.load (i32.add (local.get $bias) (local.get $c))))))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $channel)))
        (local.set $a (i32.add (local.get $b) (local.get $cb)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $position)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
  )

;; pairRelu's gradient, for the training plan: from the pooled outputs' gradient g (packed as
  ;; out), the gradient of the product p laid out as p, in pg: where out > 0 (the ReLU passes) the
  ;; window's gradient goes to its larger product, the first on a tie, and the other gets 0; where
  ;; out ≤ 0 both get 0. The passed gradients are added to biasSum (float64, one per channel) in
  ;; the order of the rows and positions, as a JavaScript loop adds them. Positions of p beyond
  ;; 2 · length in a row are left as they are.
  (func (export "pairReluBackward")
    (param $p i32) (param $rows i32) (param $rowStride i32) (param $length i32)
    (param $channels i32) (param $out i32) (param $g i32) (param $pg i32) (param $biasSum i32)
    (local $r i32) (local $j i32) (local $c i32) (local $a i32) (local $b i32) (local $cb i32)
    (local $row i32) (local $passed v128) (local $second v128) (local $sum i32)
    (local.set $cb (i32.shl (local.get $channels) (i32.const 2)))
    (block $rowsDone (loop $nextRow
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.shl (i32.mul (local.get $r) (local.get $rowStride)) (i32.const 2)))
      (local.set $a (local.get $row))
      (local.set $j (i32.const 0))
      (block $positionsDone (loop $position
        (br_if $positionsDone (i32.ge_u (local.get $j) (local.get $length)))
        (local.set $b (i32.add (local.get $a) (local.get $cb)))
        (local.set $c (i32.const 0))
        (local.set $sum (local.get $biasSum))
        (block $channelsDone (loop $channel
          (br_if $channelsDone (i32.ge_u (local.get $c) (local.get $cb)))
          (local.set $passed (v128.and (v128.load (local.get $g))
            (f32x4.gt (v128.load (local.get $out)) (v128.const f32x4 0 0 0 0))))
          (local.set $second (f32x4.gt
            (v128.load (i32.add (local.get $p) (i32.add (local.get $b) (local.get $c))))
            (v128.load (i32.add (local.get $p) (i32.add (local.get $a) (local.get $c))))))
          (v128.store (i32.add (local.get $pg) (i32.add (local.get $a) (local.get $c)))
            (v128.andnot (local.get $passed) (local.get $second)))
          (v128.store (i32.add (local.get $pg) (i32.add (local.get $b) (local.get $c)))
            (v128.and (local.get $passed) (local.get $second)))
          (v128.store (local.get $sum) (f64x2.add (v128.load (local.get $sum))
            (f64x2.promote_low_f32x4 (local.get $passed))))
          (v128.store offset=16 (local.get $sum) (f64x2.add (v128.load offset=16 (local.get $sum))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
              (local.get $passed) (local.get $passed)))))
          (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $channel)))
        (local.set $a (i32.add (local.get $b) (local.get $cb)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $position)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $nextRow)))
  )

  ;; out[k] = Σ_l coef[l] · src_l[k] for k < n (a multiple of 4) over eight sources: the inner
  ;; loop of both Winograd transforms below.
  (func $combine8
    (param $out i32) (param $n i32) (param $coef i32)
    (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32)
    (param $s4 i32) (param $s5 i32) (param $s6 i32) (param $s7 i32)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128)
    (local $k4 v128) (local $k5 v128) (local $k6 v128) (local $k7 v128)
    (local $i i32) (local $nb i32)
    (local.set $k0 (f32x4.splat (f32.load offset=0 (local.get $coef))))
    (local.set $k1 (f32x4.splat (f32.load offset=4 (local.get $coef))))
    (local.set $k2 (f32x4.splat (f32.load offset=8 (local.get $coef))))
    (local.set $k3 (f32x4.splat (f32.load offset=12 (local.get $coef))))
    (local.set $k4 (f32x4.splat (f32.load offset=16 (local.get $coef))))
    (local.set $k5 (f32x4.splat (f32.load offset=20 (local.get $coef))))
    (local.set $k6 (f32x4.splat (f32.load offset=24 (local.get $coef))))
    (local.set $k7 (f32x4.splat (f32.load offset=28 (local.get $coef))))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $nb)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add
            (f32x4.add
              (f32x4.mul (local.get $k0) (v128.load (i32.add (local.get $s0) (local.get $i))))
              (f32x4.mul (local.get $k1) (v128.load (i32.add (local.get $s1) (local.get $i)))))
            (f32x4.add
              (f32x4.mul (local.get $k2) (v128.load (i32.add (local.get $s2) (local.get $i))))
              (f32x4.mul (local.get $k3) (v128.load (i32.add (local.get $s3) (local.get $i))))))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (local.get $k4) (v128.load (i32.add (local.get $s4) (local.get $i))))
              (f32x4.mul (local.get $k5) (v128.load (i32.add (local.get $s5) (local.get $i)))))
            (f32x4.add
              (f32x4.mul (local.get $k6) (v128.load (i32.add (local.get $s6) (local.get $i))))
              (f32x4.mul (local.get $k7) (v128.load (i32.add (local.get $s7) (local.get $i))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
  )

  ;; Source l of a window: `base + l · stride` bytes for l < avail, else `zeros` (the padding
  ;; past a row's end, and the unused sources past alpha).
  (func $source (param $base i32) (param $stride i32) (param $l i32) (param $avail i32)
    (param $zeros i32) (result i32)
    (select
      (i32.add (local.get $base) (i32.mul (local.get $l) (local.get $stride)))
      (local.get $zeros)
      (i32.lt_u (local.get $l) (local.get $avail)))
  )

  ;; The Winograd input transform of a convolution: for each row r, tile t (input positions
  ;; t·m … t·m + alpha − 1, zero past inLength) and transform point x,
  ;; v[x, r·tiles + t, c] = Σ_l bt[x, l] · d[r, t·m + l, c]. bt is alpha × 8 floats (zero past
  ;; alpha); v's planes are rows · tiles · channels floats apart.
  (func (export "winogradInput")
    (param $d i32) (param $rows i32) (param $inLength i32) (param $channels i32)
    (param $tiles i32) (param $m i32) (param $alpha i32) (param $bt i32) (param $v i32)
    (param $zeros i32)
    (local $r i32) (local $t i32) (local $x i32) (local $cb i32) (local $src i32) (local $avail i32)
    (local $tile i32) (local $plane i32) (local $coef i32)
    (local.set $cb (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $plane (i32.mul (i32.mul (local.get $rows) (local.get $tiles)) (local.get $cb)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $t (i32.const 0))
      (block $tilesDone (loop $nextTile
        (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $tiles)))
        (local.set $src (i32.add (local.get $d) (i32.mul (local.get $cb)
          (i32.add (i32.mul (local.get $r) (local.get $inLength))
            (i32.mul (local.get $t) (local.get $m))))))
        (local.set $avail (i32.sub (local.get $inLength) (i32.mul (local.get $t) (local.get $m))))
        (if (i32.gt_u (local.get $avail) (local.get $alpha))
          (then (local.set $avail (local.get $alpha))))
        (local.set $tile (i32.add (local.get $v) (i32.mul (local.get $cb)
          (i32.add (i32.mul (local.get $r) (local.get $tiles)) (local.get $t)))))
        (local.set $x (i32.const 0))
        (block $pointsDone (loop $point
          (br_if $pointsDone (i32.ge_u (local.get $x) (local.get $alpha)))
          (local.set $coef (i32.add (local.get $bt) (i32.shl (local.get $x) (i32.const 5))))
          (call $combine8
            (i32.add (local.get $tile) (i32.mul (local.get $x) (local.get $plane)))
            (local.get $channels) (local.get $coef)
            (call $source (local.get $src) (local.get $cb) (i32.const 0) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 1) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 2) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 3) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 4) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 5) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 6) (local.get $avail) (local.get $zeros))
            (call $source (local.get $src) (local.get $cb) (i32.const 7) (local.get $avail) (local.get $zeros)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $point)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $nextTile)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
  )

  ;; The Winograd output transform: out[r, t·m + i, c] = Σ_x at[i, x] · mx[x, r·tiles + t, c] for
  ;; positions below convLength; at is m × 8 floats, mx's planes are rows · tiles · channels
  ;; floats apart, out's rows convLength · channels; zeros holds `channels` zeros.
  (func (export "winogradOutput")
    (param $mx i32) (param $rows i32) (param $tiles i32) (param $m i32) (param $alpha i32)
    (param $at i32) (param $channels i32) (param $convLength i32) (param $out i32)
    (param $zeros i32)
    (local $r i32) (local $t i32) (local $i i32) (local $cb i32) (local $plane i32)
    (local $tile i32) (local $position i32)
    (local.set $cb (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $plane (i32.mul (i32.mul (local.get $rows) (local.get $tiles)) (local.get $cb)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $t (i32.const 0))
      (block $tilesDone (loop $nextTile
        (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $tiles)))
        (local.set $tile (i32.add (local.get $mx) (i32.mul (local.get $cb)
          (i32.add (i32.mul (local.get $r) (local.get $tiles)) (local.get $t)))))
        (local.set $i (i32.const 0))
        (block $outputsDone (loop $output
          (local.set $position (i32.add (i32.mul (local.get $t) (local.get $m)) (local.get $i)))
          (br_if $outputsDone (i32.ge_u (local.get $i) (local.get $m)))
          (br_if $outputsDone (i32.ge_u (local.get $position) (local.get $convLength)))
          (call $combine8
            (i32.add (local.get $out) (i32.mul (local.get $cb)
              (i32.add (i32.mul (local.get $r) (local.get $convLength)) (local.get $position))))
            (local.get $channels)
            (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 5)))
            (call $source (local.get $tile) (local.get $plane) (i32.const 0) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 1) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 2) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 3) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 4) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 5) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 6) (local.get $alpha) (local.get $zeros))
            (call $source (local.get $tile) (local.get $plane) (i32.const 7) (local.get $alpha) (local.get $zeros)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $output)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $nextTile)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
  )

  ;; One Adamax update in place over n floats (a multiple of 4) of the weights w, first moments m
  ;; and infinity norms u from the gradient g: m = β1 m + (1 − β1) g, u = max(β2 u, |g|),
  ;; w = w − (m / (u + ε)) · stepSize, each operation rounded to float32 as tfjs's kernels and the
  ;; JavaScript reference of adamax.ts round it, so all three give the same bits.
  (func (export "adamax")
    (param $w i32) (param $m i32) (param $u i32) (param $g i32) (param $n i32)
    (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32) (param $epsilon f32)
    (param $stepSize f32)
    (local $k i32) (local $end i32) (local $gk v128) (local $newM v128) (local $newU v128)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $eps v128) (local $size v128)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $c1 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $eps (f32x4.splat (local.get $epsilon)))
    (local.set $size (f32x4.splat (local.get $stepSize)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $gk (v128.load (i32.add (local.get $g) (local.get $k))))
      (local.set $newM (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $k))) (local.get $b1))
        (f32x4.mul (local.get $gk) (local.get $c1))))
      (local.set $newU (f32x4.max
        (f32x4.mul (v128.load (i32.add (local.get $u) (local.get $k))) (local.get $b2))
        (f32x4.abs (local.get $gk))))
      (v128.store (i32.add (local.get $m) (local.get $k)) (local.get $newM))
      (v128.store (i32.add (local.get $u) (local.get $k)) (local.get $newU))
      (v128.store (i32.add (local.get $w) (local.get $k))
        (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $k)))
          (f32x4.mul
            (f32x4.div (local.get $newM) (f32x4.add (local.get $newU) (local.get $eps)))
            (local.get $size))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $next)))
  )
)
