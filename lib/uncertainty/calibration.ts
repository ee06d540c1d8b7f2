/**
 * Is a predicted error bar honest? Calibration measures of Gaussian predictions N(μ, σ²).
 *
 * - PIT (probability integral transform): Φ((z_true − μ)/σ) of each galaxy. For calibrated
 *   predictions the PIT values are uniform on [0, 1]; a U-shaped histogram means the error bars
 *   are too narrow, a hump means too wide, a slope means a bias.
 * - Coverage: the share of galaxies whose true z lies in the central 68 % (95 %) interval
 *   μ ± q σ; calibrated predictions cover 68 % (95 %), overall and in every redshift bin.
 * - CRPS (continuous ranked probability score): the mean over galaxies of
 *   ∫ (F(x) − 1{x ≥ z_true})² dx, in units of z. It rewards sharp error bars only where they are
 *   right; for σ → 0 it becomes the absolute error.
 *
 * @module
 */
import { normalCdf, quantileSorted } from "../statistics.ts";
import { binIndex } from "../_bins.ts";

/** Predicted means and standard deviations of the redshift of each galaxy. */
export interface GaussianPrediction {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** The central interval levels reported by default: 68 % and 95 %. */
export const COVERAGE_LEVELS: readonly number[] = [0.68, 0.95];

// A zero width would divide by zero; this is far below any redshift error.
const MIN_STD = 1e-9;

export { normalCdf };

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * Quantile function Φ⁻¹(p) of the standard normal (Acklam's algorithm, relative error < 1.2e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406,
    161.5858368580409,
    -155.6989798598866,
    66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Checks that truth, means and widths pair up and are not empty; returns their length. */
function checkLengths(zTrue: ArrayLike<number>, prediction: GaussianPrediction): number {
  const n = zTrue.length;
  if (prediction.mean.length !== n || prediction.std.length !== n) {
    throw new RangeError(
      `${n} true redshifts but ${prediction.mean.length} means and ${prediction.std.length} widths`,
    );
  }
  if (n === 0) throw new RangeError("no predictions to score");
  return n;
}

/** `f(z_true, μ, σ)` of each galaxy, once the lengths are checked. */
function perGalaxy(
  zTrue: ArrayLike<number>,
  prediction: GaussianPrediction,
  f: (z: number, mean: number, std: number) => number,
): Float64Array {
  const n = checkLengths(zTrue, prediction);
  return Float64Array.from(
    { length: n },
    (_, i) => f(zTrue[i], prediction.mean[i], prediction.std[i]),
  );
}

/** The mean of `values`, summed in order. */
function meanOf(values: Float64Array): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * PIT value Φ((z_true − μ)/σ) of each galaxy: uniform on [0, 1] when the predictions are calibrated.
 */
export function pitValues(zTrue: ArrayLike<number>, prediction: GaussianPrediction): Float64Array {
  return perGalaxy(zTrue, prediction, (z, m, s) => normalCdf((z - m) / Math.max(s, MIN_STD)));
}

/** Counts of PIT values in `bins` equal bins over [0, 1] (default 10); 1 falls in the last. */
export function pitHistogram(pit: ArrayLike<number>, options: { bins?: number } = {}): number[] {
  const bins = options.bins ?? 10;
  const counts = new Array<number>(bins).fill(0);
  for (const p of Array.from(pit)) {
    if (p >= 0 && p <= 1) counts[Math.min(Math.floor(p * bins), bins - 1)]++;
  }
  return counts;
}

/**
 * Share of galaxies whose true z lies in the central interval of probability `level`:
 * |z_true − μ| ≤ Φ⁻¹((1 + level)/2) σ.
 */
export function intervalCoverage(
  zTrue: ArrayLike<number>,
  prediction: GaussianPrediction,
  options: { level: number },
): number {
  const q = normalQuantile((1 + options.level) / 2);
  return meanOf(perGalaxy(zTrue, prediction, (z, m, s) => (Math.abs(z - m) <= q * s ? 1 : 0)));
}

/** Coverage of each interval level among the galaxies of one bin of true redshift. */
export interface CoverageRow {
  /** Lower edge of the bin (inclusive). */
  zLow: number;
  /** Upper edge (exclusive, except the last bin, which includes it). */
  zHigh: number;
  /** Galaxies whose true z falls in the bin. */
  n: number;
  /** Coverage of each level of `levels`, in the same order (NaN for an empty bin). */
  coverage: number[];
  /** Mean predicted σ in the bin (NaN for an empty bin). */
  meanStd: number;
}

/**
 * Coverage of the central intervals per bin of true redshift; by default levels 68 % and 95 %,
 * bins of 0.05 over [0, 0.6] as in the dissertation's Table 3. Galaxies outside the range are
 * counted in no bin.
 */
export function coverageByBin(
  zTrue: ArrayLike<number>,
  prediction: GaussianPrediction,
  options: { levels?: readonly number[]; binWidth?: number; zMax?: number } = {},
): CoverageRow[] {
  const n = checkLengths(zTrue, prediction);
  const { levels = COVERAGE_LEVELS, binWidth = 0.05, zMax = 0.6 } = options;
  const nBins = Math.round(zMax / binWidth);
  const q = levels.map((l) => normalQuantile((1 + l) / 2));
  const count = new Float64Array(nBins), stdSum = new Float64Array(nBins);
  const inside = levels.map(() => new Float64Array(nBins));
  for (let i = 0; i < n; i++) {
    const z = zTrue[i];
    const b = binIndex(z, binWidth, nBins); // the same bins as errorsByBin()
    if (b < 0) continue;
    const err = Math.abs(z - prediction.mean[i]);
    count[b]++;
    stdSum[b] += prediction.std[i];
    q.forEach((qk, k) => {
      if (err <= qk * prediction.std[i]) inside[k][b]++;
    });
  }
  return Array.from({ length: nBins }, (_, b) => ({
    zLow: round(b * binWidth),
    zHigh: round((b + 1) * binWidth),
    n: count[b],
    coverage: inside.map((c) => (count[b] ? c[b] / count[b] : NaN)),
    meanStd: count[b] ? stdSum[b] / count[b] : NaN,
  }));
}

/**
 * CRPS of one Gaussian prediction N(μ, σ²) against the truth y, in closed form:
 * σ [ t (2Φ(t) − 1) + 2φ(t) − 1/√π ] with t = (y − μ)/σ.
 */
export function gaussianCrps(y: number, mean: number, std: number): number {
  if (std <= MIN_STD) return Math.abs(y - mean); // the limit of a point prediction
  const t = (y - mean) / std;
  return std * (t * (2 * normalCdf(t) - 1) + 2 * normalPdf(t) - 1 / Math.sqrt(Math.PI));
}

/** Mean CRPS of Gaussian predictions over all galaxies, in units of z. */
export function meanGaussianCrps(zTrue: ArrayLike<number>, prediction: GaussianPrediction): number {
  return meanOf(perGalaxy(zTrue, prediction, gaussianCrps));
}

/**
 * Mean CRPS of an ensemble taken as an empirical distribution of its members' predictions:
 * mean_k |x_k − y| − ½ mean_{j,k} |x_j − x_k| per galaxy, averaged over galaxies.
 *
 * @param members one array of predictions per member, each as long as `zTrue`
 */
export function ensembleCrps(
  zTrue: ArrayLike<number>,
  members: readonly ArrayLike<number>[],
): number {
  const n = zTrue.length, k = members.length;
  if (k === 0 || n === 0) throw new RangeError("no predictions to score");
  for (const m of members) {
    if (m.length !== n) throw new RangeError(`${n} true redshifts but a member has ${m.length}`);
  }
  let sum = 0;
  const x = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) x[j] = members[j][i];
    x.sort();
    let spread = 0, abs = 0;
    // Σ_{j,l} |x_j − x_l| = 2 Σ_j (2j − k + 1) x_j over the sorted values
    for (let j = 0; j < k; j++) {
      spread += (2 * j - k + 1) * x[j];
      abs += Math.abs(x[j] - zTrue[i]);
    }
    sum += abs / k - spread / (k * k);
  }
  return sum / n;
}

/** Mean negative log-likelihood of the truth under Gaussian predictions (lower is better). */
export function meanGaussianNll(zTrue: ArrayLike<number>, prediction: GaussianPrediction): number {
  return meanOf(perGalaxy(zTrue, prediction, (z, m, std) => {
    const s = Math.max(std, MIN_STD);
    const t = (z - m) / s;
    return 0.5 * t * t + Math.log(s) + 0.5 * Math.log(2 * Math.PI);
  }));
}

/**
 * The factor s that makes the central interval of probability `level` (default 68 %) cover
 * exactly that share of the given galaxies when every σ is multiplied by s: the `level` quantile
 * of |z_true − μ|/σ divided by Φ⁻¹((1 + level)/2). Fit it on validation data, apply it to test.
 */
export function fitStdScale(
  zTrue: ArrayLike<number>,
  prediction: GaussianPrediction,
  options: { level?: number } = {},
): number {
  const level = options.level ?? 0.68;
  const ratio = perGalaxy(zTrue, prediction, (z, m, s) => Math.abs(z - m) / Math.max(s, MIN_STD));
  return quantileSorted(ratio.sort(), level) / normalQuantile((1 + level) / 2);
}

/** The same means with every σ multiplied by `scale`. */
export function scaleStd(prediction: GaussianPrediction, scale: number): GaussianPrediction {
  return { mean: prediction.mean, std: Float64Array.from(prediction.std, (s) => s * scale) };
}

/** Calibration of a set of Gaussian predictions, as the notebook and the ensemble tool report it. */
export interface CalibrationReport {
  n: number;
  /** Interval levels of `coverage` and of each bin's coverage. */
  levels: number[];
  /** Coverage of each level over all galaxies. */
  coverage: number[];
  /** Mean CRPS, in units of z. */
  crps: number;
  nll: number;
  meanStd: number;
  medianStd: number;
  /** Counts of the PIT histogram (`pitBins` equal bins over [0, 1]). */
  pitCounts: number[];
  /** Coverage per 0.05 bin of true z over [0, 0.6]. */
  byBin: CoverageRow[];
}

/** PIT histogram, coverage overall and per bin, CRPS, NLL and the size of the error bars. */
export function calibrationReport(
  zTrue: ArrayLike<number>,
  prediction: GaussianPrediction,
  options: { levels?: readonly number[]; pitBins?: number; binWidth?: number; zMax?: number } = {},
): CalibrationReport {
  const n = checkLengths(zTrue, prediction);
  const levels = [...(options.levels ?? COVERAGE_LEVELS)];
  const std = Float64Array.from(prediction.std).sort();
  return {
    n,
    levels,
    coverage: levels.map((level) => intervalCoverage(zTrue, prediction, { level })),
    crps: meanGaussianCrps(zTrue, prediction),
    nll: meanGaussianNll(zTrue, prediction),
    meanStd: meanOf(std),
    medianStd: quantileSorted(std, 0.5),
    pitCounts: pitHistogram(pitValues(zTrue, prediction), { bins: options.pitBins ?? 10 }),
    byBin: coverageByBin(zTrue, prediction, { ...options, levels }),
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
