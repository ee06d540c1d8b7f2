// Snapshot test of the search plot (tests/snapshots/search_trials.svg). After an intended change:
//
//   UPDATE_SNAPSHOTS=1 deno test -A tests/search_plot_test.ts
import assert from "node:assert/strict";
import { Random } from "../lib/random.ts";
import { searchTrialsPlot, type TrialPoint } from "../lib/plots/mod.ts";
import { assertSnapshot } from "./_snapshot.ts";

/** A seeded search: a baseline, 8 random trials, then TPE trials that improve; some pruned, one failed. */
function mockTrials(): TrialPoint[] {
  const r = new Random(4);
  return Array.from({ length: 24 }, (_, number): TrialPoint => {
    const source = number === 0 ? "baseline" : number < 9 ? "random" : "tpe";
    const level = source === "tpe" ? 0.03 + 0.03 * Math.exp(-(number - 9) / 5) : 0.06;
    const value = level * Math.exp(0.35 * r.normal());
    if (number === 13) return { number, source, state: "failed", value: null };
    return { number, source, state: value > 0.065 ? "pruned" : "complete", value };
  });
}

Deno.test("searchTrialsPlot() draws each trial by proposer, pruned ones hollow, and the best so far", async () => {
  const svg = searchTrialsPlot(mockTrials(), {
    subtitle: "24 trials, 2 epochs each (seeded mock values)",
  });
  assert.ok(svg.includes("Best so far") && svg.includes("TPE (model-based)"));
  assert.ok(svg.includes("1 failed trial not shown"));
  await assertSnapshot("search_trials", svg);
});

Deno.test("searchTrialsPlot() draws a search that has no complete trial yet", () => {
  const svg = searchTrialsPlot([{ number: 0, source: "random", state: "failed", value: null }]);
  assert.ok(svg.startsWith("<svg"));
});
