/**
 * Time to accuracy, ours against PyTorch, in one run: the same galaxies, split, scaling, initial
 * weights and batch order, trained with the dissertation's recipe by the library's `train()` and
 * then by PyTorch eager (`tools/bench/torch_train.py`) on the same machine and threads.
 *
 *   deno task bench:torch-accuracy [--profile smoke|default|full] [--galaxies N] [--data CSV]
 *                                  [--epochs N] [--batch N] [--backend cpu-blas|cpu|webgpu]
 *                                  [--out DIR]
 *
 * Defaults: the default profile's network and recipe (the dissertation's, batch 16) on 20,000
 * mock galaxies for 3 epochs (about 5 minutes on 2 cores). It first checks that both sides compute
 * the same function (the initial network's validation predictions, ours against PyTorch's, exit 1
 * if they differ), then prints per epoch each side's validation MAE and elapsed seconds, the test
 * MAE, and how long each took to reach the validation MAE both reached. What is left to differ
 * is the arithmetic (kernels, summation order) and PyTorch's Adamax, which adds ε inside the
 * maximum where Keras adds it to the denominator. Writes `torch_accuracy.json` into `--out`
 * (default `out/bench/torch_accuracy/<profile>`). Installs Debian's `python3-torch` if missing.
 *
 * @module
 */
import { blasThreads } from "../../lib/backend/blas_backend.ts";
import { redshiftMetrics } from "../../lib/metrics.ts";
import { buildModel } from "../../lib/model.ts";
import { profileModel } from "../../lib/profiles.ts";
import { permutation } from "../../lib/random.ts";
import { N_FLUX } from "../../lib/spectra.ts";
import { markdownTable } from "../../lib/tables.ts";
import { epochSeed, predict, train } from "../../lib/train.ts";
import { writeFileAtomic } from "../../lib/_atomic.ts";
import {
  EXIT,
  exitWithError,
  fail,
  gitCommit,
  parseToolArgs,
  positiveInteger,
  prepareToolRun,
  profileFromArgs,
  splitCounts,
  stringFlags,
} from "../_cli.ts";
import {
  benchFile,
  cumulativeSeconds,
  deviceOf,
  requireTorch,
  runJsonLine,
  secondsSince,
} from "./_bench.ts";

const args = parseToolArgs("bench:torch-accuracy", {
  profile: { type: "string", default: "default" },
  ...stringFlags("galaxies", "data", "batch", "backend", "out"),
  epochs: { type: "string", default: "3" },
}, import.meta);
// 20,000 galaxies unless a file or the smoke profile's committed sample says otherwise.
const galaxies = args.galaxies ?? (args.data || args.profile === "smoke" ? undefined : "20000");
const profile = profileFromArgs({ profile: args.profile, galaxies, epochs: args.epochs });
const batchSize = args.batch ? positiveInteger("--batch", args.batch, 1 << 20) : profile.batchSize;
const out = args.out ?? `out/bench/torch_accuracy/${profile.name}`;
await requireTorch();

const { backend, source, prepared } = await prepareToolRun(args, profile).catch(exitWithError);
const config = profileModel(profile);
const nTrain = prepared.train.y.length;
console.log(
  `${
    splitCounts(prepared)
  }; batch ${batchSize}, ${profile.epochs} epochs, Adamax ${profile.learningRate}, Huber δ ${profile.huberDelta}`,
);

// What PyTorch needs, written before ours trains: data, initial weights, batch orders, and our
// initial network's validation predictions (to check that both compute the same function).
const folder = await Deno.makeTempDir({ prefix: "torch_accuracy_" });
const model = buildModel({ ...config, seed: profile.seed });
const weights = model.getWeights(); // live variables: read, never disposed
const weightFiles = await Promise.all(weights.map(async (w, i) => {
  const file = `weight_${i}.f32`;
  await writeLittleEndian(file, (await w.data()) as Float32Array);
  return { file, shape: w.shape };
}));
const PARTS = ["train", "validation", "test"] as const;
for (const part of PARTS) {
  await writeLittleEndian(`${part}_x.f32`, prepared[part].x);
  await writeLittleEndian(`${part}_y.f32`, prepared[part].y);
}
const orders = new Uint32Array(profile.epochs * nTrain);
for (let epoch = 1; epoch <= profile.epochs; epoch++) {
  orders.set(permutation(nTrain, epochSeed(profile.seed, epoch)), (epoch - 1) * nTrain);
}
await writeLittleEndian("orders.u32", orders);
await writeLittleEndian(
  "initial_validation_predictions.f32",
  await predict(model, prepared.validation.x),
);
await Deno.writeTextFile(
  `${folder}/meta.json`,
  JSON.stringify({
    nFlux: N_FLUX,
    rows: Object.fromEntries(PARTS.map((p) => [p, prepared[p].y.length])),
    network: { filters: config.convFilters, kernels: config.kernelSizes, units: config.denseUnits },
    weights: weightFiles,
    epochs: profile.epochs,
    batchSize,
    learningRate: profile.learningRate,
    huberDelta: profile.huberDelta,
  }),
);

console.error("ours: training...");
const ourStart = performance.now();
const { history } = await train(model, prepared, {
  epochs: profile.epochs,
  batchSize,
  seed: profile.seed,
  learningRate: profile.learningRate,
  huberDelta: profile.huberDelta,
  onEpochEnd: (log) =>
    console.error(
      `  epoch ${log.epoch}: val MAE ${log.valMae.toFixed(4)}, ${log.seconds.toFixed(0)} s`,
    ),
});
const ourSeconds = secondsSince(ourStart);
const ourTest = redshiftMetrics(prepared.test.y, await predict(model, prepared.test.x));
model.dispose();

const threads = backend.backend === "cpu-blas" ? blasThreads() : 1;
console.error(`PyTorch: training (${threads} thread${threads > 1 ? "s" : ""})...`);
const reference = await runJsonLine<TorchResult>(
  ["/usr/bin/python3", benchFile("torch_train.py"), folder, "--threads", String(threads)],
  // PyTorch has read the folder: removed before anything can end the tool.
  { finished: () => Deno.remove(folder, { recursive: true }) },
);

const tolerance = 1e-4 * Math.max(1, reference.initialScale);
if (!(reference.initialDifference <= tolerance)) {
  fail(
    EXIT.internal,
    `the two initial networks differ: max |ours − PyTorch| = ${reference.initialDifference} ` +
      `over the validation rows (tolerance ${tolerance}); the comparison would mean nothing`,
  );
}

const ourTimes = cumulativeSeconds(history);
const torchTimes = cumulativeSeconds(reference.history);
// The accuracy both reached: the worse of the two best validation MAEs.
const target = Math.max(
  Math.min(...history.map((e) => e.valMae)),
  Math.min(...reference.history.map((e) => e.valMae)),
);
const timeTo = (h: { valMae: number }[], times: number[]) =>
  times[h.findIndex((e) => e.valMae <= target)];
const ourTime = timeTo(history, ourTimes), torchTime = timeTo(reference.history, torchTimes);

const rows: (string | number)[][] = history.map((e, i) => {
  const t = reference.history[i];
  return [
    e.epoch,
    e.loss.toFixed(5),
    t.loss.toFixed(5),
    e.valMae.toFixed(4),
    t.valMae.toFixed(4),
    ourTimes[i].toFixed(0),
    torchTimes[i].toFixed(0),
  ];
});
rows.push(["test MAE", "", "", ourTest.mae.toFixed(4), reference.testMae.toFixed(4), "", ""]);
const table = markdownTable(
  [
    "epoch",
    "ours: loss",
    "PyTorch: loss",
    "ours: val MAE",
    "PyTorch: val MAE",
    "ours: s",
    "PyTorch: s",
  ],
  rows,
);
const summary = [
  `ours: ${deviceOf(backend)}; PyTorch: ${reference.device}`,
  `data: ${source}`,
  `same initial network: max |ours − PyTorch| = ${reference.initialDifference.toExponential(1)} ` +
  `over the validation predictions (largest ${reference.initialScale.toFixed(3)})`,
  "",
  table,
  "",
  `time to validation MAE ≤ ${target.toFixed(4)} (the worse of the two bests): ours ` +
  `${ourTime.toFixed(0)} s, PyTorch ${torchTime.toFixed(0)} s (ours / PyTorch ${
    (ourTime / torchTime).toFixed(2)
  })`,
];
console.log(summary.join("\n"));

const record = {
  commit: await gitCommit(),
  profile: profile.name,
  data: source,
  batchSize,
  epochs: profile.epochs,
  ours: { backend, history, seconds: ourSeconds, test: ourTest },
  torch: reference,
  target,
  secondsToTarget: { ours: ourTime, torch: torchTime },
};
await Deno.mkdir(out, { recursive: true });
await writeFileAtomic(`${out}/torch_accuracy.json`, JSON.stringify(record, null, 2) + "\n");
console.log(`written: ${out}/torch_accuracy.json`);

/** Writes `values` into the folder little-endian (what numpy's "<f4"/"<u4" read on any machine). */
async function writeLittleEndian(name: string, values: Float32Array | Uint32Array): Promise<void> {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  const set = values instanceof Float32Array ? view.setFloat32 : view.setUint32;
  for (let i = 0; i < values.length; i++) set.call(view, 4 * i, values[i], true);
  await Deno.writeFile(`${folder}/${name}`, new Uint8Array(view.buffer));
}

interface TorchResult {
  device: string;
  initialDifference: number;
  initialScale: number;
  history: { epoch: number; loss: number; mae: number; valMae: number; seconds: number }[];
  testMae: number;
}
