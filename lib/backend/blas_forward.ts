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
import { ReusedArena, type SimdArena, simdAvailable } from "./_simd.ts";
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

/**
 * The plan of `model`'s forward pass on `cpu-blas`, or null where the plan cannot run it (another
 * backend, or a layer or setting it does not know) or the model does not end in one output.
 * `options.simd: false` keeps the JavaScript loops and direct GEMMs where WebAssembly SIMD kernels
 * and Winograd would run, for comparison.
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
  options: { simd?: boolean } = {},
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
 * the largest plan's needs: with SIMD one WebAssembly memory, which also holds the kernels'
 * weights; else plain arrays, the `k`-th a pass asks for in `scratch[k]`.
 */
const sharedArena = new ReusedArena();
const scratch: Float32Array[] = [];

function scratchArrays(): Pick<SimdArena, "alloc"> {
  let k = 0;
  return {
    alloc(floats: number) {
      if (!(scratch[k]?.length >= floats)) scratch[k] = new Float32Array(floats);
      return scratch[k++];
    },
  };
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
  #transforms: (WinogradTransform | null)[];
  /** Per step: whether the SIMD kernel does its pooling, bias and ReLU. */
  #simdPool: boolean[];
  /** Floats and arrays a pass takes from the SIMD arena; null without SIMD. */
  #arenaSize: { floats: number; arrays: number } | null = null;

  constructor(readonly inputLength: number, steps: Step[], simd: boolean) {
    this.#steps = steps;
    simd &&= simdAvailable();
    this.#transforms = steps.map((s) => simd && s.kind === "conv" ? winogradFor(s) : null);
    this.#simdPool = steps.map((s) => simd && runsSimdPairRelu(s));
    if (simd) {
      const size = { floats: 0, arrays: 0 };
      const alloc = (floats: number) => {
        size.floats += floats;
        size.arrays++;
        return new Float32Array(floats);
      };
      this.#allocate({ alloc }, readWeights(steps));
      this.#arenaSize = size;
    }
  }

  describe(): string[] {
    return this.#steps.map((step, i) => {
      const transform = this.#transforms[i];
      return describeStep(step) +
        (transform ? ` (Winograd F(${transform.m}, ${transform.taps}))` : "");
    });
  }

  /**
   * From `arena`, a pass's arrays: two activation buffers the steps write in turn, the GEMMs'
   * output, a window matrix, and for the SIMD kernels the biases, the Winograd transforms and
   * their work arrays.
   */
  #allocate(arena: Pick<SimdArena, "alloc">, weights: StepWeights[]) {
    const rows = FORWARD_ROWS, steps = this.#steps;
    const most = (floats: (s: Step) => number) => Math.max(0, ...steps.map(floats));
    const activations = rows * Math.max(this.inputLength, most(outputRowLength));
    const ping = arena.alloc(activations), pong = arena.alloc(activations);
    const product = arena.alloc(
      rows * most((s) => s.kind === "conv" ? productRowStride(s) : s.units),
    );
    const windows = arena.alloc(rows * most((s) => s.kind === "conv" ? windowRowLength(s) : 0));
    const biases = this.#simdPool.map((simdPool, i) => {
      if (!simdPool) return null;
      const bias = arena.alloc(weights[i].bias!.length);
      bias.set(weights[i].bias!);
      return bias;
    });
    const winograd = steps.map((s, i) => {
      const transform = this.#transforms[i];
      return s.kind === "conv" && transform
        ? { step: s, transform, sizes: winogradSizes(s, transform, rows) }
        : null;
    });
    const kernels = winograd.map((w, i) =>
      w && prepareWinograd(arena, w.step, w.transform, weights[i].kernel)
    );
    const largest = (size: "transformed" | "products") =>
      Math.max(0, ...winograd.map((w) => w?.sizes[size] ?? 0));
    const work = {
      transformed: arena.alloc(largest("transformed")),
      products: arena.alloc(largest("products")),
      zeros: arena.alloc(most((s) => s.kind === "conv" ? Math.max(s.inChannels, s.channels) : 0))
        .fill(0),
    };
    return { ping, pong, product, windows, biases, kernels, work };
  }

  /** The pass's arrays: in the SIMD arena where this plan uses one, else plain scratch arrays. */
  #arrays(weights: StepWeights[]): PassArrays {
    const size = this.#arenaSize, arena = size && sharedArena.emptied(size.floats, size.arrays);
    const { biases, kernels, work, ...arrays } = this.#allocate(arena ?? scratchArrays(), weights);
    const simd = kernels.map((kernel, i) =>
      arena && { arena, bias: biases[i], winograd: kernel && { kernel, work } }
    );
    return { ...arrays, simd };
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
