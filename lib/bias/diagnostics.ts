/**
 * Diagnosis of the high-z bias, every number the comparison of the methods quotes: the mean error
 * (z_pred − z_true) per redshift bin with a bootstrap standard error, the galaxies binned by true z
 * ("how far off is the network for galaxies at z?", Table 3, which tilts) or by predicted z ("how
 * far off is it when it says z?", which can be flat while the other tilts); and the tilt, the
 * least-squares slope of the error above z = 0.2, fitted to every galaxy ({@link errorSlope}, the
 * headline number, dominated by the crowded 0.2–0.3) or to the bins' mean errors
 * ({@link binnedErrorSlope}, each bin weighing the same).
 *
 * @module
 */
import { binIndex } from "../_bins.ts";
import { redshiftMetrics } from "../metrics.ts";
import { Random } from "../random.ts";
import type { BinningOptions } from "../statistics.ts";
import { binCount, checkFinite, pairLength, roundEdge } from "./_common.ts";

/** Which redshift puts a galaxy in a bin. */
export type BinBy = "true" | "predicted";

function checkBy(by: string): void {
  if (by !== "true" && by !== "predicted") {
    throw new RangeError(`by must be "true" or "predicted", not ${JSON.stringify(by)}`);
  }
}

/** One bin of {@link meanErrorByBin}, with `n` galaxies; its means are NaN when it is empty. */
export interface BiasBinRow {
  /** Lower edge of the bin (inclusive). */
  zLow: number;
  /** Upper edge (exclusive, except the last bin, which includes it). */
  zHigh: number;
  n: number;
  /** Mean of z_pred − z_true. */
  meanError: number;
  /** Bootstrap standard error of `meanError` (NaN with fewer than 2 galaxies or resamples). */
  standardError: number;
  /** Population standard deviation of z_pred − z_true. */
  stdError: number;
  /** Mean of |z_pred − z_true|. */
  mae: number;
  /** Mean true and predicted z of the bin's galaxies. */
  meanTrue: number;
  meanPredicted: number;
}

/** Options of {@link meanErrorByBin}: by default Table 3's bins, 0.05 over [0, 0.6], by true z. */
export interface BinnedErrorOptions extends BinningOptions {
  by?: BinBy;
  /** Bin width; default 0.05. */
  binWidth?: number;
  /** Bootstrap resamples per bin; default 200; 0 (or 1) leaves `standardError` NaN. */
  resamples?: number;
  /** Seed of the resampling; default 0. */
  seed?: number;
}

/**
 * Mean error per bin of true or predicted z, with counts and bootstrap standard errors (the
 * standard deviation of `resamples` means, drawn from one seeded generator). A galaxy outside
 * [zMin, zMax] by its binning redshift (a negative prediction, say) is counted in no bin.
 */
export function meanErrorByBin(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: BinnedErrorOptions = {},
): BiasBinRow[] {
  const n = pairLength(zTrue, zPred);
  checkFinite(zTrue, "zTrue");
  checkFinite(zPred, "zPred");
  const { by = "true", binWidth = 0.05, zMin = 0, zMax = 0.6, resamples = 200, seed = 0 } = options;
  checkBy(by);
  if (!(Number.isInteger(resamples) && resamples >= 0)) {
    throw new RangeError(`resamples must be a whole number ≥ 0, not ${resamples}`);
  }
  const nBins = binCount(binWidth, zMin, zMax);
  const key = by === "true" ? zTrue : zPred;
  const members: number[][] = Array.from({ length: nBins }, () => []);
  for (let i = 0; i < n; i++) {
    const b = binIndex(key[i], binWidth, nBins, zMin);
    if (b >= 0) members[b].push(i);
  }
  const random = new Random(seed);
  return members.map((idx, b) => {
    const m = idx.length;
    const error = Float64Array.from(idx, (i) => zPred[i] - zTrue[i]);
    let sum = 0, sq = 0, abs = 0, sumTrue = 0, sumPred = 0;
    for (let j = 0; j < m; j++) {
      sum += error[j];
      sq += error[j] * error[j];
      abs += Math.abs(error[j]);
      sumTrue += zTrue[idx[j]];
      sumPred += zPred[idx[j]];
    }
    const per = (total: number) => (m ? total / m : NaN), mean = per(sum);
    return {
      zLow: roundEdge(zMin + b * binWidth),
      zHigh: roundEdge(zMin + (b + 1) * binWidth),
      n: m,
      meanError: mean,
      standardError: m >= 2 ? bootstrapSe(error, resamples, random) : NaN,
      stdError: m ? Math.sqrt(Math.max(0, sq / m - mean * mean)) : NaN,
      mae: per(abs),
      meanTrue: per(sumTrue),
      meanPredicted: per(sumPred),
    };
  });
}

/** Standard deviation (n − 1) of `resamples` bootstrap means of `values`; NaN below 2 resamples. */
function bootstrapSe(values: Float64Array, resamples: number, random: Random): number {
  if (resamples < 2) return NaN;
  const m = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let j = 0; j < m; j++) sum += values[random.int(m)];
    means[r] = sum / m;
  }
  const mu = means.reduce((sum, x) => sum + x, 0) / resamples;
  const ss = means.reduce((sum, x) => sum + (x - mu) * (x - mu), 0);
  return Math.sqrt(ss / (resamples - 1));
}

/** A straight line y = intercept + slope · x fitted by least squares to `n` points. */
export interface LinearFit {
  slope: number;
  intercept: number;
  n: number;
  /** Standard error of the slope from the residuals (NaN with two points). */
  slopeSe: number;
}

/** Ordinary least squares of y on x. */
export function leastSquaresLine(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`${n} x values but ${y.length} y values`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) mx += x[i], my += y[i];
  mx /= n, my /= n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(n >= 2 && sxx > 0)) {
    throw new RangeError(
      `cannot fit a slope to ${n} point${n === 1 ? "" : "s"}${n >= 2 ? " at one x" : ""}`,
    );
  }
  const slope = sxy / sxx, intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (y[i] - intercept - slope * x[i]) ** 2;
  return { slope, intercept, n, slopeSe: n > 2 ? Math.sqrt(ssr / (n - 2) / sxx) : NaN };
}

/** Options of {@link errorSlope}. */
export interface ErrorSlopeOptions {
  /** Fit galaxies with z ≥ this; default 0.2. */
  zAbove?: number;
  /** Regress on (and select by) the true z (default) or the predicted z. */
  by?: BinBy;
}

/**
 * Least-squares slope of the per-galaxy error z_pred − z_true against z_true, over the galaxies
 * with z_true ≥ 0.2 (`by: "predicted"`: against and selected by z_pred); a float32 0.2 counts.
 * Selecting on z_true keeps the fit unbiased: for the Gaussian toy it recovers −σ²/(σ² + τ²).
 */
export function errorSlope(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: ErrorSlopeOptions = {},
): LinearFit {
  const n = pairLength(zTrue, zPred);
  checkFinite(zTrue, "zTrue");
  checkFinite(zPred, "zPred");
  const { zAbove = 0.2, by = "true" } = options;
  checkBy(by);
  const key = by === "true" ? zTrue : zPred;
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    if (key[i] >= zAbove - 1e-6) {
      x.push(key[i]);
      y.push(zPred[i] - zTrue[i]);
    }
  }
  return fitOrExplain(x, y, `galaxies with z_${by === "true" ? "true" : "pred"} ≥ ${zAbove}`);
}

/**
 * Least-squares slope of the mean errors of the non-empty bins (of {@link meanErrorByBin}) from
 * z = 0.2 on against their mean true z (`by: "predicted"`: mean predicted z), each bin weighing
 * the same.
 */
export function binnedErrorSlope(
  rows: readonly BiasBinRow[],
  options: ErrorSlopeOptions = {},
): LinearFit {
  const { zAbove = 0.2, by = "true" } = options;
  checkBy(by);
  const used = rows.filter((r) => r.n > 0 && r.zLow >= zAbove - 1e-9);
  return fitOrExplain(
    used.map((r) => (by === "true" ? r.meanTrue : r.meanPredicted)),
    used.map((r) => r.meanError),
    `non-empty bins from z = ${zAbove}`,
  );
}

function fitOrExplain(x: number[], y: number[], what: string): LinearFit {
  try {
    return leastSquaresLine(x, y);
  } catch (e) {
    throw new RangeError(`no slope of the error: ${(e as Error).message} (${what})`);
  }
}

/** The summary of {@link biasDiagnostics}, of `n` galaxies. */
export interface BiasDiagnostics {
  n: number;
  /** Mean |z_pred − z_true| over all galaxies. */
  mae: number;
  /** Mean of the per-bin MAE over the non-empty bins of true z, each bin weighing the same. */
  binMae: number;
  /** Mean of z_pred − z_true over all galaxies. */
  meanError: number;
  /** 1.4826 × median |Δz − median Δz| with Δz = (z_pred − z_true)/(1 + z_true). */
  sigmaNmad: number;
  /** Shares of galaxies with |Δz| > 0.05 and > 0.15. */
  outliers05: number;
  outliers15: number;
  /** Per-galaxy least-squares slope of z_pred − z_true on z_true, for z_true ≥ `zAbove`. */
  slope: LinearFit;
  /** The same slope fitted to the mean errors of the true-z bins from `zAbove` on. */
  binnedSlope: LinearFit;
  /** Mean error per bin of true z and of predicted z. */
  byTrue: BiasBinRow[];
  byPredicted: BiasBinRow[];
}

/**
 * The bias diagnostics of a set of predictions, binned (by default) as Table 3; `options`: the
 * binning and bootstrap of {@link meanErrorByBin}, and the slope's lower end `zAbove` (0.2).
 */
export function biasDiagnostics(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: Omit<BinnedErrorOptions, "by"> & { zAbove?: number } = {},
): BiasDiagnostics {
  const n = pairLength(zTrue, zPred);
  const { zAbove = 0.2, ...binning } = options;
  const m05 = redshiftMetrics(zTrue, zPred, { outlierThreshold: 0.05 });
  const m15 = redshiftMetrics(zTrue, zPred, { outlierThreshold: 0.15 });
  const byTrue = meanErrorByBin(zTrue, zPred, { ...binning, by: "true" });
  const byPredicted = meanErrorByBin(zTrue, zPred, { ...binning, by: "predicted" });
  const filled = byTrue.filter((r) => r.n > 0);
  return {
    n,
    mae: m05.mae,
    binMae: filled.reduce((s, r) => s + r.mae, 0) / filled.length,
    meanError: m05.meanError,
    sigmaNmad: m05.sigmaNmad,
    outliers05: m05.outlierFraction,
    outliers15: m15.outlierFraction,
    slope: errorSlope(zTrue, zPred, { zAbove }),
    binnedSlope: binnedErrorSlope(byTrue, { zAbove }),
    byTrue,
    byPredicted,
  };
}
