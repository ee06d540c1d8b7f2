/**
 * Prediction on `cpu-blas` as one plan: the forward pass of a Conv1D / MaxPooling1D / Flatten /
 * Dense network run as BLAS calls and fused loops over buffers allocated once, instead of one tfjs
 * kernel (and one new array) per layer.
 *
 * Why it is faster than the layers through tfjs (docs/performance.md has the figures):
 * - rows go through the network a few at a time ({@link FORWARD_ROWS}), so each layer's output
 *   stays in cache between its GEMM and the loop that finishes it; through tfjs a batch of 1,024
 *   writes the first layer's 190 MB output to memory and reads it back three times (bias, ReLU,
 *   pooling);
 * - a convolution's bias, activation and max pooling are one loop. Pooling runs first, on the
 *   GEMM's output: every activation here is non-decreasing and float rounding is monotonic, so
 *   `max(f(a + b), f(c + b))` equals `f(max(a, c) + b)` exactly, and the loop does the bias and
 *   the activation on the pooled half only.
 *
 * The weights are read where they live (no copy) at every call, so a plan made before training
 * predicts with the trained weights. {@link planForward} returns null, with nothing allocated,
 * for anything else (another backend, another layer, padding, strides, dilation or activation);
 * the caller then runs the model through tfjs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BLAS_BACKEND, gemm, valuesOf } from "./_blas_arrays.ts";
import { biasActivate } from "./_blas_matmul.ts";

/**
 * Rows that pass through the network together. Measured on the 2-core machine with the
 * dissertation's network (`deno task bench:forward`): large enough that the GEMMs keep both BLAS
 * threads busy, small enough that a layer's output (64 × 182 × 256 floats at most) stays in cache.
 */
export const FORWARD_ROWS = 64;

/** Inputs with at most this many channels are convolved through a copied window matrix. */
const WINDOW_COPY_MAX_CHANNELS = 32;

/**
 * Activations the plan runs (through the kernels' `biasActivate`); each is non-decreasing, so
 * pooling may come before it.
 */
const ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid", "elu", "selu"] as const;
type ActivationName = typeof ACTIVATIONS[number];

/** A layer variable as tfjs-layers keeps it: `read()` gives its current tensor. */
interface Weight {
  read(): tf.Tensor;
}

interface ConvStep {
  kind: "conv";
  taps: number;
  inChannels: number;
  channels: number;
  inLength: number;
  /** Length after the convolution. */
  convLength: number;
  /** Window (= stride) of the max pooling that follows, 1 without one. */
  pool: number;
  /** Length after the pooling. */
  length: number;
  kernel: Weight;
  bias: Weight | null;
  activation: ActivationName;
}

interface DenseStep {
  kind: "dense";
  inputs: number;
  units: number;
  kernel: Weight;
  bias: Weight | null;
  activation: ActivationName;
}

type Step = ConvStep | DenseStep;

/** A compiled forward pass: {@link ForwardPlan.predict} gives one output per row. */
export interface ForwardPlan {
  /** Samples per input row. */
  readonly inputLength: number;
  /** Predictions (the network's single output) of the `x.length / inputLength` rows of `x`. */
  predict(x: Float32Array): Float32Array;
  /** The steps, one line each, for logs and tests. */
  describe(): string[];
}

/**
 * The plan of `model`'s forward pass on `cpu-blas`, or null where the plan cannot run it (another
 * backend, or a layer or setting it does not know) or the model does not end in one output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { selectBackend } from "./select.ts";
 * import { planForward } from "./blas_forward.ts";
 * const { backend } = await selectBackend({ preferred: "cpu" });
 * const model = tfl.sequential({
 *   layers: [
 *     tfl.layers.conv1d({ inputShape: [8, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *     tfl.layers.maxPooling1d({ poolSize: 2 }),
 *     tfl.layers.flatten(),
 *     tfl.layers.dense({ units: 1 }),
 *   ],
 * });
 * const plan = planForward(model);
 * assert.equal(plan !== null, backend === "cpu-blas");
 * if (plan) {
 *   const x = new Float32Array(16).map((_, i) => i / 16);
 *   const y = model.predict(tf.tensor3d(x, [2, 8, 1])) as tf.Tensor;
 *   const expected = y.dataSync();
 *   plan.predict(x).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6));
 * }
 * model.dispose();
 * ```
 */
export function planForward(model: tfl.LayersModel): ForwardPlan | null {
  // On cpu-blas the BLAS is open: the backend is registered only then.
  if (tf.getBackend() !== BLAS_BACKEND) return null;
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 3 || inputShape[2] !== 1 || typeof inputShape[1] !== "number") {
    return null;
  }
  const steps = compile(model, inputShape[1]);
  if (!steps) return null;
  const last = steps[steps.length - 1];
  if (last.kind !== "dense" || last.units !== 1) return null;
  return new BlasForwardPlan(inputShape[1], steps);
}

const plans = new WeakMap<tfl.LayersModel, ForwardPlan | null>();

/**
 * {@link planForward}, made once per model: the plan on `cpu-blas` where it can run the model,
 * else null (run the model through tfjs).
 */
export function forwardPlanOf(model: tfl.LayersModel): ForwardPlan | null {
  if (tf.getBackend() !== BLAS_BACKEND) return null;
  if (!plans.has(model)) plans.set(model, planForward(model));
  return plans.get(model)!;
}

/** The layers as steps, or null at the first one the plan cannot run. */
function compile(model: tfl.LayersModel, inputLength: number): Step[] | null {
  const steps: Step[] = [];
  let length = inputLength, channels = 1, flat: number | null = null;
  for (const layer of model.layers) {
    const config = layer.getConfig() as Record<string, unknown>;
    const weights = layer.weights as unknown as Weight[];
    const useBias = config.useBias !== false;
    switch (layer.getClassName()) {
      case "InputLayer":
        break;
      case "Conv1D": {
        const activation = activationOf(config);
        const taps = single(config.kernelSize);
        if (
          flat !== null || activation === null || taps === null || config.padding !== "valid" ||
          single(config.strides) !== 1 || single(config.dilationRate ?? 1) !== 1 ||
          (config.dataFormat ?? "channelsLast") !== "channelsLast" ||
          weights.length !== (useBias ? 2 : 1) || length - taps + 1 < 1
        ) return null;
        const filters = config.filters as number;
        const convLength = length - taps + 1;
        steps.push({
          kind: "conv",
          taps,
          inChannels: channels,
          channels: filters,
          inLength: length,
          convLength,
          pool: 1,
          length: convLength,
          kernel: weights[0],
          bias: useBias ? weights[1] : null,
          activation,
        });
        length = convLength;
        channels = filters;
        break;
      }
      case "MaxPooling1D": {
        // Fused into the convolution just before it, non-overlapping windows only.
        const previous = steps[steps.length - 1];
        const pool = single(config.poolSize), stride = single(config.strides ?? config.poolSize);
        if (
          flat !== null || previous?.kind !== "conv" || previous.pool !== 1 || pool === null ||
          stride !== pool || config.padding !== "valid" || length < pool ||
          (config.dataFormat ?? "channelsLast") !== "channelsLast"
        ) return null;
        previous.pool = pool;
        previous.length = length = Math.floor(length / pool);
        break;
      }
      case "Flatten":
        if ((config.dataFormat ?? "channelsLast") !== "channelsLast") return null;
        flat = flat ?? length * channels;
        break;
      case "Dense": {
        const activation = activationOf(config);
        const inputs = flat; // a Dense on a sequence (no Flatten before it) is not planned
        if (inputs === null || activation === null || weights.length !== (useBias ? 2 : 1)) {
          return null;
        }
        const units = config.units as number;
        steps.push({
          kind: "dense",
          inputs,
          units,
          kernel: weights[0],
          bias: useBias ? weights[1] : null,
          activation,
        });
        flat = units;
        break;
      }
      default:
        return null;
    }
  }
  return steps.length > 0 ? steps : null;
}

function activationOf(config: Record<string, unknown>): ActivationName | null {
  const name = config.activation ?? "linear";
  return ACTIVATIONS.find((a) => a === name) ?? null;
}

/** The one number of a 1-D size given as `n` or `[n]`; null otherwise. */
function single(value: unknown): number | null {
  const n = Array.isArray(value) ? (value.length === 1 ? value[0] : null) : value;
  return Number.isInteger(n) && (n as number) >= 1 ? n as number : null;
}

/**
 * The plans' buffers, shared (a prediction runs to its end before another starts) and grown to
 * the largest plan's needs: two activation buffers the steps write in turn, the GEMMs' output and
 * a window matrix.
 */
const scratch = {
  ping: new Float32Array(0),
  pong: new Float32Array(0),
  product: new Float32Array(0),
  windows: new Float32Array(0),
};

function grow(name: keyof typeof scratch, length: number): Float32Array {
  if (scratch[name].length < length) scratch[name] = new Float32Array(length);
  return scratch[name];
}

class BlasForwardPlan implements ForwardPlan {
  #steps: Step[];
  #sizes: { activations: number; product: number; windows: number };

  constructor(readonly inputLength: number, steps: Step[]) {
    this.#steps = steps;
    let activations = inputLength, product = 0, windows = 0;
    for (const step of steps) {
      if (step.kind === "conv") {
        const copied = step.inChannels <= WINDOW_COPY_MAX_CHANNELS;
        activations = Math.max(activations, step.length * step.channels);
        product = Math.max(product, (copied ? step.convLength : step.inLength) * step.channels);
        if (copied) windows = Math.max(windows, step.convLength * step.taps * step.inChannels);
      } else {
        activations = Math.max(activations, step.units);
        product = Math.max(product, step.units);
      }
    }
    this.#sizes = {
      activations: FORWARD_ROWS * activations,
      product: FORWARD_ROWS * product,
      windows: FORWARD_ROWS * windows,
    };
  }

  describe(): string[] {
    return this.#steps.map((s) =>
      s.kind === "conv"
        ? `conv ${s.taps}×${s.inChannels}→${s.channels} ${s.activation}` +
          (s.pool > 1 ? `, max pool ${s.pool}` : "") + `: length ${s.inLength}→${s.length}`
        : `dense ${s.inputs}→${s.units} ${s.activation}`
    );
  }

  predict(x: Float32Array): Float32Array {
    const n = x.length / this.inputLength;
    if (!Number.isInteger(n)) {
      throw new RangeError(`${x.length} values are not rows of ${this.inputLength}`);
    }
    if (tf.getBackend() !== BLAS_BACKEND) {
      throw new Error(`the forward plan runs on ${BLAS_BACKEND}, not ${tf.getBackend()}`);
    }
    const weights = this.#steps.map((s) => ({
      kernel: valuesOf(s.kernel.read()),
      bias: s.bias ? valuesOf(s.bias.read()) : null,
    }));
    const ping = grow("ping", this.#sizes.activations);
    const pong = grow("pong", this.#sizes.activations);
    const product = grow("product", this.#sizes.product);
    const windows = grow("windows", this.#sizes.windows);
    const out = new Float32Array(n);
    for (let begin = 0; begin < n; begin += FORWARD_ROWS) {
      const rows = Math.min(FORWARD_ROWS, n - begin);
      let input = x.subarray(begin * this.inputLength, (begin + rows) * this.inputLength);
      let output = ping;
      for (const [i, step] of this.#steps.entries()) {
        const { kernel, bias } = weights[i];
        if (step.kind === "conv") {
          convolve(step, rows, input, kernel, bias, output, product, windows);
        } else dense(step, rows, input, kernel, bias, output);
        input = output;
        output = output === ping ? pong : ping;
      }
      out.set(input.subarray(0, rows), begin);
    }
    return out;
  }
}

/** One convolution step over `rows` rows: GEMMs into `product`, then pooling, bias, activation. */
function convolve(
  step: ConvStep,
  rows: number,
  input: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  output: Float32Array,
  product: Float32Array,
  windows: Float32Array,
) {
  const blas = gemm();
  const { taps, inChannels, channels, inLength, convLength } = step;
  let rowStride: number;
  if (inChannels <= WINDOW_COPY_MAX_CHANNELS) {
    // Few channels: a window's taps × channels are contiguous in the input; copy each window
    // into a row and run one GEMM with the taps as its inner dimension.
    const width = taps * inChannels;
    let w = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < convLength; j++) {
        const from = (r * inLength + j) * inChannels;
        for (let i = 0; i < width; i++) windows[w++] = input[from + i];
      }
    }
    blas.sgemm(
      false,
      false,
      rows * convLength,
      channels,
      width,
      1,
      windows,
      width,
      kernel,
      channels,
      0,
      product,
      channels,
    );
    rowStride = convLength * channels;
  } else {
    // One GEMM per tap over all rows at once: the A matrix is the input shifted by the tap, so
    // output position j of a row sums input positions j … j + taps − 1 of the same row. The last
    // taps − 1 positions of each row mix two rows; the pooling below never reads them.
    const positions = rows * inLength - taps + 1;
    for (let t = 0; t < taps; t++) {
      blas.sgemm(
        false,
        false,
        positions,
        channels,
        inChannels,
        1,
        input.subarray(t * inChannels),
        inChannels,
        kernel.subarray(t * inChannels * channels),
        channels,
        t === 0 ? 0 : 1,
        product,
        channels,
      );
    }
    rowStride = inLength * channels;
  }
  poolBiasActivate(product, rows, rowStride, step, bias, output);
}

/** One dense step over `rows` rows: a GEMM, then bias and activation in place. */
function dense(
  step: DenseStep,
  rows: number,
  input: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  output: Float32Array,
) {
  const blas = gemm();
  const { inputs, units } = step;
  blas.sgemm(false, false, rows, units, inputs, 1, input, inputs, kernel, units, 0, output, units);
  biasActivate(output.subarray(0, rows * units), units, bias, step.activation);
}

/**
 * `out[r, j, c] = f(max over the pool's window of product[r, j·pool + i, c] + bias[c])`, rows
 * `rowStride` floats apart in `product` and packed in `out`. The dissertation's case (a window of
 * 2, ReLU) has its own loop: it is the largest element-wise work of a prediction.
 */
function poolBiasActivate(
  product: Float32Array,
  rows: number,
  rowStride: number,
  step: ConvStep,
  bias: Float32Array | null,
  out: Float32Array,
) {
  const { pool, length, channels, activation } = step;
  if (pool === 2 && activation === "relu" && bias) {
    pairReluRows(product, rows, rowStride, length, channels, bias, out);
    return;
  }
  const span = pool * channels;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < length; j++) {
      const from = r * rowStride + j * span;
      for (let c = 0; c < channels; c++) {
        let m = product[from + c];
        for (let i = 1; i < pool; i++) {
          const v = product[from + i * channels + c];
          if (v > m) m = v;
        }
        out[o++] = m;
      }
    }
  }
  biasActivate(out.subarray(0, o), channels, bias, activation);
}

/**
 * {@link poolBiasActivate} for a window of 2 and ReLU, in one pass and without branches: V8
 * compiles `a > b ? a : b` and `Math.max` to branches, which data of either sign mispredicts half
 * the time (three times slower here). `x + relu(y − x)` is `max(x, y)`, and `(v + |v|) / 2` is
 * `relu(v)`, exactly in float64 for float32 inputs of finite value.
 */
function pairReluRows(
  product: Float32Array,
  rows: number,
  rowStride: number,
  length: number,
  channels: number,
  bias: Float32Array,
  out: Float32Array,
) {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let a = r * rowStride;
    for (let j = 0; j < length; j++, a += 2 * channels) {
      for (let c = 0, b = a + channels; c < channels; c++) {
        const x = product[a + c], d = product[b + c] - x;
        const v = x + (d + Math.abs(d)) * 0.5 + bias[c];
        out[o++] = (v + Math.abs(v)) * 0.5;
      }
    }
  }
}
