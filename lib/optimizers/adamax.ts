/**
 * The Adamax optimiser with state that can be saved and restored.
 *
 * tfjs has Adamax, but its `getWeights`/`setWeights` are unimplemented, so a
 * run cannot be checkpointed and resumed exactly. This one keeps its state in
 * slots that copy to the host (`lib/optimizers/_optimizer_base.ts`); it is the same update as
 * Keras and tfjs (Kingma & Ba 2015, section 7.1):
 *
 *   m ← β₁ m + (1 − β₁) g,   u ← max(β₂ u, |g|),   w ← w − lr / (1 − β₁ᵗ) · m / (u + ε)
 *
 * The update itself runs on the device, one implementation each (`lib/backend/adamax.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { adamaxUpdate } from "../backend/adamax.ts";
import { SlotOptimizer } from "./_optimizer_base.ts";

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
