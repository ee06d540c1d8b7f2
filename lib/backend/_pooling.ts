/**
 * Max pooling along rows of channels-last data, with the bias and activation a convolution block
 * puts around it, forward and backward, and the bias-and-activation step alone. Windows of `pool`
 * positions, `pool` apart. Ties go to the first maximum and NaN never wins, as in tfjs; a window
 * of 2 takes the winner's bits with a mask instead of a branch, which V8 would mispredict half the
 * time (which tap wins is a coin toss).
 *
 * @module
 */
import { int32View } from "./_blas_arrays.ts";

/** A max pooling along rows: `length` windows a row, of `pool` positions of `channels` floats. */
export interface Pooling {
  pool: number;
  length: number;
  channels: number;
}

/**
 * `out[r, j, c] = f(max over the window of product[r, j·pool + i, c] + bias[c])`, rows `rowStride`
 * floats apart in `product` and packed in `out`; `f` is `activation` (see {@link biasActivate}).
 *
 * Pooling runs first: every activation here is non-decreasing and float rounding is monotonic,
 * so `max(f(a + b), f(c + b))` equals `f(max(a, c) + b)` exactly, and the bias and the activation
 * run on the pooled outputs only. The dissertation's case (a window of 2, ReLU and a bias) has a
 * loop of its own: it is the largest element-wise work of a pass.
 */
export function poolBiasActivate(
  product: Float32Array,
  rows: number,
  rowStride: number,
  pooling: Pooling & { activation: string },
  bias: Float32Array | null,
  out: Float32Array,
): void {
  const { pool, length, channels, activation } = pooling;
  if (pool === 2 && activation === "relu" && bias) {
    pairReluRows(product, rows, rowStride, length, channels, bias, out);
    return;
  }
  maxPoolRows(product, rows, rowStride, pooling, out);
  biasActivate(out.subarray(0, rows * length * channels), channels, bias, activation);
}

/** The windows' maxima: {@link poolBiasActivate} without bias or activation. */
export function maxPoolRows(
  x: Float32Array,
  rows: number,
  rowStride: number,
  { pool, length, channels }: Pooling,
  out: Float32Array,
): void {
  const xi = int32View(x), yi = int32View(out);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0, a = r * rowStride; j < length; j++, a += pool * channels) {
      for (let c = 0, i = a; c < channels; c++, i++, o++) {
        if (pool === 2) {
          const p = x[i], q = x[i + channels];
          if (p - p === 0 && q - q === 0) {
            yi[o] = xi[i] ^ ((xi[i] ^ xi[i + channels]) & -(q > p));
            continue;
          }
        }
        const at = winner(x, i, pool, channels);
        out[o] = at < 0 ? -Infinity : x[i + at * channels];
      }
    }
  }
}

/** The tap of the window at `i` with its first maximum (NaN never wins); -1 if all −∞ or NaN. */
function winner(x: Float32Array, i: number, pool: number, channels: number): number {
  let at = -1;
  for (let t = 0, best = -Infinity; t < pool; t++) {
    const v = x[i + t * channels];
    if (v > best) {
      best = v;
      at = t;
    }
  }
  return at;
}

/**
 * {@link poolBiasActivate} for a window of 2, ReLU and a bias, in one pass and without branches:
 * `x + relu(y − x)` is `max(x, y)`, and `(v + |v|) / 2` is `relu(v)`, exactly in float64 for
 * float32 inputs of finite value.
 */
function pairReluRows(
  product: Float32Array,
  rows: number,
  rowStride: number,
  length: number,
  channels: number,
  bias: Float32Array,
  out: Float32Array,
) {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let a = r * rowStride;
    for (let j = 0; j < length; j++, a += 2 * channels) {
      for (let c = 0, b = a + channels; c < channels; c++) {
        const x = product[a + c], d = product[b + c] - x;
        const v = x + (d + Math.abs(d)) * 0.5 + bias[c];
        out[o++] = (v + Math.abs(v)) * 0.5;
      }
    }
  }
}

/**
 * The gradient of {@link poolBiasActivate} for a ReLU or linear activation: from the pooled
 * outputs' gradient `gradient` (and, through a ReLU, the outputs `out`), the product's gradient
 * into `productGradient`, laid out as `product`: each window's to its winner, 0 elsewhere and
 * where no window reads. The bias's gradient is added to `biasSum`, where there is one. The
 * ReLU passes a gradient where its output is positive, as a factor of 0 or 1 (no branch on the
 * sign, a coin toss).
 */
export function poolBiasActivateGradient(
  product: Float32Array,
  rows: number,
  rowStride: number,
  pooling: Pooling & { activation: string },
  out: Float32Array | null,
  gradient: Float32Array,
  productGradient: Float32Array,
  biasSum: Float64Array | null,
): void {
  const { pool, length, channels } = pooling, relu = pooling.activation === "relu";
  const gi = int32View(productGradient);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0, a = r * rowStride; j < length; j++, a += pool * channels) {
      for (let c = 0, i = a; c < channels; c++, i++, o++) {
        const g = relu ? gradient[o] * +(out![o] > 0) : gradient[o];
        if (biasSum) biasSum[c] += g;
        if (pool === 2) {
          const p = product[i], q = product[i + channels];
          if (p - p === 0 && q - q === 0) { // g's bits to the winner, 0 to the other
            productGradient[i] = g;
            const bits = gi[i], second = -(q > p);
            gi[i + channels] = bits & second;
            gi[i] = bits & ~second;
            continue;
          }
        }
        const at = winner(product, i, pool, channels);
        for (let t = 0; t < pool; t++) productGradient[i + t * channels] = t === at ? g : 0;
      }
    }
  }
  zeroUnreadPositions(rows, rowStride, pooling, productGradient);
}

/**
 * Zeros the positions of each row of a product's gradient that no window reads (an odd length's
 * last one, or those mixing two rows), which the pooling loops leave as they are.
 */
export function zeroUnreadPositions(
  rows: number,
  rowStride: number,
  { pool, length, channels }: Pooling,
  productGradient: Float32Array,
): void {
  const read = pool * length * channels;
  for (let r = 0; r < rows; r++) {
    productGradient.fill(0, r * rowStride + read, (r + 1) * rowStride);
  }
}

/** tfjs's selu constants. */
const SELU_SCALE = 1.0507009873554805, SELU_ALPHA = 1.6732632423543772;

/**
 * In place: y = activation(y + bias), the bias along the last dim of `n` (one value: every
 * element), as tfjs's cpu kernels compute it. Activations: linear, relu, relu6, leakyrelu (slope
 * `alpha`), elu and sigmoid, which tfjs fuses, and tanh and selu for the plans.
 */
export function biasActivate(
  y: Float32Array,
  n: number,
  bias: Float32Array | null,
  activation = "linear",
  alpha = 0.2,
): void {
  if (bias) {
    if (bias.length === 1) { for (let i = 0; i < y.length; i++) y[i] += bias[0]; }
    else {
      for (let i = 0; i < y.length; i += n) {
        for (let j = 0; j < n; j++) y[i + j] += bias[j];
      }
    }
  }
  switch (activation) {
    case "relu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
      break;
    case "relu6":
      for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i], 0), 6);
      break;
    case "leakyrelu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = alpha * y[i];
      break;
    case "elu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = Math.exp(y[i]) - 1;
      break;
    case "sigmoid":
      for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      break;
    case "tanh":
      for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]);
      break;
    case "selu":
      for (let i = 0; i < y.length; i++) {
        y[i] = y[i] > 0 ? SELU_SCALE * y[i] : SELU_SCALE * SELU_ALPHA * (Math.exp(y[i]) - 1);
      }
      break;
  }
}
