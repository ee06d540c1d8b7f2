/**
 * The tilt of the error: the least-squares slope of z_pred − z_true against z above z = 0.2, one
 * number for how much the network pulls high redshifts down.
 *
 * Two versions, which agree when the mean error is linear in z:
 * - {@link errorSlope} fits every galaxy with z ≥ 0.2 (the headline number). Galaxies weigh
 *   equally, so the crowded 0.2–0.3 range dominates it.
 * - {@link binnedErrorSlope} fits the bins' mean errors from z = 0.2 on, each bin weighing the
 *   same, so the sparse bins near 0.6 count as much as the crowded ones.
 *
 * @module
 */
import type { BiasBinRow, BinBy } from "./binned_errors.ts";
import { checkBy, checkFinite, pairLength } from "./_common.ts";

/** A straight line y = intercept + slope · x fitted by least squares. */
export interface LinearFit {
  /** dy/dx. */
  slope: number;
  /** y at x = 0. */
  intercept: number;
  /** Points fitted. */
  n: number;
  /** Standard error of the slope from the residuals (NaN with two points). */
  slopeSe: number;
}

/**
 * Ordinary least squares of y on x.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leastSquaresLine } from "./slope.ts";
 * const fit = leastSquaresLine([0, 1, 2], [1, 3, 5]);
 * assert.ok(Math.abs(fit.slope - 2) < 1e-12 && Math.abs(fit.intercept - 1) < 1e-12);
 * ```
 */
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
 * with z_true ≥ 0.2 (`by: "predicted"`: against and selected by z_pred instead). A float32 0.2
 * counts as 0.2, as in {@link binIndex}. Selecting on z_true keeps the fit unbiased: for the
 * Gaussian toy it recovers −σ²/(σ² + τ²) from any range of z_true.
 *
 * @param options the lower end of the fit and which z it is about
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorSlope } from "./slope.ts";
 * // Predictions pulled halfway towards 0.1: the error is −0.5 (z − 0.1), slope −0.5.
 * const zTrue = [0.1, 0.2, 0.3, 0.5];
 * const fit = errorSlope(zTrue, zTrue.map((z) => 0.1 + 0.5 * (z - 0.1)));
 * assert.ok(fit.n === 3 && Math.abs(fit.slope + 0.5) < 1e-12);
 * ```
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
 * Least-squares slope of the bins' mean errors against their mean z, over the non-empty bins
 * whose lower edge is at or above 0.2, every bin weighing the same. The x of a bin is its mean
 * true z (`by: "predicted"`: its mean predicted z, for rows binned by prediction).
 *
 * @param rows bins from {@link meanErrorByBin}
 * @param options the lower end of the fit and which mean z is the x
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { binnedErrorSlope, meanErrorByBin } from "./mod.ts";
 * const zTrue = [0.22, 0.27, 0.32, 0.41];
 * const rows = meanErrorByBin(zTrue, zTrue.map((z) => z - 0.5 * (z - 0.2)), { resamples: 0 });
 * assert.ok(Math.abs(binnedErrorSlope(rows).slope + 0.5) < 1e-12);
 * ```
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
