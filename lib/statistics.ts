/**
 * Describing a redshift sample: moments, percentiles, shares per bin.
 *
 * @module
 */
import { median } from "./metrics.ts";

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

/** Share (%) of `values` in each bin of `width` over [0, `max`] (the last bin includes `max`). */
export function binShares(
  values: ArrayLike<number>,
  options: { width?: number; max?: number } = {},
): { low: number; high: number; count: number; percent: number }[] {
  const { width = 0.05, max = 0.6 } = options;
  const nBins = Math.round(max / width);
  const counts = new Float64Array(nBins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // The tolerance keeps a float32 0.6 (0.6000000238) in the last bin.
    if (v >= 0 && v <= max + 1e-6) counts[Math.min(Math.floor(v / width + 1e-9), nBins - 1)]++;
  }
  return Array.from(counts, (count, b) => ({
    low: Math.round(b * width * 1e6) / 1e6,
    high: Math.round((b + 1) * width * 1e6) / 1e6,
    count,
    percent: (100 * count) / values.length,
  }));
}
