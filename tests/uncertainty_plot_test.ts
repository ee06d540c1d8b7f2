// Snapshot and behaviour tests of the uncertainty figures (lib/plots/calibration.ts).
//
// Each figure is rendered from seeded inputs and compared with tests/snapshots/<name>.svg.
// After an intended change, regenerate and review them:
//
//   UPDATE_SNAPSHOTS=1 deno test -A tests/uncertainty_plot_test.ts
import assert from "node:assert/strict";
import { Random } from "../lib/random.ts";
import { coverageByBinPlot, errorBarsPlot, pitHistogramPlot } from "../lib/plots/calibration.ts";
import { calibrationReport } from "../lib/uncertainty/calibration.ts";
import { assertSnapshot } from "./_snapshot.ts";

/** Seeded predictions: σ grows with z, and the truth is drawn with `truthScale` × σ. */
function mockPredictions(n: number, seed: number, truthScale: number) {
  const r = new Random(seed);
  const zTrue = new Float64Array(n), mean = new Float64Array(n), std = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    mean[i] = Math.min(0.58, Math.abs(0.12 + 0.08 * r.normal()));
    std[i] = 0.01 + 0.05 * mean[i];
    zTrue[i] = Math.max(0, mean[i] + truthScale * std[i] * r.normal());
  }
  return { zTrue, mean, std };
}

const calibrated = mockPredictions(2000, 1, 1);
const tooNarrow = mockPredictions(2000, 2, 2.5);
const reportOf = (p: ReturnType<typeof mockPredictions>) => calibrationReport(p.zTrue, p);

Deno.test("pitHistogramPlot() draws bars, step lines and the uniform line (snapshot)", async () => {
  const svg = pitHistogramPlot([
    { label: "calibrated", counts: reportOf(calibrated).pitCounts },
    { label: "error bars too narrow", counts: reportOf(tooNarrow).pitCounts },
  ]);
  assert.match(svg, /calibrated \(uniform\)/);
  await assertSnapshot("pit_histogram", svg);
});

Deno.test("coverageByBinPlot() draws both levels per series with target rules (snapshot)", async () => {
  const svg = coverageByBinPlot([
    { label: "calibrated", rows: reportOf(calibrated).byBin },
    { label: "too narrow", rows: reportOf(tooNarrow).byBin },
  ]);
  assert.match(svg, /68 % target/);
  assert.match(svg, /95 % target/);
  await assertSnapshot("coverage_by_bin", svg);
});

Deno.test("errorBarsPlot() draws a seeded sample with ± σ bars (snapshot)", async () => {
  const { zTrue, mean, std } = calibrated;
  const svg = errorBarsPlot(zTrue, mean, std, { sample: 60, seed: 3 });
  assert.equal(svg, errorBarsPlot(zTrue, mean, std, { sample: 60, seed: 3 }));
  assert.match(svg, /60 galaxies chosen at random/);
  await assertSnapshot("error_bars", svg);
});

Deno.test("uncertainty plots reject empty or mismatched inputs", () => {
  assert.throws(() => pitHistogramPlot([]), RangeError);
  assert.throws(() => coverageByBinPlot([]), RangeError);
  assert.throws(() => errorBarsPlot([0.1, 0.2], [0.1], [0.01, 0.02]), RangeError);
});
