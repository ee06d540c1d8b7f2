/**
 * Prediction on `cpu-blas` as one plan: the forward pass of a Conv1D / MaxPooling1D / Flatten /
 * Dense network as BLAS calls and fused loops over buffers allocated once, a few rows at a time
 * ({@link FORWARD_ROWS}) so that each layer's output stays in cache, with wide layers through
 * Winograd (`_winograd.ts`); `docs/performance.md` has the figures. The weights are read where
 * they live at every call, so a plan made before training predicts with the trained weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BLAS_BACKEND } from "./_blas_arrays.ts";
import {
  compileNetwork,
  describeStep,
  forwardStep,
  outputRowLength,
  readWeights,
  runsSimdPairRelu,
  type SimdStep,
  type Step,
  type StepWeights,
} from "./_blas_plan_steps.ts";
import { productRowStride, windowRowLength } from "./_conv.ts";
import { ReusedArena, simdAvailable } from "./_simd.ts";
import {
  prepareWinograd,
  winogradFor,
  winogradSizes,
  type WinogradTransform,
} from "./_winograd.ts";

/**
 * Rows that pass through the network together (measured on the 2-core machine): enough to keep
 * both BLAS threads busy, few enough that a layer's output stays in cache.
 */
export const FORWARD_ROWS = 16;

/** A compiled forward pass: {@link ForwardPlan.predict} gives one output per row. */
export interface ForwardPlan {
  /** Samples per input row. */
  readonly inputLength: number;
  /** Predictions (the network's single output) of the `x.length / inputLength` rows of `x`. */
  predict(x: Float32Array): Float32Array;
  /** The steps, one line each, for logs and tests. */
  describe(): string[];
}

/** How a forward plan runs. */
export interface ForwardPlanOptions {
  /** WebAssembly SIMD kernels and Winograd where the runtime has them (default); false: not. */
  simd?: boolean;
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
export function planForward(
  model: tfl.LayersModel,
  options: ForwardPlanOptions = {},
): ForwardPlan | null {
  const network = compileNetwork(model);
  return network && new BlasForwardPlan(network.inputLength, network.steps, options.simd ?? true);
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

/**
 * The plans' buffers, shared (a prediction runs to its end before another starts) and grown to
 * the largest plan's needs; with SIMD, one WebAssembly memory holds them and the kernels' weights.
 */
const empty = new Float32Array(0);
const scratch = { ping: empty, pong: empty, product: empty, windows: empty };
const sharedArena = new ReusedArena();

function grow(name: keyof typeof scratch, length: number): Float32Array {
  if (scratch[name].length < length) scratch[name] = new Float32Array(length);
  return scratch[name];
}

/** Where a pass's arrays live, and per step where the SIMD kernels run it (null: nowhere). */
interface PassArrays {
  ping: Float32Array;
  pong: Float32Array;
  product: Float32Array;
  windows: Float32Array;
  simd: (SimdStep | null)[];
}

class BlasForwardPlan implements ForwardPlan {
  #steps: Step[];
  #sizes: {
    activations: number;
    product: number;
    windows: number;
    zeros: number;
    transformed: number;
    products: number;
    /** Floats and arrays of the SIMD arena (0 without SIMD). */
    arenaFloats: number;
    arenaArrays: number;
  };
  #transforms: (WinogradTransform | null)[];
  /** Per step: whether the SIMD kernel does its pooling, bias and ReLU. */
  #simdPool: boolean[];
  #simd: boolean;

  constructor(readonly inputLength: number, steps: Step[], simd: boolean) {
    this.#steps = steps;
    this.#simd = simd && simdAvailable();
    this.#transforms = steps.map((s) => this.#simd && s.kind === "conv" ? winogradFor(s) : null);
    this.#simdPool = steps.map((s) => this.#simd && runsSimdPairRelu(s));
    let activations = inputLength, product = 0, windows = 0, zeros = 0;
    let transformed = 0, products = 0, weightFloats = 0;
    for (const [i, step] of steps.entries()) {
      activations = Math.max(activations, outputRowLength(step));
      if (step.kind === "conv") {
        product = Math.max(product, productRowStride(step));
        windows = Math.max(windows, windowRowLength(step));
        zeros = Math.max(zeros, step.inChannels, step.channels);
        // In the arena per step: its bias, its Winograd coefficients and transformed kernel.
        weightFloats += step.channels;
        const transform = this.#transforms[i];
        if (transform) {
          const work = winogradSizes(step, transform, FORWARD_ROWS);
          transformed = Math.max(transformed, work.transformed);
          products = Math.max(products, work.products);
          weightFloats += work.kernel + transform.bt.length + transform.at.length;
        }
      } else product = Math.max(product, step.units);
    }
    const sizes = {
      activations: FORWARD_ROWS * activations,
      product: FORWARD_ROWS * product,
      windows: FORWARD_ROWS * windows,
      zeros,
      transformed,
      products,
    };
    this.#sizes = {
      ...sizes,
      arenaFloats: this.#simd
        ? 2 * sizes.activations + sizes.product + sizes.windows + zeros + transformed + products +
          weightFloats
        : 0,
      arenaArrays: 7 + 4 * steps.length,
    };
  }

  describe(): string[] {
    return this.#steps.map((step, i) => {
      const transform = this.#transforms[i];
      return describeStep(step) +
        (transform ? ` (Winograd F(${transform.m}, ${transform.taps}))` : "");
    });
  }

  /** The pass's arrays: in a SIMD arena where this plan uses one, else plain scratch arrays. */
  #arrays(weights: StepWeights[]): PassArrays {
    const sizes = this.#sizes;
    const arena = this.#simd ? sharedArena.emptied(sizes.arenaFloats, sizes.arenaArrays) : null;
    if (!arena) {
      return {
        ping: grow("ping", sizes.activations),
        pong: grow("pong", sizes.activations),
        product: grow("product", sizes.product),
        windows: grow("windows", sizes.windows),
        simd: this.#steps.map(() => null),
      };
    }
    const ping = arena.alloc(sizes.activations), pong = arena.alloc(sizes.activations);
    const product = arena.alloc(sizes.product), windows = arena.alloc(sizes.windows);
    const biases = this.#simdPool.map((simdPool, i) => {
      if (!simdPool) return null;
      const bias = arena.alloc(weights[i].bias!.length);
      bias.set(weights[i].bias!);
      return bias;
    });
    const kernels = this.#steps.map((step, i) => {
      const transform = this.#transforms[i];
      return step.kind === "conv" && transform
        ? prepareWinograd(arena, step, transform, weights[i].kernel)
        : null;
    });
    const work = {
      transformed: arena.alloc(sizes.transformed),
      products: arena.alloc(sizes.products),
      zeros: arena.alloc(sizes.zeros).fill(0),
    };
    const simd = this.#steps.map((_, i) => ({
      arena,
      bias: biases[i],
      winograd: kernels[i] && { kernel: kernels[i], work },
    }));
    return { ping, pong, product, windows, simd };
  }

  predict(x: Float32Array): Float32Array {
    const n = x.length / this.inputLength;
    if (!Number.isInteger(n)) {
      throw new RangeError(`${x.length} values are not rows of ${this.inputLength}`);
    }
    if (tf.getBackend() !== BLAS_BACKEND) {
      throw new Error(`the forward plan runs on ${BLAS_BACKEND}, not ${tf.getBackend()}`);
    }
    const weights = readWeights(this.#steps);
    const { ping, pong, product, windows, simd } = this.#arrays(weights);
    const out = new Float32Array(n);
    for (let begin = 0; begin < n; begin += FORWARD_ROWS) {
      const rows = Math.min(FORWARD_ROWS, n - begin);
      let input = x.subarray(begin * this.inputLength, (begin + rows) * this.inputLength);
      let output = ping;
      for (const [i, step] of this.#steps.entries()) {
        forwardStep(step, rows, input, weights[i], { output, product, windows }, simd[i]);
        input = output;
        output = output === ping ? pong : ping;
      }
      out.set(input.subarray(0, rows), begin);
    }
    return out;
  }
}
