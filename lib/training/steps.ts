/**
 * One training step of `train()` (the batch's gradient, one optimiser update, the epoch's running
 * sums), in two forms: through tfjs's kernels and autodiff on any backend, or through the
 * `cpu-blas` training plan (`backend/blas_gradients.ts`), which gives the same gradients within
 * float32 rounding without tfjs's per-kernel bookkeeping. {@link EngineOptions} choose between
 * them; their defaults are the fastest measured, and only benchmarks and kernel tests change them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { createOptimizer, type Optimizer, type OptimizerName } from "../optimizers/optimizers.ts";
import { registerFastWebGPUKernels } from "../backend/webgpu_kernels.ts";
import { type GradientPlan, planGradients, type PlanLossName } from "../backend/blas_gradients.ts";
import { tensorOver } from "../backend/blas_backend.ts";

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

/**
 * How the steps run, not what they compute: each choice gives the same gradients within float32
 * rounding. For benchmarks and the kernel tests; `train()` takes them apart from its options.
 */
export interface EngineOptions {
  /**
   * Rows per forward and backward pass within a step. A larger batch's gradient is summed chunk
   * by chunk, each chunk's loss weighted by its share of the batch: the same mean gradient over
   * the batch, summed in another order, while each chunk's activations stay in the CPU's cache.
   * Default {@link defaultGradientChunk}.
   */
  gradientChunk?: number;
  /**
   * On `cpu-blas`, run the steps through the training plan where it can run the model (default
   * true); false runs every step through tfjs, for comparison.
   */
  trainingPlan?: boolean;
  /**
   * With Adamax on WebGPU, update the weights with one fused kernel per weight tensor (default
   * true); false runs tfjs's element-wise ops instead, for comparison.
   */
  fusedUpdate?: boolean;
}

/**
 * Rows per forward and backward pass of a training step on `backend`. On the CPU a batch of 256
 * passes the first layer's 48 MB of activations through memory in each element-wise op; chunks of
 * 64 keep a step's working set near the cache, and a step of the dissertation's network at batch
 * 256 took 15–30 % less time than in one pass (`docs/performance.md`, "Issue 25"; 16 and 32 were
 * slower than 64). A GPU wants the whole batch in one pass.
 */
export function defaultGradientChunk(backend: string): number {
  return backend === "cpu" || backend === "cpu-blas" ? 64 : Infinity;
}

/** {@link EngineOptions} with their defaults on `backend`, checked. */
export function resolveEngine(engine: EngineOptions, backend: string): Required<EngineOptions> {
  const gradientChunk = engine.gradientChunk ?? defaultGradientChunk(backend);
  if (!(Number.isInteger(gradientChunk) && gradientChunk >= 1) && gradientChunk !== Infinity) {
    throw new RangeError(`gradientChunk must be a whole number at least 1, got ${gradientChunk}`);
  }
  return {
    gradientChunk,
    trainingPlan: engine.trainingPlan ?? true,
    fusedUpdate: engine.fusedUpdate ?? true,
  };
}

/** What a step needs besides its batch. */
export interface StepSettings {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: Optimizer;
  loss: LossName;
  delta: number;
  /** Rows per forward and backward pass (see {@link EngineOptions.gradientChunk}). */
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
 * The optimiser named by `run` over `variables`, and the steps that apply it to `model`: the
 * training plan's where `cpu-blas` can run the model (and `engine` allows it), else tfjs's.
 * `data.x` is `n × run.length` row-major, `data.y` one target per row.
 */
export function trainingSteps(
  model: tfl.LayersModel,
  variables: tf.Variable[],
  run: {
    optimizer: OptimizerName;
    loss: LossName;
    huberDelta: number;
    batchSize: number;
    length: number;
  },
  data: { x: Float32Array; y: Float32Array },
  engine: EngineOptions,
): { optimizer: Optimizer; batches: TrainingSteps } {
  if (tf.getBackend() === "webgpu") registerFastWebGPUKernels();
  const { gradientChunk: chunk, trainingPlan, fusedUpdate } = resolveEngine(
    engine,
    tf.getBackend(),
  );
  const optimizer = createOptimizer(run.optimizer, variables, { fused: fusedUpdate });
  const settings = { model, variables, optimizer, loss: run.loss, delta: run.huberDelta, chunk };
  const sized = { ...data, length: run.length };
  const plan = trainingPlan ? planGradients(model, Math.min(chunk, run.batchSize)) : null;
  const batches = plan
    ? new PlanSteps(settings, plan, sized, run.batchSize)
    : new TfjsSteps(settings, sized);
  return { optimizer, batches };
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
