// Tests of the hyperparameter search: samplers, early stopping, the trial log and resuming.
import assert from "node:assert/strict";
import { Random } from "../lib/random.ts";
import { resolveModelConfig } from "../lib/model.ts";
import {
  bestSoFar,
  cnnSearchSpace,
  countParams,
  MedianPruner,
  type Objective,
  type Params,
  paramsToTrialConfig,
  parseSearchLog,
  randomSampler,
  readSearchLog,
  runSearch,
  sampleSpace,
  type SearchLog,
  searchRaceTable,
  searchSessionsTable,
  type SearchSpace,
  tpeSampler,
  trialConfigToParams,
  type TrialRecord,
} from "../lib/search/mod.ts";
import { DISSERTATION_MODEL } from "../lib/model.ts";
import { type CommittedSearch, committedSearchRaces } from "../lib/notebook/search_report.ts";

/** A cheap objective with the kinds of dimension the network has: reals, a log scale, a category. */
const SYNTHETIC: SearchSpace = {
  dimensions: {
    x1: { kind: "float", low: -5, high: 5 },
    x2: { kind: "float", low: -5, high: 5 },
    n: { kind: "int", low: 1, high: 64, log: true },
    lr: { kind: "float", low: 1e-5, high: 1, log: true },
    act: { kind: "categorical", choices: ["a", "b", "c", "d", "e"] },
  },
};
const synthetic: Objective = ({ x1, x2, n, lr, act }) =>
  Promise.resolve(
    ((Number(x1) - 1) ** 2 + (Number(x2) + 2) ** 2) / 25 +
      (Math.log2(Number(n)) - 3) ** 2 / 9 +
      (Math.log10(Number(lr)) + 3) ** 2 / 4 +
      (act === "b" ? 0 : 0.5),
  );

Deno.test("TPE finds lower values than random search on average over seeds, for the same budget", async () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const mean = async (strategy: "random" | "tpe") => {
    let sum = 0;
    for (const seed of seeds) {
      const sampler = strategy === "tpe" ? tpeSampler({ startupTrials: 10 }) : randomSampler();
      const { best } = await runSearch(SYNTHETIC, synthetic, { sampler, trials: 50, seed });
      sum += best!.value!;
    }
    return sum / seeds.length;
  };
  const [random, tpe] = [await mean("random"), await mean("tpe")];
  assert.ok(tpe < 0.5 * random, `TPE ${tpe.toFixed(4)} vs random ${random.toFixed(4)}`);
});

Deno.test("the network's space never proposes kernels that leave no samples, nor oversized networks", () => {
  // Five blocks with kernels up to 11 can shrink 186 samples to nothing.
  const space = cnnSearchSpace({ maxConvLayers: 5, kernel: [2, 11], maxParams: 300_000 });
  const random = new Random(5);
  const seen: { params: Params; value: number }[] = [];
  for (let i = 0; i < 300; i++) {
    const sampler = i < 150 ? randomSampler() : tpeSampler({ startupTrials: 10 });
    const { params } = sampler.propose(space, seen, random);
    const { model } = paramsToTrialConfig(params);
    assert.doesNotThrow(() => resolveModelConfig(model));
    assert.ok(countParams(model) <= 300_000);
    seen.push({ params, value: random.uniform() });
  }
  const tooDeep = trialConfigToParams({ ...DISSERTATION_MODEL, kernelSizes: [11, 11, 11, 11] }, 16);
  tooDeep.convLayers = 5;
  assert.equal(space.isValid!(tooDeep), false);
});

Deno.test("countParams() and the baseline point reproduce the dissertation's network", () => {
  assert.equal(countParams(DISSERTATION_MODEL), 699_073);
  const params = trialConfigToParams(DISSERTATION_MODEL, 16);
  const { model, batchSize } = paramsToTrialConfig(params);
  assert.deepEqual(model.convFilters, DISSERTATION_MODEL.convFilters);
  assert.deepEqual(model.kernelSizes, DISSERTATION_MODEL.kernelSizes);
  assert.deepEqual(model.denseUnits, DISSERTATION_MODEL.denseUnits);
  assert.equal(batchSize, 16);
  assert.ok(cnnSearchSpace().isValid!(params));
});

Deno.test("sampleSpace() draws integers in range, uniformly over log scales", () => {
  const space: SearchSpace = {
    dimensions: { n: { kind: "int", low: 1, high: 1000, log: true } },
  };
  const random = new Random(9);
  const values = Array.from({ length: 2000 }, () => Number(sampleSpace(space, random).n));
  assert.ok(values.every((v) => Number.isInteger(v) && v >= 1 && v <= 1000));
  const below32 = values.filter((v) => v < 32).length / values.length;
  assert.ok(below32 > 0.4 && below32 < 0.6, `${below32} of draws below 32`);
});

Deno.test("the median rule stops a trial worse than the finished trials' median at the same epoch", async () => {
  const pruner = new MedianPruner({ startupTrials: 2, warmupSteps: 1 });
  assert.equal(pruner.shouldPrune([9], [[1, 1], [2, 2]]), false, "still warming up");
  assert.equal(pruner.shouldPrune([9, 9], [[1, 1]]), false, "too few finished trials");
  assert.equal(pruner.shouldPrune([9, 9], [[1, 1], [2, 2]]), true);
  assert.equal(pruner.shouldPrune([9, 1.2], [[1, 1], [2, 2]]), false);
  assert.equal(pruner.shouldPrune([NaN, NaN], [[1, 1], [2, 2]]), true, "a diverged trial stops");

  // In a search: an objective reporting 5 epochs whose final score is its offset from 0.5.
  const space: SearchSpace = { dimensions: { x: { kind: "float", low: 0, high: 1 } } };
  const epochsRun: number[] = [];
  const objective: Objective = (params, context) => {
    const x = Number(params.x);
    let epoch = 0;
    try {
      for (epoch = 1; epoch <= 5; epoch++) {
        context.report(Math.abs(x - 0.5) + 1 / epoch, { last: epoch === 5 });
      }
    } finally {
      epochsRun.push(epoch - 1);
    }
    return Promise.resolve(Math.abs(x - 0.5) + 0.2);
  };
  const { trials } = await runSearch(space, objective, {
    sampler: randomSampler(),
    trials: 20,
    seed: 3,
    pruner: new MedianPruner({ startupTrials: 3, warmupSteps: 1 }),
  });
  const pruned = trials.filter((t) => t.state === "pruned");
  assert.ok(pruned.length >= 5, `${pruned.length} pruned`);
  for (const t of pruned) {
    assert.ok(
      t.curve.length >= 2 && t.curve.length < 5,
      "stopped after the warm-up, never at the end",
    );
    assert.equal(t.value, Math.min(...t.curve));
  }
  assert.ok(epochsRun.reduce((a, b) => a + b, 0) < 20 * 5);
  const best = bestSoFar(trials);
  assert.ok(best.every((v, i) => i === 0 || v <= best[i - 1]));
});

Deno.test("an interrupted search resumes from its log and ends with the same trials as one run straight through", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = {
      trials: 24,
      seed: 11,
      pruner: new MedianPruner({ startupTrials: 3, warmupSteps: 0 }),
      baseline: { x1: 0, x2: 0, n: 8, lr: 1e-3, act: "a" },
    };
    const reporting: Objective = async (params, context) => {
      const value = await synthetic(params, context);
      context.report(value * 2);
      context.report(value);
      return value;
    };
    const straight = await runSearch(SYNTHETIC, reporting, {
      ...options,
      sampler: tpeSampler({ startupTrials: 6 }),
      logPath: `${dir}/straight.jsonl`,
    });

    // Interrupted: the process dies after 9 trials, in the middle of writing the tenth line.
    const path = `${dir}/interrupted.jsonl`;
    await assert.rejects(
      runSearch(SYNTHETIC, reporting, {
        ...options,
        sampler: tpeSampler({ startupTrials: 6 }),
        logPath: path,
        onTrialEnd: (_trial, trials) => {
          if (trials.length === 9) throw new Error("killed");
        },
      }),
      /killed/,
    );
    await Deno.writeTextFile(path, '{"type":"trial","number":9,"se', { append: true });
    const partial = await readSearchLog(path);
    assert.equal(partial!.trials.length, 9);
    assert.equal(partial!.partialLine, true);

    await assert.rejects(
      runSearch(SYNTHETIC, reporting, {
        ...options,
        sampler: tpeSampler({ startupTrials: 6 }),
        logPath: path,
      }),
      /exists/,
    );
    const resumed = await runSearch(SYNTHETIC, reporting, {
      ...options,
      sampler: tpeSampler({ startupTrials: 6 }),
      logPath: path,
      resume: true,
    });
    assert.equal(resumed.resumedTrials, 9);
    const strip = (ts: typeof straight.trials) =>
      ts.map(({ seconds: _s, finishedAt: _f, ...rest }) => rest);
    assert.deepEqual(strip(resumed.trials), strip(straight.trials));
    assert.deepEqual(resumed.best?.params, straight.best?.params);
    assert.equal(resumed.trials[0].source, "baseline");
    assert.ok(resumed.trials.some((t) => t.source === "tpe"));

    const log = parseSearchLog(await Deno.readTextFile(path));
    assert.equal(log.sessions.length, 2);
    assert.equal(log.sessions[1].trialsBefore, 9);
    assert.equal(log.partialLine, false);
    assert.equal(log.trials.length, 24);

    // A different search cannot resume this log.
    await assert.rejects(
      runSearch(SYNTHETIC, reporting, {
        ...options,
        seed: 12,
        sampler: tpeSampler({ startupTrials: 6 }),
        logPath: path,
        resume: true,
      }),
      /different search/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("searchRaceTable and committedSearchRaces compare two searches at equal trials", () => {
  const trial = (number: number, value: number, state: TrialRecord["state"] = "complete") => ({
    type: "trial" as const,
    number,
    seed: 0,
    source: "random" as const,
    params: {},
    state,
    value,
    curve: [value],
    seconds: 1,
    finishedAt: "",
  });
  // TPE finds 0.02 at trial 7 (a pruned 0.001 never counts); random finds 0.03 at trial 11.
  const tpe = Array.from(
    { length: 14 },
    (_, i) => i === 3 ? trial(i, 0.001, "pruned") : trial(i, i === 7 ? 0.02 : 0.05 + i / 1000),
  );
  const random = Array.from({ length: 12 }, (_, i) => trial(i, i === 11 ? 0.03 : 0.04 + i / 1000));
  const rows = searchRaceTable({ label: "TPE", trials: tpe }, { label: "random", trials: random })
    .split("\n").slice(2).map((r) => r.split("|").slice(1, -1).map((c) => c.trim()));
  assert.deepEqual(rows, [
    ["5", "0.0500", "**0.0400**"],
    ["10", "**0.0200**", "0.0400"],
    ["12", "**0.0200**", "0.0300"],
  ]);
  const none = searchRaceTable({ label: "a", trials: [trial(0, 1, "failed")] }, {
    label: "b",
    trials: [trial(0, 0.5)],
  });
  assert.match(none, /\| 1 +\| — +\| \*\*0\.5000\*\* +\|/);

  const log = (trials: TrialRecord[]) => ({ trials }) as unknown as SearchLog;
  const committed: CommittedSearch[] = [
    { label: "tpe", profile: "default", strategy: "tpe", log: log(tpe) },
    { label: "random", profile: "default", strategy: "random", log: log(random) },
    { label: "full tpe", profile: "full", strategy: "tpe", log: log(tpe) },
  ];
  const text = committedSearchRaces(committed);
  assert.match(text, /`default` profile, TPE against random search.*14 and 12 trials logged/);
  assert.match(text, /\| 12 +\| \*\*0\.0200\*\*/);
  assert.match(text, /`full` profile:\*\* only the TPE search is committed/);
  assert.equal(committedSearchRaces([]), "");
  // A search just started: one trial, counted in the singular.
  const started = committedSearchRaces([committed[0], {
    ...committed[1],
    log: log([trial(0, 0.03)]),
  }]);
  assert.match(started, /14 and 1 trial logged, compared up to 1\)/);
  // A session names the machine it ran on, where its log recorded it.
  const sessions = searchSessionsTable({
    trials: tpe,
    sessions: [
      { type: "session", startedAt: "2026-12-03T13:23", trialsBefore: 0, info: { device: "CPU" } },
      {
        type: "session",
        startedAt: "2026-12-04T09:00",
        trialsBefore: 7,
        info: { device: "CPU", machine: "AMD EPYC, 2 cores" },
      },
    ],
  });
  assert.match(sessions, /\| 0–6 +\|/);
  assert.match(sessions, /\| CPU, AMD EPYC, 2 cores +\| 7–13 +\|/);
});
