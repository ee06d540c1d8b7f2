/**
 * The training loop: seeded, checkpointed, resumable.
 *
 * Our own loop rather than `model.fit`, whose shuffle uses `Math.random` and
 * cannot be seeded, and whose Adamax cannot be saved. What surrounds the loop
 * is in `training/`: the options and their defaults, the steps (tfjs's, or
 * the `cpu-blas` plan's), checkpoints, early stopping and progress.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { permutation } from "./random.ts";
import { forwardPlanOf } from "./backend/blas_forward.ts";
import { pdfBinsOf } from "./model.ts";
import { softLabels } from "./redshift_bins.ts";
import {
  Checkpointer,
  checkXY,
  DEFAULT_SOFT_LABEL_WIDTH,
  defaultLoss,
  EarlyStopping,
  type EngineOptions,
  EpochClock,
  type EpochLog,
  lossAndError,
  type LossName,
  pointEstimate,
  resolveOptions,
  trainingSteps,
  type TrainOptions,
  type XY,
} from "./training/mod.ts";

export {
  CheckpointError,
  DEFAULT_SOFT_LABEL_WIDTH,
  type EngineOptions,
  type EpochLog,
  LOSSES,
  type LossName,
  type TrainingProgress,
  type TrainOptions,
  verifyCheckpoint,
  type XY,
} from "./training/mod.ts";

/** What {@link train} returns. */
export interface TrainResult {
  history: EpochLog[];
  /** Epoch whose weights the model holds at the end (the best one under early stopping). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Epochs taken from a checkpoint rather than run now. */
  resumedEpochs: number;
  /** Sittings the run took: 1, plus one for each resumption from a checkpoint. */
  sittings: number;
}

/**
 * Trains `model` on `data.train`, validating on `data.validation` after each epoch.
 *
 * With the same seed, data and model initial weights, two runs give the same
 * history on the same backend; a run resumed from its checkpoint ends where
 * an uninterrupted one does. `engine` chooses how the steps run, not what they
 * compute (benchmarks and kernel tests set it).
 */
export async function train(
  model: tfl.LayersModel,
  data: { train: XY; validation?: XY },
  options: TrainOptions,
  engine: EngineOptions = {},
): Promise<TrainResult> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const o = resolveOptions(options, data, {
    length: inputLength(model),
    shapes: variables.map((v) => v.shape),
    bins: pdfBinsOf(model),
  });
  const train = { ...data.train, weights: options.sampleWeights };
  const { optimizer, batches } = trainingSteps(model, variables, o, train, engine);
  const { batchSize, rows, steps } = o;
  const stopping = new EarlyStopping(options.earlyStopping);
  const saver = new Checkpointer(o, variables, optimizer, stopping);
  try {
    const { history, partial } = await saver.resume();
    const resumedEpochs = history.length;
    for (let epoch = history.length + 1; epoch <= o.epochs && !stopping.stopped; epoch++) {
      // A checkpoint written within this epoch: go on from its step, with its running sums.
      const within = partial?.epoch === epoch ? partial : null;
      const clock = new EpochClock(o, epoch, within?.step, within?.seconds);
      const order = Int32Array.from(permutation(rows, epochSeed(o.seed, epoch)));
      batches.startEpoch(order, within?.lossSum ?? 0, within?.maeSum ?? 0);
      let learningRate = within?.learningRate ?? NaN;
      for (let step = clock.firstStep; step < steps; step++) {
        const begin = step * batchSize, done = step + 1;
        learningRate = o.rate(epoch, step, steps);
        batches.step(begin, Math.min(batchSize, rows - begin), learningRate);
        await saver.saveWithin(history, clock, done, learningRate, () => batches.sums());
        if (options.onProgress && (done % o.progressEvery === 0 || done === steps)) {
          await options.onProgress(clock.progress(done, (await batches.sums()).lossSum));
        }
      }
      const sums = await batches.sums();
      const val = data.validation && await evaluate(model, data.validation, o.evaluation);
      const log = clock.log(sums, val, learningRate);
      history.push(log);
      await stopping.update(epoch, log.valLoss, variables);
      // The callback first: what it saves (a run folder's model) is never missing after a resume.
      await options.onEpochEnd?.(log, history);
      await saver.save(history, null);
    }
    const bestEpoch = stopping.restoreBest(variables, history.length);
    const { sittings } = saver;
    return { history, bestEpoch, stoppedEarly: stopping.stopped, resumedEpochs, sittings };
  } finally {
    batches.dispose();
    optimizer.dispose();
  }
}

/**
 * Loss (Huber by default) and MAE of `model` on `data`, computed in batches on the device; on
 * `cpu-blas` the predictions come from the forward plan (`backend/blas_forward.ts`). A
 * classification head's loss is the soft-label cross-entropy, its MAE that of its PDF's mean.
 */
export async function evaluate(
  model: tfl.LayersModel,
  data: XY,
  options: { batchSize?: number; huberDelta?: number; loss?: LossName; softLabelWidth?: number } =
    {},
): Promise<{ loss: number; mae: number }> {
  const batchSize = options.batchSize ?? 1024;
  const bins = pdfBinsOf(model);
  const spec = {
    name: options.loss ?? defaultLoss(bins),
    delta: options.huberDelta ?? 1,
    bins,
  };
  const n = checkXY(data, inputLength(model), "evaluation");
  // On cpu-blas the forward pass runs as one plan of BLAS calls (lib/backend/blas_forward.ts).
  const planned = bins ? null : forwardPlanOf(model)?.predict(data.x) ?? null;
  const sums = tf.variable(tf.zeros([2]), false);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const z = data.y.subarray(begin, begin + size);
    const labels = bins
      ? softLabels(z, bins, options.softLabelWidth ?? DEFAULT_SOFT_LABEL_WIDTH)
      : null;
    tf.tidy(() => {
      const output = planned
        ? tf.tensor2d(planned.subarray(begin, begin + size), [size, 1])
        : applyToRows(model, data.x, begin, size);
      const targets = {
        z: tf.tensor2d(z, [size, 1]),
        labels: labels && tf.tensor2d(labels, [size, bins!.count]),
        weights: null,
      };
      const { loss, absError } = lossAndError(spec, targets, output);
      sums.assign(tf.add(sums, tf.stack([tf.mul(loss, size), absError])));
    });
  }
  const [loss, abs] = await sums.data();
  sums.dispose();
  return { loss: loss / n, mae: abs / n };
}

/**
 * Predicted redshift of each row of `x` (scaled, `n × length`), in batches; on `cpu-blas` through
 * the forward plan (`backend/blas_forward.ts`), which gives tfjs's predictions within float32
 * rounding, faster. For a classification head, the mean of each row's PDF.
 */
export async function predict(
  model: tfl.LayersModel,
  x: Float32Array,
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const bins = pdfBinsOf(model);
  const plan = bins ? null : forwardPlanOf(model);
  if (plan) return plan.predict(x);
  return await inBatches(model, x, options.batchSize ?? 1024, 1, (y) => pointEstimate(y, bins));
}

/**
 * The PDF of z for each row of `x` under a classification head: `n × K` probabilities over
 * `pdfBinsOf(model)`'s bins, each row summing to 1.
 */
export async function predictPdf(
  model: tfl.LayersModel,
  x: Float32Array,
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const bins = pdfBinsOf(model);
  if (!bins) throw new TypeError("the model has no classification head: it outputs z");
  return await inBatches(model, x, options.batchSize ?? 1024, bins.count, (y) => tf.softmax(y));
}

/** `read(model's output)` (`columns` per row) of each batch of rows of `x`, concatenated. */
async function inBatches(
  model: tfl.LayersModel,
  x: Float32Array,
  batchSize: number,
  columns: number,
  read: (output: tf.Tensor) => tf.Tensor,
): Promise<Float32Array> {
  const length = inputLength(model);
  const n = x.length / length;
  if (!Number.isInteger(n)) throw new RangeError(`${x.length} values are not rows of ${length}`);
  const out = new Float32Array(n * columns);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const result = tf.tidy(() => read(applyToRows(model, x, begin, size)));
    out.set(await result.data() as Float32Array, begin * columns);
    result.dispose();
  }
  return out;
}

/** `model`'s output (inference) on rows `begin … begin + size` of the `n × length` inputs `x`. */
function applyToRows(model: tfl.LayersModel, x: Float32Array, begin: number, size: number) {
  const length = inputLength(model);
  const rows = tf.tensor3d(x.subarray(begin * length, (begin + size) * length), [size, length, 1]);
  return model.apply(rows, { training: false }) as tf.Tensor;
}

/** Seed of epoch `epoch`'s shuffle: a hash of (seed, epoch), so resumed runs shuffle alike. */
export function epochSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(epoch, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

function inputLength(model: tfl.LayersModel): number {
  return model.inputs[0].shape[1] as number;
}
