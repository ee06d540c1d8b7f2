/**
 * How long training would take on this machine, measured before a long job starts, so that a
 * page or the report can say "about 45 min here" and present a committed run instead.
 *
 * @module
 */
import { buildModel, type ModelConfig } from "../model.ts";
import { predict, train } from "../train.ts";
import { formatDuration } from "../tables.ts";
import { splitSizes } from "../split.ts";

/** Training that takes longer than this on the machine at hand is not started by default. */
export const TRAIN_HERE_LIMIT_S = 5 * 60;

/** The speed of one network on this machine's current backend. */
export interface MeasuredSpeed {
  /** Training samples per second at the measured batch size. */
  trainSamplesPerSecond: number;
  /** Predictions per second (the validation pass of every epoch). */
  predictRowsPerSecond: number;
  batchSize: number;
}

/**
 * Times a few training steps and one prediction pass of `config`'s network on random spectra, on
 * the backend already selected. The first steps (compilation, allocation) are not counted.
 */
export async function measureSpeed(
  config: Partial<ModelConfig>,
  batchSize: number,
  steps = 12,
): Promise<MeasuredSpeed> {
  const model = buildModel(config);
  const length = config.inputLength ?? 186;
  const n = batchSize * steps;
  const x = Float32Array.from({ length: n * length }, (_, i) => ((i * 7919) % 1000) / 1000);
  const y = Float32Array.from({ length: n }, (_, i) => (i % 50) / 100);
  try {
    // Epoch 1 warms up; epoch 2's wall time is the measurement.
    const { history } = await train(model, { train: { x, y } }, { epochs: 2, batchSize, seed: 1 });
    const started = performance.now();
    await predict(model, x);
    const predictSeconds = (performance.now() - started) / 1000;
    return {
      trainSamplesPerSecond: n / Math.max(history[1].seconds, 1e-6),
      predictRowsPerSecond: n / Math.max(predictSeconds, 1e-6),
      batchSize,
    };
  } finally {
    model.dispose();
  }
}

/**
 * Seconds to train `epochs` epochs on the training part of `galaxies` galaxies (the seeded 63/27/10
 * split), each epoch ending with a validation pass.
 */
export function trainingSeconds(
  speed: MeasuredSpeed,
  plan: { epochs: number; galaxies: number },
): number {
  const { train, validation } = splitSizes(plan.galaxies);
  return plan.epochs *
    (train / speed.trainSamplesPerSecond + validation / speed.predictRowsPerSecond);
}

/** One line: the estimate and the speed it comes from. */
export function formatEstimate(seconds: number, speed: MeasuredSpeed, what: string): string {
  const rate = (x: number) => Math.round(x).toLocaleString("en");
  return `${what}: about ${formatDuration(seconds)} on this machine (measured ` +
    `${rate(speed.trainSamplesPerSecond)} training samples/s at batch ${speed.batchSize}, ` +
    `${rate(speed.predictRowsPerSecond)} predictions/s)`;
}
