import assert from "node:assert/strict";
import {
  coverageFromPit,
  coverageFromPitByBin,
  meanPdfCrps,
  pdfCalibration,
  pdfCdf,
  pdfCrps,
  pdfPitValues,
  redshiftBins,
  softLabel,
  softLabels,
  trainingPrior,
} from "../lib/bias/mod.ts";
import { gaussianCrps, intervalCoverage, pitValues } from "../lib/uncertainty/calibration.ts";
import { Random } from "../lib/random.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("pdfCdf() is linear inside a bin, 0 below the bins and 1 above", () => {
  const bins = redshiftBins({ count: 4, zMax: 0.4 });
  const p = [0.1, 0.2, 0.3, 0.4];
  close(pdfCdf(p, bins, 0.15), 0.1 + 0.1);
  close(pdfCdf(p, bins, 0.2), 0.3);
  close(pdfCdf(p, bins, 0.375), 0.6 + 0.3);
  assert.equal(pdfCdf(p, bins, -0.1), 0);
  assert.equal(pdfCdf(p, bins, 0.5), 1);
  close(pdfCdf(p.map((v) => 2 * v), bins, 0.15), 0.2); // normalised by the sum
});

Deno.test("pdfPitValues() reads each galaxy's CDF at its true z", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  const probs = Float32Array.of(0, 1, 0, 0.5, 0.5, 0);
  const pit = pdfPitValues([0.125, 0.25], probs, bins);
  close(pit[0], 0.25, 1e-7);
  assert.equal(pit[1], 1);
  assert.throws(() => pdfPitValues([0.1], probs, bins), /1 true redshifts but 2 PDFs/);
});

Deno.test("coverageFromPit() counts PIT values in [(1 − level)/2, (1 + level)/2]", () => {
  assert.equal(coverageFromPit([0.5, 0.2, 0.9, 0.01], 0.68), 0.5);
  assert.equal(coverageFromPit([0.5, 0.2, 0.9, 0.01], 0.95), 0.75);
  assert.throws(() => coverageFromPit([0.5], 1), /level must lie in \(0, 1\), not 1/);
  assert.throws(() => coverageFromPit([], 0.68), /no PIT values/);
});

Deno.test("coverageFromPit() of Gaussian PIT values is the ensemble's intervalCoverage()", () => {
  const r = new Random(4);
  const n = 3000;
  const mean = Float64Array.from({ length: n }, () => 0.05 + 0.5 * r.uniform());
  const std = Float64Array.from({ length: n }, () => 0.01 + 0.02 * r.uniform());
  const zTrue = mean.map((m, i) => m + 1.3 * std[i] * r.normal());
  const pit = pitValues(zTrue, { mean, std });
  for (const level of [0.68, 0.95]) {
    assert.equal(coverageFromPit(pit, level), intervalCoverage(zTrue, { mean, std }, { level }));
  }
});

Deno.test("coverageFromPitByBin() splits coverage by true z, float32 0.6 in the last bin", () => {
  const zTrue = Float32Array.from([0.01, 0.02, 0.3, 0.6, 0.7]);
  const rows = coverageFromPitByBin(zTrue, [0.5, 0.05, 0.99, 0.5, 0.5]);
  assert.equal(rows.length, 12);
  assert.deepEqual(rows.map((r) => r.n), [2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  assert.deepEqual(rows[0].coverage, [0.5, 1]); // PIT 0.05 is inside 95 %, outside 68 %
  assert.deepEqual(rows[6].coverage, [0, 0]);
  assert.deepEqual(rows[11].coverage, [1, 1]);
  assert.ok(Number.isNaN(rows[3].coverage[0]));
  assert.throws(() => coverageFromPitByBin([0.1], [0.5, 0.5]), /1 true redshifts but 2 PIT/);
});

Deno.test("pdfCrps() of one full bin is exact: w/12 at its centre, |y − c| − w/6 outside", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  const w = 0.1;
  close(pdfCrps([0, 1, 0], bins, 0.15), w / 12, 1e-15);
  // A uniform density on [a, a + w]: E|X − y| − ½ E|X − X′| = |y − c| − w/6 for y outside.
  close(pdfCrps([0, 1, 0], bins, 0.5), 0.5 - 0.15 - w / 6, 1e-15);
  close(pdfCrps([0, 1, 0], bins, 0.02), 0.15 - 0.02 - w / 6, 1e-15);
  close(pdfCrps([1, 0, 0], bins, -0.1), 0.1 + 0.05 - w / 6, 1e-15); // truth below the bins
  // Off centre in the bin, at a + w/4: E|X − y| = w (1/32 + 9/32) = 5w/16, minus w/6.
  close(pdfCrps([0, 1, 0], bins, 0.125), (5 * w) / 16 - w / 6, 1e-15);
});

Deno.test("pdfCrps() of a finely binned Gaussian is the Gaussian's closed form", () => {
  const bins = redshiftBins({ count: 1300 });
  for (const y of [0.3, 0.33, 0.25, 0.6]) {
    close(pdfCrps(softLabel(0.3, bins, 0.03), bins, y), gaussianCrps(y, 0.3, 0.03), 2e-6);
  }
});

Deno.test("meanPdfCrps() averages pdfCrps() over the galaxies", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  const probs = Float32Array.of(0, 1, 0, 1, 0, 0);
  close(meanPdfCrps([0.15, -0.1], probs, bins), (0.1 / 12 + 0.15 - 0.1 / 6) / 2, 1e-9);
  assert.throws(() => meanPdfCrps([0.15], probs, bins), /1 true redshifts but 2 PDFs/);
  assert.throws(() => meanPdfCrps([0.15, NaN], probs, bins), /zTrue\[1\] is NaN/);
  assert.throws(() => pdfPitValues([NaN, 0.1], probs, bins), /zTrue\[0\] is NaN/);
});

Deno.test("pdfCalibration() of truths drawn from their PDFs is calibrated", () => {
  const r = new Random(12);
  const n = 6000, s = 0.02;
  const bins = redshiftBins();
  const centre = Float64Array.from({ length: n }, () => 0.1 + 0.4 * r.uniform());
  const zTrue = centre.map((m) => m + s * r.normal());
  const probs = softLabels(centre, bins, s);
  const report = pdfCalibration(zTrue, probs, bins);
  assert.equal(report.n, n);
  assert.deepEqual(report.levels, [0.68, 0.95]);
  close(report.coverage[0], 0.68, 0.02);
  close(report.coverage[1], 0.95, 0.01);
  for (const c of report.pitCounts) close(c / n, 0.1, 0.015);
  // A truth Y drawn from the PDF itself: E[CRPS] = E|X − Y| − ½ E|X − X′| = ½ E|X − X′| = s/√π.
  close(report.crps, s / Math.sqrt(Math.PI), 0.0003);
  assert.equal(report.byBin.length, 12);
  assert.equal(
    report.byBin.reduce((a, row) => a + row.n, 0),
    n - zTrue.filter((z) => z > 0.6).length,
  );
  // Twice too wide PDFs cover too much.
  const wide = pdfCalibration(zTrue, softLabels(centre, bins, 2 * s), bins);
  assert.ok(wide.coverage[0] > 0.9);
});

Deno.test("pdfCalibration() scores the PDFs after the α knob when given the prior", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  const probs = Float64Array.of(0.2, 0.6, 0.2);
  const prior = trainingPrior([0.15, 0.15, 0.05, 0.25], bins, { smoothing: 0 }); // 1 : 2 : 1
  const divided = pdfCalibration([0.17], probs, bins, { prior, alpha: 1 });
  // Divided by 1 : 2 : 1, the PDF becomes 0.2 : 0.3 : 0.2 → 2/7 : 3/7 : 2/7.
  close(divided.crps, pdfCrps([2, 3, 2], bins, 0.17), 1e-12);
  assert.equal(
    pdfCalibration([0.17], probs, bins, { prior, alpha: 0 }).crps,
    pdfCrps(probs, bins, 0.17),
  );
  assert.throws(() => pdfCalibration([0.17], probs, bins, { prior, alpha: 1.01 }), /α must lie/);
});
