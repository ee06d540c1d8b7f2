import assert from "node:assert/strict";
import {
  checkAlpha,
  DEFAULT_PDF_BINS,
  divideByPrior,
  pdfQuantile,
  pdfSummaries,
  pdfSummary,
  redshiftBins,
  softLabel,
  softLabels,
  trainingPrior,
} from "../lib/bias/mod.ts";
import { normalCdf } from "../lib/uncertainty/calibration.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** A Gaussian N(m, s²) integrated over each bin and normalised: a PDF with known moments. */
function gaussianPdf(bins: ReturnType<typeof redshiftBins>, m: number, s: number): Float64Array {
  const p = Float64Array.from(
    { length: bins.count },
    (_, k) => normalCdf((bins.edges[k + 1] - m) / s) - normalCdf((bins.edges[k] - m) / s),
  );
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / total);
}

Deno.test("redshiftBins() by default: 195 bins of 1/300 over [0, 0.65], 15 per Table 3 bin", () => {
  const bins = redshiftBins();
  assert.equal(bins.count, DEFAULT_PDF_BINS.count);
  assert.equal(bins.edges.length, 196);
  close(bins.width, 1 / 300);
  assert.equal(bins.edges[0], 0);
  assert.equal(bins.edges[195], 0.65);
  for (let j = 1; j <= 12; j++) close(bins.edges[15 * j], 0.05 * j, 1e-12);
  close(bins.centres[0], 1 / 600);
  close(bins.centres[194], 0.65 - 1 / 600);
});

Deno.test("redshiftBins() refuses a count or range that makes no bins", () => {
  assert.throws(() => redshiftBins({ count: 0 }), /bin count must be a whole number ≥ 1, not 0/);
  assert.throws(() => redshiftBins({ count: 2.5 }), /not 2.5/);
  assert.throws(() => redshiftBins({ zMin: 0.5, zMax: 0.5 }), /need zMax > zMin/);
});

Deno.test("softLabel() integrates a Gaussian over each bin, normalised over the bins", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  // z = 0.15, s = 0.05: Φ(1) − Φ(−1) = 0.682689 and Φ(−1) − Φ(−3) = 0.157305 each side;
  // their sum 0.997300 leaves 0.684537 and 0.157731 after normalising.
  const p = softLabel(0.15, bins, 0.05);
  close(p[1], 0.684537, 2e-6);
  close(p[0], 0.157731, 2e-6);
  close(p[0], p[2], 1e-15);
  close(p.reduce((a, b) => a + b, 0), 1, 1e-15);
  // A width of 0 is the one-hot label; a tiny width puts z on an edge half in each bin.
  assert.deepEqual([...softLabel(0.29, bins, 0)], [0, 0, 1]);
  const edge = softLabel(0.1, bins, 1e-6);
  close(edge[0], 0.5, 1e-6);
  close(edge[1], 0.5, 1e-6);
});

Deno.test("softLabel() is truncated at the ends, and its mean is z away from them", () => {
  const bins = redshiftBins();
  const low = softLabel(0, bins, 0.01);
  close(low.reduce((a, b) => a + b, 0), 1, 1e-12);
  assert.ok(low[0] > low[1] && low[1] > low[2]);
  for (const z of [0.1234, 0.3, 0.5]) {
    const p = softLabel(z, bins, 0.02);
    close(p.reduce((a, k) => a + k, 0), 1, 1e-12);
    close(pdfSummary(p, bins).mean, z, 1e-9);
  }
});

Deno.test("softLabels() writes one row per target into an n × K Float32Array", () => {
  const bins = redshiftBins({ count: 10, zMax: 0.5 });
  const z = Float32Array.of(0.12, 0.4);
  const rows = softLabels(z, bins, 0.03);
  assert.ok(rows instanceof Float32Array && rows.length === 20);
  assert.deepEqual([...rows.subarray(10)], [...Float32Array.from(softLabel(z[1], bins, 0.03))]);
});

Deno.test("softLabel() refuses a target outside the bins and a bad width", () => {
  const bins = redshiftBins();
  assert.throws(
    () => softLabel(0.7, bins, 0.01),
    /redshift 0.7 lies outside the bins' range \[0, 0.65\]/,
  );
  assert.throws(() => softLabel(NaN, bins, 0.01), /lies outside/);
  assert.throws(() => softLabel(0.1, bins, -0.01), /width must be a finite number ≥ 0/);
  assert.throws(() => softLabels([0.1], bins, NaN), /width must be a finite number ≥ 0/);
});

Deno.test("pdfSummary() matches mean, median, mode and interval worked by hand", () => {
  const bins = redshiftBins({ count: 4, zMax: 0.4 });
  const p = [0, 0.25, 0.75, 0];
  const s = pdfSummary(p, bins);
  close(s.mean, 0.25 * 0.15 + 0.75 * 0.25); // 0.225
  close(s.median, 0.2 + 0.1 * (0.25 / 0.75)); // inside the third bin
  assert.equal(s.mode, 0.25);
  close(s.lower, 0.1 + 0.1 * (0.16 / 0.25)); // 0.164
  close(s.upper, 0.2 + 0.1 * (0.59 / 0.75)); // 0.27867
  // Probabilities need not sum to 1.
  const scaled = pdfSummary(p.map((v) => 3 * v), bins);
  for (const key of ["mean", "median", "mode", "lower", "upper"] as const) {
    close(scaled[key], s[key], 1e-15);
  }
  // 95 % of a uniform PDF over [0.1, 0.3] is [0.105, 0.295].
  const wide = pdfSummary([0, 0.5, 0.5, 0], bins, { level: 0.95 });
  close(wide.lower, 0.105);
  close(wide.upper, 0.295);
});

Deno.test("pdfQuantile() reads the ends and the lowest median across an empty gap", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  close(pdfQuantile([0.5, 0, 0.5], bins, 0.5), 0.1);
  close(pdfQuantile([0, 1, 0], bins, 0), 0.1);
  close(pdfQuantile([0, 1, 0], bins, 1), 0.2);
  close(pdfQuantile([0, 1, 0], bins, 0.3), 0.13);
});

Deno.test("pdfSummary() of a binned Gaussian recovers its mean and its 68 % interval", () => {
  const bins = redshiftBins({ count: 650 });
  const s = pdfSummary(gaussianPdf(bins, 0.3, 0.03), bins);
  close(s.mean, 0.3, 1e-8); // to the accuracy of normalCdf()
  close(s.median, 0.3, 1e-8);
  // 0.3 is an edge: the two bins beside it are equally probable, and the mode is one's centre.
  close(Math.abs(s.mode - 0.3), 0.0005, 1e-12);
  // Φ⁻¹(0.84) = 0.994458: the interval is 0.3 ∓ 0.029834, to the bins' linear interpolation.
  close(s.lower, 0.3 - 0.994458 * 0.03, 1e-5); // the CDF is linear inside a bin: off by ~w² f′/8f
  close(s.upper, 0.3 + 0.994458 * 0.03, 1e-5);
});

Deno.test("pdfSummaries() summarises each row as pdfSummary() does", () => {
  const bins = redshiftBins({ count: 4, zMax: 0.4 });
  const rows = [[0, 0.25, 0.75, 0], [1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4]];
  const s = pdfSummaries(Float32Array.from(rows.flat()), bins);
  rows.forEach((p, i) => {
    const one = pdfSummary(Float32Array.from(p), bins);
    close(s.mean[i], one.mean, 1e-15);
    close(s.median[i], one.median, 1e-15);
    close(s.mode[i], one.mode, 1e-15);
    close(s.lower[i], one.lower, 1e-15);
    close(s.upper[i], one.upper, 1e-15);
  });
  assert.throws(() => pdfSummaries(new Float32Array(7), bins), /7 probabilities are not rows of 4/);
});

Deno.test("PDF summaries refuse a PDF that is not one", () => {
  const bins = redshiftBins({ count: 3, zMax: 0.3 });
  assert.throws(() => pdfSummary([0.5, 0.5], bins), /a PDF of 2 probabilities over 3 bins/);
  assert.throws(() => pdfSummary([0.5, -0.1, 0.6], bins), /probability -0.1 in bin 1/);
  assert.throws(() => pdfSummary([0.5, NaN, 0.5], bins), /probability NaN in bin 1/);
  assert.throws(() => pdfSummary([0, 0, 0], bins), /sum to 0/);
  assert.throws(() => pdfQuantile([0, 1, 0], bins, 1.2), /must lie in \[0, 1\], not 1.2/);
  assert.throws(() => pdfSummary([0, 1, 0], bins, { level: -0.5 }), /level must lie in \[0, 1\]/);
});

Deno.test("trainingPrior() is the smoothed histogram over the PDF bins, floored, summing to 1", () => {
  const bins = redshiftBins();
  const z = Float64Array.from({ length: 1000 }, (_, i) => 0.05 + 0.2 * (i / 1000));
  const prior = trainingPrior(z, bins);
  assert.equal(prior.length, 195);
  close(prior.reduce((a, b) => a + b, 0), 1, 1e-12);
  const top = Math.max(...prior);
  // Bins with no galaxy near them hold the floor, a thousandth of the largest share.
  close(Math.min(...prior) / top, 1e-3, 1e-12);
  close(prior[194] / top, 1e-3, 1e-12);
  // By hand: three galaxies in the first of two bins, the second floored to a quarter.
  const two = redshiftBins({ count: 2, zMax: 0.2 });
  assert.deepEqual([...trainingPrior([0.05, 0.05, 0.05], two, { smoothing: 0, floor: 0.25 })], [
    0.8,
    0.2,
  ]);
  assert.throws(() => trainingPrior(z, bins, { floor: 0 }), /floor must lie in \(0, 1\]/);
});

Deno.test("divideByPrior() matches the α knob worked by hand", () => {
  // α = 0.5 with a prior 0.8 : 0.2 divides by √0.8 : √0.2 = 2 : 1, so 0.5 : 0.5 becomes 1/3 : 2/3.
  const half = divideByPrior([0.5, 0.5], [0.8, 0.2], 0.5);
  close(half[0], 1 / 3, 1e-15);
  close(half[1], 2 / 3, 1e-15);
  assert.deepEqual([...divideByPrior([0.8, 0.2], [0.8, 0.2], 1)], [0.5, 0.5]);
  // α = 0 only renormalises; rows are divided one by one.
  assert.deepEqual([...divideByPrior([2, 2, 1, 3], [0.5, 0.5], 0)], [0.5, 0.5, 0.25, 0.75]);
});

Deno.test("the α knob turns a Gaussian posterior back into the likelihood", () => {
  // Prior N(0.3, 0.08²), likelihood N(0.35, 0.04²): posterior ∝ L × prior. Divided by prior^α it
  // is L × prior^(1 − α), a Gaussian of precision 1/σ² + (1 − α)/τ².
  const bins = redshiftBins({ count: 650 });
  const prior = gaussianPdf(bins, 0.3, 0.08);
  const likelihood = gaussianPdf(bins, 0.35, 0.04);
  const posterior = likelihood.map((l, k) => l * prior[k]);
  for (const alpha of [0, 0.5, 1]) {
    const precision = 1 / 0.04 ** 2 + (1 - alpha) / 0.08 ** 2;
    const mean = (0.35 / 0.04 ** 2 + (1 - alpha) * 0.3 / 0.08 ** 2) / precision;
    const s = pdfSummaries(posterior, bins, { prior, alpha });
    close(s.mean[0], mean, 1e-5);
    close(s.upper[0] - s.lower[0], 2 * 0.994458 / Math.sqrt(precision), 1e-4);
    close(pdfSummary(divideByPrior(posterior, prior, alpha), bins).mean, s.mean[0], 1e-14);
  }
});

Deno.test("the α knob refuses α outside [0, 1] and α without a prior", () => {
  for (const alpha of [-0.1, 1.5, NaN]) {
    assert.throws(() => checkAlpha(alpha), RangeError);
    assert.throws(
      () => divideByPrior([0.5, 0.5], [0.5, 0.5], alpha),
      /α must lie in \[0, 1\] \(0 keeps the predicted PDF, 1 divides out the whole training distribution\)/,
    );
  }
  const bins = redshiftBins({ count: 2, zMax: 0.2 });
  assert.throws(() => pdfSummaries([0.5, 0.5], bins, { alpha: 0.5 }), /needs the training prior/);
  assert.throws(
    () => pdfSummaries([0.5, 0.5], bins, { alpha: 2, prior: [0.5, 0.5] }),
    /α must lie in \[0, 1\]/,
  );
  assert.throws(() => divideByPrior([0.5, 0.5], [1, 0], 1), /prior share 0 in bin 1/);
  assert.throws(
    () => divideByPrior([0.5, 0.5, 0.5], [0.5, 0.5], 1),
    /3 probabilities are not rows/,
  );
});
