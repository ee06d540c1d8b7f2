// What a fused Adamax update (cpu_adamax.ts, webgpu_adamax.ts) receives from adamax.ts.
import type * as tf from "@tensorflow/tfjs-core";

/** Hyperparameters of one update; `stepSize` is lr / (1 − β₁ᵗ). */
export interface AdamaxStep {
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One Adamax update: each weight with its first moment m, infinity norm u and gradient. */
export interface AdamaxUpdate {
  weights: tf.Variable[];
  firstMoments: tf.Variable[];
  infNorms: tf.Variable[];
  gradients: tf.Tensor[];
  step: AdamaxStep;
}

/** Tensor `i`'s weight, m, u and gradient, checked to be float32 of one size. */
export function adamaxTensors(
  update: AdamaxUpdate,
  i: number,
): [tf.Variable, tf.Variable, tf.Variable, tf.Tensor] {
  const tensors = [
    update.weights[i],
    update.firstMoments[i],
    update.infNorms[i],
    update.gradients[i],
  ] as const;
  const n = update.gradients[i].size;
  if (tensors.some((t) => t.size !== n || t.dtype !== "float32")) {
    throw new RangeError(`Adamax tensor ${i}: sizes or dtypes differ`);
  }
  return [...tensors];
}
