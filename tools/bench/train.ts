/**
 * Training and prediction throughput of the library's own `train()` and `predict()`, with the
 * number of GPU dispatches per training step.
 *
 *   deno task bench:train [--narrow] [--quick] [--backend webgpu|cpu-blas|cpu]
 *                         [--batches 16,64,256,1024] [--samples N] [--min-steps N] [--predict N]
 *                         [--predict-batches 1024] [--chunk N] [--plan true|false]
 *                         [--flag TFJS_FLAG=VALUE ...] [--kernel-time] [--json]
 *
 * It prints the backend it runs on first (the ladder's pick unless `--backend` says; the task
 * installs OpenBLAS first, so that the pick on a CPU is `cpu-blas`). Each batch size trains one epoch of `steps × batch` random rows through `train()` (after a
 * two-step warm-up that compiles the kernels) and reports samples/s and ms/step. Dispatches per
 * step are the extra `dispatchWorkgroups` calls of the timed epoch over the warm-up, divided by
 * the extra steps, so per-epoch work (shuffle, upload, read-back) is not counted. Prediction runs
 * `--predict` rows at each of `--predict-batches`, after a one-batch warm-up. `--kernel-time`
 * also times every kernel the backend runs (outermost calls only) and splits a step into time in
 * kernels and time in the rest: tfjs's bookkeeping (tape, scopes, saved tensors), the optimiser's
 * update and the batch's assembly (on WebGPU a kernel's time is only its dispatch). It imports the
 * library's modules one by one, not `lib/mod.ts`, so that it bundles without polars for the GPU
 * machine:
 *
 *   ../shared/tools/device-pack.sh tools/bench/train.ts
 *   bash .device/run.sh train.bundle.js
 *
 * @module
 */
import {
  optionalInteger,
  parseToolArgs,
  positiveInteger,
  positiveIntegers,
  stringFlags,
} from "../_args.ts";
import process from "node:process";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendName, formatBackendReport, selectBackend } from "../../lib/backend/select.ts";
import { buildModel } from "../../lib/model.ts";
import { NARROW_MODEL } from "../../lib/profiles.ts";
import { predict, train } from "../../lib/train.ts";
import { N_FLUX } from "../../lib/spectra.ts";
import { deviceOf, plainTable, secondsSince } from "./_bench.ts";

const args = parseToolArgs("bench:train", {
  narrow: { type: "boolean", default: false },
  quick: { type: "boolean", default: false },
  ...stringFlags("backend", "samples", "min-steps", "predict", "chunk", "plan"),
  batches: { type: "string", default: "16,64,256,1024" },
  "predict-batches": { type: "string", default: "1024" },
  json: { type: "boolean", default: false },
  "kernel-time": { type: "boolean", default: false },
  flag: { type: "string", multiple: true, default: [] },
}, import.meta);

// Training samples per batch size (steps = samples / batch, at least min-steps): about 20 s
// per batch size at the H100's baseline; --quick is for llvmpipe and the CPU backend.
const samples = positiveInteger("--samples", args.samples ?? (args.quick ? "64" : "8192"));
const minSteps = positiveInteger("--min-steps", args["min-steps"] ?? (args.quick ? "3" : "8"));
const nPredict = positiveInteger("--predict", args.predict ?? (args.quick ? "1024" : "65536"));
const batches = positiveIntegers("--batches", args.batches);
const predictBatches = positiveIntegers("--predict-batches", args["predict-batches"]);
const gradientChunk = optionalInteger("--chunk", args.chunk);
// On cpu-blas: the training plan (default) or every step through tfjs's kernels (false).
const trainingPlan = args.plan === undefined ? undefined : args.plan !== "false";

const report = await selectBackend(args.backend ? { backend: args.backend as BackendName } : {});
console.error(`backend: ${formatBackendReport(report)}`);
for (const setting of args.flag) {
  const [name, value] = setting.split("=");
  tf.env().set(name, value === "true" ? true : value === "false" ? false : Number(value));
}
const counter = countDispatches();
const kernels = args["kernel-time"] ? timeKernels() : null;
const model = buildModel({ ...(args.narrow ? NARROW_MODEL : {}), seed: 1 });

function rows(n: number, salt: number) {
  const x = Float32Array.from({ length: n * N_FLUX }, (_, i) => ((i * 7919 + salt) % 1000) / 1000);
  const y = Float32Array.from({ length: n }, (_, i) => ((i * 104729 + salt) % 1000) / 2000);
  return { x, y };
}

const results = [];
for (const batchSize of batches) {
  const steps = Math.max(minSteps, Math.ceil(samples / batchSize));
  const warmSteps = 2;
  const warm = rows(warmSteps * batchSize, 1);
  const timed = rows(steps * batchSize, 2);
  const opts = { epochs: 1, batchSize, seed: 1 };
  const engine = { gradientChunk, trainingPlan };
  let before = counter.dispatches;
  await train(model, { train: warm }, opts, engine); // compiles the kernels of this batch size
  const warmDispatches = counter.dispatches - before;
  before = counter.dispatches;
  const submitsBefore = counter.submits;
  const cpu = process.cpuUsage();
  if (kernels) {
    kernels.ms = kernels.calls = 0;
    kernels.byName.clear();
  }
  const t = performance.now();
  await train(model, { train: timed }, opts, engine);
  const seconds = secondsSince(t);
  const used = process.cpuUsage(cpu);
  const dispatches = (counter.dispatches - before - warmDispatches) / (steps - warmSteps);
  const done = `${steps} steps in ${seconds.toFixed(1)} s, ${dispatches} dispatches/step`;
  if (!args.json) console.error(`batch ${batchSize}: ${done}`);
  const topKernels = [...(kernels?.byName ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 12);
  results.push({
    batchSize,
    steps,
    samplesPerSecond: steps * batchSize / seconds,
    msPerStep: 1000 * seconds / steps,
    cpuMsPerStep: (used.user + used.system) / 1000 / steps,
    dispatchesPerStep: dispatches,
    submitsPerStep: (counter.submits - submitsBefore) / steps,
    kernelMsPerStep: (kernels?.ms ?? NaN) / steps,
    kernelCallsPerStep: (kernels?.calls ?? NaN) / steps,
    kernelMsPerStepByName: Object.fromEntries(topKernels.map(([k, ms]) => [k, ms / steps])),
  });
}

const xp = rows(nPredict, 3).x;
const predictions = [];
for (const batchSize of predictBatches) {
  const warm = xp.subarray(0, Math.min(nPredict, batchSize) * N_FLUX);
  await predict(model, warm, { batchSize }); // compiles the kernels of this batch size
  const t = performance.now();
  await predict(model, xp, { batchSize });
  predictions.push({ batchSize, samplesPerSecond: nPredict / secondsSince(t) });
}

const summary = {
  device: deviceOf(report),
  network: args.narrow ? "narrow" : "full",
  parameters: model.countParams(),
  flags: args.flag,
  results,
  predict: { rows: nPredict, batches: predictions },
};
if (args.json) {
  console.log(JSON.stringify(summary));
} else {
  console.log(
    `device: ${summary.device}; network: ${summary.network} (${summary.parameters} parameters); ` +
      `flags: ${args.flag.join(" ") || "none"}; tfjs ${tf.version_core}`,
  );
  const header = ["batch", "steps", "training samples/s", "ms/step", "CPU ms/step"];
  console.log(plainTable(
    [...header, "dispatches/step", "submits/step"],
    results.map((r) => [
      r.batchSize,
      r.steps,
      r.samplesPerSecond.toFixed(1),
      r.msPerStep.toFixed(1),
      r.cpuMsPerStep.toFixed(0),
      r.dispatchesPerStep.toFixed(1),
      r.submitsPerStep.toFixed(2),
    ]),
  ));
  if (kernels) {
    console.log(
      "\n" + plainTable(
        ["batch", "ms/step", "in kernels", "the rest", "kernel calls/step"],
        results.map((r) => [
          r.batchSize,
          r.msPerStep.toFixed(1),
          r.kernelMsPerStep.toFixed(1),
          (r.msPerStep - r.kernelMsPerStep).toFixed(1),
          r.kernelCallsPerStep.toFixed(0),
        ]),
      ),
    );
    for (const r of results) {
      const top = Object.entries(r.kernelMsPerStepByName).map(([k, ms]) => `${k} ${ms.toFixed(1)}`);
      console.log(`batch ${r.batchSize}, ms/step by kernel: ${top.join(", ")}`);
    }
  }
  for (const p of predictions) {
    console.log(`prediction, batch ${p.batchSize}: ${p.samplesPerSecond.toFixed(0)} rows/s`);
  }
}
model.dispose();

/**
 * Times every kernel of the active backend from now on: re-registers each with a wrapper that adds
 * its wall time to `ms` (kernels a kernel calls itself are counted in their caller's time).
 */
function timeKernels(): { ms: number; calls: number; byName: Map<string, number> } {
  const totals = { ms: 0, calls: 0, byName: new Map<string, number>() };
  const backendName = tf.getBackend();
  let depth = 0;
  for (const config of tf.getKernelsForBackend(backendName)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (kernelArgs) => {
        const start = depth++ === 0 ? performance.now() : NaN;
        try {
          return inner(kernelArgs);
        } finally {
          if (--depth === 0) {
            const ms = performance.now() - start;
            totals.ms += ms;
            totals.calls++;
            totals.byName.set(config.kernelName, (totals.byName.get(config.kernelName) ?? 0) + ms);
          }
        }
      },
    });
  }
  return totals;
}

/** Counts compute dispatches and queue submissions from now on (zero on the CPU backend). */
function countDispatches(): { dispatches: number; submits: number } {
  const counts = { dispatches: 0, submits: 0 };
  if (typeof GPUComputePassEncoder === "undefined") return counts;
  countCalls(GPUComputePassEncoder.prototype, "dispatchWorkgroups", () => counts.dispatches++);
  countCalls(GPUQueue.prototype, "submit", () => counts.submits++);
  return counts;
}

/** Wraps the method `name` of `prototype` so that each call runs `count` first. */
function countCalls<T, K extends keyof T>(prototype: T, name: K, count: () => void): void {
  const inner = prototype[name] as (...a: unknown[]) => unknown;
  prototype[name] = function (this: unknown, ...a: unknown[]) {
    count();
    return inner.apply(this, a);
  } as T[K];
}
