/**
 * Per-layer timing of the full network's convolution kernels and their gradients, for each way
 * tfjs's WebGPU backend (or a formulation with public ops) can compute them.
 *
 *   deno run -A tools/bench/conv.ts [--batch 64] [--repeats 5] [--backend webgpu|cpu-blas|cpu]
 *
 * Conv1D runs as a 2-D convolution over [batch, 1, width, channels]. For each layer it times the
 * forward convolution, the input gradient with tfjs's naive kernel and with its matmul kernel
 * (`WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE`), and the filter gradient with tfjs's kernel (one thread
 * per filter weight, looping over batch × width) and with ours (lib/backend/webgpu_kernels.ts: one
 * matrix product of the input unrolled by a gather, im2col, with the output gradient). Checks that both gradients agree. Bundles for the GPU
 * machine like tools/bench/train.ts.
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../lib/backend/select.ts";
import {
  MATMUL_FILTER_GRAD_FLAG,
  registerFastWebGPUKernels,
} from "../../lib/backend/webgpu_kernels.ts";

const args = parseToolArgs("bench:conv", {
  batch: { type: "string", default: "64" },
  repeats: { type: "string", default: "5" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const batch = positiveInteger("--batch", args.batch);
const repeats = positiveInteger("--repeats", args.repeats);
const report = await selectBackend(
  args.backend ? { backend: args.backend as "webgpu" | "cpu" } : {},
);
if (report.backend === "webgpu") registerFastWebGPUKernels();

// The dissertation's convolutions: input width, input channels, kernel, filters.
const LAYERS = [
  { width: 186, inChannels: 1, kernel: 5, filters: 256 },
  { width: 91, inChannels: 256, kernel: 5, filters: 256 },
  { width: 43, inChannels: 256, kernel: 3, filters: 128 },
  { width: 20, inChannels: 128, kernel: 2, filters: 64 },
];

/** Milliseconds per call of `f`, after a warm-up call, reading the last result back. */
async function time(f: () => tf.Tensor): Promise<number> {
  const warm = f();
  await warm.data();
  warm.dispose();
  const t = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < repeats; i++) {
    last?.dispose();
    last = f();
  }
  await last!.data();
  last!.dispose();
  return (performance.now() - t) / repeats;
}

/** The filter gradient kernel (not exported as an op): tfjs's own, or ours (lib/backend/webgpu_kernels.ts). */
function filterGradKernel(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  ours: boolean,
): tf.Tensor {
  if (tf.getBackend() === "webgpu") tf.env().set(MATMUL_FILTER_GRAD_FLAG, ours ? 1 : 0);
  return tf.engine().runKernel(
    "Conv2DBackpropFilter",
    { x, dy },
    { strides: 1, pad: "valid", dataFormat: "NHWC", filterShape },
  ) as tf.Tensor;
}

console.log(
  `device: ${report.adapter ?? report.backend}; batch ${batch}; ms per call (${repeats} repeats)`,
);
console.log(
  "| layer | forward | dx naive | dx matmul | dW tfjs | dW gather + matmul | max |dW| difference |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [i, l] of LAYERS.entries()) {
  const wOut = l.width - l.kernel + 1;
  const x = tf.randomUniform([batch, 1, l.width, l.inChannels], -1, 1, "float32", 1) as tf.Tensor4D;
  const w = tf.randomUniform(
    [1, l.kernel, l.inChannels, l.filters],
    -0.1,
    0.1,
    "float32",
    2,
  ) as tf.Tensor4D;
  const dy = tf.randomUniform([batch, 1, wOut, l.filters], -1, 1, "float32", 3) as tf.Tensor4D;
  const forward = await time(() => tf.conv2d(x, w, 1, "valid"));
  const naive = tf.env().get("WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE");
  const dx = async (useNaive: boolean) => {
    tf.env().set("WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE", useNaive);
    try {
      return await time(() => tf.conv2dTranspose(dy, w, x.shape, 1, "valid"));
    } finally {
      tf.env().set("WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE", naive);
    }
  };
  const hasFlag = tf.getBackend() === "webgpu";
  const dxNaive = hasFlag ? await dx(true) : NaN;
  const dxMatMul = hasFlag
    ? await dx(false)
    : await time(() => tf.conv2dTranspose(dy, w, x.shape, 1, "valid"));
  const dwTfjs = await time(() => filterGradKernel(x, dy, w.shape, false));
  const dwMatMul = await time(() => filterGradKernel(x, dy, w.shape, true));
  const a = filterGradKernel(x, dy, w.shape, false);
  const b = filterGradKernel(x, dy, w.shape, true);
  const difference = (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
  tf.dispose([x, w, dy, a, b]);
  const f = (v: number) => Number.isNaN(v) ? "–" : v.toFixed(2);
  console.log(
    `| conv1d_${i + 1} (${l.width}×${l.inChannels} → ${l.filters}, k ${l.kernel}) | ${
      f(forward)
    } | ${f(dxNaive)} | ${f(dxMatMul)} | ${f(dwTfjs)} | ${f(dwMatMul)} | ${
      difference.toExponential(1)
    } |`,
  );
}
