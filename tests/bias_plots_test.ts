// Snapshot and behaviour tests of notebook 07's figures (lib/plots/bias.ts), from seeded inputs.
//
//   UPDATE_SNAPSHOTS=1 deno test -A tests/bias_plots_test.ts
import assert from "node:assert/strict";
import { biasDiagnostics, gaussianToy, redshiftBins, softLabel } from "../lib/bias/mod.ts";
import {
  biasTradeoffPlot,
  binnedBiasPlot,
  pitHistogramPlot,
  redshiftPdfPlot,
} from "../lib/plots/mod.ts";
import { PUBLISHED_ERRORS_BY_BIN } from "../lib/published.ts";
import { assertSnapshot } from "./_snapshot.ts";

/** A seeded toy whose predictions tilt by true z: the posterior mean of a Gaussian. */
const toy = gaussianToy({ n: 4000, seed: 3 });
const toyBias = biasDiagnostics(toy.zTrue, toy.zPred, { resamples: 50 });

Deno.test("binnedBiasPlot() draws both binnings side by side with Table 3 (snapshot)", async () => {
  const svg = binnedBiasPlot([
    { label: "toy posterior mean", by: "true", rows: toyBias.byTrue },
    { label: "Table 3", by: "true", rows: PUBLISHED_ERRORS_BY_BIN },
    { label: "toy posterior mean", by: "predicted", rows: toyBias.byPredicted },
  ], { title: "Mean error, binned two ways", minGalaxies: 20 });
  await assertSnapshot("binned_bias", svg);
  assert.match(svg, /binned by true z/);
  assert.match(svg, /binned by predicted z/);
  // One legend entry per label, though "toy posterior mean" is drawn in both panels.
  assert.equal(svg.split(">toy posterior mean<").length - 1, 1);
});

Deno.test("binnedBiasPlot() with one binning has one panel, its axis named by it", () => {
  const svg = binnedBiasPlot([{ label: "toy", by: "predicted", rows: toyBias.byPredicted }]);
  assert.doesNotMatch(svg, /binned by true z/);
  assert.match(svg, /Predicted redshift z/);
  assert.throws(() => binnedBiasPlot([]), /no series/);
});

Deno.test("binnedBiasPlot() leaves out bins below minGalaxies and empty bins", () => {
  const rows = [
    { zLow: 0, zHigh: 0.05, n: 100, meanError: 0.01, standardError: 0.001 },
    { zLow: 0.05, zHigh: 0.1, n: 3, meanError: 0.5, standardError: 0.2 },
    { zLow: 0.1, zHigh: 0.15, n: 0, meanError: NaN, standardError: NaN },
  ];
  const dots = (svg: string) => (svg.match(/<circle/g) ?? []).length; // one is the legend's
  const all = binnedBiasPlot([{ label: "a", by: "true", rows }], { minGalaxies: 1 });
  const fewer = binnedBiasPlot([{ label: "a", by: "true", rows }], { minGalaxies: 10 });
  assert.deepEqual([dots(all), dots(fewer)], [3, 2]);
});

Deno.test("biasTradeoffPlot() traces curves and points with the target guides (snapshot)", async () => {
  const alpha = [0, 0.25, 0.5, 0.75, 1].map((a) => ({
    slope: -0.6 + 0.45 * a,
    mae: 0.03 + 0.02 * a * a,
    label: a % 0.5 === 0 ? `α = ${a}` : undefined,
  }));
  const svg = biasTradeoffPlot([
    { label: "α from 0 to 1", points: alpha },
    {
      label: "weights",
      points: [
        { slope: -0.6, mae: 0.03, label: "none" },
        { slope: -0.5, mae: 0.031, label: "1/√density" },
        { slope: -0.45, mae: 0.034, label: "1/density" },
      ],
    },
    { label: "isotonic", points: [{ slope: -0.4, mae: 0.029, label: "isotonic" }], line: false },
  ], { target: { slope: -0.3, mae: 0.033 }, title: "What removing the tilt costs" });
  await assertSnapshot("bias_tradeoff", svg);
  assert.match(svg, /α = 0\.5/);
  assert.match(svg, /targets: slope, MAE/);
  assert.throws(() => biasTradeoffPlot([]), /no points/);
});

Deno.test("redshiftPdfPlot() draws binned PDFs as steps with the truth (snapshot)", async () => {
  const bins = redshiftBins({ count: 60, zMax: 0.6 });
  const p = softLabel(0.21, bins, 0.03);
  const flat = new Float64Array(60).fill(1 / 60);
  const svg = redshiftPdfPlot(bins.edges, [
    { label: "a PDF", probs: p },
    { label: "flat", probs: flat },
  ], { truth: 0.25, title: "One galaxy's PDF" });
  await assertSnapshot("redshift_pdf", svg);
  assert.match(svg, /true z/);
  assert.throws(
    () => redshiftPdfPlot(bins.edges, [{ label: "short", probs: [0.5, 0.5] }]),
    /2 probabilities for 60 bins/,
  );
});

Deno.test("pitHistogramPlot() names a PDF's PIT on its axis when told", () => {
  const counts = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1];
  assert.match(pitHistogramPlot([{ label: "a", counts }]), /Φ\(\(z_true − μ\) \/ σ\)/);
  assert.match(
    pitHistogramPlot([{ label: "a", counts }], { xLabel: "PIT = F(z_true)" }),
    /PIT = F\(z_true\)/,
  );
});
