// Which redshift bin a value falls in: the one rule behind every per-bin table and histogram.

/**
 * Index of the bin of width `binWidth` (starting at `zMin`, `nBins` of them) that holds `z`,
 * or -1 when `z` lies outside them or is not a number. The last bin includes its upper edge.
 * Both tolerances are for float32 values: 0.6 is stored as 0.6000000238 and belongs in the last
 * bin; 0.35 is stored as 0.3499999940 and belongs in the bin that starts at 0.35.
 */
export function binIndex(z: number, binWidth: number, nBins: number, zMin = 0): number {
  const zMax = zMin + nBins * binWidth;
  if (!(z >= zMin - 1e-6 && z <= zMax + 1e-6)) return -1;
  return Math.max(0, Math.min(Math.floor((z - zMin) / binWidth + 1e-6), nBins - 1));
}
