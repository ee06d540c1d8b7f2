/**
 * The training loop: seeded, checkpointed, resumable.
 *
 * Our own loop rather than `model.fit`, whose shuffle uses `Math.random` and
 * cannot be seeded, and whose Adamax cannot be saved. The data stays on the
 * device; each step gathers its batch there, and the loss is summed on the
 * device and read back only for progress reports and at the end of an epoch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import {
  createOptimizer,
  type OptimizerName,
  type OptimizerState,
} from "./optimizers/optimizers.ts";
import { permutation } from "./random.ts";
import { decodeTensorFile, encodeTensorFile } from "./_tensor_file.ts";
import { writeFileAtomic } from "./_atomic.ts";
import { registerFastWebGPUKernels } from "./backend/webgpu_kernels.ts";
import { forwardPlanOf } from "./backend/blas_forward.ts";
import { batchLoss, type LossName, trainingSteps } from "./_training_steps.ts";

/** Inputs (already scaled, `n × length`, row-major) and target redshifts. */
export interface XY {
  x: Float32Array;
  y: Float32Array;
}

export type { LossName };

/** Every {@link LossName}. */
export const LOSSES: readonly LossName[] = ["huber", "mse", "mae"];

/**
 * Rows per forward and backward pass of a training step on `backend` (see
 * {@link TrainOptions.gradientChunk}). On the CPU a batch of 256 passes the first layer's 48 MB of
 * activations through memory in each element-wise op; chunks of 64 keep a step's working set
 * near the cache, and a step of the dissertation's network at batch 256 took 15–30 % less time
 * than in one pass (`docs/performance.md`, "Issue 25"; 16 and 32 were slower than 64). A GPU wants
 * the whole batch in one pass.
 */
export function defaultGradientChunk(backend: string): number {
  return backend === "cpu" || backend === "cpu-blas" ? 64 : Infinity;
}

/** What one epoch did. */
export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean Huber loss over the epoch's training batches. */
  loss: number;
  /** Mean absolute error over the epoch's training batches. */
  mae: number;
  /** Huber loss on the validation set after the epoch (NaN without one). */
  valLoss: number;
  /** MAE on the validation set after the epoch (NaN without one). */
  valMae: number;
  /** Learning rate at the epoch's last step. */
  learningRate: number;
  /** Wall-clock seconds of the epoch, validation included. */
  seconds: number;
}

/** A progress report during an epoch. */
export interface TrainingProgress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  /** Steps per epoch. */
  steps: number;
  /** Running mean training loss of this epoch. */
  loss: number;
  /** Training samples per second since the epoch began. */
  samplesPerSecond: number;
  /** Estimated seconds until the last epoch ends. */
  secondsLeft: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Seed of the batch order; epoch e shuffles with a seed derived from (seed, e). */
  seed: number;
  /** Constant rate (default 0.001) or a schedule of (epoch, step in epoch, steps per epoch). */
  learningRate?: number | ((epoch: number, step: number, steps: number) => number);
  /** Update rule: Adamax (default, the dissertation's), Adam or SGD with momentum 0.9. */
  optimizer?: OptimizerName;
  /** Loss to minimise: Huber (default, the dissertation's), mean squared or mean absolute error. */
  loss?: LossName;
  /** Huber threshold δ; default 1. */
  huberDelta?: number;
  /** Stop when validation loss has not improved by `minDelta` for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number; restoreBestWeights?: boolean };
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
  /**
   * With Adamax on WebGPU, update the weights with one fused kernel per weight tensor (default true);
   * false runs tfjs's element-wise ops instead, for comparison. The arithmetic is the same.
   */
  fusedUpdate?: boolean;
  /** Batch size for validation passes; default 1024. */
  evalBatchSize?: number;
  /**
   * Rows per forward and backward pass within a step. A larger batch's gradient is summed chunk
   * by chunk, each chunk's loss weighted by its share of the batch: the same mean gradient over
   * the batch, summed in another order, while each chunk's activations stay in the CPU's cache.
   * Default {@link defaultGradientChunk}: 64 on the CPU backends, the whole batch on a GPU.
   */
  gradientChunk?: number;
  /**
   * On `cpu-blas`, run the steps through the training plan (`backend/blas_gradients.ts`) where it
   * can run the model (default true): tfjs's gradients within float32 rounding, without tfjs's
   * per-kernel bookkeeping. false runs every step through tfjs, for comparison.
   */
  trainingPlan?: boolean;
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog, history: EpochLog[]) => void | Promise<void>;
}

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

// 2: any optimiser's slots (version 1 held Adamax's two).
const CHECKPOINT_VERSION = 2;

/** A checkpoint file that cannot be resumed from: damaged, of another version, or of another run. */
export class CheckpointError extends Error {
  /**
   * @param file the checkpoint's path
   * @param message what is wrong
   */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "CheckpointError";
  }
}

/**
 * Checks, without a model, that the checkpoint at `path` (if there is one) is
 * intact: readable, of this version, its checksum right. Tools call it before
 * loading data, so a damaged file is reported at once.
 */
export async function verifyCheckpoint(path: string): Promise<boolean> {
  const decoded = await readCheckpointFile(path);
  return decoded !== null;
}

async function readCheckpointFile(
  path: string,
): Promise<ReturnType<typeof decodeTensorFile> | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`);
  }
  let decoded;
  try {
    decoded = decodeTensorFile(bytes);
  } catch (e) {
    throw new CheckpointError(path, `${(e as Error).message}; delete it to start afresh`);
  }
  if (decoded.header.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      path,
      `checkpoint version ${decoded.header.version}, expected ${CHECKPOINT_VERSION}`,
    );
  }
  return decoded;
}

/**
 * Trains `model` on `data.train`, validating on `data.validation` after each epoch.
 *
 * With the same seed, data and model initial weights, two runs give the same
 * history on the same backend; a run resumed from its checkpoint ends where
 * an uninterrupted one does.
 */
export async function train(
  model: tfl.LayersModel,
  data: { train: XY; validation?: XY },
  options: TrainOptions,
): Promise<TrainResult> {
  const { epochs, batchSize, seed } = options;
  const delta = options.huberDelta ?? 1;
  const lossName = options.loss ?? "huber";
  if (!LOSSES.includes(lossName)) {
    throw new RangeError(`unknown loss "${lossName}": expected ${LOSSES.join(", ")}`);
  }
  const progressEvery = options.progressEvery ?? 50;
  const schedule = typeof options.learningRate === "function"
    ? options.learningRate
    : () => (options.learningRate as number | undefined) ?? 0.001;
  const length = inputLength(model);
  const nTrain = checkXY(data.train, length, "training");
  if (data.validation) checkXY(data.validation, length, "validation");
  if (options.earlyStopping && !data.validation) {
    throw new Error("early stopping needs validation data");
  }

  if (tf.getBackend() === "webgpu") registerFastWebGPUKernels();
  const chunk = options.gradientChunk ?? defaultGradientChunk(tf.getBackend());
  if (!(Number.isInteger(chunk) && chunk >= 1) && chunk !== Infinity) {
    throw new RangeError(`gradientChunk must be a whole number at least 1, got ${chunk}`);
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = createOptimizer(options.optimizer ?? "adamax", variables, {
    fused: options.fusedUpdate ?? true,
  });
  const batches = trainingSteps(
    { model, variables, optimizer, loss: lossName, delta, chunk },
    { x: data.train.x, y: data.train.y, length },
    batchSize,
    options.trainingPlan ?? true,
  );
  const steps = Math.ceil(nTrain / batchSize);

  const history: EpochLog[] = [];
  const stopping = {
    best: Infinity,
    bestEpoch: 0,
    wait: 0,
    bestWeights: null as Float32Array[] | null,
  };
  const fingerprint = runFingerprint(variables, nTrain, data.validation, options);
  let resumedEpochs = 0, sittings = 1;
  let partial: PartialEpoch | null = null;
  const everySeconds = options.checkpointEverySeconds ?? 600;
  let lastWrite = performance.now();
  const checkpoint = async (partialEpoch: PartialEpoch | null) => {
    await writeCheckpoint(options.checkpointPath!, {
      fingerprint,
      history,
      stopping,
      weights: await readWeights(variables),
      optimizer: await optimizer.getState(),
      sittings,
      partial: partialEpoch,
    });
    lastWrite = performance.now();
  };
  try {
    if (options.checkpointPath) {
      const saved = await readCheckpoint(options.checkpointPath, fingerprint, variables.length);
      if (saved) {
        saved.weights.forEach((a, i) => variables[i].assign(tf.tensor(a, variables[i].shape)));
        optimizer.setState(saved.optimizer);
        history.push(...saved.history);
        Object.assign(stopping, saved.stopping);
        resumedEpochs = history.length;
        sittings = saved.sittings + 1;
        partial = saved.partial;
      }
    }
    let stoppedEarly = stopping.wait >= (options.earlyStopping?.patience ?? Infinity);
    for (let epoch = history.length + 1; epoch <= epochs && !stoppedEarly; epoch++) {
      const started = performance.now();
      // A checkpoint written within this epoch: go on from its step, with its running sums.
      const resumed = partial?.epoch === epoch ? partial : null;
      partial = null;
      const firstStep = resumed?.step ?? 0, earlierSeconds = resumed?.seconds ?? 0;
      batches.startEpoch(
        Int32Array.from(permutation(nTrain, epochSeed(seed, epoch))),
        resumed?.lossSum ?? 0,
        resumed?.maeSum ?? 0,
      );
      let learningRate = resumed?.learningRate ?? NaN;
      for (let step = firstStep; step < steps; step++) {
        const begin = step * batchSize;
        const size = Math.min(batchSize, nTrain - begin);
        learningRate = schedule(epoch, step, steps);
        batches.step(begin, size, learningRate);
        const done = step + 1;
        if (
          options.checkpointPath && done < steps &&
          (performance.now() - lastWrite) / 1000 >= everySeconds
        ) {
          const { lossSum, absErrorSum } = await batches.sums();
          await checkpoint({
            epoch,
            step: done,
            lossSum,
            maeSum: absErrorSum,
            learningRate,
            seconds: earlierSeconds + (performance.now() - started) / 1000,
          });
        }
        if (options.onProgress && (done % progressEvery === 0 || done === steps)) {
          const seconds = (performance.now() - started) / 1000;
          const rate = (begin + size - firstStep * batchSize) / seconds;
          const remaining = (steps - done) * batchSize + (epochs - epoch) * nTrain;
          await options.onProgress({
            epoch,
            epochs,
            step: done,
            steps,
            loss: (await batches.sums()).lossSum / (begin + size),
            samplesPerSecond: rate,
            secondsLeft: remaining / rate,
          });
        }
      }
      const { lossSum, absErrorSum } = await batches.sums();
      const [loss, mae] = [lossSum / nTrain, absErrorSum / nTrain];
      const val = data.validation
        ? await evaluate(model, data.validation, {
          batchSize: options.evalBatchSize,
          huberDelta: delta,
          loss: lossName,
        })
        : { loss: NaN, mae: NaN };
      const log: EpochLog = {
        epoch,
        loss,
        mae,
        valLoss: val.loss,
        valMae: val.mae,
        learningRate,
        seconds: earlierSeconds + (performance.now() - started) / 1000,
      };
      history.push(log);
      if (options.earlyStopping) {
        if (val.loss < stopping.best - (options.earlyStopping.minDelta ?? 0)) {
          stopping.best = val.loss;
          stopping.bestEpoch = epoch;
          stopping.wait = 0;
          stopping.bestWeights = await readWeights(variables);
        } else if (++stopping.wait >= options.earlyStopping.patience) {
          stoppedEarly = true;
        }
      }
      // The callback first: what it saves (a run folder's model) is never missing after a resume.
      await options.onEpochEnd?.(log, history);
      if (options.checkpointPath) await checkpoint(null);
    }
    let bestEpoch = history.length;
    if (
      options.earlyStopping && (options.earlyStopping.restoreBestWeights ?? true) &&
      stopping.bestWeights
    ) {
      stopping.bestWeights.forEach((a, i) => variables[i].assign(tf.tensor(a, variables[i].shape)));
      bestEpoch = stopping.bestEpoch;
    }
    return { history, bestEpoch, stoppedEarly, resumedEpochs, sittings };
  } finally {
    batches.dispose();
    optimizer.dispose();
  }
}

/**
 * Loss (Huber by default) and MAE of `model` on `data`, computed in batches on the device; on
 * `cpu-blas` the predictions come from the forward plan (`backend/blas_forward.ts`).
 */
export async function evaluate(
  model: tfl.LayersModel,
  data: XY,
  options: { batchSize?: number; huberDelta?: number; loss?: LossName } = {},
): Promise<{ loss: number; mae: number }> {
  const batchSize = options.batchSize ?? 1024;
  const delta = options.huberDelta ?? 1;
  const lossName = options.loss ?? "huber";
  const length = inputLength(model);
  const n = checkXY(data, length, "evaluation");
  // On cpu-blas the forward pass runs as one plan of BLAS calls (lib/backend/blas_forward.ts).
  const planned = forwardPlanOf(model)?.predict(data.x) ?? null;
  const sums = tf.variable(tf.zeros([2]), false);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    tf.tidy(() => {
      const prediction = planned
        ? tf.tensor2d(planned.subarray(begin, begin + size), [size, 1])
        : model.apply(
          tf.tensor3d(data.x.subarray(begin * length, (begin + size) * length), [size, length, 1]),
          { training: false },
        ) as tf.Tensor;
      const yb = tf.tensor2d(data.y.subarray(begin, begin + size), [size, 1]);
      const loss = tf.mul(batchLoss(lossName, yb, prediction, delta), size);
      const abs = tf.sum(tf.abs(tf.sub(prediction, yb)));
      sums.assign(tf.add(sums, tf.stack([loss, abs])));
    });
  }
  const [loss, abs] = await sums.data();
  sums.dispose();
  return { loss: loss / n, mae: abs / n };
}

/**
 * Predicted redshift of each row of `x` (scaled, `n × length`), in batches; on `cpu-blas` through
 * the forward plan (`backend/blas_forward.ts`), which gives tfjs's predictions within float32
 * rounding, faster.
 */
export async function predict(
  model: tfl.LayersModel,
  x: Float32Array,
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 1024;
  const length = inputLength(model);
  const n = x.length / length;
  if (!Number.isInteger(n)) throw new RangeError(`${x.length} values are not rows of ${length}`);
  const plan = forwardPlanOf(model);
  if (plan) return plan.predict(x);
  const out = new Float32Array(n);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const prediction = tf.tidy(() =>
      model.apply(
        tf.tensor3d(x.subarray(begin * length, (begin + size) * length), [size, length, 1]),
        { training: false },
      ) as tf.Tensor
    );
    out.set(await prediction.data() as Float32Array, begin);
    prediction.dispose();
  }
  return out;
}

/** Seed of epoch `epoch`'s shuffle: a hash of (seed, epoch), so resumed runs shuffle alike. */
export function epochSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(epoch, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

function inputLength(model: tfl.LayersModel): number {
  const shape = model.inputs[0].shape;
  return shape[1] as number;
}

function checkXY(data: XY, length: number, what: string): number {
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

async function readWeights(variables: tf.Variable[]): Promise<Float32Array[]> {
  return await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
}

function runFingerprint(
  variables: tf.Variable[],
  nTrain: number,
  validation: XY | undefined,
  options: TrainOptions,
): string {
  return JSON.stringify({
    shapes: variables.map((v) => v.shape),
    nTrain,
    nValidation: validation?.y.length ?? 0,
    batchSize: options.batchSize,
    seed: options.seed,
    learningRate: typeof options.learningRate === "function"
      ? options.learningRate.toString()
      : options.learningRate ?? 0.001,
    huberDelta: options.huberDelta ?? 1,
    loss: options.loss ?? "huber",
    optimizer: options.optimizer ?? "adamax",
    earlyStopping: options.earlyStopping ?? null,
  });
}

interface Checkpoint {
  fingerprint: string;
  history: EpochLog[];
  stopping: { best: number; bestEpoch: number; wait: number; bestWeights: Float32Array[] | null };
  weights: Float32Array[];
  optimizer: OptimizerState;
  /** Sittings so far (checkpoints written before it was recorded: 1). */
  sittings: number;
  /** Where an epoch stopped, when the checkpoint was written within it. */
  partial: PartialEpoch | null;
}

/** An epoch stopped after `step` steps: its running sums, rate and seconds so far. */
interface PartialEpoch {
  epoch: number;
  step: number;
  lossSum: number;
  maeSum: number;
  learningRate: number;
  seconds: number;
}

async function writeCheckpoint(path: string, c: Checkpoint): Promise<void> {
  const best = c.stopping.bestWeights ?? [];
  const header = {
    version: CHECKPOINT_VERSION,
    fingerprint: c.fingerprint,
    history: c.history,
    stopping: { best: c.stopping.best, bestEpoch: c.stopping.bestEpoch, wait: c.stopping.wait },
    optimizerStep: c.optimizer.step,
    sittings: c.sittings,
    partial: c.partial,
    // array counts: weights, each optimiser slot, best weights
    groups: [c.weights.length, ...c.optimizer.slots.map((s) => s.length), best.length],
  };
  const arrays = [...c.weights, ...c.optimizer.slots.flat(), ...best];
  await writeFileAtomic(path, encodeTensorFile(header, arrays));
}

async function readCheckpoint(
  path: string,
  fingerprint: string,
  nWeights: number,
): Promise<Checkpoint | null> {
  const decoded = await readCheckpointFile(path);
  if (decoded === null) return null;
  const h = decoded.header as Record<string, unknown> & { groups: number[] };
  if (h.fingerprint !== fingerprint) {
    throw new CheckpointError(
      path,
      "written by a different run (model, data sizes or options differ); " +
        "delete it or choose another checkpoint path",
    );
  }
  const [nw, ...rest] = h.groups;
  const slotCounts = rest.slice(0, -1), nBest = rest[rest.length - 1];
  if (nw !== nWeights || slotCounts.some((n) => n !== nWeights)) {
    throw new CheckpointError(path, `checkpoint holds ${nw} weights, the model has ${nWeights}`);
  }
  const a = decoded.arrays;
  const slotsEnd = nw * (1 + slotCounts.length);
  const stopping = h.stopping as { best: number | null; bestEpoch: number; wait: number };
  return {
    fingerprint,
    history: h.history as EpochLog[],
    stopping: {
      best: stopping.best ?? Infinity, // JSON turns Infinity into null
      bestEpoch: stopping.bestEpoch,
      wait: stopping.wait,
      bestWeights: nBest ? a.slice(slotsEnd) : null,
    },
    weights: a.slice(0, nw),
    optimizer: {
      step: h.optimizerStep as number,
      slots: slotCounts.map((_, s) => a.slice(nw * (1 + s), nw * (2 + s))),
    },
    sittings: typeof h.sittings === "number" ? h.sittings : 1,
    partial: (h.partial ?? null) as PartialEpoch | null,
  };
}
