/**
 * `train()`'s options: what a user sets, its defaults and checks, and the fingerprint that names
 * a run's recipe in its checkpoint.
 *
 * @module
 */
import type { OptimizerName } from "../optimizers/optimizers.ts";
import type { LearningRateSchedule } from "../optimizers/schedules.ts";
import type { LossName, RegressionLoss } from "./steps.ts";
import type { RedshiftBins } from "../redshift_bins.ts";
import type { EarlyStoppingOptions } from "./early_stopping.ts";
import type { EpochLog, TrainingProgress } from "./progress.ts";

/** Inputs (already scaled, `n × length`, row-major) and target redshifts. */
export interface XY {
  x: Float32Array;
  y: Float32Array;
}

/** Width (in z) of the soft labels when none is given. */
export const DEFAULT_SOFT_LABEL_WIDTH = 0.01;

/** The loss a network trains with when none is named: soft labels for a head, else Huber. */
export function defaultLoss(bins: RedshiftBins | null): LossName {
  return bins ? "soft-label" : "huber";
}

/** Every {@link RegressionLoss}: the losses of a network that outputs z. */
export const LOSSES: readonly RegressionLoss[] = ["huber", "mse", "mae"];

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
  /**
   * Loss to minimise: for a network that outputs z, Huber (default, the dissertation's), mean
   * squared or mean absolute error; for a classification head (`pdfBins` in `ModelConfig`),
   * "soft-label" (the default there): cross-entropy against Gaussian soft labels of z.
   */
  loss?: LossName;
  /** Huber threshold δ; default 1. */
  huberDelta?: number;
  /** Width (in z) of the Gaussian soft labels of "soft-label"; default `DEFAULT_SOFT_LABEL_WIDTH`, 0.01. */
  softLabelWidth?: number;
  /**
   * One weight per training row (finite, ≥ 0, not all 0): each row's loss counts that many
   * times. Validation is unweighted. Default: each row once.
   */
  sampleWeights?: Float32Array;
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

/**
 * Fills in `options`' defaults and checks them and `data` against a model whose inputs are
 * `length` long, whose weights have `shapes`, and whose head has `bins` (null: it outputs z).
 */
export function resolveOptions(
  options: TrainOptions,
  data: { train: XY; validation?: XY },
  model: { length: number; shapes: number[][]; bins: RedshiftBins | null },
) {
  const { epochs, batchSize, seed, learningRate = 0.001, sampleWeights } = options;
  const { length, shapes, bins } = model;
  const loss = options.loss ?? defaultLoss(bins);
  if (bins ? loss !== "soft-label" : !LOSSES.includes(loss as RegressionLoss)) {
    throw new RangeError(
      bins
        ? `a classification head trains with "soft-label", not "${loss}"`
        : `unknown loss "${loss}": expected ${LOSSES.join(", ")}`,
    );
  }
  const softLabelWidth = options.softLabelWidth ?? DEFAULT_SOFT_LABEL_WIDTH;
  if (!(softLabelWidth >= 0 && Number.isFinite(softLabelWidth))) {
    throw new RangeError(`softLabelWidth must be a finite number ≥ 0, not ${softLabelWidth}`);
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
  if (sampleWeights) checkWeights(sampleWeights, rows);
  const huberDelta = options.huberDelta ?? 1;
  const resolved = {
    epochs,
    batchSize,
    seed,
    rate: typeof learningRate === "function" ? learningRate : () => learningRate,
    optimizer: options.optimizer ?? "adamax",
    loss: { name: loss, delta: huberDelta, bins },
    softLabelWidth,
    progressEvery: options.progressEvery ?? 50,
    // what evaluate() takes: validation is scored with the training loss
    evaluation: { batchSize: options.evalBatchSize ?? 1024, loss, huberDelta, softLabelWidth },
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
    huberDelta,
    loss,
    optimizer: resolved.optimizer,
    earlyStopping: options.earlyStopping ?? null,
    // Keys added since: present only when used, so older checkpoints keep their names.
    ...(bins ? { pdfBins: { count: bins.count, zMin: bins.zMin, zMax: bins.zMax } } : {}),
    ...(loss === "soft-label" ? { softLabelWidth } : {}),
    ...(sampleWeights ? { sampleWeights: digest(sampleWeights) } : {}),
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

function checkWeights(weights: Float32Array, rows: number): void {
  if (weights.length !== rows) {
    throw new RangeError(`${weights.length} sample weights for ${rows} training rows`);
  }
  let total = 0;
  for (let i = 0; i < rows; i++) {
    if (!(weights[i] >= 0 && Number.isFinite(weights[i]))) {
      throw new RangeError(`sample weight ${i} is ${weights[i]}: weights must be finite and ≥ 0`);
    }
    total += weights[i];
  }
  if (total === 0) throw new RangeError("every sample weight is 0");
}

/** A short digest of `values` (FNV-1a over their bytes), so a checkpoint knows its weights. */
function digest(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return `${values.length}:${(h >>> 0).toString(16)}`;
}
