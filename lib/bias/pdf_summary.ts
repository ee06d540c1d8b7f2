/**
 * Point estimates and intervals from a binned redshift PDF (a softmax over {@link RedshiftBins})
 * read as a piecewise-constant density: the mean Σ p_k c_k over the bin centres, quantiles linear
 * inside the bin where the cumulative sum crosses them, the mode the most probable bin's centre.
 * Probabilities are normalised by their sum (a float32 softmax does not sum exactly to 1).
 *
 * @module
 */
import type { RedshiftBins } from "../redshift_bins.ts";
import { checkPdfLength, forEachPdf, pdfTotal, type PriorOptions } from "./_pdf.ts";

/** Point estimates and a central interval of one PDF. */
export interface PdfSummary {
  /** Mean of the PDF. */
  mean: number;
  /** Median (the lowest z where the cumulative probability reaches ½). */
  median: number;
  /** Centre of the most probable bin (the first, on a tie). */
  mode: number;
  /** Lower end of the central interval (the (1 − level)/2 quantile). */
  lower: number;
  /** Upper end of the central interval (the (1 + level)/2 quantile). */
  upper: number;
}

function checkLevel(q: number, what: string): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`${what} must lie in [0, 1], not ${q}`);
}

/** The q quantile of the row at `offset`, whose probabilities sum to `total`. */
function quantileAt(
  p: ArrayLike<number>,
  offset: number,
  bins: RedshiftBins,
  q: number,
  total: number,
): number {
  const target = q * total;
  let c = 0, last = 0;
  for (let k = 0; k < bins.count; k++) {
    const v = p[offset + k];
    if (v <= 0) continue;
    if (c + v >= target) {
      return bins.edges[k] + bins.width * Math.min(1, Math.max(0, (target - c) / v));
    }
    c += v;
    last = k;
  }
  return bins.edges[last + 1]; // rounding left the sum a hair below the target
}

/** The `q` quantile (q ∈ [0, 1]) of a binned PDF. */
export function pdfQuantile(p: ArrayLike<number>, bins: RedshiftBins, q: number): number {
  checkPdfLength(p, bins);
  checkLevel(q, "a quantile's level");
  return quantileAt(p, 0, bins, q, pdfTotal(p, bins));
}

/** Mean, median, mode and central interval (`level` ∈ [0, 1], default 0.68) of one binned PDF. */
export function pdfSummary(
  p: ArrayLike<number>,
  bins: RedshiftBins,
  options: { level?: number } = {},
): PdfSummary {
  checkPdfLength(p, bins);
  const s = pdfSummaries(p, bins, options);
  const one = {} as PdfSummary;
  for (const f of FIELDS) one[f] = s[f][0];
  return one;
}

const FIELDS = ["mean", "median", "mode", "lower", "upper"] as const;

/** {@link PdfSummary} of many galaxies, one array per field. */
export type PdfSummaries = { [K in keyof PdfSummary]: Float64Array };

/**
 * Summaries of n PDFs stored row-major (n × K), as a softmax head predicts them; optionally each
 * divided first by the training prior raised to α ({@link divideByPrior}); `level` 0.68.
 */
export function pdfSummaries(
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: { level?: number } & PriorOptions = {},
): PdfSummaries {
  const level = options.level ?? 0.68;
  checkLevel(level, "the interval's level");
  const n = Math.floor(probs.length / bins.count); // forEachPdf checks that rows fill `probs`
  const out = Object.fromEntries(FIELDS.map((f) => [f, new Float64Array(n)])) as PdfSummaries;
  forEachPdf(probs, bins, options, (p, offset, i) => {
    const total = pdfTotal(p, bins, offset);
    let mean = 0, best = 0;
    for (let k = 0; k < bins.count; k++) {
      mean += p[offset + k] * bins.centres[k];
      if (p[offset + k] > p[offset + best]) best = k;
    }
    out.mean[i] = mean / total;
    out.median[i] = quantileAt(p, offset, bins, 0.5, total);
    out.mode[i] = bins.centres[best];
    out.lower[i] = quantileAt(p, offset, bins, (1 - level) / 2, total);
    out.upper[i] = quantileAt(p, offset, bins, (1 + level) / 2, total);
  });
  return out;
}
