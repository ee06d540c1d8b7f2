/**
 * Redshift as classification: K narrow bins over [0, 0.65] and the soft labels a softmax head
 * learns from (Pasquet et al. 2019 use 180 bins; Lin et al. 2022 soft labels).
 *
 * The default 195 bins have width 1/300, so every 0.05 bin of Table 3 is exactly 15 of them.
 *
 * @module
 */
import { normalCdf } from "./statistics.ts";
import { binIndex } from "./_bins.ts";

/** Equal bins of redshift for a classification head. */
export interface RedshiftBins {
  /** Number of bins K. */
  count: number;
  /** Lower edge of the first bin. */
  zMin: number;
  /** Upper edge of the last bin. */
  zMax: number;
  /** Width of each bin. */
  width: number;
  /** K + 1 edges, ascending. */
  edges: Float64Array;
  /** K centres. */
  centres: Float64Array;
}

/** Bins of the classification head by default: 195 over [0, 0.65], width 1/300. */
export const DEFAULT_PDF_BINS = { count: 195, zMin: 0, zMax: 0.65 } as const;

/**
 * K equal bins over [zMin, zMax]: `count` (default 195), `zMin` (0) and `zMax` (0.65).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redshiftBins } from "./redshift_bins.ts";
 * const bins = redshiftBins({ count: 4, zMax: 0.4 });
 * assert.deepEqual([...bins.edges], [0, 0.1, 0.2, 0.3, 0.4]);
 * assert.deepEqual([...bins.centres], [0.05, 0.15, 0.25, 0.35]);
 * ```
 */
export function redshiftBins(
  options: { count?: number; zMin?: number; zMax?: number } = {},
): RedshiftBins {
  const { count = DEFAULT_PDF_BINS.count, zMin = DEFAULT_PDF_BINS.zMin } = options;
  const zMax = options.zMax ?? DEFAULT_PDF_BINS.zMax;
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new RangeError(`the bin count must be a whole number ≥ 1, not ${count}`);
  }
  if (!(zMax > zMin)) throw new RangeError(`need zMax > zMin: [${zMin}, ${zMax}]`);
  const width = (zMax - zMin) / count;
  const edges = Float64Array.from({ length: count + 1 }, (_, b) => tidy(zMin + b * width));
  const centres = Float64Array.from({ length: count }, (_, b) => tidy(zMin + (b + 0.5) * width));
  edges[count] = zMax;
  return { count, zMin, zMax, width, edges, centres };
}

/**
 * The soft label of redshift `z` (within the bins' range): a Gaussian of width `s` (in z, ≥ 0)
 * centred on z, integrated over each bin and normalised over the bins (so truncated to [zMin,
 * zMax]). `s` = 0 gives the one-hot label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redshiftBins, softLabel } from "./redshift_bins.ts";
 * const bins = redshiftBins({ count: 3, zMax: 0.3 });
 * assert.deepEqual([...softLabel(0.15, bins, 0)], [0, 1, 0]);
 * const p = softLabel(0.15, bins, 0.05);
 * assert.ok(Math.abs(p[0] - p[2]) < 1e-12 && p[1] > p[0]);
 * ```
 */
export function softLabel(z: number, bins: RedshiftBins, s: number): Float64Array {
  const out = new Float64Array(bins.count);
  writeSoftLabel(out, z, bins, s);
  return out;
}

/** Soft labels ({@link softLabel}) of many redshifts as one row-major n × K Float32Array. */
export function softLabels(z: ArrayLike<number>, bins: RedshiftBins, s: number): Float32Array {
  const out = new Float32Array(z.length * bins.count);
  const row = new Float64Array(bins.count);
  for (let i = 0; i < z.length; i++) {
    writeSoftLabel(row, z[i], bins, s);
    out.set(row, i * bins.count);
  }
  return out;
}

function writeSoftLabel(out: Float64Array, z: number, bins: RedshiftBins, s: number): void {
  if (!(s >= 0 && Number.isFinite(s))) {
    throw new RangeError(`the soft labels' width must be a finite number ≥ 0, not ${s}`);
  }
  const k = binIndex(z, bins.width, bins.count, bins.zMin);
  if (k < 0) {
    throw new RangeError(`redshift ${z} lies outside the bins' range [${bins.zMin}, ${bins.zMax}]`);
  }
  out.fill(0);
  // Bins more than 8 s from z get nothing (their share is below 1e-15).
  if (s < bins.width * 1e-6) {
    out[k] = 1;
    return;
  }
  const lo = Math.max(0, Math.floor((z - 8 * s - bins.zMin) / bins.width));
  const hi = Math.min(bins.count - 1, Math.floor((z + 8 * s - bins.zMin) / bins.width));
  let total = 0;
  let below = normalCdf((bins.edges[lo] - z) / s);
  for (let b = lo; b <= hi; b++) {
    const above = normalCdf((bins.edges[b + 1] - z) / s);
    out[b] = Math.max(0, above - below);
    total += out[b];
    below = above;
  }
  if (!(total > 0)) out[k] = total = 1;
  for (let b = lo; b <= hi; b++) out[b] /= total;
}

/** `x` without float noise below 1e-12 (0.15000000000000002 → 0.15), exact for any width. */
function tidy(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}
