/**
 * The smoothed density of the training redshifts (Yang et al. 2021's label distribution
 * smoothing), which the balanced weights and the α knob of the PDFs divide by.
 *
 * @module
 */
import type { BinningOptions } from "../statistics.ts";
import { binCount, clampedBin, roundEdge } from "./_common.ts";

/** Options of {@link smoothedHistogram}: bins of 0.01 over [0, 0.6] by default, and the kernel. */
export interface SmoothingOptions extends BinningOptions {
  /** Standard deviation of the Gaussian kernel, in units of z; default 0.02; 0 smooths nothing. */
  smoothing?: number;
}

/** A histogram (edges, galaxies per bin) and its smoothed shares, which sum to 1. */
export interface SmoothedHistogram {
  edges: number[];
  counts: Float64Array;
  density: Float64Array;
}

/**
 * Histogram of `z` (a value outside the range in its end bin), each bin's count spread by a
 * Gaussian of width `smoothing` truncated to the range and renormalised, so that no share leaks
 * out at the ends; then normalised to shares summing to 1.
 */
export function smoothedHistogram(
  z: ArrayLike<number>,
  options: SmoothingOptions = {},
): SmoothedHistogram {
  const { binWidth = 0.01, zMin = 0, zMax = 0.6, smoothing = 0.02 } = options;
  if (z.length === 0) throw new RangeError("no redshifts to count");
  if (!(smoothing >= 0 && Number.isFinite(smoothing))) {
    throw new RangeError(`the kernel width must be a finite number ≥ 0, not ${smoothing}`);
  }
  const nBins = binCount(binWidth, zMin, zMax);
  const counts = new Float64Array(nBins);
  for (let i = 0; i < z.length; i++) counts[clampedBin(z[i], binWidth, nBins, zMin)]++;
  const density = smoothCounts(counts, smoothing / binWidth);
  const total = density.reduce((a, b) => a + b, 0);
  for (let b = 0; b < nBins; b++) density[b] /= total;
  const edges = Array.from({ length: nBins + 1 }, (_, b) => roundEdge(zMin + b * binWidth));
  return { edges, counts, density };
}

/** `counts` spread by a Gaussian of `sigma` bins, each bin's mass kept within the range. */
function smoothCounts(counts: Float64Array, sigma: number): Float64Array {
  const n = counts.length;
  if (sigma < 1e-6) return counts.slice();
  const out = new Float64Array(n);
  const reach = Math.ceil(6 * sigma);
  const kernel = Float64Array.from(
    { length: reach + 1 },
    (_, d) => Math.exp(-0.5 * (d / sigma) ** 2),
  );
  for (let j = 0; j < n; j++) {
    if (counts[j] === 0) continue;
    const lo = Math.max(0, j - reach), hi = Math.min(n - 1, j + reach);
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += kernel[Math.abs(k - j)];
    for (let k = lo; k <= hi; k++) out[k] += (counts[j] * kernel[Math.abs(k - j)]) / sum;
  }
  return out;
}
