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
import { createOptimizer, type Optimizer, type OptimizerName } from "../optimizers/optimizers.ts";
import { registerFastWebGPUKernels } from "../backend/webgpu_kernels.ts";
import {
  GRADIENT_ROWS,
  type GradientPlan,
  planGradients,
  type PlanLossName,
} from "../backend/blas_gradients.ts";
import { tensorOver } from "../backend/blas_backend.ts";
import { type RedshiftBins, softLabels } from "../redshift_bins.ts";

/** The losses a network that outputs z can be trained with: every one the training plan differentiates. */
export type RegressionLoss = PlanLossName;

/**
 * A loss: a {@link RegressionLoss} for a network that outputs z, or "soft-label", the
 * cross-entropy of a classification head's softmax against Gaussian soft labels of z.
 */
export type LossName = RegressionLoss | "soft-label";

/**
 * Loss of a batch: Huber with threshold `delta`, or mean squared or absolute error; the mean by
 * default, each row's with `reduction` NONE.
 */
export function batchLoss(
  name: RegressionLoss,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  delta: number,
  reduction: tf.Reduction = tf.Reduction.SUM_BY_NONZERO_WEIGHTS,
): tf.Scalar {
  switch (name) {
    case "huber":
      return tf.losses.huberLoss(yTrue, yPred, undefined, delta, reduction) as tf.Scalar;
    case "mse":
      return tf.losses.meanSquaredError(yTrue, yPred, undefined, reduction) as tf.Scalar;
    case "mae":
      return tf.losses.absoluteDifference(yTrue, yPred, undefined, reduction) as tf.Scalar;
  }
}

/** What a loss compares the network's output with: its name, Huber δ and a head's bins (or null). */
export interface LossSpec {
  name: LossName;
  delta: number;
  bins: RedshiftBins | null;
}

/** The targets of a batch: z (`n × 1`), and the `n × K` soft labels and `n` sample weights where used. */
export interface BatchTargets {
  z: tf.Tensor;
  labels: tf.Tensor | null;
  weights: tf.Tensor | null;
}

/**
 * The batch's mean loss (each row's loss times its weight, when weighted) and the summed
 * absolute error of its point estimates: the output itself, or the mean of the head's PDF.
 */
export function lossAndError(
  spec: LossSpec,
  targets: BatchTargets,
  output: tf.Tensor,
): { loss: tf.Scalar; absError: tf.Scalar } {
  const { z, labels, weights } = targets;
  const n = z.shape[0]!;
  const estimate = pointEstimate(output, spec.bins);
  const absError = tf.sum(tf.abs(tf.sub(estimate, z))) as tf.Scalar;
  let loss: tf.Scalar;
  if (spec.name === "soft-label") {
    const sum = tf.Reduction.SUM;
    loss = weights
      ? tf.div(tf.losses.softmaxCrossEntropy(labels!, output, weights, 0, sum), n)
      : tf.losses.softmaxCrossEntropy(labels!, output) as tf.Scalar;
  } else if (weights) {
    const perRow = batchLoss(spec.name, z, output, spec.delta, tf.Reduction.NONE);
    loss = tf.div(tf.sum(tf.mul(perRow, tf.reshape(weights, [n, 1]))), n);
  } else {
    loss = batchLoss(spec.name, z, output, spec.delta);
  }
  return { loss, absError };
}

/** z from the network's output: the output itself, or the mean of the head's PDF over `bins`. */
export function pointEstimate(output: tf.Tensor, bins: RedshiftBins | null): tf.Tensor {
  if (!bins) return output;
  return tf.matMul(
    tf.softmax(output),
    tf.tensor2d(Float32Array.from(bins.centres), [bins.count, 1]),
  );
}

/**
 * How the steps run, not what they compute: each choice gives the same gradients within float32
 * rounding. For benchmarks and the kernel tests; `train()` takes them apart from its options.
 */
export interface EngineOptions {
  /**
   * Rows per forward and backward pass within a step: a larger batch's gradient is summed chunk
   * by chunk, each chunk's loss weighted by its share of the batch, so that each chunk's
   * activations stay in the CPU's cache. Default: 64 on the CPU (a step of the dissertation's
   * network took 15–30 % less time than in one pass, `docs/performance.md`, "Issue 25"), the
   * whole batch on a GPU.
   */
  gradientChunk?: number;
  /** On `cpu-blas`, run the steps through the training plan (default true; false: tfjs). */
  trainingPlan?: boolean;
}

/** {@link EngineOptions} with their defaults on `backend`, checked. */
export function resolveEngine(engine: EngineOptions, backend: string): Required<EngineOptions> {
  const cpu = backend === "cpu" || backend === "cpu-blas";
  const gradientChunk = engine.gradientChunk ?? (cpu ? GRADIENT_ROWS : Infinity);
  if (!(Number.isInteger(gradientChunk) && gradientChunk >= 1) && gradientChunk !== Infinity) {
    throw new RangeError(`gradientChunk must be a whole number at least 1, got ${gradientChunk}`);
  }
  return { gradientChunk, trainingPlan: engine.trainingPlan ?? true };
}

/** What the steps need besides the data. */
interface StepSettings {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: Optimizer;
  loss: LossSpec;
  softLabelWidth: number;
  batchSize: number;
  /** Inputs per row. */
  length: number;
  /** Rows per forward and backward pass (see {@link EngineOptions.gradientChunk}). */
  chunk: number;
}

/** Training steps over one training set, an epoch at a time. */
interface TrainingSteps {
  /** Starts an epoch: its batch order, and running sums to go on from (a resumed epoch's). */
  startEpoch(order: Int32Array, lossSum: number, absErrorSum: number): void;
  /** One update from rows `order[begin … begin + size)` at `learningRate`. */
  step(begin: number, size: number, learningRate: number): void;
  /** The epoch's summed loss (batch means × rows) and summed absolute error so far. */
  sums(): Promise<{ lossSum: number; absErrorSum: number }>;
  /** Frees what the steps hold (the order, device copies of the data). */
  dispose(): void;
}

/** The training data: `n × length` inputs, `n` redshifts and `n` sample weights (or none). */
interface StepData {
  x: Float32Array;
  y: Float32Array;
  weights?: Float32Array;
}

/**
 * The optimiser named by `run` over `variables`, and the steps that apply it to `model`: the
 * training plan's where `cpu-blas` can run the model (and `engine` allows it), else tfjs's.
 */
export function trainingSteps(
  model: tfl.LayersModel,
  variables: tf.Variable[],
  run: {
    optimizer: OptimizerName;
    loss: LossSpec;
    softLabelWidth: number;
    batchSize: number;
    length: number;
  },
  data: StepData,
  engine: EngineOptions,
): { optimizer: Optimizer; batches: TrainingSteps } {
  if (tf.getBackend() === "webgpu") registerFastWebGPUKernels();
  const { gradientChunk: chunk, trainingPlan } = resolveEngine(engine, tf.getBackend());
  const optimizer = createOptimizer(run.optimizer, variables);
  const settings = { ...run, model, variables, optimizer, chunk };
  const plan = trainingPlan ? planGradients(model, Math.min(chunk, run.batchSize)) : null;
  const batches = plan ? new PlanSteps(settings, plan, data) : new TfjsSteps(settings, data);
  return { optimizer, batches };
}

/**
 * Steps through tfjs: the data stays on the device; each step gathers its batch there, and the
 * sums stay on the device, read back only for progress reports and at the end of an epoch.
 */
class TfjsSteps implements TrainingSteps {
  #x: tf.Tensor;
  #y: tf.Tensor;
  #labels: tf.Tensor | null;
  #weights: tf.Tensor | null;
  #order: tf.Tensor1D | null = null;
  #lossSum = tf.variable(tf.scalar(0), false);
  #absErrorSum = tf.variable(tf.scalar(0), false);

  constructor(readonly settings: StepSettings, data: StepData) {
    const n = data.y.length, { bins } = settings.loss;
    this.#x = tf.tensor3d(data.x, [n, settings.length, 1]);
    this.#y = tf.tensor2d(data.y, [n, 1]);
    this.#labels = bins
      ? tf.tensor2d(softLabels(data.y, bins, settings.softLabelWidth), [n, bins.count])
      : null;
    this.#weights = data.weights ? tf.tensor1d(data.weights) : null;
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
    this.#labels?.dispose();
    this.#weights?.dispose();
    this.#order?.dispose();
  }

  /**
   * The loss, gradients and summed absolute error of one batch, passed through the network
   * `chunk` rows at a time. A batch of at most `chunk` rows takes one pass, unweighted.
   */
  #batchGradients(batchRows: tf.Tensor1D) {
    const { model, variables, loss: spec, chunk } = this.settings;
    const size = batchRows.shape[0];
    let loss: tf.Scalar | null = null, absError: tf.Scalar | null = null;
    let grads: tf.Tensor[] | null = null;
    for (let from = 0; from < size; from += chunk) {
      const n = Math.min(chunk, size - from);
      const rows = n === size ? batchRows : tf.slice(batchRows, from, n);
      const xc = tf.gather(this.#x, rows);
      const targets = {
        z: tf.gather(this.#y, rows),
        labels: this.#labels && tf.gather(this.#labels, rows),
        weights: this.#weights && tf.gather(this.#weights, rows),
      };
      let chunkAbsError: tf.Scalar | null = null;
      const { value, grads: byName } = tf.variableGrads(() => {
        const output = model.apply(xc, { training: true }) as tf.Tensor;
        const sums = lossAndError(spec, targets, output);
        // kept: variableGrads frees its intermediates
        chunkAbsError = tf.keep(sums.absError);
        return n === size ? sums.loss : tf.mul(sums.loss, n / size);
      }, variables);
      const chunkGrads = variables.map((v) => byName[v.name]);
      grads = grads ? grads.map((g, i) => tf.add(g, chunkGrads[i])) : chunkGrads;
      loss = loss ? tf.add(loss, value) : value;
      absError = absError ? tf.add(absError, chunkAbsError!) : chunkAbsError!;
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
  #batchWeights: Float32Array | null;
  #centres: Float32Array | null;
  #lossSum = 0;
  #absErrorSum = 0;

  constructor(
    readonly settings: StepSettings,
    readonly plan: GradientPlan,
    readonly data: StepData,
  ) {
    const { batchSize, length, loss } = settings;
    this.#batchX = new Float32Array(batchSize * length);
    this.#batchY = new Float32Array(batchSize);
    this.#batchWeights = data.weights ? new Float32Array(batchSize) : null;
    this.#centres = loss.bins ? Float32Array.from(loss.bins.centres) : null;
  }

  startEpoch(order: Int32Array, lossSum: number, absErrorSum: number) {
    this.#order = order;
    this.#lossSum = lossSum;
    this.#absErrorSum = absErrorSum;
  }

  step(begin: number, size: number, learningRate: number) {
    const { x, y, weights } = this.data;
    const { loss, variables, optimizer, length } = this.settings;
    const batchX = this.#batchX.subarray(0, size * length), batchY = this.#batchY.subarray(0, size);
    const batchWeights = this.#batchWeights?.subarray(0, size);
    for (let i = 0; i < size; i++) {
      const row = this.#order[begin + i];
      batchX.set(x.subarray(row * length, (row + 1) * length), i * length);
      batchY[i] = y[row];
      if (batchWeights) batchWeights[i] = weights![row];
    }
    const planLoss = loss.bins
      ? {
        labels: softLabels(batchY, loss.bins, this.settings.softLabelWidth),
        centres: this.#centres!,
      }
      : loss.name as PlanLossName;
    const sums = this.plan.compute(batchX, batchY, planLoss, loss.delta, batchWeights);
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
