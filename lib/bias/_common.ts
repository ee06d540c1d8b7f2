// Checks and small helpers shared by the modules of lib/bias/.
import { binIndex } from "../_bins.ts";

export { pairLength } from "../metrics.ts";

/** Throws a RangeError naming `what` when an entry of `values` is not a finite number. */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${what}[${i}] is ${values[i]}, not a finite number`);
    }
  }
}

/**
 * The bin of `z` among `nBins` of width `binWidth` from `zMin` ({@link binIndex}'s rule), with a
 * value below the first bin put in the first and one above the last put in the last.
 */
export function clampedBin(z: number, binWidth: number, nBins: number, zMin: number): number {
  if (!Number.isFinite(z)) throw new RangeError(`redshift ${z} is not a finite number`);
  const b = binIndex(z, binWidth, nBins, zMin);
  if (b >= 0) return b;
  return z < zMin ? 0 : nBins - 1;
}

/** How many bins of `binWidth` fit in [zMin, zMax]; throws when none does. */
export function binCount(binWidth: number, zMin: number, zMax: number): number {
  const nBins = Math.round((zMax - zMin) / binWidth);
  if (!(binWidth > 0 && nBins >= 1)) {
    throw new RangeError(`no bins of width ${binWidth} fit in [${zMin}, ${zMax}]`);
  }
  return nBins;
}

/** A bin edge without float noise (0.15000000000000002 → 0.15). */
export function roundEdge(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
