// Adamax's update on the CPU backends (lib/backend/adamax.ts) against tfjs's element-wise ops,
// bit for bit: the device's loop (WebAssembly SIMD here) and the plain JavaScript reference, on
// cpu and on cpu-blas, in place or into new arrays, on lengths that do and do not fill SIMD's four
// lanes. WebGPU's shader is held to the reference in tests/_webgpu_checks.ts.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "../lib/backend/blas_backend.ts";
import { inPlaceValues } from "../lib/backend/_blas_arrays.ts";
import { simdAvailable } from "../lib/backend/_simd.ts";
import { Adamax, ADAMAX_DEFAULTS } from "../lib/optimizers/optimizers.ts";
import { random } from "./_helpers.ts";

const blas = registerBlasBackend();
const SHAPES = [[3, 50, 70], [640], [1], [3], [5], [1023]];
const STEPS = 6, RATE = 0.01;

/** Step `step`'s gradients: zeros of both signs, tiny and huge values among them. */
function gradients(step: number): tf.Tensor[] {
  return SHAPES.map((shape, i) => {
    const g = random(shape.reduce((a, b) => a * b, 1), 300 + 10 * step + i, -3, 3);
    g.forEach((v, j) => {
      if (j % 5 === 1) g[j] = step % 2 ? -0 : 0;
      if (j % 7 === 2) g[j] = v * 1e-30;
      if (j % 11 === 3) g[j] = v * 1e30;
    });
    return tf.tensor(g, shape);
  });
}

/** Adamax as tfjs's element-wise ops compute it, ten kernels a tensor. */
function elementWise(variables: tf.Variable[]) {
  const { beta1, beta2, epsilon } = ADAMAX_DEFAULTS;
  const [m, u] = [0, 1].map(() => variables.map((v) => tf.variable(tf.zerosLike(v))));
  let t = 0;
  return {
    apply(grads: tf.Tensor[], rate: number) {
      const stepSize = rate / (1 - Math.pow(beta1, ++t));
      tf.tidy(() =>
        grads.forEach((g, i) => {
          const newM = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1));
          const newU = tf.maximum(tf.mul(u[i], beta2), tf.abs(g));
          m[i].assign(newM);
          u[i].assign(newU);
          const update = tf.mul(tf.div(newM, tf.add(newU, epsilon)), stepSize);
          variables[i].assign(tf.sub(variables[i], update));
        })
      );
    },
    slots: () => [...m, ...u],
  };
}

/** Weights, moments and norms after {@link STEPS} updates; one weight read out after step 2. */
async function run(backend: string, how: "device" | "reference" | "element-wise") {
  await tf.setBackend(backend);
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
  const variables = SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(random(shape.reduce((a, b) => a * b, 1), 200 + i), shape))
  );
  const adamax = how === "element-wise"
    ? null
    : new Adamax(variables, { fused: how === "device", learningRate: RATE });
  const reference = adamax ? null : elementWise(variables);
  let early: Float32Array | null = null, copy: Float32Array | null = null;
  for (let step = 0; step < STEPS; step++) {
    const grads = gradients(step);
    (adamax ?? reference!).apply(grads, RATE / (step + 1));
    tf.dispose(grads);
    if (step === 1) {
      early = (await variables[0].data()) as Float32Array;
      copy = early.slice();
    }
    if (adamax && backend === BLAS_BACKEND && step >= 3) {
      assert.ok(variables.every((v) => inPlaceValues(v)), "updated in place from step 3");
    }
  }
  assert.deepEqual(early, copy, "what was read out is not rewritten by later updates");
  const slots = adamax ? (await adamax.getState()).slots.flat() : await Promise.all(
    reference!.slots().map((v) => v.data() as Promise<Float32Array>),
  );
  const weights = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
  adamax?.dispose();
  return [...weights, ...slots].map((a) => a.slice());
}

Deno.test("Adamax on cpu and cpu-blas gives tfjs's element-wise weights bit for bit", async () => {
  assert.ok(simdAvailable(), "WebAssembly SIMD runs the device's loop here");
  const expected = await run("cpu", "element-wise");
  const backends = blas.available ? ["cpu", BLAS_BACKEND] : ["cpu"];
  if (!blas.available) console.log(`adamax_test: cpu-blas skipped: BLAS ${blas.reason}`);
  for (const backend of backends) {
    for (const how of ["device", "reference"] as const) {
      const got = await run(backend, how);
      got.forEach((a, i) => {
        const same = a.length === expected[i].length &&
          a.every((v, j) => Object.is(v, expected[i][j]));
        assert.ok(same, `${backend}, ${how}: array ${i} differs`);
      });
    }
  }
});
