// Notebook 07's bookkeeping: which runs it reads, how it names the missing ones, and its tables
// and sentences, each chosen by the numbers it is given (known answers, and cases that flip them).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { biasDiagnostics, gaussianToy, meanErrorByBin } from "../lib/bias/mod.ts";
import { simulateSpectra } from "../lib/mock/simulate.ts";
import { MOCK_SEED, NARROW_MODEL, profileModel, PROFILES } from "../lib/profiles.ts";
import { saveRunArtifact } from "../lib/runs/run_folder.ts";
import {
  againstBaselineNote,
  bestTradeoffPoint,
  BIAS_METHODS,
  BIAS_RESULTS_ENV,
  BIAS_SEEDS,
  biasComparisonTable,
  biasResultsDir,
  biasRunCommand,
  binnedComparisonTable,
  binningTable,
  committedRunsNote,
  diagnosisNote,
  fullScaleComparison,
  loadSmallBiasData,
  missingBiasRuns,
  pdfCoverageNote,
  pdfPitNote,
  presentsCommittedRuns,
  readCommittedBiasRuns,
  readFullScaleBiasRuns,
  sameSeedRuns,
  scoreMethod,
  seedAveragedBins,
  signed,
  smallVersionNote,
  stalledEpochsNote,
  tradeoffNote,
  waitingNote,
  weightsByBinTable,
} from "../lib/notebook/mod.ts";

const toy = gaussianToy({ n: 3000, seed: 5 });

Deno.test("signed() writes a true minus sign and no sign on zero", () => {
  assert.equal(signed(-0.09815), "−0.0982");
  assert.equal(signed(0.0127), "+0.0127");
  assert.equal(signed(-0.00001), "0.0000");
  assert.equal(signed(NaN), "–");
});

Deno.test("binningTable() puts both binnings and Table 3 side by side, bin by bin", () => {
  const [zTrue, zPred] = [[0.01, 0.02, 0.3], [0.03, 0.03, 0.25]];
  const d = {
    byTrue: meanErrorByBin(zTrue, zPred, { resamples: 0 }),
    byPredicted: meanErrorByBin(zTrue, zPred, { by: "predicted", resamples: 0 }),
  };
  const table = binningTable(d, { label: "Table 3", rows: [{ meanError: 0.0216 }] });
  const lines = table.split("\n");
  assert.equal(lines.length, 2 + 12);
  // Bin 0.00–0.05 by true z: 2 galaxies, mean +0.015; by predicted z: the same 2, the same mean.
  assert.match(lines[2], /0\.00–0\.05 \| 2 +\| \+0\.0150 +\| 2 +\| \+0\.0150 +\| \+0\.0216/);
  // The galaxy at z = 0.3 predicted 0.25 sits in 0.30–0.35 by true z and 0.25–0.30 by prediction.
  assert.match(lines[2 + 5], /0\.25–0\.30 \| 0 +\| – +\| 1 +\| −0\.0500/);
  assert.match(lines[2 + 6], /0\.30–0\.35 \| 1 +\| −0\.0500 +\| 0 +\| –/);
});

Deno.test("diagnosisNote() judges each binning's slope against its standard error", () => {
  const d = biasDiagnostics(toy.zTrue, toy.zPred, { resamples: 0 });
  const flat = { slope: 0.001, intercept: 0, n: 500, slopeSe: 0.02 };
  const text = diagnosisNote("Toy", d, flat);
  assert.match(text, /a tilt more than twice its standard error/);
  assert.match(text, /flat within two standard errors/);
  assert.match(text, new RegExp(`against true z is ${signed(d.slope.slope, 2)} ± `));
  const steep = { slope: -2, intercept: 0, n: 500, slopeSe: 0.02 };
  assert.match(diagnosisNote("Toy", d, steep), /tilted as much or more/);
  const less = { slope: d.slope.slope / 4, intercept: 0, n: 500, slopeSe: 0.001 };
  assert.match(diagnosisNote("Toy", d, less), /tilted too, though less/);
});

Deno.test("scoreMethod() averages seeds, and a slope nobody is predicted for is NaN, shown as –", () => {
  const zTrue = Array.from(toy.zTrue).map((z) => Math.min(0.6, Math.max(0, z)));
  const low = zTrue.map(() => 0.1); // no prediction reaches 0.2
  const m = scoreMethod("constant", zTrue, [low], { resamples: 0 });
  assert.ok(Number.isNaN(m.predictedSlopes[0].slope));
  const two = scoreMethod("two seeds", zTrue, [toy.zPred, zTrue.map((z) => z + 0.01)], {
    resamples: 0,
  });
  const table = biasComparisonTable([m, two]);
  assert.match(table.split("\n")[2], /^\| constant +\| 1 +\|.*\| – +\|$/);
  // Two seeds: mean ± standard deviation of their MAEs.
  const maes = two.runs.map((d) => d.mae);
  const mean = (maes[0] + maes[1]) / 2, sd = Math.abs(maes[0] - maes[1]) / Math.SQRT2;
  assert.ok(table.includes(`${mean.toFixed(4)} ± ${sd.toFixed(4)}`), table);
  // Per bin: the mean over seeds, with the standard error of that mean.
  const bins = seedAveragedBins(two, "true");
  const b = two.runs.map((d) => d.byTrue[2].meanError);
  assert.ok(Math.abs(bins[2].meanError - (b[0] + b[1]) / 2) < 1e-12);
  assert.ok(Math.abs(bins[2].standardError! - Math.abs(b[0] - b[1]) / 2) < 1e-12);
  assert.match(binnedComparisonTable([m, two], "true").split("\n")[0], /galaxies/);
  assert.doesNotMatch(binnedComparisonTable([m, two], "predicted").split("\n")[0], /galaxies/);
});

Deno.test("againstBaselineNote() gives both slopes and the MAE's change", () => {
  const zTrue = Array.from(toy.zTrue);
  const base = scoreMethod("baseline", zTrue, [toy.zPred], { resamples: 0 });
  const raw = scoreMethod("raw", zTrue, [toy.observed], { resamples: 0 });
  const text = againstBaselineNote(base, raw);
  const change = 100 * (raw.runs[0].mae / base.runs[0].mae - 1);
  assert.ok(text.includes(`(${change >= 0 ? "+" : "−"}${Math.abs(change).toFixed(1)} %)`), text);
  assert.ok(
    text.includes(`${signed(base.runs[0].slope.slope, 3)} → ${signed(raw.runs[0].slope.slope, 3)}`),
  );
});

Deno.test("tradeoffNote() names the points that reach the goal, else the best one and why", () => {
  const base = { mae: 0.02, slope: -0.4 };
  const reached = tradeoffNote(base, [
    { label: "A", mae: 0.021, slope: -0.19 },
    { label: "B", mae: 0.0215, slope: -0.1 },
    { label: "C", mae: 0.03, slope: 0 },
  ]);
  assert.match(
    reached,
    /\|slope\| ≤ 0\.200, at an MAE at most 10 % above its 0\.0200, so ≤ 0\.0220/,
  );
  assert.match(reached, /Reached by 2 points:\*\* A .*; B /);
  assert.match(reached, /The best is B/);
  const none = tradeoffNote(base, [
    { label: "A", mae: 0.021, slope: -0.3 },
    { label: "C", mae: 0.05, slope: -0.05 },
  ]);
  assert.match(none, /No point reaches it/);
  assert.match(
    none,
    /Within the MAE budget the flattest is A \(slope −0\.300, MAE 0\.0210, \+5\.0 %\)/,
  );
  assert.match(none, /The flattest of all is C .*over the budget/);
  const baselineBest = tradeoffNote(base, [{ label: "C", mae: 0.05, slope: -0.05 }]);
  assert.match(baselineBest, /the baseline is the best point here/);
});

Deno.test("pdfPitNote() and pdfCoverageNote() read the shapes and the extreme bins", () => {
  assert.match(pdfPitNote("flat", new Array(10).fill(500)), /flat within its sampling error/);
  const hump = [100, 300, 500, 700, 900, 900, 700, 500, 300, 100];
  assert.match(pdfPitNote("hump", hump), /they are too wide/);
  const low = [900, 800, 700, 600, 500, 400, 300, 200, 100, 100];
  assert.match(pdfPitNote("low", low), /lies below the PDF's median more often than above/);
  const report = {
    levels: [0.68, 0.95],
    byBin: [
      { zLow: 0, zHigh: 0.05, n: 400, coverage: [0.5, 0.9] },
      { zLow: 0.05, zHigh: 0.1, n: 400, coverage: [0.68, 0.95] },
      { zLow: 0.1, zHigh: 0.15, n: 10, coverage: [0, 0] },
    ],
  };
  const text = pdfCoverageNote("head", report);
  assert.match(text, /over the 2 bins with at least 50/);
  assert.match(text, /at 68 % from 50 % ± 2 at 0\.00–0\.05 \(400 galaxies: too narrow\)/);
  assert.match(text, /to 68 % ± 2 at 0\.05–0\.10 \(400 galaxies: within its error\)/);
  assert.match(pdfCoverageNote("head", { levels: [0.68], byBin: [] }), /no redshift bin holds/);
});

Deno.test("weightsByBinTable() gives each bin's share and mean weight", () => {
  const table = weightsByBinTable([0.01, 0.02, 0.07, 0.58], [
    { label: "w", weights: [1, 3, 5, 7] },
  ]);
  const lines = table.split("\n");
  assert.match(lines[2], /0\.00–0\.05 \| 2 \(50\.00 %\) +\| 2\.00/);
  assert.match(lines[3], /0\.05–0\.10 \| 1 \(25\.00 %\) +\| 5\.00/);
  assert.match(lines[4], /0\.10–0\.15 \| 0 \(0\.00 %\) +\| –/);
  assert.match(lines[13], /0\.55–0\.60 \| 1 \(25\.00 %\) +\| 7\.00/);
});

Deno.test("smallVersionNote() says what the small version trained, against the dissertation", () => {
  const text = smallVersionNote({ ...profileModel(PROFILES.default), ...NARROW_MODEL }, {
    epochs: 4,
    learningRate: 0.003,
    trainingGalaxies: 3780,
    seconds: 42,
  });
  assert.match(text, /trained here in 42 s/);
  assert.match(text, /narrow variant of the dissertation's layout/);
  assert.match(text, /4 epochs on 3,780 training galaxies/);
  assert.match(text, /3 times the dissertation's 0\.001/);
});

Deno.test("biasRunCommand() uses flags that task main has", async () => {
  const main = await Deno.readTextFile(new URL("../tools/main.ts", import.meta.url));
  for (const { name } of BIAS_METHODS) {
    const command = biasRunCommand(name, 2);
    assert.match(command, new RegExp(`--out results/bias/${name}-seed2$`));
    for (const flag of command.match(/--[a-z-]+/g)!) {
      assert.ok(main.includes(`"${flag.slice(2)}"`) || main.includes(`${flag.slice(2)}:`), flag);
    }
  }
});

async function fakeRun(dir: string, profile = "default") {
  await saveRunArtifact(dir, {
    history: [],
    run: {
      profile,
      command: "deno task main",
      commit: "abc",
      device: "cpu",
      data: "50000 mock galaxies simulated (seed 2023, simulator 3.0.0)",
      galaxies: 50,
      evaluatedEpoch: 20,
      trainingSeconds: 1,
      wallSeconds: 1,
      finishedAt: "2026-12-07T00:00:00.000Z",
    },
    test: {
      ids: Float64Array.of(1, 2),
      zTrue: Float32Array.of(0.1, 0.3),
      zPred: Float32Array.of(0.12, 0.25),
    },
  });
}

Deno.test("readCommittedBiasRuns() reads complete <method>-seed<N> folders in the page's order", async () => {
  const dir = await Deno.makeTempDir();
  assert.deepEqual(await readCommittedBiasRuns(`${dir}/absent`), []);
  await fakeRun(`${dir}/pdf-seed2`);
  await fakeRun(`${dir}/baseline-seed3`);
  await fakeRun(`${dir}/baseline-seed1`);
  await fakeRun(`${dir}/notes-seed1`); // not a method
  await Deno.mkdir(`${dir}/sqrt-seed1`); // still training: no run.json
  const runs = await readCommittedBiasRuns(dir);
  assert.deepEqual(runs.map((r) => r.name), ["baseline-seed1", "baseline-seed3", "pdf-seed2"]);
  assert.equal(runs[2].method, "pdf");
  assert.equal(runs[2].seed, 2);
  assert.ok(presentsCommittedRuns(runs));
  assert.ok(!presentsCommittedRuns(runs.filter((r) => r.method === "baseline")));
  const missing = missingBiasRuns(runs);
  assert.equal(missing.length, BIAS_METHODS.length * BIAS_SEEDS.length - 3);
  assert.ok(missing.some((m) => m.name === "sqrt-seed1"));
  Deno.env.set("REDSHIFT_RUN", "train");
  try {
    assert.ok(!presentsCommittedRuns(runs));
  } finally {
    Deno.env.delete("REDSHIFT_RUN");
  }
  Deno.env.set(BIAS_RESULTS_ENV, `${dir}/`);
  try {
    assert.equal(biasResultsDir(), dir);
  } finally {
    Deno.env.delete(BIAS_RESULTS_ENV);
  }
  assert.match(biasResultsDir(), /results\/bias$/);
});

Deno.test("sameSeedRuns() compares the methods over the seeds they all have, and sets the rest aside", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of ["baseline-seed1", "baseline-seed2", "pdf-seed1", "pdf-seed3", "sqrt-seed1"]) {
    await fakeRun(`${dir}/${name}`);
  }
  const runs = await readCommittedBiasRuns(dir);
  const split = sameSeedRuns(runs);
  assert.deepEqual(split.seeds, [1]);
  assert.deepEqual(split.compared.map((r) => r.name), [
    "baseline-seed1",
    "pdf-seed1",
    "sqrt-seed1",
  ]);
  assert.deepEqual(split.setAside.map((r) => r.name), ["baseline-seed2", "pdf-seed3"]);
  // Once every method has seed 2, it is compared too; a method with no seed in common leaves none.
  await fakeRun(`${dir}/pdf-seed2`);
  await fakeRun(`${dir}/sqrt-seed2`);
  assert.deepEqual(sameSeedRuns(await readCommittedBiasRuns(dir)).seeds, [1, 2]);
  const apart = sameSeedRuns(runs.filter((r) => r.name !== "pdf-seed1"));
  assert.deepEqual(apart.seeds, []);
  assert.equal(apart.compared.length, 0);
  assert.ok(!presentsCommittedRuns(apart.compared));
  assert.deepEqual(sameSeedRuns([]), { seeds: [], compared: [], setAside: [] });
  // What the page says: the seeds compared and the runs that wait, or the small version and why.
  assert.match(
    committedRunsNote(runs),
    /presents the committed runs.*3 runs, every method over seed 1 .*\. baseline-seed2, pdf-seed3 wait until/,
  );
  assert.equal(
    waitingNote(split.setAside.slice(0, 1)),
    "baseline-seed2 waits until every method has its seed.",
  );
  assert.equal(waitingNote([]), "");
  assert.match(
    committedRunsNote(runs.filter((r) => r.name !== "pdf-seed1")),
    /not there yet.*with no seed that every method has\. So/,
  );
  assert.match(committedRunsNote([]), /holds no run\. So from section 2 on/);
  Deno.env.set("REDSHIFT_RUN", "train");
  try {
    assert.match(committedRunsNote(runs), /REDSHIFT_RUN=train.*small version\*\* here instead of/);
  } finally {
    Deno.env.delete("REDSHIFT_RUN");
  }
});

Deno.test("readFullScaleBiasRuns() reads complete <method>-full folders with a PDF head's α means", async () => {
  const dir = await Deno.makeTempDir();
  assert.deepEqual(await readFullScaleBiasRuns(`${dir}/absent`), []);
  await fakeRun(`${dir}/sqrt-full`);
  await fakeRun(`${dir}/baseline-full`); // the baseline full run is results/runs/full
  await Deno.mkdir(`${dir}/inverse-full`); // still training
  await fakeRun(`${dir}/pdf-full`);
  await saveRunArtifact(`${dir}/pdf-full`, {
    history: [],
    run: JSON.parse(await Deno.readTextFile(`${dir}/pdf-full/run.json`)),
    test: {
      ids: Float64Array.of(1, 2),
      zTrue: Float32Array.of(0.1, 0.3),
      zPred: Float32Array.of(0.12, 0.25),
    },
    alphaMeans: {
      alphas: Array.from({ length: 11 }, (_, i) => i / 10),
      ids: Float64Array.of(1, 2),
      means: Array.from({ length: 11 }, (_, a) => Float64Array.of(0.12, 0.25 + a / 100)),
    },
  });
  const runs = await readFullScaleBiasRuns(dir);
  assert.deepEqual(runs.map((r) => r.name), ["pdf-full", "sqrt-full"]);
  assert.equal(runs[1].alphaMeans, null);
  assert.deepEqual([...runs[0].alphaMeans!.means[10]], [0.12, 0.35]);
});

Deno.test("fullScaleComparison() scores the chosen point's full-scale run against the baseline, or says what is missing", async () => {
  const n = 240;
  const zTrue = Float32Array.from({ length: n }, (_, i) => (0.6 * i) / n);
  const tilted = (k: number) => Float64Array.from(zTrue, (z) => z - k * (z - 0.14));
  const ids = Float64Array.from({ length: n }, (_, i) => i);
  const record = {
    profile: "full",
    command: "deno task main --profile full",
    commit: "abc",
    device: "cpu",
    data: "520393 mock galaxies simulated (seed 2023, simulator 3.0.0)",
    galaxies: n,
    evaluatedEpoch: 20,
    trainingSeconds: 16_722,
    wallSeconds: 1,
    finishedAt: "2026-12-07T00:00:00.000Z",
  };
  const baseline = {
    dir: "results/runs/full",
    history: [],
    run: record,
    test: { ids, zTrue, zPred: Float32Array.from(tilted(0.3)) },
  };
  const dir = await Deno.makeTempDir();
  const pdf = {
    label: "the PDF head at α = 0.8",
    mae: 0.02,
    slope: -0.1,
    method: "pdf" as const,
    alpha: 0.8,
  };
  assert.match(
    await fullScaleComparison(null, baseline, dir),
    /no method is trained at full scale/,
  );
  assert.match(
    await fullScaleComparison(
      { label: "the isotonic map (C)", mae: 0.02, slope: -0.2 },
      baseline,
      dir,
    ),
    /trains no network of its own/,
  );
  const missing = await fullScaleComparison(pdf, baseline, dir);
  assert.match(
    missing,
    /Not committed yet.*--head pdf --out results\/bias\/pdf-full --checkpoint/s,
  );
  assert.match(missing, /took 4 h 38 min/);

  const alphas = Array.from({ length: 11 }, (_, i) => i / 10);
  await saveRunArtifact(`${dir}/pdf-full`, {
    history: [],
    run: { ...record, command: "deno task main --profile full --head pdf" },
    test: { ids, zTrue, zPred: Float32Array.from(tilted(0.3)) },
    alphaMeans: { alphas, ids, means: alphas.map((a) => tilted(0.3 * (1 - a))) },
  });
  const present = await fullScaleComparison(pdf, baseline, dir);
  assert.match(present, /pdf-full, α = 0\.8 \(chosen on the default runs\)/);
  assert.doesNotMatch(present, /validation galaxies/); // no alpha_choice.json yet
  assert.match(present, /pdf-full, α = 0 \|/);
  assert.match(present, /pdf-full, α = 1 \|/);
  assert.match(present, /Reached by 1 point/);
  assert.match(present, /Table 3 \(dissertation, real data\)/);
  assert.match(present, /Binned by predicted z/);
  // an α chosen on the run's validation galaxies (alpha_choice.json) is scored beside it
  const choice = (chosen: number | null) =>
    Deno.writeTextFile(
      `${dir}/pdf-full/alpha_choice.json`,
      JSON.stringify({
        command: "deno run -A tools/choose_alpha.ts",
        commit: "0123456789",
        validationGalaxies: 5000,
        baseline: { mae: 0.02, slope: -0.3 },
        points: alphas.map((alpha) => ({ alpha, mae: 0.02 + alpha / 100, slope: alpha - 0.3 })),
        chosen,
      }),
    );
  await choice(1);
  const both = await fullScaleComparison(pdf, baseline, dir);
  assert.match(both, /pdf-full, α = 0\.8 \(chosen on the default runs\)/);
  assert.match(both, /pdf-full, α = 1 \(chosen on its validation galaxies\)/);
  assert.doesNotMatch(both, /pdf-full, α = 1 \|/); // not twice
  assert.match(both, /5,000 validation galaxies.*choose \*\*α = 1\*\* \(slope \+0\.700/s);
  assert.match(both, /the PDF head at α = 1, chosen on its validation galaxies \(slope/);
  await choice(0.8);
  assert.match(
    await fullScaleComparison(pdf, baseline, dir),
    /α = 0\.8 \(chosen on the default runs and on its validation galaxies\)/,
  );
  await choice(null);
  assert.match(await fullScaleComparison(pdf, baseline, dir), /no α is flatter than the baseline/);
  await choice(0.85);
  await assert.rejects(fullScaleComparison(pdf, baseline, dir), /chosen α 0\.85 is not one/);
  await Deno.writeTextFile(`${dir}/pdf-full/alpha_choice.json`, "{");
  await assert.rejects(fullScaleComparison(pdf, baseline, dir), /alpha_choice\.json: not JSON/);
  await Deno.remove(`${dir}/pdf-full/alpha_choice.json`);
  await assert.rejects(
    fullScaleComparison({ ...pdf, alpha: 0.85 }, baseline, dir),
    /no PDF means for α = 0\.85/,
  );
  await assert.rejects(
    fullScaleComparison(pdf, {
      ...baseline,
      test: { ...baseline.test, ids: ids.map((i) => i + 1) },
    }, dir),
    /not the baseline full run's/,
  );
});

Deno.test("bestTradeoffPoint() takes the flattest point that reaches the bar, else the flattest in budget", () => {
  const base = { mae: 0.02, slope: -0.3 };
  const point = (label: string, mae: number, slope: number) => ({ label, mae, slope });
  const [reach, reachFlatter, inBudget, overBudget] = [
    point("reach", 0.0215, -0.14),
    point("reach, flatter", 0.0219, -0.1),
    point("in budget", 0.021, -0.2),
    point("over budget", 0.03, 0),
  ];
  assert.equal(bestTradeoffPoint(base, [reach, inBudget, reachFlatter, overBudget]), reachFlatter);
  assert.equal(bestTradeoffPoint(base, [inBudget, overBudget]), inBudget);
  assert.equal(bestTradeoffPoint(base, [overBudget, point("steeper", 0.02, -0.4)]), null);
  assert.equal(bestTradeoffPoint(base, [inBudget], { slopeFraction: 0.7 }), inBudget);
  assert.match(
    tradeoffNote(base, [inBudget, overBudget]),
    /No point reaches it.*in budget.*over budget/,
  );
});

Deno.test("loadSmallBiasData() takes the first galaxies of the profile's own mock", async () => {
  const profile = { ...PROFILES.default, galaxies: 300 };
  const small = await loadSmallBiasData(profile, 120);
  const whole = simulateSpectra({ n: profile.galaxies, seed: MOCK_SEED });
  assert.equal(small.data.n, 120);
  assert.deepEqual(small.data.z, whole.z.subarray(0, 120));
  assert.deepEqual(small.data.flux, whole.flux.subarray(0, 120 * small.data.flux.length / 120));
  assert.match(small.source, /the first 120 of the `default` profile's 300 mock galaxies/);
  assert.equal(small.prepared.test.y.length, 12);
});

Deno.test("page 07 types no run's count into its Markdown and quotes the dissertation verbatim", async () => {
  const nb = JSON.parse(await Deno.readTextFile("notebooks/07_high_z_bias.ipynb"));
  const prose = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "markdown")
    .map((c: { source: string[] }) => c.source.join("")).join("\n");
  const unit =
    "trials?|epochs?|members?|galaxies|minutes?|hours?|seconds?|parameters|sittings?|runs?";
  const typed = prose.replace(/\s+/g, " ")
    .match(new RegExp(`\\b\\d[\\d,.]*\\s*(?:${unit})\\b`, "g")) ?? [];
  assert.deepEqual(typed, []);
  const quote = /"(Future endeavors[^"]+)"/.exec(prose.replace(/\s+/g, " "))?.[1];
  assert.ok(quote, "the future-work sentence is quoted");
  const text = "/work/shared/reference/dissertation/dissertation.txt";
  if (existsSync(text)) assert.ok((await Deno.readTextFile(text)).includes(quote));
});

Deno.test("stalledEpochsNote() names an epoch that took over 5 times its run's median, and only that", () => {
  const run = (name: string, seconds: number[]) => ({
    method: "sqrt" as const,
    seed: 1,
    name,
    artifact: {
      dir: name,
      run: {} as never,
      test: {} as never,
      history: seconds.map((s, i) => ({
        epoch: i + 1,
        loss: 0,
        mae: 0,
        valLoss: 0,
        valMae: 0,
        learningRate: 0,
        seconds: s,
      })),
    },
  });
  const steady = run("steady", [100, 130, 120, 499]); // median 125: 499 is under 5 ×
  assert.equal(stalledEpochsNote([steady]), "");
  const paused = run("paused", [130, 120, 3169, 140, 126]); // median 130
  assert.equal(
    stalledEpochsNote([steady, paused]),
    "**paused**: epoch 3 took 52 min 49 s, against a median of 2 min 10 s for its epochs. Its " +
      "process stood still then (paused, or starved of CPU), so its training time above includes " +
      "about 50 min 39 s that trained nothing.",
  );
});
