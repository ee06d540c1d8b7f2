import assert from "node:assert/strict";
import {
  biasDiagnostics,
  binnedErrorSlope,
  errorSlope,
  leastSquaresLine,
  meanErrorByBin,
} from "../lib/bias/mod.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("meanErrorByBin() by true z matches a table worked by hand, float32 0.6 in the last bin", () => {
  const zTrue = Float32Array.from([0.01, 0.02, 0.3, 0.6]);
  const zPred = Float32Array.from([0.03, 0.05, 0.25, 0.5]);
  const rows = meanErrorByBin(zTrue, zPred);
  assert.equal(rows.length, 12);
  assert.deepEqual(rows.map((r) => r.n), [2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  assert.deepEqual([rows[0].zLow, rows[0].zHigh, rows[11].zLow, rows[11].zHigh], [
    0,
    0.05,
    0.55,
    0.6,
  ]);
  // Errors 0.02 and 0.03: mean 0.025, population std 0.005, MAE 0.025.
  close(rows[0].meanError, 0.025, 1e-7);
  close(rows[0].stdError, 0.005, 1e-7);
  close(rows[0].mae, 0.025, 1e-7);
  close(rows[0].meanTrue, 0.015, 1e-7);
  close(rows[0].meanPredicted, 0.04, 1e-7);
  close(rows[6].meanError, -0.05, 1e-7);
  close(rows[11].meanError, -0.1, 1e-7);
  // One galaxy has no bootstrap spread; an empty bin has no numbers at all.
  assert.ok(Number.isNaN(rows[6].standardError));
  assert.ok(Number.isNaN(rows[3].meanError) && Number.isNaN(rows[3].mae));
  assert.ok(rows[0].standardError >= 0);
});

Deno.test("meanErrorByBin() by predicted z bins on the prediction and skips predictions outside", () => {
  const zTrue = [0.01, 0.02, 0.3, 0.6, 0.02, 0.5];
  const zPred = [0.03, 0.05, 0.25, 0.5, -0.02, 0.7];
  const rows = meanErrorByBin(zTrue, zPred, { by: "predicted" });
  // 0.05 is the lower edge of the second bin; −0.02 and 0.7 fall in no bin.
  assert.deepEqual(rows.map((r) => r.n), [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  close(rows[5].meanError, -0.05);
  close(rows[10].meanTrue, 0.6);
  close(rows[10].meanPredicted, 0.5);
});

Deno.test("meanErrorByBin() bootstrap errors: s/√n for a spread bin, 0 for equal errors, seeded", () => {
  const n = 400;
  const zTrue = new Float64Array(n).fill(0.12);
  const zPred = zTrue.map((z, i) => z + (i % 2 ? 0.01 : -0.01));
  const rows = meanErrorByBin(zTrue, zPred, { resamples: 2000, seed: 3 });
  // Population std 0.01 over 400 galaxies: standard error 0.01/20 = 0.0005 (bootstrap ±2 %).
  close(rows[2].standardError, 0.0005, 0.0005 * 0.06);
  const again = meanErrorByBin(zTrue, zPred, { resamples: 2000, seed: 3 });
  assert.equal(again[2].standardError, rows[2].standardError);
  const other = meanErrorByBin(zTrue, zPred, { resamples: 2000, seed: 4 });
  assert.notEqual(other[2].standardError, rows[2].standardError);
  const flat = meanErrorByBin(zTrue, zTrue.map((z) => z + 0.01), { resamples: 50 });
  assert.equal(flat[2].standardError, 0);
  assert.ok(Number.isNaN(meanErrorByBin(zTrue, zPred, { resamples: 0 })[2].standardError));
});

Deno.test("meanErrorByBin() rejects bad input with clear errors", () => {
  assert.throws(() => meanErrorByBin([0.1, 0.2], [0.1]), /2 true redshifts but 1 predictions/);
  assert.throws(() => meanErrorByBin([], []), /no predictions/);
  assert.throws(
    // @ts-expect-error: a binning the type does not allow
    () => meanErrorByBin([0.1], [0.1], { by: "photometric" }),
    /by must be "true" or "predicted"/,
  );
  assert.throws(() => meanErrorByBin([0.1], [0.1], { resamples: -1 }), /resamples/);
  assert.throws(() => meanErrorByBin([0.1], [0.1], { binWidth: 0 }), /no bins of width 0/);
  assert.throws(() => meanErrorByBin([0.1, 0.2], [0.1, NaN]), /zPred\[1\] is NaN/);
  assert.throws(() => errorSlope([0.3, NaN], [0.3, 0.4]), /zTrue\[1\] is NaN/);
});

Deno.test("leastSquaresLine() matches a fit worked by hand", () => {
  // x̄ = 1.5, ȳ = 2.75, Sxx = 5, Sxy = 5.5: slope 1.1, intercept 1.1; residual SS 2.7.
  const fit = leastSquaresLine([0, 1, 2, 3], [1, 3, 2, 5]);
  close(fit.slope, 1.1);
  close(fit.intercept, 1.1);
  close(fit.slopeSe, Math.sqrt(2.7 / 2 / 5));
  assert.equal(fit.n, 4);
  assert.ok(Number.isNaN(leastSquaresLine([0, 1], [0, 1]).slopeSe));
  assert.throws(() => leastSquaresLine([1], [1]), /cannot fit a slope to 1 point/);
  assert.throws(() => leastSquaresLine([1, 1], [0, 2]), /at one x/);
});

Deno.test("errorSlope() fits the galaxies from z_true = 0.2 on, a float32 0.2 included", () => {
  // Below 0.2 the error is wild and must not count; above it the error is −0.3 (z − 0.2).
  const zTrue = Float32Array.from([0.05, 0.1, 0.2, 0.3, 0.4, 0.6]);
  const zPred = zTrue.map((z) => (z < 0.19 ? z + 0.5 : z - 0.3 * (z - 0.2)));
  const fit = errorSlope(zTrue, zPred);
  assert.equal(fit.n, 4);
  close(fit.slope, -0.3, 1e-6);
  close(fit.intercept, 0.06, 1e-6);
  // Above 0.35 only two galaxies are left; above 0.5 only one.
  assert.equal(errorSlope(zTrue, zPred, { zAbove: 0.35 }).n, 2);
  assert.throws(() => errorSlope(zTrue, zPred, { zAbove: 0.5 }), /galaxies with z_true ≥ 0.5/);
});

Deno.test("errorSlope() by predicted z selects and regresses on the prediction", () => {
  // z_pred = 0.5 z_true + 0.1, so z_pred − z_true = 0.2 − z_pred: slope −1 against z_pred.
  const zTrue = [0.1, 0.2, 0.3, 0.4, 0.5];
  const zPred = zTrue.map((z) => 0.5 * z + 0.1);
  const fit = errorSlope(zTrue, zPred, { by: "predicted" });
  assert.equal(fit.n, 4); // z_pred = 0.15 is below 0.2
  close(fit.slope, -1);
});

Deno.test("binnedErrorSlope() fits the non-empty bins from 0.2 on, each weighing the same", () => {
  // Many galaxies at 0.22 with error 0, one at 0.47 with error −0.1: per bin the slope is
  // −0.1 / 0.25 = −0.4 whatever the crowd, which the per-galaxy fit also gives here.
  const zTrue = [...new Array(50).fill(0.22), 0.47, 0.1];
  const zPred = [...new Array(50).fill(0.22), 0.37, 0.3];
  const rows = meanErrorByBin(zTrue, zPred, { resamples: 0 });
  const fit = binnedErrorSlope(rows);
  assert.equal(fit.n, 2);
  close(fit.slope, -0.4, 1e-9);
  assert.throws(() => binnedErrorSlope(rows, { zAbove: 0.3 }), /non-empty bins from z = 0.3/);
});

Deno.test("biasDiagnostics() matches every number worked by hand", () => {
  const zTrue = [0, 0, 0, 0, 0.25, 0.5];
  const zPred = [0.01, 0.02, -0.01, 0.1, 0.125, 0.2];
  // Δz/(1 + z) = 0.01, 0.02, −0.01, 0.10, −0.1, −0.2: median 0, median |·| (0.02 + 0.1)/2 = 0.06.
  const d = biasDiagnostics(zTrue, zPred, { resamples: 0 });
  assert.equal(d.n, 6);
  close(d.sigmaNmad, 1.4826 * 0.06);
  close(d.outliers05, 3 / 6);
  close(d.outliers15, 1 / 6);
  close(d.mae, 0.565 / 6);
  close(d.meanError, -0.305 / 6);
  // Bin MAEs 0.035 (z = 0), 0.125 (0.25–0.30) and 0.3 (0.50–0.55), each weighing a third.
  close(d.binMae, (0.035 + 0.125 + 0.3) / 3);
  // Above 0.2: (0.25, −0.125) and (0.5, −0.3), slope −0.7, per galaxy and per bin.
  close(d.slope.slope, -0.7);
  close(d.binnedSlope.slope, -0.7);
  assert.deepEqual(d.byTrue.map((r) => r.n), [4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  // By prediction −0.01 falls in no bin; 0.1 and 0.125 share the 0.10–0.15 bin.
  assert.deepEqual(d.byPredicted.map((r) => r.n), [2, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
});
