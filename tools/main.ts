/**
 * The main job without notebooks: simulate (or load) galaxies, split, scale, train, evaluate on
 * the test set, print the metrics and write a run folder (lib/runs/run_folder.ts). `--help` (HELP
 * below) explains every flag with its default; every flag and path is checked before data is
 * loaded, and errors print one line and exit with the README's codes.
 *
 * On the GPU machine (bundled with ../shared/tools/device-pack.sh; it imports no polars unless
 * `--data` is given), `--out results/runs/full` makes the run that notebooks 03 and 04 present on
 * machines without a GPU once it is committed.
 *
 * @module
 */
import { formatBackendReport } from "../lib/backend/select.ts";
import { errorsByBin, redshiftMetrics } from "../lib/metrics.ts";
import { buildModel } from "../lib/model.ts";
import { profileModel, PROFILES, type RunProfile } from "../lib/profiles.ts";
import { trainRunFolder } from "../lib/runs/run_folder.ts";
import { errorsByBinTable, metricsTable } from "../lib/tables.ts";
import { verifyCheckpoint } from "../lib/train.ts";
import { RATE_SCALINGS, warmupSchedule } from "../lib/optimizers/schedules.ts";
import { whyNotWritable } from "../lib/_atomic.ts";
import { DEFAULT_PDF_BINS } from "../lib/redshift_bins.ts";
import { BALANCED_WEIGHT_CAP as WEIGHT_CAP, balancedWeights } from "../lib/bias/mod.ts";
import {
  checkOutputPaths,
  checkTableFile,
  gitCommit,
  oneOf,
  optionalInteger,
  OutputError,
  parseToolArgs,
  positiveIntegers,
  prepareToolRun,
  profileFromArgs,
  runTool,
  splitCounts,
  statusLine,
  stringFlags,
  usage,
} from "./_cli.ts";

/** `f` of each profile, as "smoke X, default Y, full Z", or "X in every profile". */
function byProfile(f: (profile: RunProfile) => string | number): string {
  const values = Object.values(PROFILES).map((p) => String(f(p)));
  if (values.every((v) => v === values[0])) return `${values[0]} in every profile`;
  return Object.keys(PROFILES).map((name, i) => `${name} ${values[i]}`).join(", ");
}

const HELP = `usage: deno task main [options]

Simulates (or loads) galaxies, splits and scales them, trains the network,
evaluates it on the test set and writes a run folder: OUT/model (the model
folder that deno task predict reads), OUT/history.json, OUT/predictions.csv
(test galaxies) and OUT/run.json.

Options:
  --profile P        smoke, default or full (default: $REDSHIFT_PROFILE, else default)
                       smoke:   ${PROFILES.smoke.description}
                       default: ${PROFILES.default.description}
                       full:    ${PROFILES.full.description}
  --data FILE        galaxies from a .csv or .parquet file (columns z, flux_0..flux_185
                     by name; see README) instead of the mock (default: the profile's
                     mock galaxies; in smoke, the committed 3,000-galaxy sample)
  --galaxies N       number of mock galaxies (default: the profile's:
                     ${byProfile((p) => p.galaxies.toLocaleString("en"))})
  --epochs N         epochs of the evaluated model (default: the profile's:
                     ${byProfile((p) => p.epochs)})
  --extra-epochs N   epochs trained past the evaluated one, into the history only, to
                     show where validation stops improving (Figure 14); the model and
                     test predictions stay those of epoch --epochs (default: the
                     profile's: ${byProfile((p) => p.extendedEpochs - p.epochs)}; 0 stops there)
  --batch N          batch size (default: the profile's: ${byProfile((p) => p.batchSize)}); another
                     size scales the learning rate (--scaling) after a one-epoch warm-up
  --scaling S        linear, sqrt or none: how --batch scales the rate (default linear)
  --filters A,B,C,D  filters of the 4 convolution layers (default: the profile's:
                     ${byProfile((p) => profileModel(p).convFilters.join())})
  --units A,B,C,D    units of the 4 dense layers (default: the profile's:
                     ${byProfile((p) => profileModel(p).denseUnits.join())})
  --seed N           seed of the initial weights and the batch order (default: the
                     profile's, ${
  byProfile((p) => p.seed)
}); the data and the split keep the profile's
  --head H           z: the dissertation's output, one redshift (default); pdf: a
                     classification head over ${DEFAULT_PDF_BINS.count} bins of z in [${DEFAULT_PDF_BINS.zMin}, ${DEFAULT_PDF_BINS.zMax}], trained with
                     Gaussian soft labels; it predicts a PDF per galaxy (notebook 07)
  --soft-label-width S  width in z of the soft labels of --head pdf (default 0.01)
  --weights W        none (default), inverse or sqrt: weight each training galaxy by
                     the inverse (or its square root) of the smoothed density of z,
                     capped at ${WEIGHT_CAP} times the smallest weight (notebook 07)
  --backend B        webgpu, cpu-blas or cpu (default: $REDSHIFT_BACKEND, else the
                     profile's preference, else the ladder: webgpu on a hardware GPU,
                     else cpu-blas where BLAS opens, else cpu)
  --out DIR          run folder (default out/runs/<profile>)
  --checkpoint FILE  write FILE after every epoch and resume from it when it exists
                     (default: none); must not lie inside OUT/model
  -h, --help         this text

Numbers are plain decimal integers (1e8 and 0x10 are refused). Without a GPU the
default profile trains the dissertation's 699,073-parameter network on the CPU path
(cpu-blas): tens of minutes on two cores (docs/performance.md); the time it will take
is printed after the first training steps. --profile smoke runs in about a minute.

Exit codes: 0 done, 1 internal error, 2 usage, 3 damaged checkpoint or model,
4 unreadable or invalid --data, 5 output cannot be written, 130 interrupted.`;

const args = parseToolArgs("main", {
  ...stringFlags("profile", "data", "backend", "out", "galaxies", "epochs", "extra-epochs"),
  ...stringFlags("checkpoint", "batch", "scaling", "filters", "units", "seed", "head"),
  ...stringFlags("soft-label-width", "weights"),
}, HELP);

await runTool("main", async () => {
  // Every flag is checked before any data is loaded or simulated.
  const profile = profileFromArgs(args);
  const seed = optionalInteger("--seed", args.seed, 0, 2 ** 31 - 1) ?? profile.seed;
  const pdfHead = oneOf("--head", args.head ?? "z", ["z", "pdf"]) === "pdf";
  const widthText = args["soft-label-width"];
  if (widthText !== undefined && !pdfHead) usage("--soft-label-width is for --head pdf");
  const softLabelWidth = widthText === undefined ? undefined : Number(widthText);
  if (softLabelWidth !== undefined && !(softLabelWidth >= 0 && softLabelWidth < 1)) {
    usage(`--soft-label-width ${widthText}: expected a number in [0, 1)`);
  }
  const weighting = oneOf("--weights", args.weights ?? "none", ["none", "inverse", "sqrt"]);
  const modelConfig = {
    ...profileModel(profile),
    seed,
    ...(args.filters ? { convFilters: positiveIntegers("--filters", args.filters) } : {}),
    ...(args.units ? { denseUnits: positiveIntegers("--units", args.units) } : {}),
    ...(pdfHead ? { pdfBins: { ...DEFAULT_PDF_BINS } } : {}),
  };
  if (modelConfig.convFilters.length !== modelConfig.kernelSizes.length) {
    usage(`--filters needs ${modelConfig.kernelSizes.length} numbers, one per convolution layer`);
  }
  if (modelConfig.denseUnits.length < 1) usage("--units needs at least one number");
  const batchSize = optionalInteger("--batch", args.batch, 1, 65_536) ?? profile.batchSize;
  const scaling = oneOf("--scaling", args.scaling ?? "linear", RATE_SCALINGS, ", ");
  checkTableFile("--data", args.data);
  const epochs = profile.epochs;
  // Another batch size takes a warm-up epoch, and needs a second one to decay in.
  if (batchSize !== profile.batchSize && epochs < 2) {
    usage(`--batch ${batchSize} needs at least 2 epochs (--epochs) for its warm-up and decay`);
  }
  const trainedEpochs = epochs +
    (optionalInteger("--extra-epochs", args["extra-epochs"], 0, 1000) ??
      PROFILES[profile.name].extendedEpochs - PROFILES[profile.name].epochs);
  const out = args.out ?? `out/runs/${profile.name}`;
  await checkRunPaths(out, args.data, args.checkpoint);
  if (args.checkpoint) await verifyCheckpoint(args.checkpoint);

  const { backend, source, prepared } = await prepareToolRun(args, profile);
  console.log(`split: ${splitCounts(prepared)}`);
  const model = buildModel(modelConfig);
  const parameters = model.countParams();
  console.log(
    `model: ${parameters.toLocaleString("en")} parameters (filters ${
      modelConfig.convFilters.join(",")
    }, dense units ${modelConfig.denseUnits.join(",")})`,
  );

  const learningRate = batchSize === profile.batchSize ? profile.learningRate : warmupSchedule({
    baseRate: profile.learningRate,
    baseBatchSize: profile.batchSize,
    batchSize,
    epochs,
    scaling,
  });
  console.log(`recipe: batch ${batchSize}, learning rate ${learningRate}`);
  // A run resumed across sittings may span commits; the log says which code ran each one.
  console.log(`code: commit ${await gitCommit()}`);
  const nTrain = prepared.train.y.length, samples = nTrain * trainedEpochs;
  console.log(
    `training: ${trainedEpochs} epochs (${epochs} evaluated) × ${nTrain.toLocaleString("en")} ` +
      `galaxies = ${samples.toLocaleString("en")} samples on ${backend.backend}; ` +
      "the time it will take is printed after the first steps",
  );
  if ((backend.backend === "cpu" || backend.isFallbackAdapter) && parameters > 200_000) {
    console.log(
      `note: no hardware GPU in use, and this network has ${parameters.toLocaleString("en")} ` +
        "parameters: expect hours; --profile smoke (or --filters/--units) trains in minutes",
    );
  }

  const isTerminal = Deno.stderr.isTerminal();
  let estimated = false;
  let result;
  try {
    result = await trainRunFolder(out, model, prepared, {
      profile: profile.name,
      evaluatedEpoch: epochs,
      epochs: trainedEpochs,
      batchSize,
      seed,
      learningRate,
      huberDelta: profile.huberDelta,
      softLabelWidth,
      sampleWeights: weighting === "none" ? undefined : {
        weights: Float32Array.from(
          balancedWeights(prepared.train.y, {
            power: weighting === "sqrt" ? 0.5 : 1,
            maxRatio: WEIGHT_CAP,
          }).weights,
        ),
        description: `${weighting} smoothed density of z, capped at ${WEIGHT_CAP}× the smallest`,
      },
      modelConfig,
      data: source,
      device: formatBackendReport(backend),
      command: ["deno task main", ...Deno.args].join(" "),
      checkpointPath: args.checkpoint ?? null,
      progressEvery: 10,
      onProgress: (p) => {
        if (!estimated) {
          // Once, from the rate of the first steps: an honest answer to "how long?".
          estimated = true;
          if (isTerminal) statusLine();
          console.log(
            `measured ${p.samplesPerSecond.toFixed(0)} samples/s (epoch ${p.epoch}, step ` +
              `${p.step.toLocaleString("en")} of ${p.steps.toLocaleString("en")}): about ` +
              `${duration(p.secondsLeft)} to train (${p.epochs - p.epoch} epochs after this one)`,
          );
        }
        if (!isTerminal) return;
        statusLine(
          `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(5)} ` +
            `${p.samplesPerSecond.toFixed(0)} samples/s, ${Math.round(p.secondsLeft)} s left`,
        );
      },
      onEpochEnd: (log) => {
        if (isTerminal) statusLine();
        console.log(
          `epoch ${log.epoch}: loss ${log.loss.toFixed(5)} mae ${log.mae.toFixed(4)} ` +
            `val_loss ${log.valLoss.toFixed(5)} val_mae ${log.valMae.toFixed(4)} (${
              log.seconds.toFixed(1)
            } s)` + (log.epoch === epochs ? `: the evaluated model, saved to ${out}/model` : ""),
        );
      },
    });
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotFound) {
      throw new OutputError(out, `cannot write the run folder: ${e.message}`);
    }
    throw e;
  }

  const { zTrue, zPred } = result.test;
  console.log(`\nTest set, the model of epoch ${epochs} (of ${result.history.length} trained)\n`);
  console.log(metricsTable(redshiftMetrics(zTrue, zPred)));
  console.log("\nErrors per redshift bin, beside the dissertation's Table 3\n");
  console.log(errorsByBinTable(errorsByBin(zTrue, zPred)));
  console.log(
    `\nrun folder written to ${out} (model of epoch ${epochs}, history of ${result.history.length} ` +
      "epochs, test predictions, run record)",
  );
});

/**
 * Refuses, before any work, a run folder that cannot be written or whose
 * files would replace the data or the checkpoint, and a checkpoint that would
 * replace the data or cannot be written.
 */
async function checkRunPaths(out: string, data?: string, checkpoint?: string): Promise<void> {
  const stat = await Deno.stat(out).catch(() => null);
  if (stat && !stat.isDirectory) throw new OutputError(out, "--out names a file, not a folder");
  await checkOutputPaths([
    { role: "--out's model folder", path: `${out}/model`, use: "write" as const, folder: true },
    ...["history.json", "predictions.csv", "run.json"].map((name) => ({
      role: `--out's ${name}`,
      path: `${out}/${name}`,
      use: "write" as const,
    })),
    ...(data ? [{ role: "--data", path: data, use: "read" as const }] : []),
    ...(checkpoint ? [{ role: "--checkpoint", path: checkpoint, use: "write" as const }] : []),
  ]);
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    throw new OutputError(out, `cannot create the run folder: ${(e as Error).message}`);
  }
  for (const path of [`${out}/run.json`, ...(checkpoint ? [checkpoint] : [])]) {
    const why = await whyNotWritable(path);
    if (why) throw new OutputError(path, `cannot be written: ${why}`);
  }
}

/** Seconds as "about 3 min" / "2.5 h". */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "an unknown time";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
