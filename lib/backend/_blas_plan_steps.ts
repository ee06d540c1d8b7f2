/**
 * What the `cpu-blas` plans share (`blas_forward.ts` for prediction, `blas_gradients.ts` for
 * training): a Conv1D / MaxPooling1D / Flatten / Dense network compiled into steps, and the
 * forward pass of one step as BLAS calls and fused loops over arrays the caller owns.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BLAS_BACKEND, sgemm } from "./_blas_arrays.ts";
import type { Convolution } from "./_conv.ts";
import { biasActivate } from "./_pooling.ts";

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
 * On `cpu-blas`, a model of one-channel input rows ending in one output as steps, with its input
 * length; null on another backend (the BLAS is open only on `cpu-blas`) or for a model the plans
 * cannot run.
 */
export function compileNetwork(
  model: tfl.LayersModel,
): { inputLength: number; steps: Step[] } | null {
  if (tf.getBackend() !== BLAS_BACKEND) return null;
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 3 || inputShape[2] !== 1 || typeof inputShape[1] !== "number") {
    return null;
  }
  const steps = compileSteps(model, inputShape[1]);
  const last = steps?.[steps.length - 1];
  if (!steps || last?.kind !== "dense" || last.units !== 1) return null;
  return { inputLength: inputShape[1], steps };
}

/** The model's layers as steps, or null at the first one the plans cannot run. */
function compileSteps(model: tfl.LayersModel, inputLength: number): Step[] | null {
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

/** A step's description, one line, for logs and tests. */
export function describeStep(s: Step): string {
  return s.kind === "conv"
    ? `conv ${s.taps}×${s.inChannels}→${s.channels} ${s.activation}` +
      (s.pool > 1 ? `, max pool ${s.pool}` : "") + `: length ${s.inLength}→${s.length}`
    : `dense ${s.inputs}→${s.units} ${s.activation}`;
}

/** One dense step over `rows` rows: a GEMM, then bias and activation in place. */
export function denseForward(
  step: DenseStep,
  rows: number,
  input: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  output: Float32Array,
) {
  const { inputs, units } = step;
  sgemm({ m: rows, n: units, k: inputs, a: input, b: kernel, c: output });
  biasActivate(output.subarray(0, rows * units), units, bias, step.activation);
}
