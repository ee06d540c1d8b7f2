/**
 * The main job without notebooks: simulate (or load) galaxies, split, scale,
 * train, evaluate on the test set, print the metrics and write a run folder
 * (model, history, test predictions, run record; lib/runs/run_folder.ts).
 *
 *   deno task main [--profile smoke|default|full] [--data FILE.csv|.parquet]
 *                  [--backend webgpu|cpu] [--out DIR] [--galaxies N] [--epochs N]
 *                  [--checkpoint FILE] [--batch N [--scaling linear|sqrt|none]]
 *                  [--filters A,B,C,D] [--units A,B,C,D]
 *
 * With `--checkpoint`, training writes FILE after every epoch and, started
 * again with the same arguments, resumes from it: a long run can be split into
 * several time-limited calls.
 * `--galaxies` and `--epochs` override the profile's counts (the rest of the
 * profile stays). `--filters` and `--units` change the network's width: the
 * filters of its convolution layers and the units of its dense layers, one
 * number per layer (the dissertation's are 256,256,128,64 and 256,256,128,64);
 * a narrower network trains on a CPU in a fraction of the time. `--batch` trains with another batch size
 * than the profile's, its learning rate scaled (`--scaling`, default linear) after
 * a one-epoch warm-up and decayed by a cosine (lib/optimizers/schedules.ts): the
 * large-batch recipe that `deno task bench:recipes` compares with the base one. The folder defaults to `out/runs/<profile>`,
 * where notebook 04 finds it. On the GPU machine (bundled with
 * ../shared/tools/device-pack.sh; it imports no polars unless `--data` is given),
 * `--out results/runs/full` makes the run that notebooks 03 and 04 present on
 * machines without a GPU once it is committed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatBackendReport } from "../lib/backend/select.ts";
import { errorsByBin, redshiftMetrics } from "../lib/metrics.ts";
import { buildModel } from "../lib/model.ts";
import { saveModel } from "../lib/runs/model_folder.ts";
import { profileModel } from "../lib/profiles.ts";
import { saveRunArtifact } from "../lib/runs/run_folder.ts";
import { errorsByBinTable, metricsTable } from "../lib/tables.ts";
import { predict, train } from "../lib/train.ts";
import { RATE_SCALINGS, type RateScaling, warmupSchedule } from "../lib/optimizers/schedules.ts";
import {
  gitCommit,
  positiveInteger,
  positiveIntegers,
  prepareToolRun,
  profileFromArgs,
  usage,
} from "./_cli.ts";

const started = performance.now();

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    profile: { type: "string" },
    data: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    galaxies: { type: "string" },
    epochs: { type: "string" },
    checkpoint: { type: "string" },
    batch: { type: "string" },
    scaling: { type: "string" },
    filters: { type: "string" },
    units: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  console.log(
    "usage: deno task main [--profile smoke|default|full] [--data FILE] [--backend webgpu|cpu]\n" +
      "                      [--out DIR] [--galaxies N] [--epochs N] [--checkpoint FILE]\n" +
      "                      [--batch N [--scaling linear|sqrt|none]] [--filters A,B,C,D]\n" +
      "                      [--units A,B,C,D]",
  );
  Deno.exit(0);
}

const profile = profileFromArgs(args);
const { backend, data, source, prepared } = await prepareToolRun(args, profile);
console.log(
  `split: ${prepared.train.y.length} train, ${prepared.validation.y.length} validation, ` +
    `${prepared.test.y.length} test`,
);
const modelConfig = {
  ...profileModel(profile),
  ...(args.filters ? { convFilters: positiveIntegers("--filters", args.filters) } : {}),
  ...(args.units ? { denseUnits: positiveIntegers("--units", args.units) } : {}),
};
if (modelConfig.convFilters.length !== modelConfig.kernelSizes.length) {
  usage(`--filters needs ${modelConfig.kernelSizes.length} numbers, one per convolution layer`);
}
const model = buildModel(modelConfig);
console.log(
  `model: ${model.countParams().toLocaleString("en")} parameters (filters ${
    modelConfig.convFilters.join(",")
  }, dense units ${modelConfig.denseUnits.join(",")})`,
);

const batchSize = args.batch ? positiveInteger("--batch", args.batch) : profile.batchSize;
const scaling = args.scaling ?? "linear";
if (!(RATE_SCALINGS as readonly string[]).includes(scaling)) {
  usage(`--scaling ${scaling}: expected ${RATE_SCALINGS.join(", ")}`);
}
const learningRate = batchSize === profile.batchSize ? profile.learningRate : warmupSchedule({
  baseRate: profile.learningRate,
  baseBatchSize: profile.batchSize,
  batchSize,
  epochs: profile.epochs,
  scaling: scaling as RateScaling,
});
console.log(`recipe: batch ${batchSize}, learning rate ${learningRate}`);

const isTerminal = Deno.stderr.isTerminal();
const result = await train(model, prepared, {
  epochs: profile.epochs,
  batchSize,
  seed: profile.seed,
  learningRate,
  huberDelta: profile.huberDelta,
  checkpointPath: args.checkpoint,
  onProgress: (p) => {
    if (!isTerminal) return;
    const line =
      `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(5)} ` +
      `${p.samplesPerSecond.toFixed(0)} samples/s, ${Math.round(p.secondsLeft)} s left`;
    Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K`));
  },
  onEpochEnd: (log) => {
    if (isTerminal) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    console.log(
      `epoch ${log.epoch}: loss ${log.loss.toFixed(5)} mae ${log.mae.toFixed(4)} ` +
        `val_loss ${log.valLoss.toFixed(5)} val_mae ${log.valMae.toFixed(4)} (${
          log.seconds.toFixed(1)
        } s)`,
    );
  },
});

const zPred = await predict(model, prepared.test.x);
console.log("\nTest set\n");
console.log(metricsTable(redshiftMetrics(prepared.test.y, zPred)));
console.log("\nErrors per redshift bin, beside the dissertation's Table 3\n");
console.log(errorsByBinTable(errorsByBin(prepared.test.y, zPred)));

const out = args.out ?? `out/runs/${profile.name}`;
const trainingSeconds = result.history.reduce((s, h) => s + h.seconds, 0);
const run = {
  profile: profile.name,
  command: ["deno task main", ...Deno.args].join(" "),
  commit: await gitCommit(),
  device: formatBackendReport(backend),
  data: source,
  galaxies: data.n,
  recipe: { batchSize, learningRate: String(learningRate) },
  evaluatedEpoch: result.history.length,
  trainingSeconds,
  wallSeconds: (performance.now() - started) / 1000,
  finishedAt: new Date().toISOString(),
};
await saveModel(`${out}/model`, model, {
  modelConfig,
  scaler: prepared.scaler,
  history: result.history,
  run,
});
await saveRunArtifact(out, {
  history: result.history,
  run,
  test: { ids: prepared.testIds, zTrue: prepared.test.y, zPred },
});
console.log(`\nrun folder written to ${out} (model, history, test predictions, run record)`);
