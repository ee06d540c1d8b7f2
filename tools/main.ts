/**
 * The main job without notebooks: simulate (or load) galaxies, split, scale,
 * train, evaluate on the test set and print the metrics.
 *
 *   deno task main [--profile smoke|default|full] [--data FILE.csv|.parquet]
 *                  [--backend webgpu|cpu] [--out DIR] [--galaxies N] [--epochs N]
 *
 * `--galaxies` and `--epochs` override the profile's counts (the rest of the
 * profile, e.g. its network, stays).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  buildModel,
  errorsByBin,
  errorsByBinTable,
  formatBackendReport,
  metricsTable,
  predict,
  prepareData,
  profileModel,
  redshiftMetrics,
  saveModel,
  train,
} from "../lib/mod.ts";
import { loadToolData, profileFromArgs, selectToolBackend } from "./_cli.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    profile: { type: "string" },
    data: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    galaxies: { type: "string" },
    epochs: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  console.log(
    "usage: deno task main [--profile smoke|default|full] [--data FILE] [--backend webgpu|cpu]\n" +
      "                      [--out DIR] [--galaxies N] [--epochs N]",
  );
  Deno.exit(0);
}

const profile = profileFromArgs(args);
const backend = await selectToolBackend(args.backend, profile);
console.log(`profile: ${profile.name} (${profile.description})`);
console.log(`backend: ${formatBackendReport(backend)}`);
const { data, source } = await loadToolData(args, profile);
console.log(source);

const prepared = prepareData(data, { seed: profile.seed });
console.log(
  `split: ${prepared.train.y.length} train, ${prepared.validation.y.length} validation, ` +
    `${prepared.test.y.length} test`,
);
const modelConfig = profileModel(profile);
const model = buildModel(modelConfig);
console.log(`model: ${model.countParams().toLocaleString("en")} parameters`);

const isTerminal = Deno.stderr.isTerminal();
const result = await train(model, prepared, {
  epochs: profile.epochs,
  batchSize: profile.batchSize,
  seed: profile.seed,
  learningRate: modelConfig.learningRate,
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

const out = args.out ?? `out/models/${profile.name}`;
await Deno.mkdir(out.replace(/\/[^/]*$/, ""), { recursive: true });
await saveModel(out, model, {
  modelConfig,
  scaler: prepared.scaler,
  history: result.history,
  run: {
    profile: profile.name,
    data: source,
    galaxies: data.n,
    backend: formatBackendReport(backend),
    trainingSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
  },
});
console.log(`\nmodel saved to ${out}`);
