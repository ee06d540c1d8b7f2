// Snapshot and behaviour tests of the plot functions.
//
// Each figure is rendered from seeded inputs and compared with the committed
// file tests/snapshots/<name>.svg. After an intended change to a figure,
// regenerate the files and review them (e.g. `rsvg-convert x.svg -o x.png`):
//
//   UPDATE_SNAPSHOTS=1 deno test -A tests/plots_test.ts
import assert from "node:assert/strict";
import { errorsByBin } from "../lib/metrics.ts";
import { Random } from "../lib/random.ts";
import {
  activationFunctionsPlot,
  dataSplitPlot,
  errorsByBinPlot,
  histogram2d,
  histogramCounts,
  historyFromKerasCsv,
  huber,
  lossFunctionsPlot,
  meanSpectraByRedshift,
  meanSpectraPlot,
  normalizeSvg,
  optimizerComparisonPlot,
  predictedVsTrueHistogram,
  predictionDensityPlot,
  redshiftHistogram,
  spectrumPlot,
  trainingCurvesPlot,
} from "../lib/plots/mod.ts";
import { PUBLISHED_ERRORS_BY_BIN } from "../lib/published.ts";

import { assertSnapshot } from "./_snapshot.ts";

// ---- Seeded inputs, no live data -------------------------------------------------------------

/** Wavelengths of the 186 samples for tests: evenly spaced over 366–996 nm. */
const WAVELENGTHS = Float64Array.from({ length: 186 }, (_, i) => 366 + (i * 630) / 185);

/** Redshifts with a double peak near 0.1 and a long tail, like the dissertation's sample. */
function mockRedshifts(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => {
    const peak = r.uniform() < 0.5 ? 0.08 : 0.12;
    const z = r.uniform() < 0.8 ? peak + 0.025 * r.normal() : Math.exp(-1.7 + 0.45 * r.normal());
    return Math.min(0.6, Math.abs(z));
  });
}

/** Predictions that regress towards the mean, with noise and a few outliers below the diagonal. */
function mockPredictions(z: Float32Array, seed: number): Float32Array {
  const r = new Random(seed);
  return z.map((t) => {
    const outlier = r.uniform() < 0.01 ? -0.5 * t * r.uniform() : 0;
    return t - 0.25 * (t - 0.13) + 0.022 * r.normal() + outlier;
  });
}

/** Fluxes of a BP hump and a larger RP hump, fainter with z, plus noise. */
function mockFluxes(z: Float32Array, seed: number): Float32Array {
  const r = new Random(seed);
  const flux = new Float32Array(z.length * 186);
  for (let i = 0; i < z.length; i++) {
    for (let j = 0; j < 186; j++) {
      const w = WAVELENGTHS[j];
      const hump = j < 80
        ? 3 * Math.exp(-(((w - 520) / 130) ** 2))
        : 8 * Math.exp(-(((w - 800) / 160) ** 2));
      flux[i * 186 + j] = hump / (1 + 8 * z[i]) + 0.4 * r.normal();
    }
  }
  return flux;
}

/** A training history that falls and flattens, validation slightly above training. */
function mockHistory(epochs: number, seed: number, scale = 1) {
  const r = new Random(seed);
  return Array.from({ length: epochs }, (_, k) => {
    const epoch = k + 1;
    const base = scale * (0.00048 + 0.0002 * Math.exp(-k / 3));
    const overfit = k > 20 ? 0.000004 * (k - 20) : 0;
    return {
      epoch,
      loss: base * (1 - 0.004 * k) + 0.000004 * r.normal(),
      mae: 0.0205 + 0.006 * Math.exp(-k / 3) + 0.0002 * r.normal(),
      valLoss: base + 0.00002 + overfit + 0.00001 * r.normal(),
      valMae: 0.021 + 0.005 * Math.exp(-k / 3) + 0.0003 * r.normal(),
    };
  });
}

// ---- Snapshots --------------------------------------------------------------------------------

Deno.test("redshiftHistogram() matches its snapshot (Fig. 9)", async () => {
  await assertSnapshot("redshift_histogram", redshiftHistogram(mockRedshifts(5000, 1)));
});

Deno.test("predictedVsTrueHistogram() matches its snapshot (Fig. 17)", async () => {
  const z = mockRedshifts(5000, 2);
  await assertSnapshot(
    "predicted_vs_true_histogram",
    predictedVsTrueHistogram(z, mockPredictions(z, 3)),
  );
});

Deno.test("spectrumPlot() matches its snapshot (Fig. 10)", async () => {
  const z = Float32Array.of(0.1735581);
  const flux = mockFluxes(z, 4);
  await assertSnapshot(
    "spectrum",
    spectrumPlot({ wavelengthsNm: WAVELENGTHS, flux, nBp: 80, title: "Galaxy 1 (z = 0.174)" }),
  );
});

Deno.test("meanSpectraPlot() matches its snapshot (Fig. 11)", async () => {
  const z = Float32Array.from({ length: 1200 }, (_, i) => (i % 120) / 200);
  const means = meanSpectraByRedshift({ z, flux: mockFluxes(z, 5) }, { maxPerRange: 150, seed: 6 });
  await assertSnapshot(
    "mean_spectra",
    meanSpectraPlot(WAVELENGTHS, means, { subtitle: "150 random galaxies per range" }),
  );
});

Deno.test("dataSplitPlot() matches its snapshot (Fig. 12)", async () => {
  await assertSnapshot(
    "data_split",
    dataSplitPlot({ train: 327_847, validation: 140_506, test: 52_040 }),
  );
});

Deno.test("trainingCurvesPlot() matches its snapshots for loss and MAE (Figs. 13–15)", async () => {
  const history = mockHistory(30, 7);
  const reference = mockHistory(40, 8, 1.05);
  await assertSnapshot(
    "training_loss",
    trainingCurvesPlot(history, {
      metric: "loss",
      reference,
      markEpoch: 20,
      markLabel: "epoch 20: validation stops improving",
    }),
  );
  await assertSnapshot("training_mae", trainingCurvesPlot(history.slice(0, 20), { metric: "mae" }));
  await assertSnapshot(
    "training_loss_log",
    trainingCurvesPlot(history, { metric: "loss", logY: true }),
  );
});

Deno.test("errorsByBinPlot() matches its snapshot with the published table beside it (Fig. 16)", async () => {
  const z = mockRedshifts(20_000, 9);
  const rows = errorsByBin(z, mockPredictions(z, 10));
  await assertSnapshot(
    "errors_by_bin",
    errorsByBinPlot(rows, { reference: PUBLISHED_ERRORS_BY_BIN }),
  );
});

Deno.test("predictionDensityPlot() matches its snapshot for 50,000 galaxies (Fig. 18)", async () => {
  const z = mockRedshifts(50_000, 11);
  await assertSnapshot("prediction_density", predictionDensityPlot(z, mockPredictions(z, 12)));
});

Deno.test("background plots match their snapshots (activations, losses, optimizers)", async () => {
  await assertSnapshot("activation_functions", activationFunctionsPlot());
  await assertSnapshot("loss_functions", lossFunctionsPlot({ delta: 1 }));
  const r = new Random(13);
  const curve = (rate: number, floor: number) =>
    Float64Array.from(
      { length: 300 },
      (_, step) => floor + Math.exp(-rate * step) * (1 + 0.1 * r.normal() ** 2),
    );
  await assertSnapshot(
    "optimizer_comparison",
    optimizerComparisonPlot([
      { label: "SGD (lr 0.01)", loss: curve(0.008, 0.05) },
      { label: "Adam (lr 0.001)", loss: curve(0.03, 0.01) },
      { label: "Adamax (lr 0.001)", loss: curve(0.025, 0.008) },
    ]),
  );
});

// ---- Behaviour --------------------------------------------------------------------------------

Deno.test("plot functions return one standalone <svg>, never an HTML figure", () => {
  const svg = redshiftHistogram([0.1, 0.2]);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith("</svg>"));
  assert.ok(!svg.includes("<figure") && !svg.includes("<h2"));
});

Deno.test("rendering the same figure twice gives the same text, clip-path ids included", () => {
  const first = lossFunctionsPlot();
  redshiftHistogram([0.1]); // Plot's global id counters move on in between
  assert.equal(lossFunctionsPlot(), first);
});

Deno.test("normalizeSvg() renames ids with their references and rounds coordinates in tags only", () => {
  const svg = normalizeSvg(
    '<svg><clipPath id="plot-clip-7"/><g clip-path="url(#plot-clip-7)" x="1.23456">' +
      "<text>0.12345</text></g></svg>",
  );
  const id = svg.match(/id="([^"]+)"/)![1];
  assert.ok(!id.includes("plot-clip-7"));
  assert.ok(svg.includes(`url(#${id})`));
  assert.ok(svg.includes('x="1.23"'));
  assert.ok(svg.includes("<text>0.12345</text>"), "text content is left alone");
});

Deno.test("histogramCounts() bins values over [0, 0.6] and counts the rest as outside", () => {
  const h = histogramCounts([0, 0.005, 0.01, 0.599, 0.6, -0.01, 0.7, NaN]);
  assert.equal(h.counts.length, 60);
  assert.equal(h.edges.length, 61);
  assert.equal(h.counts[0], 2);
  assert.equal(h.counts[1], 1);
  assert.equal(h.counts[59], 2, "the last bin includes its upper edge");
  assert.equal(h.outside, 3);
});

Deno.test("histogram2d() counts sum to n minus the pairs outside the range", () => {
  const z = [...mockRedshifts(10_000, 14), 0.1, 0.7];
  const pred = [...mockPredictions(mockRedshifts(10_000, 14), 15), -0.05, 0.3];
  const { cells, outside } = histogram2d(z, pred);
  const total = cells.reduce((sum, c) => sum + c.count, 0);
  assert.equal(total + outside, z.length);
  assert.ok(outside >= 2, "a negative prediction and a true z above 0.6 are outside");
  assert.ok(cells.length <= 3600 && cells.every((c) => c.count > 0));
});

Deno.test("histogram2d() puts a pair in the cell of its true (x) and predicted (y) value", () => {
  const { cells } = histogram2d([0.105], [0.333]);
  assert.deepEqual(cells, [{ x1: 0.1, x2: 0.11, y1: 0.33, y2: 0.34, count: 1 }]);
});

Deno.test("meanSpectraByRedshift() averages each range's fluxes on a hand-made input", () => {
  const z = Float32Array.of(0.05, 0.15, 0.09, 0.6, 0.12);
  const flux = Float32Array.of(1, 2, 10, 20, 3, 4, 7, 7, 30, 40);
  const means = meanSpectraByRedshift({ z, flux }, { nFlux: 2 });
  assert.equal(means.length, 6);
  assert.deepEqual([...means[0].flux], [2, 3]);
  assert.deepEqual([...means[1].flux], [20, 30]);
  assert.equal(means[2].n, 0);
  assert.ok(means[2].flux.every(Number.isNaN), "an empty range has NaN means");
  assert.deepEqual([...means[5].flux], [7, 7], "the last range includes z = 0.6");
  assert.equal(means[0].label, "0 ≤ z < 0.1 (2 galaxies)");
});

Deno.test("meanSpectraByRedshift() caps each range with a seeded random sample", () => {
  const z = Float32Array.from({ length: 300 }, (_, i) => (i % 3) / 10 + 0.05);
  const flux = Float32Array.from({ length: 300 }, (_, i) => i);
  const a = meanSpectraByRedshift({ z, flux }, { nFlux: 1, maxPerRange: 10, seed: 1 });
  const b = meanSpectraByRedshift({ z, flux }, { nFlux: 1, maxPerRange: 10, seed: 1 });
  const c = meanSpectraByRedshift({ z, flux }, { nFlux: 1, maxPerRange: 10, seed: 2 });
  assert.equal(a[0].n, 10);
  assert.equal(a[0].available, 100);
  assert.deepEqual(a[0].flux, b[0].flux);
  assert.notDeepEqual(a[0].flux, c[0].flux);
});

Deno.test("meanSpectraPlot() leaves out series without a finite flux", () => {
  const svg = meanSpectraPlot(WAVELENGTHS, [
    { label: "has data", flux: WAVELENGTHS.map(() => 1) },
    { label: "empty range", flux: WAVELENGTHS.map(() => NaN) },
  ]);
  assert.ok(svg.includes("has data"));
  assert.ok(!svg.includes("empty range"));
});

Deno.test("errorsByBinPlot() skips bins whose mean error is NaN", () => {
  const rows = [
    { zLow: 0, zHigh: 0.05, meanError: 0.01, stdError: 0.02, n: 5, percent: 50 },
    { zLow: 0.05, zHigh: 0.1, meanError: NaN, stdError: NaN, n: 0, percent: 0 },
    { zLow: 0.1, zHigh: 0.15, meanError: -0.02, stdError: 0.03, n: 5, percent: 50 },
  ];
  const svg = errorsByBinPlot(rows);
  const dots = svg.match(/<g[^>]*aria-label="dot"[^>]*>(.*?)<\/g>/)![1];
  assert.equal(dots.match(/<circle/g)?.length, 2);
  assert.ok(!svg.includes("NaN"));
});

Deno.test("plots of paired arrays throw a RangeError when the lengths differ", () => {
  assert.throws(() => predictedVsTrueHistogram([0.1, 0.2], [0.1]), RangeError);
  assert.throws(() => predictionDensityPlot([0.1], [0.1, 0.2]), RangeError);
  assert.throws(() => histogram2d([0.1], []), RangeError);
  assert.throws(
    () => spectrumPlot({ wavelengthsNm: WAVELENGTHS, flux: new Float32Array(185) }),
    RangeError,
  );
  assert.throws(
    () => meanSpectraByRedshift({ z: new Float32Array(2), flux: new Float32Array(186) }),
    RangeError,
  );
  assert.throws(
    () => meanSpectraPlot(WAVELENGTHS, [{ label: "short", flux: [1, 2] }]),
    RangeError,
  );
});

Deno.test("huber() is quadratic inside ±δ and linear outside", () => {
  assert.equal(huber(0.5), 0.125);
  assert.equal(huber(-3), 2.5);
  assert.equal(huber(3, 2), 4);
});

Deno.test("historyFromKerasCsv() reads a Keras history and numbers epochs from 1", () => {
  const text = ",loss,mean_absolute_error,val_loss,val_mean_absolute_error\n" +
    "0,0.00069,0.0262,0.0006,0.0245\n1,0.00059,0.0240,0.00057,0.0235\n";
  assert.deepEqual(historyFromKerasCsv(text), [
    { epoch: 1, loss: 0.00069, mae: 0.0262, valLoss: 0.0006, valMae: 0.0245 },
    { epoch: 2, loss: 0.00059, mae: 0.024, valLoss: 0.00057, valMae: 0.0235 },
  ]);
});

Deno.test("dataSplitPlot() labels each part with its count and percentage", () => {
  const svg = dataSplitPlot({ train: 630, validation: 270, test: 100 });
  for (const label of ["630 (63.0 %)", "270 (27.0 %)", "100 (10.0 %)"]) {
    assert.ok(svg.includes(label), label);
  }
});

Deno.test("logYAxisMarks() puts a labelled tick below the data, e.g. under a 5e-4 loss plateau", async () => {
  const { logYAxisMarks } = await import("../lib/plots/_render.ts");
  for (const values of [[0.00049, 0.0045], [0.00049, 0.05], [0.0052, 0.3]]) {
    const [grid] = logYAxisMarks(values, "loss") as unknown as { data: number[] }[];
    assert.ok(grid.data[0] < Math.min(...values), `${grid.data} for ${values}`);
    assert.ok(grid.data[0] > 0);
  }
});
