/**
 * The subset for the two-stage balanced variant (after Lin et al. 2022): train on everything, then
 * fine-tune the head on at most `cap` galaxies per redshift bin, drawn at random from one seed.
 *
 * @module
 */
import { Random } from "../random.ts";
import type { BinningOptions } from "../statistics.ts";
import { binCount, clampedBin } from "./_common.ts";

/** Options of {@link cappedSubset}: the cap (a whole number ≥ 1), the seed (0) and the bins. */
export interface CappedSubsetOptions extends BinningOptions {
  cap: number;
  seed?: number;
}

/**
 * Indices (ascending) of at most `cap` galaxies per bin of z, drawn uniformly without replacement
 * within each bin; a z outside the bins goes to the nearest end bin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cappedSubset } from "./capped_subset.ts";
 * const keep = cappedSubset([0.05, 0.05, 0.05, 0.15], { cap: 2, binWidth: 0.1, zMax: 0.2 });
 * assert.equal(keep.length, 3);
 * assert.equal(keep[keep.length - 1], 3); // the lone galaxy of the second bin stays
 * ```
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
