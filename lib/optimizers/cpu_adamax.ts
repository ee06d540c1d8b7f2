/**
 * One loop per weight tensor for the Adamax update on the `cpu-blas` backend, in place.
 *
 * Written with tfjs's public ops, Adamax costs ten element-wise kernels per weight tensor each
 * step, each allocating a new array the size of the weights (page faults, garbage). This loop
 * reads each weight, moment and gradient once and rewrites the weight, first moment and infinity
 * norm where they are. It rounds to float32 after every operation, as the element-wise kernels
 * do, so the two give the same weights bit for bit. Where the runtime has WebAssembly SIMD the loop
 * runs there, four weights at a time and with the same bits (`backend/_simd_adamax.ts`).
 *
 * Arrays are rewritten in place only while the backend alone holds them
 * (`inPlaceValues` of `lib/backend/_blas_arrays.ts`): the first update, and the first after
 * anything read a weight or a slot out (a checkpoint, early stopping's best weights), writes new
 * arrays instead.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type AdamaxArrays,
  type AdamaxConstants,
  BLAS_BACKEND,
  inPlaceValues,
  privateFloat32,
  simdAdamaxUpdate,
  tensorOver,
  valuesOf,
} from "../backend/blas_backend.ts";
import { adamaxTensors, type AdamaxUpdate } from "./_adamax_update.ts";

/** True when the active backend is `cpu-blas`. */
export function canFuseCpuAdamax(): boolean {
  return tf.getBackend() === BLAS_BACKEND;
}

/** Applies one Adamax update to each `(weight, m, u)` from its gradient, one loop per tensor. */
export function cpuAdamaxUpdate(update: AdamaxUpdate): void {
  const { step } = update;
  // The constants as tf.scalar holds them.
  const constants: AdamaxConstants = {
    beta1: Math.fround(step.beta1),
    oneMinusBeta1: Math.fround(1 - step.beta1),
    beta2: Math.fround(step.beta2),
    epsilon: Math.fround(step.epsilon),
    stepSize: Math.fround(step.stepSize),
  };
  update.gradients.forEach((gradient, i) => {
    const [weight, firstMoment, infNorm] = adamaxTensors(update, i);
    const targets = [weight, firstMoment, infNorm];
    const n = gradient.size;
    const g = valuesOf(gradient);
    const from = targets.map(valuesOf);
    const to = targets.map((t) => inPlaceValues(t) ?? privateFloat32(n));
    const arrays = ([w, m, u]: Float32Array[]) => ({ weight: w, firstMoment: m, infNorm: u });
    if (!simdAdamaxUpdate(arrays(from), g, arrays(to), constants)) {
      adamaxLoop(arrays(from), g, arrays(to), constants);
    }
    targets.forEach((t, k) => {
      if (to[k] === from[k]) return;
      const fresh = tensorOver(to[k], t.shape);
      t.assign(fresh);
      fresh.dispose();
    });
  });
}

/**
 * The update's loop in JavaScript, for runtimes without WebAssembly SIMD: `from` and `gradient`
 * into `out` (which may be `from`), every operation rounded to float32.
 */
export function adamaxLoop(
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
