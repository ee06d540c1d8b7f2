/**
 * Learning-rate schedules for training with large batches, which train an epoch many times faster
 * on a GPU but take fewer steps (Goyal et al. 2017; Hoffer et al. 2017 for the square-root rule):
 * scale the rate with the batch ("linear" or the gentler "sqrt"; measured with Adamax at batch
 * 256, only linear matched batch 16's test MAE, `docs/performance.md`), warm up from the base rate
 * so the large steps do not throw the fresh weights about, and decay ("cosine") to a small
 * fraction of the peak so the weights settle.
 *
 * @module
 */

/** The rules by which {@link warmupSchedule} can scale the rate with the batch size. */
export const RATE_SCALINGS = ["linear", "sqrt", "none"] as const;

/** One of {@link RATE_SCALINGS}. */
export type RateScaling = typeof RATE_SCALINGS[number];

/** Options of {@link warmupSchedule}. */
export interface WarmupScheduleOptions {
  /** Rate of the recipe at `baseBatchSize` (the dissertation's 0.001). */
  baseRate: number;
  /** Batch size the base rate belongs to (the dissertation's 16). */
  baseBatchSize: number;
  /** Batch size trained with. */
  batchSize: number;
  /** Epochs of the run (the cosine reaches its floor at the end of the last one). */
  epochs: number;
  /** Scaling rule; default "linear". */
  scaling?: RateScaling;
  /** Epochs of linear warm-up from `baseRate` to the scaled rate; default 1 (0: none). */
  warmupEpochs?: number;
  /** After warm-up: "cosine" (default) down to `floor` × peak, or "none" (constant). */
  decay?: "cosine" | "none";
  /** Final rate as a share of the peak under cosine decay; default 0.05. */
  floor?: number;
}

/**
 * A schedule for `train()`'s `learningRate`: the rate at (epoch from 1, step in epoch, steps),
 * named by its `recipe`. A function's code does not say what its closure holds, so the recipe is
 * what the checkpoint's fingerprint and the run record keep.
 */
export type LearningRateSchedule = ((epoch: number, step: number, steps: number) => number) & {
  /** The schedule's kind and settings, as a string (JSON for {@link warmupSchedule}). */
  recipe: string;
};

/**
 * Names `rate` by `recipe`, making it a {@link LearningRateSchedule}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedSchedule } from "./schedules.ts";
 * const halving = namedSchedule("halve each epoch from 0.001", (epoch) => 0.001 / 2 ** (epoch - 1));
 * assert.equal(halving(3, 0, 10), 0.00025);
 * assert.equal(String(halving), "halve each epoch from 0.001");
 * ```
 */
export function namedSchedule(
  recipe: string,
  rate: (epoch: number, step: number, steps: number) => number,
): LearningRateSchedule {
  if (!recipe) throw new RangeError("a learning-rate schedule needs a recipe naming it");
  const schedule = (epoch: number, step: number, steps: number) => rate(epoch, step, steps);
  return Object.assign(schedule, { recipe, toString: () => recipe });
}

/**
 * Warm-up, batch-size scaling and cosine decay in one schedule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warmupSchedule } from "./schedules.ts";
 * const rate = warmupSchedule({ baseRate: 0.001, baseBatchSize: 16, batchSize: 256, epochs: 10 });
 * assert.equal(rate.peakRate, 0.016); // 0.001 × 256 / 16
 * assert.ok(Math.abs(rate(1, 0, 100) - 0.001) < 1e-4); // warm-up starts near the base rate
 * assert.ok(Math.abs(rate(2, 0, 100) - 0.016) < 1e-9); // and reaches the peak after one epoch
 * assert.ok(rate(10, 99, 100) < 0.001); // cosine decay ends near 5 % of it
 * ```
 */
export function warmupSchedule(
  options: WarmupScheduleOptions,
): LearningRateSchedule & { peakRate: number } {
  const scaling = options.scaling ?? "linear";
  const warmupEpochs = options.warmupEpochs ?? 1;
  const decay = options.decay ?? "cosine";
  const floor = options.floor ?? 0.05;
  const { baseRate, baseBatchSize, batchSize, epochs } = options;
  const sizes = { baseRate, baseBatchSize, batchSize, epochs };
  for (const [name, value] of Object.entries(sizes)) {
    if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
  }
  if (!(warmupEpochs >= 0 && warmupEpochs < epochs)) {
    throw new RangeError(`warmupEpochs ${warmupEpochs} must be in [0, epochs = ${epochs})`);
  }
  const ratio = batchSize / baseBatchSize;
  const peakRate = baseRate *
    (scaling === "linear" ? ratio : scaling === "sqrt" ? Math.sqrt(ratio) : 1);
  const schedule = (epoch: number, step: number, steps: number): number => {
    const t = epoch - 1 + step / steps; // epochs done, fractional
    if (t < warmupEpochs) return baseRate + (peakRate - baseRate) * (t / warmupEpochs);
    if (decay === "none") return peakRate;
    const progress = (t - warmupEpochs) / (epochs - warmupEpochs);
    return peakRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
  const recipe = { schedule: "warmup", ...sizes, scaling, warmupEpochs, decay, floor };
  return Object.assign(namedSchedule(JSON.stringify(recipe), schedule), { peakRate });
}
