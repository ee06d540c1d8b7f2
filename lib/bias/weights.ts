/**
 * Balanced training: sample weights (Yang et al. 2021's label-distribution smoothing), so that
 * rare high-z galaxies pull on the loss as hard as the crowd at z ≈ 0.1, and the capped subset of
 * the two-stage variant (after Lin et al. 2022), which fine-tunes the head on at most `cap`
 * galaxies per redshift bin.
 *
 * @module
 */
import { Random } from "../random.ts";
import type { BinningOptions } from "../statistics.ts";
import { type SmoothedHistogram, smoothedHistogram, type SmoothingOptions } from "./density.ts";
import { binCount, clampedBin } from "./_common.ts";

/** Options of {@link balancedWeights}: the density's binning and kernel, and the weights' shape. */
export interface BalancedWeightOptions extends SmoothingOptions {
  /** Weight ∝ density^(−power): 1 inverse (default), 0.5 square-root inverse, 0 all equal. */
  power?: number;
  /** Largest weight over smallest, at most; default 100 (Infinity: no cap). */
  maxRatio?: number;
}

/** The weights (one per galaxy, mean 1), each bin's weight and the histogram they came from. */
export interface BalancedWeights {
  weights: Float32Array;
  binWeights: Float64Array;
  histogram: SmoothedHistogram;
}

/**
 * The cap of the project's balanced training (`deno task main --weights`, notebook 07): the largest
 * weight at most this many times the smallest, so that the sparse high-z tail does not swamp the rest.
 */
export const BALANCED_WEIGHT_CAP = 10;

/**
 * Weights ∝ (smoothed density of z)^(−power), capped at `maxRatio` times the smallest, with mean 1.
 * The density is {@link smoothedHistogram}'s; a galaxy outside the range weighs as its end bin.
 */
export function balancedWeights(
  z: ArrayLike<number>,
  options: BalancedWeightOptions = {},
): BalancedWeights {
  const { power = 1, maxRatio = 100, binWidth = 0.01, zMin = 0 } = options;
  if (!(power >= 0 && Number.isFinite(power))) {
    throw new RangeError(
      `power must be a finite number ≥ 0 (1 inverse, 0.5 square root): ${power}`,
    );
  }
  if (!(maxRatio >= 1)) throw new RangeError(`maxRatio must be at least 1, not ${maxRatio}`);
  const histogram = smoothedHistogram(z, options);
  const { counts, density } = histogram;
  const nBins = density.length;
  const raw = density.map((d) => (d > 0 ? d ** -power : 0));
  const cap = Math.min(...raw.filter((_, b) => counts[b] > 0)) * maxRatio;
  const capped = raw.map((w) => Math.min(w, cap));
  const scale = z.length / capped.reduce((sum, w, b) => sum + counts[b] * w, 0);
  const binWeights = capped.map((w) => w * scale);
  const weights = Float32Array.from(z, (zi) => binWeights[clampedBin(zi, binWidth, nBins, zMin)]);
  return { weights, binWeights, histogram };
}

/** Options of {@link cappedSubset}: the cap (a whole number ≥ 1), the seed (0) and the bins. */
export interface CappedSubsetOptions extends BinningOptions {
  cap: number;
  seed?: number;
}

/**
 * Indices (ascending) of at most `cap` galaxies per bin of z, drawn uniformly without replacement
 * within each bin; a z outside the bins goes to the nearest end bin.
 */
export function cappedSubset(z: ArrayLike<number>, options: CappedSubsetOptions): Uint32Array {
  const { cap, binWidth = 0.01, zMin = 0, zMax = 0.6, seed = 0 } = options;
  if (!(Number.isInteger(cap) && cap >= 1)) {
    throw new RangeError(`cap must be a whole number ≥ 1, not ${cap}`);
  }
  const nBins = binCount(binWidth, zMin, zMax);
  const members: number[][] = Array.from({ length: nBins }, () => []);
  for (let i = 0; i < z.length; i++) members[clampedBin(z[i], binWidth, nBins, zMin)].push(i);
  const random = new Random(seed);
  const keep: number[] = [];
  for (const idx of members) {
    const take = Math.min(cap, idx.length);
    // The first `take` steps of a Fisher–Yates shuffle draw `take` without replacement.
    for (let j = 0; j < take; j++) {
      const r = j + random.int(idx.length - j);
      [idx[j], idx[r]] = [idx[r], idx[j]];
      keep.push(idx[j]);
    }
  }
  return Uint32Array.from(keep).sort();
}
