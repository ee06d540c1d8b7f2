/**
 * The training distribution of z that a model folder with a PDF head keeps, for the α knob: `task
 * predict --alpha A` divides each PDF by it raised to α and renormalises.
 *
 * It is stored in the folder's record, `config.json`'s `run.trainingPrior` (the key
 * {@link TRAINING_PRIOR_KEY}), so that it is written and renamed into place with the folder and
 * travels with it wherever `saveModel` copies a record:
 *
 * ```json
 * "trainingPrior": {
 *   "bins": { "count": 195, "zMin": 0, "zMax": 0.65 },
 *   "smoothing": 0.02,
 *   "floor": 0.001,
 *   "galaxies": 333051,
 *   "shares": [0.0012, 0.0031, ...]
 * }
 * ```
 *
 * `shares` is `trainingPrior(zTrain, bins, { smoothing, floor })` of `lib/bias/prior.ts`: one
 * positive share per bin of the head, summing to 1. The training side writes it with
 * {@link trainingPriorRecord}; predict reads it with {@link readTrainingPrior}.
 *
 * @module
 */
import { trainingPrior } from "../bias/prior.ts";
import type { PdfBins } from "../model.ts";
import type { RedshiftBins } from "../redshift_bins.ts";

/** Key of the training prior in a model folder's run record (`config.json`'s `run`). */
export const TRAINING_PRIOR_KEY = "trainingPrior";

/** The training distribution of z over a PDF head's bins, as a model folder's record holds it. */
export interface TrainingPriorRecord {
  /** The head's bins the shares are over. */
  bins: PdfBins;
  /** Width of the Gaussian kernel that smoothed the histogram, in units of z. */
  smoothing: number;
  /** Least share, as a fraction of the largest, before renormalising. */
  floor: number;
  /** Training galaxies counted. */
  galaxies: number;
  /** One positive share per bin, summing to 1. */
  shares: number[];
}

/**
 * The record of the training distribution of `zTrain` over `bins`, to be stored in a model
 * folder's run record under {@link TRAINING_PRIOR_KEY}: `saveModel(dir, model, { ..., run: {
 * ..., [TRAINING_PRIOR_KEY]: trainingPriorRecord(zTrain, bins) } })`.
 *
 * @param zTrain the training redshifts (not the validation or test ones)
 * @param bins the head's bins (`pdfBinsOf(model)`)
 * @param options kernel width (default 0.02) and floor (default 0.001), as `trainingPrior` takes
 *   them
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redshiftBins } from "../redshift_bins.ts";
 * import { readTrainingPrior, trainingPriorRecord } from "./training_prior.ts";
 * const bins = redshiftBins({ count: 2, zMax: 0.2 });
 * const record = trainingPriorRecord([0.05, 0.05, 0.05], bins, { smoothing: 0, floor: 0.25 });
 * assert.deepEqual(record.shares, [0.8, 0.2]);
 * assert.deepEqual([...readTrainingPrior({ trainingPrior: record }, bins)!], [0.8, 0.2]);
 * ```
 */
export function trainingPriorRecord(
  zTrain: ArrayLike<number>,
  bins: RedshiftBins,
  options: { smoothing?: number; floor?: number } = {},
): TrainingPriorRecord {
  const { smoothing = 0.02, floor = 1e-3 } = options;
  return {
    bins: { count: bins.count, zMin: bins.zMin, zMax: bins.zMax },
    smoothing,
    floor,
    galaxies: zTrain.length,
    shares: [...trainingPrior(zTrain, bins, { smoothing, floor })],
  };
}

/**
 * The training prior that a model folder's run record holds for a head over `bins`, or null when
 * it holds none. A record that is malformed or over other bins is a RangeError that says what is
 * wrong.
 *
 * @param run the run record (`loadModel(dir).run`)
 * @param bins the head's bins (`pdfBinsOf(model)`)
 */
export function readTrainingPrior(
  run: Record<string, unknown>,
  bins: RedshiftBins,
): Float64Array | null {
  const record = run[TRAINING_PRIOR_KEY] as Partial<TrainingPriorRecord> | undefined;
  if (record === undefined || record === null) return null;
  const where = `run.${TRAINING_PRIOR_KEY}`;
  if (typeof record !== "object" || Array.isArray(record)) {
    throw new RangeError(`${where} is not an object`);
  }
  const b = record.bins;
  if (b?.count !== bins.count || b?.zMin !== bins.zMin || b?.zMax !== bins.zMax) {
    throw new RangeError(
      `${where} is over ${b ? `${b.count} bins [${b.zMin}, ${b.zMax}]` : "no bins"}, but the ` +
        `head has ${bins.count} bins over [${bins.zMin}, ${bins.zMax}]`,
    );
  }
  const shares = record.shares;
  if (!Array.isArray(shares) || shares.length !== bins.count) {
    throw new RangeError(`${where}.shares must be a list of ${bins.count} numbers`);
  }
  const bad = shares.findIndex((v) => typeof v !== "number" || !(v > 0 && Number.isFinite(v)));
  if (bad >= 0) {
    throw new RangeError(`${where}.shares[${bad}] is ${shares[bad]}, not a positive number`);
  }
  const total = shares.reduce((sum, v) => sum + v, 0);
  if (Math.abs(total - 1) > 1e-6) throw new RangeError(`${where}.shares sum to ${total}, not 1`);
  return Float64Array.from(shares);
}
