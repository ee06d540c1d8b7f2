/**
 * Trains a deep ensemble, measures its error bars on the test galaxies and saves it (flags: --help).
 *
 * `--data` reads a CSV/Parquet file (not in the GPU bundle, which leaves polars out); otherwise
 * the profile's number of mock galaxies is simulated (seed 2023; in `smoke`, the 3,000 galaxies of
 * the committed sample, unrounded). Writes the ensemble folder DIR (default
 * `out/ensembles/<profile>`, which `deno task predict --model DIR` reads) and DIR/results.json:
 * calibration (PIT, coverage, CRPS), metrics, the command, commit, device and wall times.
 * `--results FILE` writes a copy, e.g. `results/uncertainty/<profile>.json`, the committed file
 * notebook 06 presents.
 *
 * @module
 */
// Module by module rather than lib/mod.ts, so that it bundles without polars for the GPU machine:
//   ../shared/tools/device-pack.sh tools/train_ensemble.ts
//   bash .device/run.sh train_ensemble.bundle.js --profile default --members 5 --out ...
import { formatBackendReport } from "../lib/backend/select.ts";
import { profileModel } from "../lib/profiles.ts";
import {
  checkOutputPaths,
  checkTableFile,
  gitCommit,
  OutputError,
  parseToolArgs,
  positiveInteger,
  prepareToolRun,
  profileFromArgs,
  runTool,
  splitCounts,
  statusLine,
  stringFlags,
  usage,
} from "./_cli.ts";
import { saveEnsemble, trainEnsemble } from "../lib/uncertainty/ensemble.ts";
import {
  calibrationTable,
  evaluateEnsemble,
  UNCERTAINTY_RESULTS_VERSION,
  type UncertaintyResults,
} from "../lib/uncertainty/results.ts";
import { whyNotWritable, writeFileAtomic } from "../lib/_atomic.ts";

const started = performance.now();
const startedAt = new Date().toISOString();
const args = parseToolArgs(
  "ensemble",
  {
    ...stringFlags("profile", "out", "epochs", "galaxies", "data", "backend", "results"),
    members: { type: "string", default: "5" },
  },
  [
    "usage: deno task ensemble [--profile smoke|default|full] [--members K (5)] [--out DIR]",
    "                          [--epochs N] [--galaxies N] [--data FILE] [--backend webgpu|cpu-blas|cpu]",
    "                          [--results FILE]",
  ].join("\n"),
);
await runTool("ensemble", async () => {
  const profile = profileFromArgs(args);
  const members = positiveInteger("--members", args.members, 100);
  if (members < 2) usage("--members must be at least 2");
  const out = args.out ?? `out/ensembles/${profile.name}`;
  checkTableFile("--data", args.data);
  await checkEnsemblePaths(out);

  const { backend, data, source, prepared } = await prepareToolRun(args, profile);
  const modelConfig = profileModel(profile);
  console.log(`split: ${splitCounts(prepared)}; ${members} members × ${profile.epochs} epochs`);

  const isTerminal = Deno.stderr.isTerminal();
  const ensemble = await trainEnsemble(prepared, {
    members,
    modelConfig,
    learningRate: profile.learningRate,
    huberDelta: profile.huberDelta,
    epochs: profile.epochs,
    batchSize: profile.batchSize,
    seed: profile.seed,
    scaler: prepared.scaler,
    checkpointPrefix: `${out}.member`,
    onProgress: (k, p) => {
      if (!isTerminal) return;
      statusLine(
        `member ${k}/${members} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} ` +
          `loss ${p.loss.toFixed(5)} ${p.samplesPerSecond.toFixed(0)} samples/s`,
      );
    },
    onMemberEnd: (k, history, seconds) => {
      if (isTerminal) statusLine();
      const last = history[history.length - 1];
      console.log(
        `member ${k}: ${history.length} epochs in ${seconds.toFixed(1)} s, ` +
          `val_mae ${last.valMae.toFixed(4)}`,
      );
    },
  });
  const evaluationStarted = performance.now();
  const { evaluation } = await evaluateEnsemble(ensemble, prepared);
  const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;

  const results: UncertaintyResults = {
    formatVersion: UNCERTAINTY_RESULTS_VERSION,
    profile: profile.name,
    command: `deno task ensemble ${Deno.args.join(" ")}`.trim(),
    commit: await gitCommit(),
    device: formatBackendReport(backend),
    startedAt,
    galaxies: {
      train: prepared.train.y.length,
      validation: prepared.validation.y.length,
      test: prepared.test.y.length,
    },
    epochs: profile.epochs,
    batchSize: profile.batchSize,
    parameters: ensemble.models[0].countParams(),
    wallSeconds: {
      total: (performance.now() - started) / 1000,
      members: ensemble.memberSeconds,
      evaluation: evaluationSeconds,
    },
    ...evaluation,
  };
  ensemble.run = {
    profile: profile.name,
    data: source,
    galaxies: data.n,
    backend: results.device,
    command: results.command,
  };
  await Deno.mkdir(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  await saveEnsemble(out, ensemble);
  const json = JSON.stringify(results, null, 1);
  await writeFileAtomic(`${out}/results.json`, json);
  if (args.results) await writeFileAtomic(args.results, json);

  console.log(`\nTest set (${results.galaxies.test} galaxies)\n`);
  console.log(calibrationTable([{ label: profile.name, evaluation }]));
  console.log(
    `\nempirical CRPS of the members: ${evaluation.empiricalCrps.toFixed(5)}; ` +
      `members' training ${ensemble.memberSeconds.reduce((a, b) => a + b, 0).toFixed(1)} s over ` +
      `every sitting; this sitting ${results.wallSeconds.total.toFixed(1)} s`,
  );
  console.log(`ensemble saved to ${out}${args.results ? `; results to ${args.results}` : ""}`);
});

/** Refuses, before any work, outputs that would replace the data or each other, or cannot be written. */
async function checkEnsemblePaths(out: string): Promise<void> {
  await checkOutputPaths([
    { role: "--out", path: out, use: "write", folder: true },
    ...(args.results ? [{ role: "--results", path: args.results, use: "write" as const }] : []),
    ...(args.data ? [{ role: "--data", path: args.data, use: "read" as const }] : []),
  ]);
  const existing = await Deno.stat(out).catch(() => null);
  if (existing && !existing.isDirectory) {
    throw new OutputError(out, "--out names a file, not a folder");
  }
  for (const path of [out, ...(args.results ? [args.results] : [])]) {
    const parent = path.replace(/\/[^/]*$/, "") || ".";
    if (path === out) await Deno.mkdir(parent, { recursive: true }).catch(() => {});
    const why = await whyNotWritable(path === out ? `${parent}/.probe` : path);
    if (why) throw new OutputError(path, `cannot be written: ${why}`);
  }
}
