/**
 * What the `cpu-blas` plans share (`blas_forward.ts` for prediction, `blas_gradients.ts` for
 * training): a Conv1D / MaxPooling1D / Flatten / Dense network compiled into steps, the steps'
 * weights, and the forward pass of one step ({@link forwardStep}) through the building blocks of
 * `_conv.ts` and `_pooling.ts` over arrays the caller owns.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BLAS_BACKEND, sgemm, valuesOf } from "./_blas_arrays.ts";
import { type Convolution, convolve, productRowStride } from "./_conv.ts";
import { biasActivate, poolBiasActivate } from "./_pooling.ts";
import type { SimdArena } from "./_simd.ts";
import { type WinogradKernel, winogradProduct, type WinogradWork } from "./_winograd.ts";

/**
 * Activations the plans run (through the kernels' `biasActivate`); each is non-decreasing, so
 * pooling may come before it.
 */
const ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid", "elu", "selu"] as const;
export type ActivationName = typeof ACTIVATIONS[number];

/** A layer variable as tfjs-layers keeps it: `read()` gives its current tensor. */
export interface Weight {
  read(): tf.Tensor;
}

/** A convolution (stride and dilation 1, no padding), its pooling, bias and activation. */
export interface ConvStep extends Convolution {
  kind: "conv";
  /** Window (= stride) of the max pooling that follows, 1 without one. */
  pool: number;
  /** Length after the pooling. */
  length: number;
  kernel: Weight;
  bias: Weight | null;
  activation: ActivationName;
}

export interface DenseStep {
  kind: "dense";
  inputs: number;
  units: number;
  kernel: Weight;
  bias: Weight | null;
  activation: ActivationName;
}

export type Step = ConvStep | DenseStep;

/**
 * Whether a step's pooling, bias and ReLU (and, in training, their gradients) run in the SIMD
 * kernels where the runtime has them: a convolution with a window of 2, ReLU, a bias and channels
 * in fours.
 */
export function runsSimdPairRelu(step: Step): boolean {
  return step.kind === "conv" && step.pool === 2 && step.activation === "relu" &&
    step.bias !== null && step.channels % 4 === 0;
}

/** Floats a row of a step's output holds. */
export function outputRowLength(step: Step): number {
  return step.kind === "conv" ? step.length * step.channels : step.units;
}

/**
 * On `cpu-blas`, a model of one-channel input rows ending in a dense layer (of one output unless
 * `outputs` is "any") as steps, with its input length; null on another backend (the BLAS is open
 * only on `cpu-blas`) or for a model the plans cannot run.
 */
export function compileNetwork(
  model: tfl.LayersModel,
  outputs: "one" | "any" = "one",
): { inputLength: number; steps: Step[] } | null {
  if (tf.getBackend() !== BLAS_BACKEND) return null;
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 3 || inputShape[2] !== 1 || typeof inputShape[1] !== "number") {
    return null;
  }
  const steps = compileSteps(model, inputShape[1]);
  const last = steps?.[steps.length - 1];
  if (!steps || last?.kind !== "dense" || (outputs === "one" && last.units !== 1)) return null;
  return { inputLength: inputShape[1], steps };
}

/** The model's layers as steps, or null at the first one the plans cannot run. */
function compileSteps(model: tfl.LayersModel, inputLength: number): Step[] | null {
  const steps: Step[] = [];
  let length = inputLength, channels = 1, flat: number | null = null;
  for (const layer of model.layers) {
    const config = layer.getConfig() as Record<string, unknown>;
    const weights = layer.weights as unknown as Weight[];
    const useBias = config.useBias !== false, activation = activationOf(config);
    // A convolution's or dense layer's weights and activation, null where the plans take none.
    const weighted = activation !== null && weights.length === (useBias ? 2 : 1)
      ? { kernel: weights[0], bias: useBias ? weights[1] : null, activation }
      : null;
    const channelsLast = (config.dataFormat ?? "channelsLast") === "channelsLast";
    switch (layer.getClassName()) {
      case "InputLayer":
        break;
      case "Conv1D": {
        // tfjs-layers keeps a 1-D size as [n].
        const [taps] = config.kernelSize as number[], [stride] = config.strides as number[];
        const [dilation] = config.dilationRate as number[], convLength = length - taps + 1;
        if (
          flat !== null || !weighted || !channelsLast || config.padding !== "valid" ||
          stride !== 1 || dilation !== 1 || convLength < 1
        ) return null;
        const filters = config.filters as number;
        const conv = {
          taps,
          inChannels: channels,
          channels: filters,
          inLength: length,
          convLength,
        };
        steps.push({ kind: "conv", ...conv, pool: 1, length: convLength, ...weighted });
        length = convLength;
        channels = filters;
        break;
      }
      case "MaxPooling1D": {
        // Fused into the convolution just before it, non-overlapping windows only.
        const previous = steps[steps.length - 1];
        const [pool] = config.poolSize as number[], [stride] = config.strides as number[];
        if (
          flat !== null || previous?.kind !== "conv" || previous.pool !== 1 || stride !== pool ||
          config.padding !== "valid" || length < pool || !channelsLast
        ) return null;
        previous.pool = pool;
        previous.length = length = Math.floor(length / pool);
        break;
      }
      case "Flatten":
        if (!channelsLast) return null;
        flat = flat ?? length * channels;
        break;
      case "Dense": {
        // a Dense on a sequence (no Flatten before it) is not planned
        if (flat === null || !weighted) return null;
        const units = config.units as number;
        steps.push({ kind: "dense", inputs: flat, units, ...weighted });
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

/** A step's description, one line, for logs and tests. */
export function describeStep(s: Step): string {
  return s.kind === "conv"
    ? `conv ${s.taps}×${s.inChannels}→${s.channels} ${s.activation}` +
      (s.pool > 1 ? `, max pool ${s.pool}` : "") + `: length ${s.inLength}→${s.length}`
    : `dense ${s.inputs}→${s.units} ${s.activation}`;
}

/** A step's weights as arrays, not copied: read at every call, so a plan uses the latest ones. */
export interface StepWeights {
  kernel: Float32Array;
  bias: Float32Array | null;
}

/** On `cpu-blas`, the steps' weights where they live. */
export function readWeights(steps: Step[]): StepWeights[] {
  return steps.map((s) => ({
    kernel: valuesOf(s.kernel.read()),
    bias: s.bias ? valuesOf(s.bias.read()) : null,
  }));
}

/**
 * Where the SIMD kernels run a convolution step: their arena, and in it the step's bias for the
 * pooling, bias and ReLU kernel (null: the JavaScript loop runs them) and, in prediction, its
 * Winograd transform (null: the direct GEMMs) with the work arrays it needs.
 */
export interface SimdStep {
  arena: SimdArena;
  bias: Float32Array | null;
  winograd?: { kernel: WinogradKernel; work: WinogradWork } | null;
}

/**
 * One step's forward pass over `rows` rows of `input` into `arrays.output`: a convolution's GEMMs
 * (into `arrays.product`, with `arrays.windows`) then its pooling, bias and activation; a dense
 * step's GEMM, bias and activation.
 */
export function forwardStep(
  step: Step,
  rows: number,
  input: Float32Array,
  { kernel, bias }: StepWeights,
  arrays: { output: Float32Array; product: Float32Array; windows: Float32Array },
  simd: SimdStep | null = null,
): void {
  const { output, product } = arrays;
  if (step.kind === "dense") {
    const { inputs, units } = step;
    sgemm({ m: rows, n: units, k: inputs, a: input, b: kernel, c: output });
    biasActivate(output.subarray(0, rows * units), units, bias, step.activation);
    return;
  }
  let rowStride = productRowStride(step);
  const winograd = simd?.winograd;
  if (winograd && simd.arena.holds(input)) {
    winogradProduct(simd.arena, step, winograd.kernel, rows, input, winograd.work, product);
    rowStride = step.convLength * step.channels;
  } else convolve(step, rows, input, kernel, product, arrays.windows);
  const { length, channels } = step;
  if (simd?.bias) {
    simd.arena.run("pairRelu", product, rows, rowStride, length, channels, simd.bias, output);
  } else poolBiasActivate(product, rows, rowStride, step, bias, output);
}
