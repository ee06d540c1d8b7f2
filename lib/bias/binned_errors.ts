/**
 * The mean error (z_pred − z_true) per redshift bin, with a bootstrap standard error, the galaxies
 * binned by true z ("how far off is the network for galaxies at z?", Table 3, which tilts) or by
 * predicted z ("how far off is it when it says z?", which can be flat while the other tilts).
 *
 * @module
 */
import { binIndex } from "../_bins.ts";
import type { BinningOptions } from "../statistics.ts";
import { Random } from "../random.ts";
import { binCount, checkBy, checkFinite, pairLength, roundEdge } from "./_common.ts";

/** Which redshift puts a galaxy in a bin. */
export type BinBy = "true" | "predicted";

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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanErrorByBin } from "./binned_errors.ts";
 * const rows = meanErrorByBin([0.01, 0.02, 0.3], [0.03, 0.03, 0.25]);
 * assert.equal(rows.length, 12);
 * assert.ok(rows[0].n === 2 && Math.abs(rows[0].meanError - 0.015) < 1e-12);
 * // Binned by prediction, the galaxy predicted at 0.25 sits in the 0.25–0.30 bin.
 * assert.equal(meanErrorByBin([0.01, 0.02, 0.3], [0.03, 0.03, 0.25], { by: "predicted" })[5].n, 1);
 * ```
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
  let mu = 0;
  for (const x of means) mu += x;
  mu /= resamples;
  let ss = 0;
  for (const x of means) ss += (x - mu) * (x - mu);
  return Math.sqrt(ss / (resamples - 1));
}
