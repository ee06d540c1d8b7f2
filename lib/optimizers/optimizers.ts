/**
 * The optimisers `train()` offers, each with state that can be saved and
 * restored, so that a run resumed from a checkpoint ends where an
 * uninterrupted one ends (tfjs's own optimisers cannot all be checkpointed:
 * Adamax's `getWeights` is unimplemented). The updates are Keras's:
 *
 * - **adamax**: {@link Adamax}, the dissertation's optimiser (Kingma & Ba 2015, section 7.1):
 *   m ← β₁ m + (1 − β₁) g, u ← max(β₂ u, |g|), w ← w − lr / (1 − β₁ᵗ) · m / (u + ε); its update
 *   runs on the device, one implementation each (`lib/backend/adamax.ts`).
 * - **adam**: m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g²,
 *   w ← w − lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε), with β₁ 0.9, β₂ 0.999, ε 10⁻⁷.
 * - **sgd**: with momentum μ = 0.9, u ← μ u − lr · g, w ← w + u (Keras's default μ is 0, plain
 *   SGD, which trains a network like this one far more slowly).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { adamaxUpdate } from "../backend/adamax.ts";

/** Names of the optimisers `createOptimizer` builds. */
export const OPTIMIZERS = ["adamax", "adam", "sgd"] as const;

/** One of {@link OPTIMIZERS}. */
export type OptimizerName = typeof OPTIMIZERS[number];

/** Plain-array snapshot of an optimiser's state: its step and each slot, one array per weight. */
export interface OptimizerState {
  step: number;
  /** Slot variables by slot, then by weight (Adamax and Adam: two slots; SGD: one). */
  slots: Float32Array[][];
}

/** What `train()` needs of an optimiser. */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates applied so far (t). */
  readonly step: number;
  /** Applies one update from `gradients` (same order as the variables). */
  apply(gradients: tf.Tensor[], learningRate?: number): void;
  /** Copies the state to the host. */
  getState(): Promise<OptimizerState>;
  /** Restores a state from {@link Optimizer.getState}; throws on a shape mismatch. */
  setState(state: OptimizerState): void;
  /** Frees the slot variables. */
  dispose(): void;
}

/** An optimiser whose state is `nSlots` variables shaped like each weight, plus a step count. */
abstract class SlotOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  step = 0;
  /** Slot variables by slot, then by weight, zero at the start. */
  protected readonly slots: tf.Variable[][];

  constructor(readonly variables: tf.Variable[], nSlots: number) {
    this.slots = Array.from(
      { length: nSlots },
      () => variables.map((v) => tf.variable(tf.zerosLike(v), false)),
    );
  }

  abstract apply(gradients: tf.Tensor[], learningRate?: number): void;

  async getState(): Promise<OptimizerState> {
    return {
      step: this.step,
      slots: await Promise.all(
        this.slots.map((slot) => Promise.all(slot.map((v) => v.data() as Promise<Float32Array>))),
      ),
    };
  }

  setState(state: OptimizerState): void {
    const what = `${this.name} state`;
    if (state.slots.length !== this.slots.length) {
      throw new RangeError(
        `${what}: ${state.slots.length} slots, expected ${this.slots.length} per weight`,
      );
    }
    state.slots.forEach((slot, s) => {
      if (slot.length !== this.variables.length) {
        throw new RangeError(
          `${what}, slot ${s}: ${slot.length} arrays for ${this.variables.length} weights`,
        );
      }
      slot.forEach((a, i) => {
        if (a.length !== this.variables[i].size) {
          throw new RangeError(
            `${what}, slot ${s}, weight ${i}: ${a.length} values for ${this.variables[i].size}`,
          );
        }
      });
    });
    this.step = state.step;
    state.slots.forEach((slot, s) =>
      slot.forEach((a, i) => this.slots[s][i].assign(tf.tensor(a, this.variables[i].shape)))
    );
  }

  dispose(): void {
    tf.dispose(this.slots.flat());
  }
}

/** How tables and plots name each optimiser. */
export const OPTIMIZER_LABELS: Readonly<Record<OptimizerName, string>> = Object.freeze({
  adamax: "Adamax",
  adam: "Adam",
  sgd: "SGD + momentum",
});

/**
 * An optimiser over `variables`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { selectBackend } from "../backend/select.ts";
 * import { createOptimizer } from "./optimizers.ts";
 * await selectBackend({ backend: "cpu" });
 * const w = tf.variable(tf.tensor1d([1]));
 * const sgd = createOptimizer("sgd", [w], { learningRate: 0.1 });
 * sgd.apply([tf.tensor1d([2])]); // u = −0.1 · 2
 * sgd.apply([tf.tensor1d([2])]); // u = 0.9 · (−0.2) − 0.2
 * assert.ok(Math.abs(w.dataSync()[0] - (1 - 0.2 - 0.38)) < 1e-6);
 * ```
 *
 * @param name which update rule
 * @param variables the weights to optimise, in a fixed order
 * @param options `learningRate` when `apply` is given none (default 0.001); `fused`: Adamax's
 *   update with the device's kernel (default true), or with the JavaScript reference on the CPU
 *   backends (false); the others ignore it
 */
export function createOptimizer(
  name: OptimizerName,
  variables: tf.Variable[],
  options: { learningRate?: number; fused?: boolean } = {},
): Optimizer {
  const learningRate = options.learningRate ?? 0.001;
  switch (name) {
    case "adamax":
      return new Adamax(variables, { learningRate, fused: options.fused ?? true });
    case "adam":
      return new Adam(variables, learningRate);
    case "sgd":
      return new MomentumSgd(variables, learningRate);
    default:
      throw new RangeError(`unknown optimizer "${name}": expected ${OPTIMIZERS.join(", ")}`);
  }
}

/** Adam (Kingma & Ba 2015) as Keras computes it. */
class Adam extends SlotOptimizer {
  readonly name = "adam";
  constructor(variables: tf.Variable[], readonly learningRate: number) {
    super(variables, 2);
  }

  apply(gradients: tf.Tensor[], learningRate = this.learningRate): void {
    const beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;
    this.step++;
    const stepSize = learningRate * Math.sqrt(1 - beta2 ** this.step) / (1 - beta1 ** this.step);
    const [m, v] = this.slots;
    tf.tidy(() => {
      gradients.forEach((g, i) => {
        const newM = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1));
        const newV = tf.add(tf.mul(v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        m[i].assign(newM);
        v[i].assign(newV);
        const update = tf.div(newM, tf.add(tf.sqrt(newV), epsilon));
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(update, stepSize)));
      });
    });
  }
}

/** Stochastic gradient descent with momentum 0.9, as Keras's `SGD(momentum=0.9)`. */
class MomentumSgd extends SlotOptimizer {
  readonly name = "sgd";
  constructor(variables: tf.Variable[], readonly learningRate: number) {
    super(variables, 1);
  }

  apply(gradients: tf.Tensor[], learningRate = this.learningRate): void {
    const momentum = 0.9;
    this.step++;
    const [velocity] = this.slots;
    tf.tidy(() => {
      gradients.forEach((g, i) => {
        const u = tf.sub(tf.mul(velocity[i], momentum), tf.mul(g, learningRate));
        velocity[i].assign(u);
        this.variables[i].assign(tf.add(this.variables[i], u));
      });
    });
  }
}

/** Hyperparameters of {@link Adamax}. */
export interface AdamaxConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /**
   * Update with the device's kernel (the default); false runs the plain JavaScript reference
   * instead, on the CPU backends only (the same weights bit for bit), for comparison.
   */
  fused: boolean;
}

/** Keras's defaults, with the dissertation's learning rate. */
export const ADAMAX_DEFAULTS: Readonly<AdamaxConfig> = Object.freeze({
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  fused: true,
});

/** Adamax over a fixed list of variables; slots: first moments m, infinity norms u. */
export class Adamax extends SlotOptimizer {
  readonly name = "adamax";
  readonly config: AdamaxConfig;

  /**
   * @param variables the weights to optimise, in a fixed order
   * @param config hyperparameters; missing ones take Keras's defaults
   */
  constructor(variables: tf.Variable[], config: Partial<AdamaxConfig> = {}) {
    super(variables, 2);
    this.config = { ...ADAMAX_DEFAULTS, ...config };
  }

  /**
   * Applies one update from `gradients` (same order as the variables).
   *
   * @param learningRate overrides the configured rate for this step (schedules)
   */
  apply(gradients: tf.Tensor[], learningRate = this.config.learningRate): void {
    const { beta1, beta2, epsilon, fused } = this.config;
    const [firstMoments, infNorms] = this.slots;
    this.step++;
    const stepSize = learningRate / (1 - Math.pow(beta1, this.step));
    const tensors = gradients.map((gradient, i) => ({
      weight: this.variables[i],
      firstMoment: firstMoments[i],
      infNorm: infNorms[i],
      gradient,
    }));
    adamaxUpdate(tensors, { stepSize, beta1, beta2, epsilon }, { reference: !fused });
  }
}
