import assert from "node:assert/strict";
import { errorsByBin, meanAbsoluteError, median, redshiftMetrics } from "../lib/metrics.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

// Worked by hand: errors e = [+0.02, −0.03, 0, +0.1, −0.2].
const zTrue = [0.1, 0.2, 0.3, 0.4, 0.5];
const zPred = [0.12, 0.17, 0.3, 0.5, 0.3];

Deno.test("redshiftMetrics() matches MAE, RMSE and mean error worked by hand", () => {
  const m = redshiftMetrics(zTrue, zPred);
  close(m.mae, (0.02 + 0.03 + 0 + 0.1 + 0.2) / 5);
  close(m.rmse, Math.sqrt((0.0004 + 0.0009 + 0 + 0.01 + 0.04) / 5));
  close(m.meanError, (0.02 - 0.03 + 0 + 0.1 - 0.2) / 5);
  close(meanAbsoluteError(zTrue, zPred), m.mae);
  assert.equal(m.n, 5);
});

Deno.test("redshiftMetrics() computes bias, σ_NMAD and outliers of Δz = e / (1 + z)", () => {
  const m = redshiftMetrics(zTrue, zPred);
  const dz = [0.02 / 1.1, -0.03 / 1.2, 0, 0.1 / 1.4, -0.2 / 1.5];
  close(m.bias, dz.reduce((a, b) => a + b) / 5);
  // median Δz = 0; |Δz| sorted: 0, 0.01818, 0.025, 0.07143, 0.13333 → median 0.025
  close(m.sigmaNmad, 1.4826 * 0.025, 1e-12);
  // |Δz| > 0.15: none; with a 0.05 threshold: 0.0714 and 0.1333
  assert.equal(m.outlierFraction, 0);
  assert.equal(redshiftMetrics(zTrue, zPred, { outlierThreshold: 0.05 }).outlierFraction, 0.4);
});

Deno.test("median() handles odd and even lengths without reordering its input", () => {
  const values = [3, 1, 2, 10];
  assert.equal(median(values), 2.5);
  assert.equal(median([5, 1, 3]), 3);
  assert.deepEqual(values, [3, 1, 2, 10]);
});

Deno.test("errorsByBin() gives n, share, mean and std of the error per 0.05 bin", () => {
  const t = [0.01, 0.02, 0.07, 0.6, 0.58];
  const p = [0.03, 0.02, 0.05, 0.5, 0.5];
  const rows = errorsByBin(t, p);
  assert.equal(rows.length, 12);
  assert.deepEqual([rows[0].zLow, rows[0].zHigh, rows[11].zLow, rows[11].zHigh], [
    0,
    0.05,
    0.55,
    0.6,
  ]);
  // bin 0: errors +0.02, 0 → mean 0.01, population std 0.01
  assert.equal(rows[0].n, 2);
  close(rows[0].percent, 40);
  close(rows[0].meanError, 0.01, 1e-12);
  close(rows[0].stdError, 0.01, 1e-9);
  // bin 1: one galaxy, error −0.02, std 0
  close(rows[1].meanError, -0.02, 1e-12);
  assert.equal(rows[1].stdError, 0);
  // z = 0.6 belongs to the last bin, with 0.58: errors −0.1, −0.08
  assert.equal(rows[11].n, 2);
  close(rows[11].meanError, -0.09, 1e-12);
  // a float32 z of 0.6 (slightly above 0.6) still counts in the last bin, and a float32 0.35
  // (slightly below 0.35) in the bin that starts there, as in the redshift histogram
  assert.equal(errorsByBin(new Float32Array([0.6]), [0.5])[11].n, 1);
  assert.equal(errorsByBin(new Float32Array([0.35]), [0.3])[7].n, 1);
  // an empty bin reports NaN, not zero
  assert.ok(Number.isNaN(rows[5].meanError) && rows[5].n === 0);
});

Deno.test("metrics refuse arrays of different lengths and empty arrays", () => {
  assert.throws(() => redshiftMetrics([0.1], [0.1, 0.2]), /1 true redshifts but 2 predictions/);
  assert.throws(() => errorsByBin([], []), /no predictions/);
});
