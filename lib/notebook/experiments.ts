/**
 * Small experiments that teach the background of chapter 2.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random } from "../random.ts";

/** Options of {@link compareOptimizers}: `steps` (300), `seed` of data and weights (1). */
export interface CompareOptimizersOptions {
  steps?: number;
  seed?: number;
  /** Learning rate of each optimizer; defaults: SGD 0.05, Adam 0.01, Adamax 0.01. */
  learningRates?: Partial<Record<"SGD" | "Adam" | "Adamax", number>>;
}

/**
 * Trains the same small network (1 → 32 → 32 → 1, tanh) on the same noisy curve with SGD, Adam and
 * Adamax from the same initial weights, full batch: the mean-squared-error loss after every step.
 */
export function compareOptimizers(
  options: CompareOptimizersOptions = {},
): { label: string; loss: Float32Array }[] {
  const { steps = 300, seed = 1 } = options;
  const rates = { SGD: 0.05, Adam: 0.01, Adamax: 0.01, ...options.learningRates };
  const rng = new Random(seed);
  const n = 128;
  const xs = Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const ys = xs.map((x) => Math.sin(3 * x) + 0.3 * x * x + 0.05 * rng.normal());
  const makers = { SGD: tf.train.sgd, Adam: tf.train.adam, Adamax: tf.train.adamax };
  return (["SGD", "Adam", "Adamax"] as const).map((name) => {
    // 1 → 32 → 32 → 1: tanh, then a linear output; layer i's initial weights from seed + i.
    const model = tfl.sequential({
      layers: [32, 32, 1].map((units, i) =>
        tfl.layers.dense({
          inputShape: i === 0 ? [1] : undefined,
          units,
          activation: i < 2 ? "tanh" : undefined,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        })
      ),
    });
    const optimizer = makers[name](rates[name]);
    const x = tf.tensor2d(xs, [n, 1]), y = tf.tensor2d(ys, [n, 1]);
    const loss = new Float32Array(steps);
    for (let step = 0; step < steps; step++) {
      const value = optimizer.minimize(
        () => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar,
        true,
      )!;
      loss[step] = value.dataSync()[0];
      value.dispose();
    }
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    return { label: `${name} (lr ${rates[name]})`, loss };
  });
}
