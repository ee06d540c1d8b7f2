/**
 * Describing a redshift sample: moments, percentiles, shares per bin.
 *
 * @module
 */
import { median } from "./metrics.ts";
import { binIndex } from "./_bins.ts";

/** Summary statistics of a sample, as the dissertation reports for its redshifts. */
export interface SampleDescription {
  n: number;
  mean: number;
  median: number;
  /** Standard deviation (population; n is large). */
  std: number;
  /** Third standardised moment. */
  skewness: number;
  /** Fourth standardised moment minus 3 (0 for a normal distribution). */
  excessKurtosis: number;
  /** Percentiles by level (1, 5, 10, 25, 50, 75, 90, 95, 99), linearly interpolated. */
  percentiles: Record<number, number>;
}

/** Percentile levels the dissertation quotes. */
export const PERCENTILE_LEVELS: readonly number[] = [1, 5, 10, 25, 50, 75, 90, 95, 99];

/**
 * Mean, median, std, skewness, excess kurtosis and percentiles of `values`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeSample } from "./statistics.ts";
 * const d = describeSample([1, 2, 3, 4]);
 * assert.ok(d.mean === 2.5 && d.median === 2.5);
 * ```
 */
export function describeSample(values: ArrayLike<number>): SampleDescription {
  const n = values.length;
  if (n === 0) throw new RangeError("cannot describe an empty sample");
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n, m3 /= n, m4 /= n;
  const sorted = Float64Array.from(values).sort();
  return {
    n,
    mean,
    median: median(sorted),
    std: Math.sqrt(m2),
    skewness: m3 / m2 ** 1.5,
    excessKurtosis: m4 / (m2 * m2) - 3,
    percentiles: Object.fromEntries(
      PERCENTILE_LEVELS.map((p) => [p, quantileSorted(sorted, p / 100)]),
    ),
  };
}

/** The `q` quantile (0..1) of ascending `sorted`, interpolating linearly between ranks. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Counts of values per bin of equal width over [zMin, zMax]. */
export interface HistogramCounts {
  /** Bin edges, `counts.length + 1` of them. */
  edges: number[];
  /** Values per bin; a bin holds [edge, next edge), the last bin also its upper edge. */
  counts: number[];
  /** Values below `zMin`, above `zMax` or not finite, counted in no bin. */
  outside: number;
}

/** Binning of a redshift histogram. */
export interface BinningOptions {
  /** Bin width; default 0.01, as in the dissertation's Fig. 9. */
  binWidth?: number;
  /** Lower end of the first bin; default 0. */
  zMin?: number;
  /** Upper end of the last bin; default 0.6. */
  zMax?: number;
}

/** The dissertation's binning of redshift (Figs. 9 and 17): bins of 0.01 over [0, 0.6]. */
export const DEFAULT_BINNING: Readonly<Required<BinningOptions>> = {
  binWidth: 0.01,
  zMin: 0,
  zMax: 0.6,
};

/** `options` with every field that is missing taken from {@link DEFAULT_BINNING}. */
export function binning(options: BinningOptions = {}): Required<BinningOptions> {
  const { binWidth, zMin, zMax } = DEFAULT_BINNING;
  return {
    binWidth: options.binWidth ?? binWidth,
    zMin: options.zMin ?? zMin,
    zMax: options.zMax ?? zMax,
  };
}

/**
 * Counts `z` in bins of `binWidth` over [zMin, zMax].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramCounts } from "./statistics.ts";
 * const h = histogramCounts([0.005, 0.015, 0.019, 0.7], { binWidth: 0.01, zMax: 0.02 });
 * assert.ok(h.counts.join() === "1,2" && h.outside === 1);
 * ```
 */
export function histogramCounts(
  z: ArrayLike<number>,
  options: BinningOptions = {},
): HistogramCounts {
  const { binWidth, zMin, zMax } = binning(options);
  const nBins = Math.round((zMax - zMin) / binWidth);
  if (!(nBins >= 1)) throw new RangeError(`no bins of width ${binWidth} fit in [${zMin}, ${zMax}]`);
  const counts = new Array<number>(nBins).fill(0);
  let outside = 0;
  for (let i = 0; i < z.length; i++) {
    const b = binIndex(z[i], binWidth, nBins, zMin);
    if (b < 0) outside++;
    else counts[b]++;
  }
  const edges = Array.from({ length: nBins + 1 }, (_, b) => roundEdge(zMin + b * binWidth));
  return { edges, counts, outside };
}

/** Share (%) of `values` in each bin of `width` over [0, `max`] (the last bin includes `max`). */
export function binShares(
  values: ArrayLike<number>,
  options: { width?: number; max?: number } = {},
): { low: number; high: number; count: number; percent: number }[] {
  const { width = 0.05, max = 0.6 } = options;
  const { edges, counts } = histogramCounts(values, { binWidth: width, zMax: max });
  return counts.map((count, b) => ({
    low: edges[b],
    high: edges[b + 1],
    count,
    percent: (100 * count) / values.length,
  }));
}

function roundEdge(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/**
 * Standard normal distribution function Φ(x), to about 1e-7 (a Chebyshev fit of erfc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalCdf } from "./statistics.ts";
 * assert.ok(Math.abs(normalCdf(1) - 0.8413447) < 1e-6);
 * ```
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}
