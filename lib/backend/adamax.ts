/**
 * Adamax's update (Kingma & Ba 2015, section 7.1), one implementation per device, each rewriting
 * the weight, first moment m and infinity norm u of every tensor in place:
 *
 *   m ← β₁ m + (1 − β₁) g,   u ← max(β₂ u, |g|),   w ← w − stepSize · m / (u + ε)
 *
 * {@link adamaxReference} is the plain JavaScript loop the tests hold the others to: it rounds to
 * float32 after every operation, as tfjs's element-wise kernels do, and so gives their weights bit
 * for bit; the SIMD loop's float32 lanes round the same way.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  BLAS_BACKEND,
  inPlaceValues,
  privateFloat32,
  tensorOver,
  valuesOf,
} from "./_blas_arrays.ts";
import { ReusedArena } from "./_simd.ts";
import { webgpuAdamax } from "./_webgpu_adamax.ts";

/** One update's hyperparameters; `stepSize` is lr / (1 − β₁ᵗ). */
export interface AdamaxStep {
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The update's constants, each as float32 rounds it. */
export type AdamaxConstants = AdamaxStep & { oneMinusBeta1: number };

/** A weight tensor with its first moment, infinity norm and gradient (float32, one size). */
export interface AdamaxTensors {
  weight: tf.Variable;
  firstMoment: tf.Variable;
  infNorm: tf.Variable;
  gradient: tf.Tensor;
}

/** A tensor's weights, first moments and infinity norms, as arrays. */
export interface AdamaxArrays {
  weight: Float32Array;
  firstMoment: Float32Array;
  infNorm: Float32Array;
}

/**
 * Applies one Adamax update to every weight tensor on the active backend's device. With
 * `reference`, the CPU backends run {@link adamaxReference} instead of the SIMD loop (WebGPU has
 * no host copy to run it on).
 */
export function adamaxUpdate(
  tensors: AdamaxTensors[],
  step: AdamaxStep,
  options: { reference?: boolean } = {},
): void {
  tensors.forEach(({ weight, firstMoment, infNorm, gradient }, i) => {
    const all = [weight, firstMoment, infNorm, gradient];
    if (all.some((t) => t.size !== gradient.size || t.dtype !== "float32")) {
      throw new RangeError(`Adamax tensor ${i}: sizes or dtypes differ`);
    }
  });
  const backend = tf.getBackend();
  if (backend === "webgpu" && !options.reference) webgpuAdamax(tensors, step);
  else if (backend === BLAS_BACKEND || backend === "cpu") {
    cpuAdamax(tensors, adamaxConstants(step), options.reference ?? false);
  } else {
    throw new Error(
      `Adamax runs on webgpu, ${BLAS_BACKEND} and cpu (the reference on the CPU ones)`,
    );
  }
}

/** The update's constants, each as float32 rounds it (as `tf.scalar` would hold them). */
export function adamaxConstants(step: AdamaxStep): AdamaxConstants {
  const f = Math.fround;
  return {
    beta1: f(step.beta1),
    oneMinusBeta1: f(1 - step.beta1),
    beta2: f(step.beta2),
    epsilon: f(step.epsilon),
    stepSize: f(step.stepSize),
  };
}

/**
 * The update as a plain JavaScript loop: `from` and `gradient` into `out` (which may be `from`),
 * every operation rounded to float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adamaxConstants, adamaxReference } from "./adamax.ts";
 * const state = { weight: Float32Array.of(1), firstMoment: Float32Array.of(0), infNorm: Float32Array.of(0) };
 * const step = { stepSize: 0.001 / (1 - 0.9), beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
 * adamaxReference(state, Float32Array.of(2), state, adamaxConstants(step));
 * assert.ok(Math.abs(state.weight[0] - (1 - 0.001)) < 1e-6); // the first step moves w by lr
 * ```
 */
export function adamaxReference(
  from: AdamaxArrays,
  gradient: Float32Array,
  out: AdamaxArrays,
  constants: AdamaxConstants,
): void {
  const { beta1, oneMinusBeta1, beta2, epsilon, stepSize } = constants;
  const { weight: w0, firstMoment: m0, infNorm: u0 } = from;
  const { weight: w, firstMoment: m, infNorm: u } = out;
  const f = Math.fround;
  for (let j = 0; j < gradient.length; j++) {
    const gj = gradient[j];
    const newM = f(f(m0[j] * beta1) + f(gj * oneMinusBeta1));
    const newU = Math.max(f(u0[j] * beta2), Math.abs(gj));
    m[j] = newM;
    u[j] = newU;
    w[j] = w0[j] - f(f(newM / f(newU + epsilon)) * stepSize);
  }
}

/**
 * The CPU backends' update: one loop per tensor, which reads each weight, moment and gradient once
 * (tfjs's element-wise ops would take ten kernels a tensor, each writing a new array). Arrays are
 * rewritten in place while the backend alone holds them (`inPlaceValues`: on `cpu-blas`, but the
 * first update and the first after anything read them out, a checkpoint or early stopping's best
 * weights); else the loop writes new arrays that the variables take.
 */
function cpuAdamax(tensors: AdamaxTensors[], constants: AdamaxConstants, reference: boolean) {
  for (const { weight, firstMoment, infNorm, gradient } of tensors) {
    const targets = [weight, firstMoment, infNorm];
    const from = targets.map(valuesOf);
    const to = targets.map((t) => inPlaceValues(t) ?? privateFloat32(gradient.size));
    const arrays = ([w, m, u]: Float32Array[]) => ({ weight: w, firstMoment: m, infNorm: u });
    const g = valuesOf(gradient);
    if (reference || !simdAdamax(from, g, to, constants)) {
      adamaxReference(arrays(from), g, arrays(to), constants);
    }
    targets.forEach((t, k) => {
      if (to[k] === from[k]) return;
      const fresh = tensorOver(to[k], t.shape);
      t.assign(fresh);
      fresh.dispose();
    });
  }
}

const arena = new ReusedArena();

/**
 * {@link adamaxReference} in WebAssembly SIMD (`_simd_kernels.wat`), on copies of the arrays in
 * one WebAssembly memory: a JavaScript loop took 14 % of a batch-16 step (V8 rounds every
 * operation through float64 and does not vectorise); the copies cost less than that. False where
 * the runtime has no WebAssembly SIMD.
 */
function simdAdamax(
  from: Float32Array[],
  gradient: Float32Array,
  to: Float32Array[],
  constants: AdamaxConstants,
): boolean {
  const n = gradient.length, padded = Math.ceil(n / 4) * 4;
  const memory = arena.emptied(4 * padded, 4);
  if (!memory) return false;
  const [w, m, u, g] = [...from, gradient].map((values) => {
    const copy = memory.alloc(padded);
    copy.set(values);
    return copy;
  });
  // The padding lanes compute on stale floats and are never copied out.
  const { beta1, oneMinusBeta1, beta2, epsilon, stepSize } = constants;
  memory.run("adamax", w, m, u, g, padded, beta1, oneMinusBeta1, beta2, epsilon, stepSize);
  [w, m, u].forEach((values, k) => to[k].set(values.subarray(0, n)));
  return true;
}
