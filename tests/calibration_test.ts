import assert from "node:assert/strict";
import {
  calibrationReport,
  coverageByBin,
  ensembleCrps,
  fitStdScale,
  gaussianCrps,
  intervalCoverage,
  meanGaussianCrps,
  meanGaussianNll,
  normalCdf,
  normalQuantile,
  pitHistogram,
  pitValues,
  scaleStd,
} from "../lib/uncertainty/calibration.ts";
import { Random } from "../lib/random.ts";

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("normalCdf() and normalQuantile() match tabulated values and invert each other", () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1), 0.8413447, 1e-6);
  close(normalCdf(-1.959964), 0.025, 1e-6);
  close(normalQuantile(0.975), 1.959964, 1e-6);
  close(normalQuantile(0.84), 0.9944579, 1e-6);
  close(normalQuantile(0.001), -3.090232, 1e-6);
  for (const p of [0.01, 0.2, 0.5, 0.9, 0.999]) close(normalCdf(normalQuantile(p)), p, 2e-7);
});

Deno.test("pitValues() puts the truth at 0.5 at the mean and at Φ(±1) one σ away", () => {
  const pit = pitValues([0.1, 0.12, 0.08], { mean: [0.1, 0.1, 0.1], std: [0.02, 0.02, 0.02] });
  close(pit[0], 0.5, 1e-7);
  close(pit[1], 0.8413447, 1e-6);
  close(pit[2], 0.1586553, 1e-6);
});

Deno.test("pitHistogram() counts equal bins over [0, 1] and puts 1 in the last bin", () => {
  assert.deepEqual(pitHistogram([0, 0.05, 0.25, 0.5, 0.99, 1], { bins: 4 }), [2, 1, 1, 2]);
  assert.deepEqual(pitHistogram([NaN, 1.5, 0.3], { bins: 2 }), [1, 0]);
});

Deno.test("intervalCoverage() counts truths within Φ⁻¹((1 + level)/2) σ of the mean", () => {
  // |error| / σ = 0.5, 0.99, 1.5, 1.9, 2.5; the 68 % half-width is 0.9945 σ, the 95 % 1.96 σ.
  const zTrue = [0.05, 0.099, 0.15, 0.19, 0.25];
  const prediction = { mean: [0, 0, 0, 0, 0], std: [0.1, 0.1, 0.1, 0.1, 0.1] };
  assert.equal(intervalCoverage(zTrue, prediction, { level: 0.68 }), 2 / 5);
  assert.equal(intervalCoverage(zTrue, prediction, { level: 0.95 }), 4 / 5);
});

Deno.test("coverageByBin() splits coverage by true z and keeps a float32 0.6 in the last bin", () => {
  const zTrue = Float32Array.from([0.01, 0.02, 0.3, 0.6]);
  const prediction = { mean: [0.01, 0.5, 0.3, 0.6], std: [0.01, 0.01, 0.02, 0.04] };
  const rows = coverageByBin(zTrue, prediction);
  assert.equal(rows.length, 12);
  assert.deepEqual([rows[0].n, rows[6].n, rows[11].n], [2, 1, 1]);
  assert.deepEqual(rows[0].coverage, [0.5, 0.5]);
  close(rows[0].meanStd, 0.01, 1e-12);
  assert.deepEqual(rows[11].coverage, [1, 1]);
  assert.ok(Number.isNaN(rows[3].coverage[0]) && rows[3].n === 0);
});

Deno.test("gaussianCrps() matches the closed form worked by hand", () => {
  // t = 0: 2φ(0) − 1/√π = 0.7978846 − 0.5641896 = 0.2336950
  close(gaussianCrps(0, 0, 1), 0.233695, 1e-6);
  close(gaussianCrps(0.3, 0.3, 2), 2 * 0.233695, 2e-6);
  // t = 1: (2Φ(1) − 1) + 2φ(1) − 1/√π = 0.6826895 + 0.4839414 − 0.5641896 = 0.6024413
  close(gaussianCrps(1, 0, 1), 0.6024413, 1e-6);
  close(gaussianCrps(-1, 0, 1), 0.6024413, 1e-6);
  // A vanishing σ leaves the absolute error.
  close(gaussianCrps(0.2, 0.15, 0), 0.05, 1e-12);
  close(meanGaussianCrps([0, 1], { mean: [0, 0], std: [1, 1] }), (0.233695 + 0.6024413) / 2);
});

Deno.test("ensembleCrps() matches the empirical formula worked by hand", () => {
  // Members 0 and 1, truth 0: mean |x − y| = 0.5, ½ mean |x − x'| = ½ × 2/4 = 0.25.
  close(ensembleCrps([0], [[0], [1]]), 0.25, 1e-12);
  // Members 0, 1, 3, truth 1: mean |x − y| = 1; Σ|x − x'| = 2 × (1 + 3 + 2) = 12; 12 / 18 = 2/3.
  close(ensembleCrps([1], [[0], [1], [3]]), 1 - 2 / 3, 1e-12);
});

Deno.test("meanGaussianNll() is ½ t² + log σ + ½ log 2π", () => {
  close(meanGaussianNll([1], { mean: [0], std: [1] }), 0.5 + 0.5 * Math.log(2 * Math.PI), 1e-12);
  close(meanGaussianNll([0], { mean: [0], std: [2] }), Math.log(2) + 0.5 * Math.log(2 * Math.PI));
});

Deno.test("fitStdScale() makes the 68 % interval cover 68 % of the fitted galaxies", () => {
  const r = new Random(7);
  const n = 5000;
  const zTrue = Float64Array.from({ length: n }, () => 0.1 + 0.03 * r.normal());
  const prediction = { mean: new Float64Array(n).fill(0.1), std: new Float64Array(n).fill(0.01) };
  const s = fitStdScale(zTrue, prediction);
  close(s, 3, 0.15); // the errors are three times the stated σ
  const scaled = scaleStd(prediction, s);
  close(intervalCoverage(zTrue, scaled, { level: 0.68 }), 0.68, 1e-3);
  close(intervalCoverage(zTrue, scaled, { level: 0.95 }), 0.95, 0.015);
});

Deno.test("calibrationReport() of draws from the predicted Gaussians is calibrated", () => {
  const r = new Random(11);
  const n = 20_000;
  const mean = Float64Array.from({ length: n }, () => 0.05 + 0.5 * r.uniform());
  const std = Float64Array.from({ length: n }, () => 0.005 + 0.03 * r.uniform());
  const zTrue = mean.map((m, i) => m + std[i] * r.normal());
  const report = calibrationReport(zTrue, { mean, std });
  close(report.coverage[0], 0.68, 0.01);
  close(report.coverage[1], 0.95, 0.005);
  for (const c of report.pitCounts) close(c / n, 0.1, 0.01);
  assert.equal(report.n, n);
  assert.equal(report.byBin.length, 12);
  // Calibrated CRPS is below that of the same means with a four times too wide σ.
  assert.ok(report.crps < meanGaussianCrps(zTrue, scaleStd({ mean, std }, 4)));
});

Deno.test("calibration functions reject arrays that do not pair up", () => {
  assert.throws(() => pitValues([0.1, 0.2], { mean: [0.1], std: [0.1] }), RangeError);
  assert.throws(() => meanGaussianCrps([], { mean: [], std: [] }), RangeError);
  assert.throws(() => ensembleCrps([0.1, 0.2], [[0.1]]), RangeError);
});
