/**
 * Training on `cpu-blas` as one plan: the loss, its gradient for every weight and the batch's
 * absolute error, for a Conv1D / MaxPooling1D / Flatten / Dense network of ReLU and linear layers,
 * as BLAS calls and fused loops over buffers allocated once. A convolution block's forward pass is
 * its GEMMs and one loop (pooling, bias and ReLU), its backward pass one loop (their gradients and
 * the bias sum) and its GEMMs; for a window of 2, ReLU and a bias both loops are SIMD kernels
 * (`_simd_kernels.wat`). Through tfjs the same step runs 279 kernels (`docs/performance.md`).
 *
 * The gradients are tfjs's within float32 rounding (the same products summed in another order;
 * `tests/blas_gradients_test.ts`); the pooling's gradient goes to the window's first maximum and
 * the ReLU's is 0 at 0, as tfjs's are.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BLAS_BACKEND, sgemm } from "./_blas_arrays.ts";
import {
  compileNetwork,
  type ConvStep,
  type DenseStep,
  forwardStep,
  outputRowLength,
  readWeights,
  runsSimdPairRelu,
  type Step,
  type StepWeights,
  type Weight,
} from "./_blas_plan_steps.ts";
import {
  convolveFilterGradient,
  convolveInputGradient,
  productRowStride,
  windowRowLength,
} from "./_conv.ts";
import { poolBiasActivateGradient, zeroUnreadPositions } from "./_pooling.ts";
import { SimdArena, simdAvailable } from "./_simd.ts";

/**
 * Rows a pass of the plan takes; a larger batch passes in parts whose gradients add up. As for
 * `train()`'s `gradientChunk`: a part's activations stay near the cache.
 */
export const GRADIENT_ROWS = 64;

/** The losses the plan differentiates on one output, as `train()` names them. */
export type PlanLossName = "huber" | "mse" | "mae";

/**
 * How the plan scores a batch: a {@link PlanLossName} on the network's one output, or the
 * cross-entropy of the softmax of its K outputs against soft labels (`labels`, rows × K, each
 * row summing to 1), whose point estimate for the absolute error is the mean over bin `centres`.
 */
export type PlanLoss = PlanLossName | { labels: Float32Array; centres: Float32Array };

/** What one batch gave: its summed loss and summed absolute error, over its rows. */
export interface BatchSums {
  lossSum: number;
  absErrorSum: number;
}

/** A compiled training pass: {@link GradientPlan.compute} fills {@link GradientPlan.gradients}. */
export interface GradientPlan {
  /** Samples per input row. */
  readonly inputLength: number;
  /** One array per trainable weight, in `model.trainableWeights`' order; rewritten by every call. */
  readonly gradients: readonly Float32Array[];
  /**
   * The gradient of the mean loss over the rows of `x` (targets `y`), into
   * {@link GradientPlan.gradients}; Huber's threshold is `delta`. With `weights` (one per row),
   * each row's loss counts that many times in the mean over the rows.
   */
  compute(
    x: Float32Array,
    y: Float32Array,
    loss: PlanLoss,
    delta: number,
    weights?: Float32Array,
  ): BatchSums;
}

/**
 * The training plan of `model` on `cpu-blas`, or null where it cannot run it: another backend, a
 * layer or setting the forward plan does not take, an activation other than ReLU or linear, a
 * pooling window other than 2, or weights that are not all trainable. The last dense layer may have
 * several outputs: the logits of a classification head.
 * `options.simd: false` keeps the pooling loops in JavaScript where WebAssembly SIMD would run
 * them (as where the runtime lacks it), for comparison.
 */
export function planGradients(
  model: tfl.LayersModel,
  rowsPerPass: number = GRADIENT_ROWS,
  options: { simd?: boolean } = {},
): GradientPlan | null {
  const network = compileNetwork(model, "any");
  if (!network) return null;
  const { inputLength, steps } = network;
  if (
    steps.some((s) =>
      (s.activation !== "relu" && s.activation !== "linear") ||
      (s.kind === "conv" && s.pool > 2)
    )
  ) return null;
  const weights = steps.flatMap((s) => s.bias ? [s.kernel, s.bias] : [s.kernel]);
  const trainable = model.trainableWeights as unknown as Weight[];
  if (
    model.nonTrainableWeights.length > 0 || trainable.length !== weights.length ||
    trainable.some((w, i) => w !== weights[i])
  ) return null;
  return new BlasGradientPlan(inputLength, steps, weights, rowsPerPass, options.simd ?? true);
}

/**
 * A plan's buffers for passes of `rows` rows, from `arena`: per step its output, a convolution's
 * GEMM output and windows, the bias's gradient (summed in float64 over a batch's passes) and,
 * `simd`, its bias for the SIMD kernels; the gradients flowing back (`back`: a step's output
 * gradient and its input's, in turn); a convolution's gradient before pooling and activation,
 * laid out as its GEMM output; the window matrix's gradient, for a copied-window convolution that
 * is not the first step.
 */
function allocateBuffers(
  arena: Pick<SimdArena, "alloc" | "allocFloat64">,
  inputLength: number,
  steps: Step[],
  rows: number,
  simd: boolean,
) {
  const float32 = (n: number) => arena.alloc(n);
  const conv = (s: Step, floats: (c: ConvStep) => number) =>
    s.kind === "conv" ? rows * floats(s) : 0;
  const back = rows * Math.max(inputLength, ...steps.map(outputRowLength));
  return {
    steps: steps.map((s) => ({
      output: float32(rows * outputRowLength(s)),
      product: float32(conv(s, productRowStride)),
      windows: float32(conv(s, windowRowLength)),
      biasSum: arena.allocFloat64(s.bias ? (s.kind === "conv" ? s.channels : s.units) : 0),
    })),
    simdBias: steps.map((s) =>
      simd && runsSimdPairRelu(s) ? float32((s as ConvStep).channels) : null
    ),
    back: [float32(back), float32(back)],
    productGradient: float32(Math.max(0, ...steps.map((s) => conv(s, productRowStride)))),
    windowGradient: float32(Math.max(0, ...steps.slice(1).map((s) => conv(s, windowRowLength)))),
  };
}

class BlasGradientPlan implements GradientPlan {
  readonly gradients: Float32Array[];
  #steps: Step[];
  /** Each step's kernel and bias gradients (views of {@link gradients}). */
  #stepGradients: { kernel: Float32Array; bias: Float32Array | null }[];
  /**
   * The pass's buffers. Where the runtime has WebAssembly SIMD, they live in `#arena` (but the
   * weights' gradients), so that the SIMD kernels run a block's pooling, bias and ReLU and their
   * gradients; `simdBias`: per step, its bias copied there for them, or null where the JavaScript
   * loops run.
   */
  #b: ReturnType<typeof allocateBuffers>;
  #arena: SimdArena | null = null;

  constructor(
    readonly inputLength: number,
    steps: Step[],
    weights: Weight[],
    readonly rowsPerPass: number,
    simd: boolean,
  ) {
    if (!(Number.isInteger(rowsPerPass) && rowsPerPass >= 1)) {
      throw new RangeError(`rowsPerPass must be a whole number at least 1, got ${rowsPerPass}`);
    }
    this.#steps = steps;
    const inArena = simd && steps.some(runsSimdPairRelu) && simdAvailable();
    // Plain arrays, counted; then, for SIMD, the same in an arena of their size.
    const counter = {
      floats: 0,
      arrays: 0,
      alloc(n: number) {
        counter.floats += n;
        counter.arrays++;
        return new Float32Array(n);
      },
      allocFloat64: (n: number) => new Float64Array(counter.alloc(2 * n).buffer),
    };
    this.#b = allocateBuffers(counter, inputLength, steps, rowsPerPass, inArena);
    if (inArena) {
      this.#arena = SimdArena.create(counter.floats, counter.arrays);
      this.#b = allocateBuffers(this.#arena!, inputLength, steps, rowsPerPass, inArena);
    }
    this.gradients = weights.map((w) => new Float32Array(w.read().size));
    let next = 0;
    this.#stepGradients = steps.map((s) => ({
      kernel: this.gradients[next++],
      bias: s.bias ? this.gradients[next++] : null,
    }));
  }

  compute(
    x: Float32Array,
    y: Float32Array,
    loss: PlanLoss,
    delta: number,
    weights?: Float32Array,
  ): BatchSums {
    const n = y.length;
    if (x.length !== n * this.inputLength || n < 1) {
      throw new RangeError(
        `${x.length} values are not ${n} rows of ${this.inputLength} (one per target)`,
      );
    }
    if (tf.getBackend() !== BLAS_BACKEND) {
      throw new Error(`the training plan runs on ${BLAS_BACKEND}, not ${tf.getBackend()}`);
    }
    const values = readWeights(this.#steps);
    values.forEach(({ bias }, i) => this.#b.simdBias[i]?.set(bias!));
    for (const b of this.#b.steps) b.biasSum.fill(0);
    const sums: BatchSums = { lossSum: 0, absErrorSum: 0 };
    for (let begin = 0; begin < n; begin += this.rowsPerPass) {
      const rows = Math.min(this.rowsPerPass, n - begin);
      const input = x.subarray(begin * this.inputLength, (begin + rows) * this.inputLength);
      const inputs = this.#forward(rows, input, values);
      const outputs = this.#b.steps[this.#b.steps.length - 1].output;
      const targets = y.subarray(begin, begin + rows), w = weights?.subarray(begin, begin + rows);
      if (typeof loss === "string") {
        lossGradient(outputs, targets, loss, delta, 1 / n, this.#b.back[0], sums, w);
      } else {
        const k = loss.centres.length, labels = loss.labels.subarray(begin * k, (begin + rows) * k);
        softLabelGradient(outputs, targets, labels, loss.centres, 1 / n, this.#b.back[0], sums, w);
      }
      this.#backward(rows, inputs, values, begin > 0);
    }
    this.#stepGradients.forEach((g, i) => g.bias?.set(this.#b.steps[i].biasSum));
    return sums;
  }

  /** Runs the steps over one pass's rows; returns each step's input. */
  #forward(rows: number, x: Float32Array, weights: StepWeights[]): Float32Array[] {
    const inputs: Float32Array[] = [];
    let input = x;
    this.#steps.forEach((step, i) => {
      inputs.push(input);
      const bias = this.#b.simdBias[i];
      const simd = bias ? { arena: this.#arena!, bias } : null;
      forwardStep(step, rows, input, weights[i], this.#b.steps[i], simd);
      input = this.#b.steps[i].output;
    });
    return inputs;
  }

  /**
   * From the output's gradient in `#back[0]` back to the first step, adding each weight's
   * gradient to its array (`accumulate`) or writing it (the batch's first pass).
   */
  #backward(rows: number, inputs: Float32Array[], weights: StepWeights[], accumulate: boolean) {
    let [gradient, spare] = this.#b.back;
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i], kernelGradient = this.#stepGradients[i].kernel;
      const pass = { rows, input: inputs[i], gradient, kernelGradient, accumulate };
      const inputGradient = i > 0 ? spare : null, kernel = weights[i].kernel;
      if (step.kind === "dense") {
        denseBackward(step, this.#b.steps[i], pass, kernel, inputGradient);
      } else this.#convBackward(step, i, pass, kernel, inputGradient);
      [gradient, spare] = [spare, gradient];
    }
  }

  /**
   * A convolution step's backward pass: one loop routes each pooled gradient to its window's
   * winner through the ReLU and sums the bias's gradient, into `#productGradient` (laid out as
   * the GEMMs' output, zero where no window reads), in the SIMD kernel where it runs the step
   * (the same gradients, zeros may differ in sign, and the same bias sums, added in the same
   * order); then the kernel's gradient and the input's as GEMMs.
   */
  #convBackward(
    step: ConvStep,
    i: number,
    { rows, input, gradient: g, kernelGradient, accumulate }: Pass,
    kernel: Float32Array,
    inputGradient: Float32Array | null,
  ) {
    const { product, output: out, windows, biasSum } = this.#b.steps[i];
    const pg = this.#b.productGradient, stride = productRowStride(step), arena = this.#arena!;
    const { length, channels } = step;
    if (this.#b.simdBias[i]) {
      arena.run("pairReluBackward", product, rows, stride, length, channels, out, g, pg, biasSum);
      zeroUnreadPositions(rows, stride, step, pg);
    } else {
      poolBiasActivateGradient(product, rows, stride, step, out, g, pg, step.bias && biasSum);
    }
    convolveFilterGradient(step, rows, input, windows, pg, kernelGradient, accumulate);
    if (inputGradient) {
      convolveInputGradient(step, rows, pg, kernel, inputGradient, this.#b.windowGradient);
    }
  }
}

/** A pass's arrays for one step's backward pass. */
interface Pass {
  rows: number;
  /** The step's input. */
  input: Float32Array;
  /** The gradient of the step's output (a dense step's is rewritten). */
  gradient: Float32Array;
  kernelGradient: Float32Array;
  /** Whether the kernel's gradient adds to its array (a batch's later passes). */
  accumulate: boolean;
}

/**
 * The gradient of the batch's mean loss for each prediction (`scale` = 1 / batch rows, times the
 * row's weight when weighted) into `gradient`, and the pass's summed (weighted) loss and absolute
 * error into `sums`. tfjs's definitions: Huber 0.5 e² within δ and δ (|e| − δ / 2) beyond,
 * gradient e clipped to ±δ; MSE e², gradient 2e; MAE |e|, gradient +1 where e > 0 and −1
 * elsewhere (tfjs's `step(e, −1)`).
 */
function lossGradient(
  predictions: Float32Array,
  targets: Float32Array,
  loss: PlanLossName,
  delta: number,
  scale: number,
  gradient: Float32Array,
  sums: BatchSums,
  weights?: Float32Array,
) {
  for (let r = 0; r < targets.length; r++) {
    const e = predictions[r] - targets[r], size = Math.abs(e);
    let value: number, slope: number;
    if (loss === "huber") {
      const inside = Math.min(size, delta);
      value = 0.5 * inside * inside + delta * (size - inside);
      slope = Math.max(-delta, Math.min(delta, e));
    } else if (loss === "mse") {
      value = e * e;
      slope = 2 * e;
    } else {
      value = size;
      slope = e > 0 ? 1 : -1;
    }
    const w = weights ? weights[r] : 1; // × 1 is exact: the unweighted bits stay
    sums.lossSum += value * w;
    sums.absErrorSum += size;
    gradient[r] = slope * w * scale;
  }
}

/**
 * The soft-label loss's gradient for each logit into `gradient`: softmax(logits) − label, times
 * `scale` (and the row's weight); the pass's summed cross-entropy −Σ label·log softmax and the
 * absolute error of the softmax's mean over `centres` into `sums`. Computed in float64.
 */
function softLabelGradient(
  logits: Float32Array,
  targets: Float32Array,
  labels: Float32Array,
  centres: Float32Array,
  scale: number,
  gradient: Float32Array,
  sums: BatchSums,
  weights?: Float32Array,
) {
  const k = centres.length, p = new Float64Array(k);
  for (let r = 0; r < targets.length; r++) {
    const row = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[row + j]);
    let total = 0;
    for (let j = 0; j < k; j++) total += p[j] = Math.exp(logits[row + j] - max);
    const logTotal = Math.log(total), w = weights ? weights[r] : 1;
    let crossEntropy = 0, mean = 0;
    for (let j = 0; j < k; j++) {
      p[j] /= total;
      crossEntropy -= labels[row + j] * (logits[row + j] - max - logTotal);
      mean += p[j] * centres[j];
      gradient[row + j] = (p[j] - labels[row + j]) * w * scale;
    }
    sums.lossSum += crossEntropy * w;
    sums.absErrorSum += Math.abs(mean - targets[r]);
  }
}

/**
 * A dense step's backward pass: the gradient before the activation (in place in `gradient`) and
 * the bias's sum in one loop, then the kernel's gradient and the input's as GEMMs.
 */
function denseBackward(
  step: DenseStep,
  b: { output: Float32Array; biasSum: Float64Array },
  { rows, input, gradient, kernelGradient: dw, accumulate }: Pass,
  kernel: Float32Array,
  dx: Float32Array | null,
) {
  const { inputs, units } = step;
  const relu = step.activation === "relu", out = b.output, biasSum = b.biasSum;
  const hasBias = step.bias !== null;
  for (let r = 0, k = 0; r < rows; r++) {
    for (let u = 0; u < units; u++, k++) {
      // ReLU's gradient as a factor (no branch on the sign): relu(z) > 0 exactly where z > 0.
      const g = relu ? gradient[k] * +(out[k] > 0) : gradient[k];
      gradient[k] = g;
      if (hasBias) biasSum[u] += g;
    }
  }
  const beta = accumulate ? 1 : 0;
  sgemm({ m: inputs, n: units, k: rows, a: input, b: gradient, c: dw, transposeA: true, beta });
  if (dx) sgemm({ m: rows, n: inputs, k: units, a: gradient, b: kernel, c: dx, transposeB: true });
}
