/**
 * `train()`'s options: what a user sets, its defaults and checks, and the fingerprint that names
 * a run's recipe in its checkpoint.
 *
 * @module
 */
import type { OptimizerName } from "../optimizers/optimizers.ts";
import type { LearningRateSchedule } from "../optimizers/schedules.ts";
import type { LossName } from "./steps.ts";
import type { EarlyStoppingOptions } from "./early_stopping.ts";
import type { EpochLog, TrainingProgress } from "./progress.ts";

/** Inputs (already scaled, `n × length`, row-major) and target redshifts. */
export interface XY {
  x: Float32Array;
  y: Float32Array;
}

/** Every {@link LossName}. */
export const LOSSES: readonly LossName[] = ["huber", "mse", "mae"];

/** Options of `train()`. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Seed of the batch order; epoch e shuffles with a seed derived from (seed, e). */
  seed: number;
  /**
   * Constant rate (default 0.001) or a schedule named by its recipe (`warmupSchedule`,
   * `namedSchedule` in `lib/optimizers/`).
   */
  learningRate?: number | LearningRateSchedule;
  /** Update rule: Adamax (default, the dissertation's), Adam or SGD with momentum 0.9. */
  optimizer?: OptimizerName;
  /** Loss to minimise: Huber (default, the dissertation's), mean squared or mean absolute error. */
  loss?: LossName;
  /** Huber threshold δ; default 1. */
  huberDelta?: number;
  /** Stop when validation loss has not improved by `minDelta` for `patience` epochs. */
  earlyStopping?: EarlyStoppingOptions;
  /** File written atomically at the end of every epoch; a run resumes from it if it exists. */
  checkpointPath?: string;
  /**
   * With a checkpoint, also write it within an epoch once this many seconds have passed since the
   * last write (default 600), so that a run stopped mid-epoch loses at most that much; the run
   * resumes at the step after it, bit for bit. 0 writes after every step; Infinity only at epoch
   * ends.
   */
  checkpointEverySeconds?: number;
  /** Report progress every this many steps (each report reads the loss back); default 50. */
  progressEvery?: number;
  /** Batch size for validation passes; default 1024. */
  evalBatchSize?: number;
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog, history: EpochLog[]) => void | Promise<void>;
}

/** {@link TrainOptions} with every default filled in, checked against the data. */
export interface ResolvedOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  rate: (epoch: number, step: number, steps: number) => number;
  optimizer: OptimizerName;
  loss: LossName;
  huberDelta: number;
  progressEvery: number;
  evalBatchSize: number;
  checkpointPath: string | null;
  checkpointEverySeconds: number;
  /** Inputs per spectrum. */
  length: number;
  /** Training rows. */
  rows: number;
  /** Steps per epoch. */
  steps: number;
  /** The recipe and data sizes, as the checkpoint names its run. */
  fingerprint: string;
}

/**
 * Fills in `options`' defaults and checks them and `data` against a model whose inputs are
 * `length` long and whose weights have `shapes`.
 */
export function resolveOptions(
  options: TrainOptions,
  data: { train: XY; validation?: XY },
  length: number,
  shapes: number[][],
): ResolvedOptions {
  const { epochs, batchSize, seed, learningRate = 0.001 } = options;
  const loss = options.loss ?? "huber";
  if (!LOSSES.includes(loss)) {
    throw new RangeError(`unknown loss "${loss}": expected ${LOSSES.join(", ")}`);
  }
  if (typeof learningRate === "function" && typeof learningRate.recipe !== "string") {
    throw new TypeError(
      "a learning-rate function needs a recipe naming it, for the checkpoint and the run record: " +
        "make it with namedSchedule() or warmupSchedule() from lib/optimizers/",
    );
  }
  const rows = checkXY(data.train, length, "training");
  if (data.validation) checkXY(data.validation, length, "validation");
  if (options.earlyStopping && !data.validation) {
    throw new Error("early stopping needs validation data");
  }
  const resolved = {
    epochs,
    batchSize,
    seed,
    rate: typeof learningRate === "function" ? learningRate : () => learningRate,
    optimizer: options.optimizer ?? "adamax",
    loss,
    huberDelta: options.huberDelta ?? 1,
    progressEvery: options.progressEvery ?? 50,
    evalBatchSize: options.evalBatchSize ?? 1024,
    checkpointPath: options.checkpointPath ?? null,
    checkpointEverySeconds: options.checkpointEverySeconds ?? 600,
    length,
    rows,
    steps: Math.ceil(rows / batchSize),
  };
  // The keys and their order are those of every checkpoint written so far: keep them.
  const fingerprint = JSON.stringify({
    shapes,
    nTrain: rows,
    nValidation: data.validation?.y.length ?? 0,
    batchSize,
    seed,
    learningRate: typeof learningRate === "function" ? learningRate.recipe : learningRate,
    huberDelta: resolved.huberDelta,
    loss,
    optimizer: resolved.optimizer,
    earlyStopping: options.earlyStopping ?? null,
  });
  return { ...resolved, fingerprint };
}

/** The rows of `data`, checked against inputs `length` long. */
export function checkXY(data: XY, length: number, what: string): number {
  const n = data.y.length;
  if (n === 0) throw new RangeError(`no ${what} rows`);
  if (data.x.length !== n * length) {
    throw new RangeError(
      `${what} inputs hold ${data.x.length} values; ${n} targets × ${length} samples need ${
        n * length
      }`,
    );
  }
  return n;
}
