// Winograd convolution in the cpu-blas forward plan (lib/backend/_winograd.ts) and the SIMD kernels
// it runs (lib/backend/_simd_kernels.wat): the Toom-Cook matrices of every F(m, r) of at most 8
// points give the exact correlation in float64; the SIMD transforms and the pooling kernel match
// plain JavaScript loops (partial last tiles, the positions past a row's end read as zeros,
// nothing read or written outside the arrays); a convolution through Winograd and the BLAS
// matches the direct GEMMs on the dissertation's layer shapes; and the forward plan with SIMD
// matches the plan without it and tfjs's cpu kernels. The SIMD tests are skipped (with the reason
// printed) where the runtime has no WebAssembly SIMD, the BLAS ones where no BLAS library opens.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "../lib/backend/blas_backend.ts";
import { planForward } from "../lib/backend/blas_forward.ts";
import type { ConvStep } from "../lib/backend/_blas_plan_steps.ts";
import { convolve } from "../lib/backend/_conv.ts";
import { poolBiasActivate } from "../lib/backend/_pooling.ts";
import { SimdArena, simdAvailable } from "../lib/backend/_simd.ts";
import {
  prepareWinograd,
  tilesOf,
  transformKernel,
  WINOGRAD_ALPHA,
  winogradFor,
  winogradProduct,
  winogradSizes,
  type WinogradTransform,
  winogradTransform,
} from "../lib/backend/_winograd.ts";
import { buildModel } from "../lib/model.ts";
import { assertClose, random } from "./_helpers.ts";

const blas = registerBlasBackend();
const simd = simdAvailable();
if (!simd) console.log("winograd_test: SIMD tests skipped: no WebAssembly SIMD in this runtime");
if (!blas.available) console.log(`winograd_test: BLAS tests skipped: BLAS ${blas.reason}`);

/** Columns of a row of Bᵀ and Aᵀ. */
const W = WINOGRAD_ALPHA;

/** A convolution step of the given shape (its weights are passed separately, never read). */
function convStep(
  taps: number,
  inChannels: number,
  channels: number,
  inLength: number,
  pool = 1,
): ConvStep {
  const unread = {
    read(): tf.Tensor {
      throw new Error("the test passes the weights itself");
    },
  };
  const convLength = inLength - taps + 1;
  return {
    kind: "conv",
    taps,
    inChannels,
    channels,
    inLength,
    convLength,
    pool,
    length: Math.floor(convLength / pool),
    kernel: unread,
    bias: null,
    activation: "relu",
  };
}

/** y = Aᵀ[(G g) ⊙ (Bᵀ d)] in float64: the m outputs of one tile. */
function winogradTile(t: WinogradTransform, d: Float64Array, g: Float64Array): Float64Array {
  const { m, taps, alpha } = t;
  const y = new Float64Array(m);
  for (let x = 0; x < alpha; x++) {
    let v = 0, u = 0;
    for (let l = 0; l < alpha; l++) v += t.bt[x * W + l] * d[l];
    for (let k = 0; k < taps; k++) u += t.g[x * taps + k] * g[k];
    for (let i = 0; i < m; i++) y[i] += t.at[i * W + x] * u * v;
  }
  return y;
}

/** Largest |a − b| over the largest |b| (at least the smallest positive number). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = Number.MIN_VALUE;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN too
  }
  return worst / scale;
}

/** Fails unless every value of `a` is NaN (the sentinel a kernel must leave alone). */
function assertUntouched(a: Float32Array, label: string) {
  const i = a.findIndex((v) => !Number.isNaN(v));
  assert.equal(i, -1, `${label}: written at ${i} past the array's end`);
}

Deno.test("winogradTransform: every F(m, r) of at most 8 points is exact in float64", () => {
  for (let alpha = 1; alpha <= W; alpha++) {
    for (let taps = 1; taps <= alpha; taps++) {
      const m = alpha - taps + 1;
      const t = winogradTransform(m, taps);
      const label = `F(${m}, ${taps})`;
      assert.deepEqual([t.m, t.taps, t.alpha], [m, taps, alpha], label);
      assert.deepEqual([t.bt.length, t.at.length, t.g.length], [alpha * W, m * W, alpha * taps]);
      // Columns past alpha are zero: the kernels combine 8 sources with these coefficients.
      for (let x = 0; x < alpha; x++) {
        for (let l = alpha; l < W; l++) {
          assert.equal(t.bt[x * W + l], 0, `${label}: bt[${x}, ${l}]`);
        }
      }
      for (let i = 0; i < m; i++) {
        for (let x = alpha; x < W; x++) {
          assert.equal(t.at[i * W + x], 0, `${label}: at[${i}, ${x}]`);
        }
      }
      for (let seed = 1; seed <= 4; seed++) {
        const d = Float64Array.from(random(alpha, seed * 31 + alpha));
        const g = Float64Array.from(random(taps, seed * 37 + taps));
        const direct = new Float64Array(m);
        for (let i = 0; i < m; i++) {
          for (let k = 0; k < taps; k++) direct[i] += d[i + k] * g[k];
        }
        const error = relativeError(winogradTile(t, d, g), direct);
        assert.ok(error < 1e-9, `${label}, seed ${seed}: error ${error} of the largest |y|`);
      }
    }
  }
  for (
    const [m, taps] of [[2, 8], [4, 6], [6, 4], [7, 3], [9, 1], [1, 9], [8, 8], [0, 3], [3, 0]]
  ) {
    assert.throws(() => winogradTransform(m, taps), RangeError, `F(${m}, ${taps})`);
  }
});

/** The input transform as the .wat describes it, in float64. */
function inputTransformJs(
  d: Float32Array,
  rows: number,
  inLength: number,
  channels: number,
  tiles: number,
  t: WinogradTransform,
): Float64Array {
  const { m, alpha, bt } = t;
  const plane = rows * tiles * channels;
  const v = new Float64Array(alpha * plane);
  for (let r = 0; r < rows; r++) {
    for (let tile = 0; tile < tiles; tile++) {
      for (let x = 0; x < alpha; x++) {
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let l = 0; l < alpha && tile * m + l < inLength; l++) {
            sum += bt[x * W + l] * d[(r * inLength + tile * m + l) * channels + c];
          }
          v[x * plane + (r * tiles + tile) * channels + c] = sum;
        }
      }
    }
  }
  return v;
}

/** The output transform as the .wat describes it, in float64. */
function outputTransformJs(
  mx: Float32Array,
  rows: number,
  tiles: number,
  t: WinogradTransform,
  channels: number,
  convLength: number,
): Float64Array {
  const { m, alpha, at } = t;
  const plane = rows * tiles * channels;
  const out = new Float64Array(rows * convLength * channels);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < convLength; j++) {
      const tile = Math.floor(j / m), i = j % m;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let x = 0; x < alpha; x++) {
          sum += at[i * W + x] * mx[x * plane + (r * tiles + tile) * channels + c];
        }
        out[(r * convLength + j) * channels + c] = sum;
      }
    }
  }
  return out;
}

/** `taps` × C × K kernel (tfjs's layout) correlated with rows of C channels, in float64. */
function directCorrelation(
  step: ConvStep,
  rows: number,
  input: Float32Array,
  kernel: Float32Array,
): Float64Array {
  const { taps, inChannels: C, channels: K, inLength, convLength } = step;
  const out = new Float64Array(rows * convLength * K);
  const acc = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < convLength; j++) {
      acc.fill(0);
      for (let k = 0; k < taps; k++) {
        for (let c = 0; c < C; c++) {
          const a = input[(r * inLength + j + k) * C + c], w = (k * C + c) * K;
          for (let o = 0; o < K; o++) acc[o] += a * kernel[w + o];
        }
      }
      out.set(acc, (r * convLength + j) * K);
    }
  }
  return out;
}

/** Padding: floats of NaN after each array a kernel reads or writes. */
const PAD = 64;

Deno.test({
  name: "SIMD kernels: the Winograd transforms match JavaScript loops, padding read as zeros",
  ignore: !simd,
  fn() {
    const cases = [
      // [m, taps, channels, rows, inLength]; all but the last two end in a partial tile.
      [2, 3, 4, 3, 11], // alpha 4: convLength 9, last tile 1 output
      [3, 3, 8, 2, 15], // alpha 5: convLength 13
      [4, 5, 36, 3, 91], // alpha 8, the dissertation's layer 2 length: convLength 87
      [6, 3, 8, 4, 43], // alpha 8, layer 3's length: convLength 41
      [2, 7, 36, 1, 9], // alpha 8, two tiles, the second one past the row's end
      [4, 5, 4, 2, 24], // alpha 8, convLength 20: full tiles only
      [1, 3, 4, 2, 6], // alpha 3, m = 1
    ];
    for (const [m, taps, channels, rows, inLength] of cases) {
      const label = `F(${m}, ${taps}), ${channels} channels, ${rows} rows of ${inLength}`;
      const t = winogradTransform(m, taps);
      const { alpha } = t;
      // C = K = channels; the kernels see only `channels`.
      const step = convStep(taps, channels, channels, inLength);
      const tiles = tilesOf(step, t), { convLength } = step;
      const plane = rows * tiles * channels;
      const inputFloats = rows * inLength * channels;
      const arena = SimdArena.create(
        2 * 64 + channels + inputFloats + 2 * alpha * plane + rows * convLength * channels +
          4 * PAD,
        8,
      )!;
      const bt = arena.alloc(alpha * W), at = arena.alloc(m * W);
      bt.set(t.bt);
      at.set(t.at);
      const zeros = arena.alloc(channels).fill(0);
      // NaN past the last row: a read past the end would show in the results. Inside, the next
      // row's values (random) follow each row, which the kernel must not read either.
      const inputAll = arena.alloc(inputFloats + PAD).fill(NaN);
      const input = inputAll.subarray(0, inputFloats);
      input.set(random(inputFloats, m * 100 + taps, -1, 1));
      const vAll = arena.alloc(alpha * plane + PAD).fill(NaN);
      arena.run("winogradInput", input, rows, inLength, channels, tiles, m, alpha, bt, vAll, zeros);
      const v = vAll.subarray(0, alpha * plane);
      const vExpected = inputTransformJs(input, rows, inLength, channels, tiles, t);
      const inputError = relativeError(v, vExpected);
      assert.ok(inputError < 1e-6, `${label}: input transform error ${inputError}`);
      assertUntouched(vAll.subarray(alpha * plane), `${label}: input transform`);

      // U = G g and the products M_x = V_x U_x in float64, rounded to float32 as the BLAS's.
      const kernel = random(taps * channels * channels, m * 10 + taps, -0.3, 0.3);
      const u = new Float32Array(alpha * channels * channels);
      transformKernel(kernel, step, t, u);
      const mxAll = arena.alloc(alpha * plane + PAD).fill(NaN);
      for (let x = 0; x < alpha; x++) {
        for (let p = 0; p < rows * tiles; p++) {
          for (let o = 0; o < channels; o++) {
            let sum = 0;
            for (let c = 0; c < channels; c++) {
              sum += v[x * plane + p * channels + c] * u[(x * channels + c) * channels + o];
            }
            mxAll[x * plane + p * channels + o] = sum;
          }
        }
      }
      const mx = mxAll.subarray(0, alpha * plane);
      const outFloats = rows * convLength * channels;
      const outAll = arena.alloc(outFloats + PAD).fill(NaN);
      arena.run(
        "winogradOutput",
        mx,
        rows,
        tiles,
        m,
        alpha,
        at,
        channels,
        convLength,
        outAll,
        zeros,
      );
      const out = outAll.subarray(0, outFloats);
      const outputError = relativeError(
        out,
        outputTransformJs(mx, rows, tiles, t, channels, convLength),
      );
      // Aᵀ's coefficients reach 2^(m − 1) (32 for F(6, 3)): float32 rounding shows in the 7th digit.
      assert.ok(outputError < 2e-6, `${label}: output transform error ${outputError}`);
      assertUntouched(outAll.subarray(outFloats), `${label}: output transform`);
      // The whole of it is the convolution (float32 transforms and products).
      const convolutionError = relativeError(out, directCorrelation(step, rows, input, kernel));
      assert.ok(convolutionError < 1e-5, `${label}: convolution error ${convolutionError}`);
    }
  },
});

Deno.test({
  name: "SIMD kernels: pairRelu matches poolBiasActivate, with ties, negatives and row gaps",
  ignore: !simd,
  fn() {
    // [channels, rows, length, rowStride − 2 · length · channels]
    const cases = [[4, 3, 5, 4], [8, 2, 9, 8], [36, 3, 43, 36], [4, 1, 1, 5], [8, 4, 3, 3]];
    for (const [i, [channels, rows, length, gap]] of cases.entries()) {
      const rowStride = 2 * length * channels + gap;
      const step = convStep(2, 1, channels, 2 * length + 1, 2);
      assert.equal(step.length, length);
      for (const integers of [true, false]) {
        const label = `${channels} channels, ${rows} rows of ${length}, stride ${rowStride}, ` +
          (integers ? "small integers" : "random floats");
        const arena = SimdArena.create(
          rows * rowStride + channels + rows * length * channels + 3 * PAD,
          4,
        )!;
        // NaN in the gaps between rows and past the last: the kernel must not read them.
        const product = arena.alloc(rows * rowStride + PAD).fill(NaN);
        const values = random(rows * 2 * length * channels, 50 + i, -3, 3);
        if (integers) values.forEach((v, k) => values[k] = Math.round(v)); // many ties
        for (let r = 0; r < rows; r++) {
          product.set(
            values.subarray(r * 2 * length * channels, (r + 1) * 2 * length * channels),
            r * rowStride,
          );
        }
        const bias = arena.alloc(channels);
        bias.set(random(channels, 70 + i, -2, 2).map((b) => integers ? Math.round(b) : b));
        const outFloats = rows * length * channels;
        const outAll = arena.alloc(outFloats + PAD).fill(NaN);
        arena.run("pairRelu", product, rows, rowStride, length, channels, bias, outAll);
        const expected = new Float32Array(outFloats);
        poolBiasActivate(product, rows, rowStride, step, bias, expected);
        assert.ok(expected.some((v) => v === 0) && expected.some((v) => v > 0), label);
        assertClose(outAll.subarray(0, outFloats), expected, label, integers ? 0 : 1e-6);
        assertUntouched(outAll.subarray(outFloats), label);
      }
    }
  },
});

Deno.test({
  name: "winogradProduct: the dissertation's layers 2 and 3 match the direct GEMMs",
  ignore: !simd || !blas.available,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    // [taps, C, K, inLength, rows, the m winogradFor should choose]
    for (
      const [taps, C, K, inLength, rows, m] of [[5, 256, 256, 91, 3, 4], [3, 256, 128, 43, 4, 6]]
    ) {
      const step = convStep(taps, C, K, inLength);
      const transform = winogradFor(step);
      assert.ok(transform, `F(·, ${taps}) for ${C}→${K}`);
      assert.equal(transform.m, m);
      const label = `F(${m}, ${taps}) ${C}→${K}, ${rows} rows of ${inLength}`;
      const sizes = winogradSizes(step, transform, rows);
      const inputFloats = rows * inLength * C, outFloats = rows * step.convLength * K;
      const arena = SimdArena.create(
        2 * 64 + Math.max(C, K) + inputFloats + PAD + sizes.kernel + sizes.transformed +
          sizes.products + outFloats,
        8,
      )!;
      const zeros = arena.alloc(Math.max(C, K)).fill(0);
      // Inputs as a ReLU layer gives them, weights of Glorot's size.
      const inputAll = arena.alloc(inputFloats + PAD).fill(NaN);
      const input = inputAll.subarray(0, inputFloats);
      input.set(random(inputFloats, taps, 0, 1));
      const limit = Math.sqrt(6 / (taps * (C + K)));
      const kernel = random(taps * C * K, taps + 1, -limit, limit);
      const prepared = prepareWinograd(arena, step, transform, kernel);
      const work = {
        transformed: arena.alloc(sizes.transformed),
        products: arena.alloc(sizes.products),
        zeros,
      };
      const product = arena.alloc(outFloats);
      winogradProduct(arena, step, prepared, rows, input, work, product);

      const directAll = new Float32Array(rows * inLength * K);
      convolve(step, rows, input, kernel, directAll, new Float32Array(0));
      const direct = new Float32Array(outFloats);
      for (let r = 0; r < rows; r++) {
        direct.set(
          directAll.subarray(r * inLength * K, (r * inLength + step.convLength) * K),
          r * step.convLength * K,
        );
      }
      const exact = directCorrelation(step, rows, input, kernel);
      const error = relativeError(product, direct);
      console.log(
        `${label}: Winograd vs direct GEMMs ${error.toExponential(2)} of the largest |output|; ` +
          `vs float64 ${relativeError(product, exact).toExponential(2)} ` +
          `(direct GEMMs vs float64 ${relativeError(direct, exact).toExponential(2)})`,
      );
      assert.ok(error < 1e-5, `${label}: error ${error}`);
    }
  },
});

Deno.test({
  name:
    "forward plan: SIMD and Winograd match the JavaScript plan and tfjs on the dissertation's network",
  ignore: !blas.available,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = buildModel();
    model.setWeights(
      model.getWeights().map((w, i) => tf.tensor(random(w.size, 40 + i, -0.3, 0.3), w.shape)),
    );
    const withSimd = planForward(model)!, without = planForward(model, { simd: false })!;
    assert.ok(withSimd && without);
    assert.ok(!without.describe().some((line) => line.includes("Winograd")), "simd: false");
    assert.equal(
      withSimd.describe().filter((line) => line.includes("Winograd")).length,
      simd ? 2 : 0,
      withSimd.describe().join("\n"),
    );
    // One tfjs pass over 70 rows; 1 and 64 rows are its first rows.
    const x = random(70 * withSimd.inputLength, 8, 0, 1);
    await tf.setBackend("cpu");
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
    const y = tf.tidy(() =>
      model.apply(tf.tensor3d(x, [70, withSimd.inputLength, 1]), { training: false }) as tf.Tensor
    );
    const tfjs = await y.data() as Float32Array;
    y.dispose();
    await tf.setBackend(BLAS_BACKEND);
    for (const rows of [1, 64, 70]) {
      const rowsX = x.subarray(0, rows * withSimd.inputLength);
      const planned = withSimd.predict(rowsX);
      assertClose(planned, without.predict(rowsX), `${rows} rows: simd against simd: false`);
      assertClose(planned, tfjs.subarray(0, rows), `${rows} rows: simd against tfjs`);
    }
    model.dispose();
  },
});
