/**
 * The tilt of the error: the least-squares slope of z_pred − z_true against z above z = 0.2, fitted
 * to every galaxy ({@link errorSlope}, the headline number, dominated by the crowded 0.2–0.3) or to
 * the bins' mean errors ({@link binnedErrorSlope}, each bin weighing the same).
 *
 * @module
 */
import type { BiasBinRow, BinBy } from "./binned_errors.ts";
import { checkBy, checkFinite, pairLength } from "./_common.ts";

/** A straight line y = intercept + slope · x fitted by least squares to `n` points. */
export interface LinearFit {
  slope: number;
  intercept: number;
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
 * with z_true ≥ 0.2 (`by: "predicted"`: against and selected by z_pred); a float32 0.2 counts.
 * Selecting on z_true keeps the fit unbiased: for the Gaussian toy it recovers −σ²/(σ² + τ²).
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
 * Least-squares slope of the mean errors of the non-empty bins (of {@link meanErrorByBin}) from
 * z = 0.2 on against their mean true z (`by: "predicted"`: mean predicted z), each bin weighing
 * the same.
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
