/**
 * Every number the comparison of the bias methods quotes, from one call.
 *
 * @module
 */
import { redshiftMetrics } from "../metrics.ts";
import { type BiasBinRow, type BinnedErrorOptions, meanErrorByBin } from "./binned_errors.ts";
import { binnedErrorSlope, errorSlope, type LinearFit } from "./slope.ts";
import { pairLength } from "./_common.ts";

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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { biasDiagnostics } from "./diagnostics.ts";
 * const zTrue = [0.05, 0.12, 0.21, 0.33, 0.45];
 * const d = biasDiagnostics(zTrue, zTrue.map((z) => z - 0.1 * (z - 0.1)), { resamples: 0 });
 * assert.ok(Math.abs(d.slope.slope + 0.1) < 1e-12 && d.outliers05 === 0);
 * ```
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
