/**
 * Large batches against the dissertation's batch-16 recipe: same data, same
 * split, same initial weights; learning curves, test metrics and wall time
 * side by side, over one or more seeds.
 *
 *   deno task bench:recipes [--profile smoke|default|full] [--galaxies N] [--epochs N]
 *                           [--batch N] [--large-epochs N] [--seeds 1,2] [--recipes a,b]
 *                           [--backend webgpu|cpu-blas|cpu] [--out DIR]
 *
 * Recipes (base: the dissertation's Adamax at 0.001 with batch 16):
 *
 *   base       batch 16, constant rate 0.001
 *   naive      batch N, constant rate 0.001 (fewer steps, same rate)
 *   sqrt       batch N, rate × √(N/16) after one warm-up epoch, cosine decay
 *   linear     batch N, rate × N/16 after one warm-up epoch, cosine decay
 *
 * Prints one table per seed and their mean; writes `recipes.json` (every
 * history and metric) and two SVG figures (validation MAE against epoch and
 * against wall time) into `--out` (default `out/recipes/<profile>`).
 * Bundles without polars for the GPU machine.
 *
 * @module
 */
import { formatBackendReport } from "../../lib/backend/select.ts";
import { redshiftMetrics } from "../../lib/metrics.ts";
import { buildModel } from "../../lib/model.ts";
import { optimizerComparisonPlot } from "../../lib/plots/background.ts";
import { profileModel } from "../../lib/profiles.ts";
import { type LearningRateSchedule, warmupSchedule } from "../../lib/optimizers/schedules.ts";
import { markdownTable } from "../../lib/tables.ts";
import { type EpochLog, predict, train } from "../../lib/train.ts";
import { writeFileAtomic } from "../../lib/_atomic.ts";
import {
  exitWithError,
  gitCommit,
  parseToolArgs,
  positiveInteger,
  positiveIntegers,
  prepareToolRun,
  profileFromArgs,
  splitCounts,
  stringFlags,
  usage,
} from "../_cli.ts";
import { cumulativeSeconds, secondsSince } from "./_bench.ts";

const args = parseToolArgs("bench:recipes", {
  ...stringFlags("profile", "galaxies", "epochs", "large-epochs", "backend", "out"),
  batch: { type: "string", default: "256" },
  seeds: { type: "string", default: "1" },
  recipes: { type: "string", default: "base,naive,sqrt,linear" },
}, import.meta);

const BASE = { batchSize: 16, learningRate: 0.001 };
const profile = profileFromArgs(args);
const epochs = profile.epochs;
const largeEpochs = args["large-epochs"]
  ? positiveInteger("--large-epochs", args["large-epochs"])
  : epochs;
const largeBatch = positiveInteger("--batch", args.batch!);
const seeds = positiveIntegers("--seeds", args.seeds!);

/** A recipe of `--batch` for `--large-epochs` (base: of batch 16 for the profile's epochs). */
const define = (name: string, label: string, learningRate: number | LearningRateSchedule) => {
  const [batchSize, n] = name === "base" ? [BASE.batchSize, epochs] : [largeBatch, largeEpochs];
  return { name, label: `batch ${batchSize}, ${label}`, batchSize, epochs: n, learningRate };
};
const WARM_UPS = ["sqrt", "linear"] as const;
const names = args.recipes!.split(",");
// A warm-up recipe spends its first epoch warming up, so it needs a second one to decay in.
if (largeEpochs < 2 && names.some((name) => (WARM_UPS as readonly string[]).includes(name))) {
  usage(
    `--recipes ${WARM_UPS.join(", ")} need at least 2 epochs (--large-epochs, default --epochs)`,
  );
}
const ALL = [
  define("base", `lr ${BASE.learningRate}`, BASE.learningRate),
  define("naive", `lr ${BASE.learningRate}`, BASE.learningRate),
  ...(largeEpochs < 2 ? [] : WARM_UPS).map((scaling) => {
    const rate = warmupSchedule({
      baseRate: BASE.learningRate,
      baseBatchSize: BASE.batchSize,
      batchSize: largeBatch,
      epochs: largeEpochs,
      scaling,
      warmupEpochs: 1,
    });
    return define(scaling, `warm-up to ${rate.peakRate.toPrecision(2)} (${scaling}), cosine`, rate);
  }),
];
const recipes = names.map((name) =>
  ALL.find((r) => r.name === name) ??
    usage(`--recipes: unknown recipe "${name}" (${ALL.map((r) => r.name).join(", ")})`)
);

const { backend, source, prepared } = await prepareToolRun(args, profile).catch(exitWithError);
const modelConfig = profileModel(profile);
console.log(`${splitCounts(prepared)}; profile ${profile.name}'s network`);

interface Outcome {
  recipe: string;
  seed: number;
  history: EpochLog[];
  trainSeconds: number;
  samplesPerSecond: number;
  test: ReturnType<typeof redshiftMetrics>;
}
const outcomes: Outcome[] = [];
for (const seed of seeds) {
  for (const recipe of recipes) {
    // the same initial weights for every recipe of a seed
    const model = buildModel({ ...modelConfig, seed });
    const started = performance.now();
    const { history } = await train(model, prepared, {
      epochs: recipe.epochs,
      batchSize: recipe.batchSize,
      seed,
      learningRate: recipe.learningRate,
    });
    const trainSeconds = secondsSince(started);
    const test = redshiftMetrics(prepared.test.y, await predict(model, prepared.test.x));
    model.dispose();
    const epochSeconds = history.reduce((s, h) => s + h.seconds, 0);
    outcomes.push({
      recipe: recipe.name,
      seed,
      history,
      trainSeconds,
      samplesPerSecond: (prepared.train.y.length * recipe.epochs) / epochSeconds,
      test,
    });
    console.log(
      `seed ${seed} ${recipe.name}: test MAE ${test.mae.toFixed(4)}, ${trainSeconds.toFixed(0)} s`,
    );
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs: number[]) => {
  if (xs.length < 2) return "";
  const m = mean(xs);
  return ` ± ${Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)).toFixed(4)}`;
};
const rows = recipes.map((r) => {
  const mine = outcomes.filter((o) => o.recipe === r.name);
  const of = (f: (o: Outcome) => number) => mine.map(f);
  return [
    r.name,
    r.label,
    r.epochs,
    mean(of((o) => o.trainSeconds)).toFixed(0),
    mean(of((o) => o.samplesPerSecond)).toFixed(0),
    mean(of((o) => o.history.at(-1)!.valMae)).toFixed(4),
    mean(of((o) => o.test.mae)).toFixed(4) + spread(of((o) => o.test.mae)),
    mean(of((o) => o.test.bias)).toFixed(4),
    mean(of((o) => o.test.sigmaNmad)).toFixed(4),
    (100 * mean(of((o) => o.test.outlierFraction))).toFixed(2),
  ];
});
const table = markdownTable(
  [
    "recipe",
    "",
    "epochs",
    "train s",
    "samples/s",
    "last val MAE",
    `test MAE${seeds.length > 1 ? ` (mean ± sd, ${seeds.length} seeds)` : ""}`,
    "bias",
    "σ_NMAD",
    "outliers %",
  ],
  rows,
);
console.log(`\n${table}`);

const out = args.out ?? `out/recipes/${profile.name}`;
await Deno.mkdir(out, { recursive: true });
const firstSeed = outcomes.filter((o) => o.seed === seeds[0]);
const labelOf = (name: string) => recipes.find((r) => r.name === name)!.label;
const subtitle = `${prepared.train.y.length.toLocaleString("en")} training galaxies, seed ${
  seeds[0]
}, ${backend.backend}`;
/** The first seed's validation curves against `x` of each history (epochs or seconds). */
const curves = (x: (history: EpochLog[]) => number[]) =>
  firstSeed.map((o) => ({
    label: labelOf(o.recipe),
    x: x(o.history),
    loss: o.history.map((h) => h.valMae),
  }));
const byEpoch = optimizerComparisonPlot(
  curves((history) => history.map((h) => h.epoch)),
  { title: "Validation MAE by epoch", subtitle, xLabel: "Epoch", yLabel: "Validation MAE" },
);
const byTime = optimizerComparisonPlot(
  curves(cumulativeSeconds),
  {
    title: "Validation MAE against training time",
    subtitle,
    xLabel: "Seconds of training",
    yLabel: "Validation MAE",
  },
);
await writeFileAtomic(`${out}/val_mae_by_epoch.svg`, byEpoch);
await writeFileAtomic(`${out}/val_mae_by_time.svg`, byTime);
const record = {
  command: ["deno task bench:recipes", ...Deno.args].join(" "),
  commit: await gitCommit(),
  device: formatBackendReport(backend),
  data: source,
  modelConfig,
  recipes: recipes.map((r) => ({ ...r, learningRate: String(r.learningRate) })),
  outcomes,
  finishedAt: new Date().toISOString(),
};
await writeFileAtomic(`${out}/recipes.json`, JSON.stringify(record, null, 1));
console.log(`\nwritten: ${out}/recipes.json, val_mae_by_epoch.svg, val_mae_by_time.svg`);
