/**
 * The redshift distribution of the dissertation's sample, as a quantile function.
 *
 * Knots are the published facts (`published.ts`): the 1st–99th percentiles
 * and the cumulative shares at every 0.05 bin edge. A monotone cubic
 * (Fritsch–Carlson) through them gives z = Q(u) for u uniform, so every
 * percentile and bin share is matched by construction and the density between
 * knots is smooth (which keeps skewness and kurtosis close too).
 *
 * @module
 */
import { PUBLISHED_ERRORS_BY_BIN, PUBLISHED_REDSHIFT_STATS } from "../published.ts";

/** Published percentiles: [cumulative fraction, z]. */
const PERCENTILES = Object.entries(PUBLISHED_REDSHIFT_STATS.percentiles)
  .map(([level, z]): [number, number] => [Number(level) / 100, z]);

/** Published share (%) of galaxies per 0.05 bin from 0 to 0.6 (Table 3). */
const BIN_SHARES_PERCENT = PUBLISHED_ERRORS_BY_BIN.map((bin) => bin.percent);

function knots(): { u: number[]; z: number[] } {
  const pts: [number, number][] = [[0, 0], ...PERCENTILES];
  const total = BIN_SHARES_PERCENT.reduce((s, v) => s + v, 0);
  let cum = 0;
  BIN_SHARES_PERCENT.forEach((share, b) => {
    cum += share;
    pts.push([b === BIN_SHARES_PERCENT.length - 1 ? 1 : cum / total, 0.05 * (b + 1)]);
  });
  pts.sort((a, b) => a[0] - b[0]);
  return { u: pts.map((p) => p[0]), z: pts.map((p) => p[1]) };
}

/** Fritsch–Carlson slopes: a monotone cubic Hermite interpolant through (x, y). */
function monotoneSlopes(x: number[], y: number[]): number[] {
  const n = x.length;
  const d = Array.from({ length: n - 1 }, (_, i) => (y[i + 1] - y[i]) / (x[i + 1] - x[i]));
  const m = new Array<number>(n);
  m[0] = d[0];
  m[n - 1] = d[n - 2];
  for (let i = 1; i < n - 1; i++) m[i] = d[i - 1] * d[i] <= 0 ? 0 : (d[i - 1] + d[i]) / 2;
  for (let i = 0; i < n - 1; i++) {
    if (d[i] === 0) {
      m[i] = m[i + 1] = 0;
      continue;
    }
    const a = m[i] / d[i], b = m[i + 1] / d[i];
    const s = a * a + b * b;
    if (s > 9) {
      const t = 3 / Math.sqrt(s);
      m[i] = t * a * d[i];
      m[i + 1] = t * b * d[i];
    }
  }
  return m;
}

const K = knots();
const SLOPES = monotoneSlopes(K.u, K.z);

/** Redshift at cumulative fraction `u` in [0, 1]. */
export function redshiftQuantile(u: number): number {
  const x = K.u;
  let i = 0;
  while (i < x.length - 2 && u > x[i + 1]) i++;
  const h = x[i + 1] - x[i];
  const t = (u - x[i]) / h;
  const t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * K.z[i] + (t3 - 2 * t2 + t) * h * SLOPES[i] +
    (-2 * t3 + 3 * t2) * K.z[i + 1] + (t3 - t2) * h * SLOPES[i + 1];
}
