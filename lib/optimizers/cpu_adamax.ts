/**
 * One loop per weight tensor for the Adamax update on the `cpu-blas` backend, in place.
 *
 * Written with tfjs's public ops, Adamax costs ten element-wise kernels per weight tensor each
 * step, each allocating a new array the size of the weights (page faults, garbage). This loop
 * reads each weight, moment and gradient once and rewrites the weight, first moment and infinity
 * norm where they are. It rounds to float32 after every operation, as the element-wise kernels
 * do, so the two give the same weights bit for bit.
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
  BLAS_BACKEND,
  inPlaceValues,
  privateFloat32,
  tensorOver,
  valuesOf,
} from "../backend/blas_kernels.ts";
import { adamaxTensors, type AdamaxUpdate } from "./_adamax_update.ts";

/** True when the active backend is `cpu-blas`. */
export function canFuseCpuAdamax(): boolean {
  return tf.getBackend() === BLAS_BACKEND;
}

/** Applies one Adamax update to each `(weight, m, u)` from its gradient, one loop per tensor. */
export function cpuAdamaxUpdate(update: AdamaxUpdate): void {
  const { step } = update;
  // The constants as tf.scalar holds them.
  const beta1 = Math.fround(step.beta1), oneMinusBeta1 = Math.fround(1 - step.beta1);
  const beta2 = Math.fround(step.beta2), epsilon = Math.fround(step.epsilon);
  const stepSize = Math.fround(step.stepSize);
  const f = Math.fround;
  update.gradients.forEach((gradient, i) => {
    const [weight, firstMoment, infNorm] = adamaxTensors(update, i);
    const targets = [weight, firstMoment, infNorm];
    const n = gradient.size;
    const g = valuesOf(gradient);
    const from = targets.map(valuesOf);
    const to = targets.map((t) => inPlaceValues(t) ?? privateFloat32(n));
    const [w0, m0, u0] = from, [w, m, u] = to;
    for (let j = 0; j < n; j++) {
      const gj = g[j];
      const newM = f(f(m0[j] * beta1) + f(gj * oneMinusBeta1));
      const newU = Math.max(f(u0[j] * beta2), Math.abs(gj));
      m[j] = newM;
      u[j] = newU;
      w[j] = w0[j] - f(f(newM / f(newU + epsilon)) * stepSize);
    }
    targets.forEach((t, k) => {
      if (to[k] === from[k]) return;
      const fresh = tensorOver(to[k], t.shape);
      t.assign(fresh);
      fresh.dispose();
    });
  });
}
