/**
 * The optimisers `train()` offers, each with state that can be saved and
 * restored, so that a run resumed from a checkpoint ends where an
 * uninterrupted one ends (tfjs's own optimisers cannot all be checkpointed:
 * Adamax's `getWeights` is unimplemented). The updates are Keras's:
 *
 * - **adamax**: {@link Adamax}, the dissertation's optimiser.
 * - **adam**: m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g²,
 *   w ← w − lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε), with β₁ 0.9, β₂ 0.999, ε 10⁻⁷.
 * - **sgd**: with momentum μ = 0.9, u ← μ u − lr · g, w ← w + u (Keras's default μ is 0, plain
 *   SGD, which trains a network like this one far more slowly).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Adamax } from "./adamax.ts";
import {
  type Optimizer,
  type OptimizerName,
  OPTIMIZERS,
  SlotOptimizer,
} from "./_optimizer_base.ts";

export {
  type Optimizer,
  type OptimizerName,
  OPTIMIZERS,
  type OptimizerState,
} from "./_optimizer_base.ts";

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
