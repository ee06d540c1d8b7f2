/**
 * The α knob of a PDF head: divide each predicted PDF by the training distribution of z raised to
 * α ∈ [0, 1] and renormalise; α = 0 keeps the posterior, α = 1 leaves the likelihood.
 *
 * @module
 */
import type { RedshiftBins } from "../redshift_bins.ts";
import { smoothedHistogram } from "./density.ts";
import { divideRow, priorFactors } from "./_pdf.ts";

export { checkAlpha } from "./_pdf.ts";

/**
 * The training distribution of z over a PDF head's bins: the smoothed histogram (kernel width
 * `smoothing`, default 0.02) with every share raised to at least `floor` (default 0.001) times the
 * largest, so that dividing by it never divides by zero; sums to 1.
 */
export function trainingPrior(
  zTrain: ArrayLike<number>,
  bins: RedshiftBins,
  options: { smoothing?: number; floor?: number } = {},
): Float64Array {
  const { smoothing = 0.02, floor = 1e-3 } = options;
  if (!(floor > 0 && floor <= 1)) {
    throw new RangeError(`the floor must lie in (0, 1], not ${floor}`);
  }
  const { width: binWidth, zMin, zMax } = bins;
  const { density } = smoothedHistogram(zTrain, { binWidth, zMin, zMax, smoothing });
  if (density.length !== bins.count) {
    throw new RangeError(`${density.length} histogram bins for ${bins.count} PDF bins`);
  }
  const least = floor * Math.max(...density);
  const prior = density.map((d) => Math.max(d, least));
  const total = prior.reduce((a, b) => a + b, 0);
  return prior.map((d) => d / total);
}

/**
 * Divides each PDF (one, or n stored row-major) by `prior`^α (K positive shares, as from
 * {@link trainingPrior}; α ∈ [0, 1]) and renormalises each to sum 1.
 */
export function divideByPrior(
  probs: ArrayLike<number>,
  prior: ArrayLike<number>,
  alpha: number,
): Float64Array {
  const factor = priorFactors(prior, alpha);
  const K = factor.length;
  if (probs.length % K !== 0) {
    throw new RangeError(`${probs.length} probabilities are not rows of ${K} bins`);
  }
  const out = new Float64Array(probs.length);
  for (let offset = 0; offset < probs.length; offset += K) {
    divideRow(probs, offset, factor, out, offset);
  }
  return out;
}
