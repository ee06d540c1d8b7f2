/**
 * How good the predicted redshifts are.
 *
 * Plain errors (prediction − truth) are what the dissertation reports;
 * photometric-redshift papers normalise by (1 + z): Δz = (z_pred − z_true) / (1 + z_true),
 * and quote its bias, its robust scatter σ_NMAD and the share of outliers.
 *
 * @module
 */
import { binIndex } from "./_bins.ts";

/** Summary metrics of predictions against true redshifts. */
export interface RedshiftMetrics {
  /** Number of galaxies. */
  n: number;
  /** Mean absolute error of z_pred − z_true. */
  mae: number;
  /** Root-mean-square error. */
  rmse: number;
  /** Mean error (z_pred − z_true): positive means overestimates. */
  meanError: number;
  /** Mean of Δz = (z_pred − z_true) / (1 + z_true). */
  bias: number;
  /** 1.4826 × median |Δz − median Δz|. */
  sigmaNmad: number;
  /** Share of galaxies with |Δz| > `outlierThreshold`. */
  outlierFraction: number;
  /** Threshold of the outlier fraction. */
  outlierThreshold: number;
}

/**
 * Checks that true and predicted redshifts pair up and are not empty; returns their length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairLength } from "./metrics.ts";
 * assert.equal(pairLength([0.1, 0.2], [0.1, 0.3]), 2);
 * assert.throws(() => pairLength([0.1], []), RangeError);
 * ```
 */
export function pairLength(zTrue: ArrayLike<number>, zPred: ArrayLike<number>): number {
  if (zTrue.length !== zPred.length) {
    throw new RangeError(`${zTrue.length} true redshifts but ${zPred.length} predictions`);
  }
  if (zTrue.length === 0) throw new RangeError("no predictions to score");
  return zTrue.length;
}

/** Median of `values` (a copy is sorted). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Computes MAE, RMSE, mean error, and bias, σ_NMAD and outlier fraction of Δz.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redshiftMetrics } from "./metrics.ts";
 * const m = redshiftMetrics([0.1, 0.2], [0.12, 0.17]);
 * assert.ok(Math.abs(m.mae - 0.025) < 1e-12);
 * ```
 */
export function redshiftMetrics(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: { outlierThreshold?: number } = {},
): RedshiftMetrics {
  const n = pairLength(zTrue, zPred);
  const outlierThreshold = options.outlierThreshold ?? 0.15;
  const dz = new Float64Array(n);
  let abs = 0, sq = 0, sum = 0, sumDz = 0, outliers = 0;
  for (let i = 0; i < n; i++) {
    const e = zPred[i] - zTrue[i];
    abs += Math.abs(e);
    sq += e * e;
    sum += e;
    dz[i] = e / (1 + zTrue[i]);
    sumDz += dz[i];
    if (Math.abs(dz[i]) > outlierThreshold) outliers++;
  }
  const mid = median(dz);
  const sigmaNmad = 1.4826 * median(dz.map((d) => Math.abs(d - mid)));
  return {
    n,
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    meanError: sum / n,
    bias: sumDz / n,
    sigmaNmad,
    outlierFraction: outliers / n,
    outlierThreshold,
  };
}

/** One row of the per-bin table (the dissertation's Table 3). */
export interface BinRow {
  /** Lower edge of the bin (inclusive). */
  zLow: number;
  /** Upper edge (exclusive, except the last bin, which includes it). */
  zHigh: number;
  /** Galaxies whose true z falls in the bin. */
  n: number;
  /** Their share of all galaxies, in percent. */
  percent: number;
  /** Mean of z_pred − z_true in the bin (NaN when empty). */
  meanError: number;
  /** Population standard deviation of the error in the bin (NaN when empty). */
  stdError: number;
}

/**
 * Error statistics per bin of true redshift; by default bins of 0.05 over
 * [0, 0.6], as in the dissertation. Galaxies outside the range are counted
 * in no bin, so the percentages then sum to less than 100.
 */
export function errorsByBin(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: { binWidth?: number; zMax?: number } = {},
): BinRow[] {
  const n = pairLength(zTrue, zPred);
  const { binWidth = 0.05, zMax = 0.6 } = options;
  const nBins = Math.round(zMax / binWidth);
  const count = new Float64Array(nBins),
    sum = new Float64Array(nBins),
    sq = new Float64Array(nBins);
  for (let i = 0; i < n; i++) {
    const z = zTrue[i];
    const b = binIndex(z, binWidth, nBins);
    if (b < 0) continue;
    const e = zPred[i] - z;
    count[b]++;
    sum[b] += e;
    sq[b] += e * e;
  }
  return Array.from({ length: nBins }, (_, b) => {
    const mean = count[b] ? sum[b] / count[b] : NaN;
    return {
      zLow: round(b * binWidth),
      zHigh: round((b + 1) * binWidth),
      n: count[b],
      percent: (100 * count[b]) / n,
      meanError: mean,
      stdError: count[b] ? Math.sqrt(Math.max(0, sq[b] / count[b] - mean * mean)) : NaN,
    };
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Mean absolute error alone. */
export function meanAbsoluteError(zTrue: ArrayLike<number>, zPred: ArrayLike<number>): number {
  const n = pairLength(zTrue, zPred);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(zPred[i] - zTrue[i]);
  return s / n;
}
