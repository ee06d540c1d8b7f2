/**
 * One training step of `train()` (the batch's gradient, one optimiser update, the epoch's running
 * sums), in two forms: through tfjs's kernels and autodiff on any backend, or through the
 * `cpu-blas` training plan (`backend/blas_gradients.ts`), which gives the same gradients within
 * float32 rounding without tfjs's per-kernel bookkeeping.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Optimizer } from "./optimizers/optimizers.ts";
import { type GradientPlan, planGradients, type PlanLossName } from "./backend/blas_gradients.ts";
import { tensorOver } from "./backend/blas_backend.ts";

/** The losses a network can be trained with: every one the training plan differentiates. */
export type LossName = PlanLossName;

/** Mean loss of a batch: Huber with threshold `delta`, or mean squared or absolute error. */
export function batchLoss(
  name: LossName,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  delta: number,
): tf.Scalar {
  switch (name) {
    case "huber":
      return tf.losses.huberLoss(yTrue, yPred, undefined, delta) as tf.Scalar;
    case "mse":
      return tf.losses.meanSquaredError(yTrue, yPred) as tf.Scalar;
    case "mae":
      return tf.losses.absoluteDifference(yTrue, yPred) as tf.Scalar;
  }
}

/** What a step needs besides its batch. */
export interface StepSettings {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: Optimizer;
  loss: LossName;
  delta: number;
  /** Rows per forward and backward pass (see `TrainOptions.gradientChunk`). */
  chunk: number;
}

/** Training steps over one training set, an epoch at a time. */
export interface TrainingSteps {
  /** Starts an epoch: its batch order, and running sums to go on from (a resumed epoch's). */
  startEpoch(order: Int32Array, lossSum: number, absErrorSum: number): void;
  /** One update from rows `order[begin … begin + size)` at `learningRate`. */
  step(begin: number, size: number, learningRate: number): void;
  /** The epoch's summed loss (batch means × rows) and summed absolute error so far. */
  sums(): Promise<{ lossSum: number; absErrorSum: number }>;
  /** Frees what the steps hold (the order, device copies of the data). */
  dispose(): void;
}

/**
 * The training plan's steps where `cpu-blas` can run `model` (and `usePlan` allows it), else
 * tfjs's; `x` is `n × length` row-major, `y` one target per row.
 */
export function trainingSteps(
  settings: StepSettings,
  data: { x: Float32Array; y: Float32Array; length: number },
  batchSize: number,
  usePlan: boolean,
): TrainingSteps {
  const plan = usePlan ? planGradients(settings.model, Math.min(settings.chunk, batchSize)) : null;
  return plan ? new PlanSteps(settings, plan, data, batchSize) : new TfjsSteps(settings, data);
}

/**
 * Steps through tfjs: the data stays on the device; each step gathers its batch there, and the
 * sums stay on the device, read back only for progress reports and at the end of an epoch.
 */
class TfjsSteps implements TrainingSteps {
  #x: tf.Tensor;
  #y: tf.Tensor;
  #order: tf.Tensor1D | null = null;
  #lossSum = tf.variable(tf.scalar(0), false);
  #absErrorSum = tf.variable(tf.scalar(0), false);

  constructor(
    readonly settings: StepSettings,
    data: { x: Float32Array; y: Float32Array; length: number },
  ) {
    const n = data.y.length;
    this.#x = tf.tensor3d(data.x, [n, data.length, 1]);
    this.#y = tf.tensor2d(data.y, [n, 1]);
  }

  startEpoch(order: Int32Array, lossSum: number, absErrorSum: number) {
    this.#order?.dispose();
    this.#order = tf.tensor1d(order, "int32");
    this.#lossSum.assign(tf.scalar(lossSum));
    this.#absErrorSum.assign(tf.scalar(absErrorSum));
  }

  step(begin: number, size: number, learningRate: number) {
    tf.tidy(() => {
      const rows = tf.slice(this.#order!, begin, size);
      const { loss, grads, absError } = this.#batchGradients(rows);
      this.settings.optimizer.apply(grads, learningRate);
      this.#lossSum.assign(tf.add(this.#lossSum, tf.mul(loss, size)));
      this.#absErrorSum.assign(tf.add(this.#absErrorSum, absError));
    });
  }

  async sums() {
    return {
      lossSum: (await this.#lossSum.data())[0],
      absErrorSum: (await this.#absErrorSum.data())[0],
    };
  }

  dispose() {
    tf.dispose([this.#x, this.#y, this.#lossSum, this.#absErrorSum]);
    this.#order?.dispose();
  }

  /**
   * The loss, gradients and summed absolute error of one batch, passed through the network
   * `chunk` rows at a time. A batch of at most `chunk` rows takes one pass, unweighted.
   */
  #batchGradients(batchRows: tf.Tensor1D) {
    const { model, variables, loss: lossName, delta, chunk } = this.settings;
    const size = batchRows.shape[0];
    let loss: tf.Scalar | null = null, absError: tf.Scalar | null = null;
    let grads: tf.Tensor[] | null = null;
    for (let from = 0; from < size; from += chunk) {
      const n = Math.min(chunk, size - from);
      const rows = n === size ? batchRows : tf.slice(batchRows, from, n);
      const xc = tf.gather(this.#x, rows), yc = tf.gather(this.#y, rows);
      let prediction: tf.Tensor | null = null;
      const { value, grads: byName } = tf.variableGrads(() => {
        // kept: variableGrads frees its intermediates, and the MAE needs it
        prediction = tf.keep(model.apply(xc, { training: true }) as tf.Tensor);
        const mean = batchLoss(lossName, yc, prediction, delta);
        return n === size ? mean : tf.mul(mean, n / size);
      }, variables);
      const chunkGrads = variables.map((v) => byName[v.name]);
      const chunkAbsError = tf.sum(tf.abs(tf.sub(prediction!, yc))) as tf.Scalar;
      (prediction as tf.Tensor | null)?.dispose();
      grads = grads ? grads.map((g, i) => tf.add(g, chunkGrads[i])) : chunkGrads;
      loss = loss ? tf.add(loss, value) : value;
      absError = absError ? tf.add(absError, chunkAbsError) : chunkAbsError;
    }
    return { loss: loss!, grads: grads!, absError: absError! };
  }
}

/**
 * Steps through the `cpu-blas` training plan: the batch's rows are copied from the host arrays,
 * the plan fills its gradient arrays, and the optimiser reads them where they are. The sums are
 * float64 on the host.
 */
class PlanSteps implements TrainingSteps {
  #order: Int32Array = new Int32Array(0);
  #batchX: Float32Array;
  #batchY: Float32Array;
  #lossSum = 0;
  #absErrorSum = 0;

  constructor(
    readonly settings: StepSettings,
    readonly plan: GradientPlan,
    readonly data: { x: Float32Array; y: Float32Array; length: number },
    batchSize: number,
  ) {
    this.#batchX = new Float32Array(batchSize * data.length);
    this.#batchY = new Float32Array(batchSize);
  }

  startEpoch(order: Int32Array, lossSum: number, absErrorSum: number) {
    this.#order = order;
    this.#lossSum = lossSum;
    this.#absErrorSum = absErrorSum;
  }

  step(begin: number, size: number, learningRate: number) {
    const { x, y, length } = this.data;
    const batchX = this.#batchX.subarray(0, size * length), batchY = this.#batchY.subarray(0, size);
    for (let i = 0; i < size; i++) {
      const row = this.#order[begin + i];
      batchX.set(x.subarray(row * length, (row + 1) * length), i * length);
      batchY[i] = y[row];
    }
    const { loss, delta, variables, optimizer } = this.settings;
    const sums = this.plan.compute(batchX, batchY, loss, delta);
    this.#lossSum += sums.lossSum;
    this.#absErrorSum += sums.absErrorSum;
    const gradients = this.plan.gradients.map((g, i) => tensorOver(g, variables[i].shape));
    try {
      tf.tidy(() => optimizer.apply(gradients, learningRate));
    } finally {
      tf.dispose(gradients);
    }
  }

  sums() {
    return Promise.resolve({ lossSum: this.#lossSum, absErrorSum: this.#absErrorSum });
  }

  dispose() {}
}
