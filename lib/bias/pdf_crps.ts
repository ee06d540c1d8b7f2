/**
 * The CRPS of a binned PDF, the ensemble's (`gaussianCrps`) for a PDF head, in units of z.
 *
 * @module
 */
import type { RedshiftBins } from "../redshift_bins.ts";
import { checkPdfLength, pdfTotal, type PriorOptions, scorePdfs } from "./_pdf.ts";

/** ∫ of v² over a segment of `length` where v goes linearly from u0 to u1. */
function squareIntegral(length: number, u0: number, u1: number): number {
  return (length * (u0 * u0 + u0 * u1 + u1 * u1)) / 3;
}

function crpsAt(
  p: ArrayLike<number>,
  offset: number,
  bins: RedshiftBins,
  y: number,
  total: number,
): number {
  let sum = Math.max(0, bins.zMin - y) + Math.max(0, y - bins.zMax);
  let a = 0; // F at the bin's lower edge
  for (let k = 0; k < bins.count; k++) {
    const lo = bins.edges[k], hi = bins.edges[k + 1];
    const b = k === bins.count - 1 ? 1 : Math.min(1, a + p[offset + k] / total);
    if (y >= hi) sum += squareIntegral(hi - lo, a, b);
    else if (y <= lo) sum += squareIntegral(hi - lo, 1 - a, 1 - b);
    else {
      const m = a + (b - a) * (y - lo) / (hi - lo);
      sum += squareIntegral(y - lo, a, m) + squareIntegral(hi - y, 1 - m, 1 - b);
    }
    a = b;
  }
  return sum;
}

/**
 * CRPS of one binned PDF against the truth y: ∫ (F(x) − 1{x ≥ y})² dx, exact for the
 * piecewise-constant density (F is linear in each bin, so each bin's integral has a closed form).
 * In units of z; for a one-bin PDF of width w centred on y it is w/12.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pdfCrps, redshiftBins } from "./mod.ts";
 * const bins = redshiftBins({ count: 3, zMax: 0.3 });
 * assert.ok(Math.abs(pdfCrps([0, 1, 0], bins, 0.15) - 0.1 / 12) < 1e-12);
 * ```
 */
export function pdfCrps(p: ArrayLike<number>, bins: RedshiftBins, y: number): number {
  checkPdfLength(p, bins);
  if (!Number.isFinite(y)) throw new RangeError(`true redshift ${y} is not a finite number`);
  return crpsAt(p, 0, bins, y, pdfTotal(p, bins));
}

/** Mean CRPS of n × K binned PDFs (after the α knob of `options`) against their true z. */
export function meanPdfCrps(
  zTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: PriorOptions = {},
): number {
  const crps = scorePdfs(zTrue, probs, bins, options, crpsAt);
  return crps.reduce((a, b) => a + b, 0) / crps.length;
}
