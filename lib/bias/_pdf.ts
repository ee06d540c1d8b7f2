// Checks and row operations shared by the modules that read binned PDFs.
import type { RedshiftBins } from "../redshift_bins.ts";
import { checkFinite } from "./_common.ts";

/** Throws a RangeError unless α lies in [0, 1]. */
export function checkAlpha(alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(
      `α must lie in [0, 1] (0 keeps the predicted PDF, 1 divides out the whole training ` +
        `distribution), not ${alpha}`,
    );
  }
}

/** Throws unless one PDF's `p` has a probability per bin. */
export function checkPdfLength(p: ArrayLike<number>, bins: RedshiftBins): void {
  if (p.length !== bins.count) {
    throw new RangeError(`a PDF of ${p.length} probabilities over ${bins.count} bins`);
  }
}

/** `v`, the probability in bin `k`, after checking it is finite and ≥ 0. */
function probability(v: number, k: number): number {
  if (!(v >= 0 && v < Infinity)) {
    throw new RangeError(`probability ${v} in bin ${k}: a PDF needs finite values ≥ 0`);
  }
  return v;
}

/** Sum of one PDF's probabilities, after checking them; throws on a bad PDF. */
export function pdfTotal(p: ArrayLike<number>, bins: RedshiftBins, offset = 0): number {
  let total = 0;
  for (let k = 0; k < bins.count; k++) total += probability(p[offset + k], k);
  if (!(total > 0)) throw new RangeError("a PDF whose probabilities sum to 0");
  return total;
}

/** prior^(−α), after checking α and the prior. */
export function priorFactors(prior: ArrayLike<number>, alpha: number): Float64Array {
  checkAlpha(alpha);
  if (prior.length === 0) throw new RangeError("an empty prior");
  return Float64Array.from(prior, (d, k) => {
    if (!(d > 0 && Number.isFinite(d))) {
      throw new RangeError(`prior share ${d} in bin ${k}: the prior must be positive (floor it)`);
    }
    return d ** -alpha;
  });
}

/** Writes row `probs[offset ..]` × `factor`, renormalised, to `out[at ..]`. */
export function divideRow(
  probs: ArrayLike<number>,
  offset: number,
  factor: Float64Array,
  out: Float64Array,
  at: number,
): void {
  const K = factor.length;
  let total = 0;
  for (let k = 0; k < K; k++) {
    out[at + k] = probability(probs[offset + k], k) * factor[k];
    total += out[at + k];
  }
  if (!(total > 0)) throw new RangeError("a PDF whose probabilities sum to 0");
  for (let k = 0; k < K; k++) out[at + k] /= total;
}

/** How a batch of PDFs is read: optionally divided by the training prior raised to α. */
export interface PriorOptions {
  /** The training distribution over the bins (from `trainingPrior`). */
  prior?: ArrayLike<number>;
  /** The knob α ∈ [0, 1]; default 0 (the PDFs as predicted). Needs `prior` when above 0. */
  alpha?: number;
}

/**
 * Calls `visit(row, offset, i)` for each of the n PDFs stored row-major in `probs`, where the
 * row's probabilities are `row[offset .. offset + K)`: the PDF as given, or divided by the prior^α
 * and renormalised. Returns n.
 */
export function forEachPdf(
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: PriorOptions,
  visit: (row: ArrayLike<number>, offset: number, i: number) => void,
): number {
  const K = bins.count;
  if (probs.length % K !== 0 || probs.length === 0) {
    throw new RangeError(`${probs.length} probabilities are not rows of ${K} bins`);
  }
  const n = probs.length / K;
  const { prior, alpha = 0 } = options;
  checkAlpha(alpha);
  if (!prior) {
    if (alpha > 0) throw new RangeError(`α = ${alpha} needs the training prior to divide by`);
    for (let i = 0; i < n; i++) visit(probs, i * K, i);
    return n;
  }
  if (prior.length !== K) throw new RangeError(`a prior of ${prior.length} bins for ${K} bins`);
  const factor = priorFactors(prior, alpha);
  const row = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    divideRow(probs, i * K, factor, row, 0);
    visit(row, 0, i);
  }
  return n;
}

/** The cumulative probability F(y) of the PDF at `p[offset ..]`, whose sum is `total`. */
export function cdfAt(
  p: ArrayLike<number>,
  offset: number,
  bins: RedshiftBins,
  y: number,
  total: number,
): number {
  if (y <= bins.zMin) return 0;
  if (y >= bins.zMax) return 1;
  const k = Math.min(bins.count - 1, Math.floor((y - bins.zMin) / bins.width));
  let c = 0;
  for (let j = 0; j < k; j++) c += p[offset + j];
  const frac = Math.min(1, Math.max(0, (y - bins.edges[k]) / bins.width));
  return Math.min(1, (c + p[offset + k] * frac) / total);
}

/**
 * `score(row, offset, bins, z, total)` of each of the n PDFs in `probs` (read as {@link forEachPdf}
 * reads them) against its true redshift `zTrue[i]`, where `total` is the row's sum.
 */
export function scorePdfs(
  zTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: PriorOptions,
  score: typeof cdfAt,
): Float64Array {
  checkFinite(zTrue, "zTrue");
  const scores = new Float64Array(zTrue.length);
  const n = forEachPdf(probs, bins, options, (row, offset, i) => {
    if (i < zTrue.length) {
      scores[i] = score(row, offset, bins, zTrue[i], pdfTotal(row, bins, offset));
    }
  });
  if (zTrue.length !== n) throw new RangeError(`${zTrue.length} true redshifts but ${n} PDFs`);
  return scores;
}
