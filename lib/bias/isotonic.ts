/**
 * The control of the bias methods: a monotone map from predicted to true z fitted on validation
 * galaxies by isotonic regression. It flattens the mean error by predicted z, not by true z.
 *
 * @module
 */
import { checkFinite } from "./_common.ts";

/** A non-decreasing piecewise-linear map: knots `x` ascending, values `y` non-decreasing. */
export interface IsotonicFit {
  x: Float64Array;
  y: Float64Array;
}

/**
 * Isotonic regression of `y` (true z) on `x` (predictions): the non-decreasing step function of x
 * closest to y in least squares weighted by `weights` (default 1), as knots at the first and last
 * x of each step. Equal x are pooled first, then adjacent decreasing blocks (pool adjacent
 * violators).
 */
export function fitIsotonic(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { weights?: ArrayLike<number> } = {},
): IsotonicFit {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`${n} x values but ${y.length} y values`);
  if (n === 0) throw new RangeError("no points to fit");
  checkFinite(x, "x");
  checkFinite(y, "y");
  const w = options.weights;
  if (w) {
    if (w.length !== n) throw new RangeError(`${n} points but ${w.length} weights`);
    for (let i = 0; i < n; i++) {
      if (!(w[i] > 0 && Number.isFinite(w[i]))) {
        throw new RangeError(`weights[${i}] is ${w[i]}; weights must be positive and finite`);
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  // Pool equal x: unique x with the weighted sums of y.
  const ux: number[] = [], sy: number[] = [], sw: number[] = [];
  for (const i of order) {
    const wi = w ? w[i] : 1;
    if (ux.length && ux[ux.length - 1] === x[i]) {
      sy[sy.length - 1] += wi * y[i];
      sw[sw.length - 1] += wi;
    } else {
      ux.push(x[i]);
      sy.push(wi * y[i]);
      sw.push(wi);
    }
  }
  // Pool adjacent violators: a stack of blocks (weighted mean, weight, first and last unique x).
  const blocks: { mean: number; weight: number; first: number; last: number }[] = [];
  for (let j = 0; j < ux.length; j++) {
    let mean = sy[j] / sw[j], weight = sw[j], first = j;
    for (let top = blocks.at(-1); top && top.mean >= mean; top = blocks.at(-1)) {
      mean = (top.mean * top.weight + mean * weight) / (top.weight + weight);
      weight += top.weight, first = top.first;
      blocks.pop();
    }
    blocks.push({ mean, weight, first, last: j });
  }
  const kx: number[] = [], ky: number[] = [];
  for (const { mean, first, last } of blocks) {
    kx.push(ux[first]), ky.push(mean);
    if (last > first) kx.push(ux[last]), ky.push(mean);
  }
  return { x: Float64Array.from(kx), y: Float64Array.from(ky) };
}

/**
 * Applies an isotonic map of {@link fitIsotonic} to `x`: linear between its knots, clamped to the
 * end values outside them.
 */
export function applyIsotonic(fit: IsotonicFit, x: ArrayLike<number>): Float64Array {
  const { x: kx, y: ky } = fit;
  const k = kx.length;
  if (k === 0 || ky.length !== k) throw new RangeError("an isotonic map needs matching knots");
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) out[i] = NaN;
    else if (v <= kx[0]) out[i] = ky[0];
    else if (v >= kx[k - 1]) out[i] = ky[k - 1];
    else {
      let lo = 0, hi = k - 1; // kx[lo] < v < kx[hi]
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (kx[mid] <= v) lo = mid;
        else hi = mid;
      }
      out[i] = ky[lo] + (ky[hi] - ky[lo]) * (v - kx[lo]) / (kx[hi] - kx[lo]);
    }
  }
  return out;
}
