/**
 * Are the PDFs of a classification head honest? PIT, coverage of the central intervals overall and
 * per bin of true z, and CRPS (in units of z), for binned PDFs read as piecewise-constant
 * densities: the measures `lib/uncertainty/calibration.ts` applies to the ensemble's Gaussians.
 * Coverage is read off PIT values, so it scores the ensemble's (`pitValues`) and the heads' alike.
 *
 * @module
 */
import {
  type CalibrationReport,
  type calibrationReport,
  COVERAGE_LEVELS,
  type CoverageRow,
  pitHistogram,
} from "../uncertainty/calibration.ts";
import { binIndex } from "../_bins.ts";
import type { RedshiftBins } from "../redshift_bins.ts";
import { cdfAt, checkPdfLength, pdfTotal, type PriorOptions, scorePdfs } from "./_pdf.ts";
import { binCount, roundEdge } from "./_common.ts";

/**
 * The cumulative probability F(y) of one binned PDF (linear inside each bin, 0 below the first
 * edge, 1 above the last).
 */
export function pdfCdf(p: ArrayLike<number>, bins: RedshiftBins, y: number): number {
  checkPdfLength(p, bins);
  return cdfAt(p, 0, bins, y, pdfTotal(p, bins));
}

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

/**
 * PIT value F_i(z_true,i) of each of the n × K PDFs `probs` (after the α knob of `options`):
 * uniform on [0, 1] when the PDFs are calibrated.
 */
export function pdfPitValues(
  zTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: PriorOptions = {},
): Float64Array {
  return scorePdfs(zTrue, probs, bins, options, cdfAt);
}

/**
 * Share of galaxies whose truth lies in the central interval of probability `level` ∈ (0, 1), read
 * off their PIT values: (1 − level)/2 ≤ PIT ≤ (1 + level)/2.
 */
export function coverageFromPit(pit: ArrayLike<number>, level: number): number {
  if (pit.length === 0) throw new RangeError("no PIT values to score");
  const [lo, hi] = interval(level);
  let inside = 0;
  for (let i = 0; i < pit.length; i++) if (pit[i] >= lo && pit[i] <= hi) inside++;
  return inside / pit.length;
}

function interval(level: number): [number, number] {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`an interval's level must lie in (0, 1), not ${level}`);
  }
  return [(1 - level) / 2, (1 + level) / 2];
}

/** Coverage of each interval level in one bin of true z (the ensemble's row without its σ). */
export type PitCoverageRow = Omit<CoverageRow, "meanStd">;

/**
 * Coverage of the central intervals per bin of true z, from the PIT values of the galaxies at
 * `zTrue`; by default 68 % and 95 % in Table 3's bins. Galaxies outside the range count in none.
 */
export function coverageFromPitByBin(
  zTrue: ArrayLike<number>,
  pit: ArrayLike<number>,
  options: { levels?: readonly number[]; binWidth?: number; zMax?: number } = {},
): PitCoverageRow[] {
  const { levels = COVERAGE_LEVELS, binWidth = 0.05, zMax = 0.6 } = options;
  if (pit.length !== zTrue.length) {
    throw new RangeError(`${zTrue.length} true redshifts but ${pit.length} PIT values`);
  }
  const nBins = binCount(binWidth, 0, zMax);
  const ends = levels.map(interval);
  const count = new Float64Array(nBins);
  const inside = levels.map(() => new Float64Array(nBins));
  for (let i = 0; i < zTrue.length; i++) {
    const b = binIndex(zTrue[i], binWidth, nBins);
    if (b < 0) continue;
    count[b]++;
    ends.forEach(([lo, hi], k) => {
      if (pit[i] >= lo && pit[i] <= hi) inside[k][b]++;
    });
  }
  return Array.from({ length: nBins }, (_, b) => ({
    zLow: roundEdge(b * binWidth),
    zHigh: roundEdge((b + 1) * binWidth),
    n: count[b],
    coverage: inside.map((c) => (count[b] ? c[b] / count[b] : NaN)),
  }));
}

/** Calibration of `n` binned PDFs: the ensemble's `CalibrationReport` less its σ and NLL. */
export type PdfCalibrationReport =
  & Omit<CalibrationReport, "nll" | "meanStd" | "medianStd" | "byBin">
  & {
    byBin: PitCoverageRow[];
  };

/**
 * PIT histogram, coverage overall and per bin of true z, and mean CRPS of n × K binned PDFs, as
 * the ensemble's `calibrationReport` gives them; `options`: the α knob, `levels` (68 % and 95 %),
 * `pitBins` (10), `binWidth` (0.05) and `zMax` (0.6) of the per-bin table.
 */
export function pdfCalibration(
  zTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  bins: RedshiftBins,
  options: PriorOptions & Parameters<typeof calibrationReport>[2] = {},
): PdfCalibrationReport {
  const { prior, alpha, levels = COVERAGE_LEVELS, pitBins = 10, ...binning } = options;
  const pit = pdfPitValues(zTrue, probs, bins, { prior, alpha });
  return {
    n: pit.length,
    levels: [...levels],
    coverage: levels.map((level) => coverageFromPit(pit, level)),
    crps: meanPdfCrps(zTrue, probs, bins, { prior, alpha }),
    pitCounts: pitHistogram(pit, { bins: pitBins }),
    byBin: coverageFromPitByBin(zTrue, pit, { ...binning, levels }),
  };
}
