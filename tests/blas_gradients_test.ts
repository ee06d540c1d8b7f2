// The cpu-blas training plan against tfjs's own autodiff on the cpu backend: the dissertation's
// network and smaller ones (both convolution paths, no pooling, no bias, linear layers), ties in
// the pooling windows, every loss and both sides of Huber's threshold, batches in one pass and in
// several; train() through the plan against train() through tfjs; and the models it must leave to
// tfjs. Skipped (with the reason printed) only where no BLAS library can be opened.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "../lib/backend/blas_backend.ts";
import { planGradients, type PlanLossName } from "../lib/backend/blas_gradients.ts";
import { buildModel } from "../lib/model.ts";
import { NARROW_MODEL } from "../lib/profiles.ts";
import { train } from "../lib/train.ts";
import { batchLoss } from "../lib/training/mod.ts";
import { N_FLUX } from "../lib/spectra.ts";
import { random } from "./_helpers.ts";

const blas = registerBlasBackend();
const ignore = !blas.available;
if (!blas.available) console.log(`blas_gradients_test skipped: BLAS ${blas.reason}`);

interface Gradients {
  lossSum: number;
  absErrorSum: number;
  gradients: Float32Array[];
}

/**
 * The batch's mean-loss gradients through tfjs's autodiff on `backend`: the plain cpu kernels, or
 * for the full network (whose convolutions take minutes there) cpu-blas's kernels, which
 * `blas_backend_test.ts` checks against cpu's.
 */
async function reference(
  model: tfl.LayersModel,
  x: Float32Array,
  y: Float32Array,
  loss: PlanLossName,
  delta: number,
  backend: string,
): Promise<Gradients> {
  await tf.setBackend(backend);
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const n = y.length, length = x.length / n;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const xs = tf.tensor3d(x, [n, length, 1]), ys = tf.tensor2d(y, [n, 1]);
  let prediction: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    prediction = tf.keep(model.apply(xs, { training: true }) as tf.Tensor);
    return batchLoss(loss, ys, prediction, delta);
  }, variables);
  const abs = tf.sum(tf.abs(tf.sub(prediction!, ys)));
  const result = {
    lossSum: (await value.data())[0] * n,
    absErrorSum: (await abs.data())[0],
    gradients: await Promise.all(
      variables.map((v) => grads[v.name].data() as Promise<Float32Array>),
    ),
  };
  tf.dispose([xs, ys, value, abs, prediction!, ...Object.values(grads)]);
  await tf.setBackend(BLAS_BACKEND);
  return result;
}

/** Fails unless each array is within `tol` × its own largest magnitude of tfjs's. */
function assertGradientsClose(actual: Gradients, expected: Gradients, label: string, tol = 2e-5) {
  const close = (a: number, b: number) => Math.abs(a - b) <= tol * Math.max(1e-6, Math.abs(b));
  assert.ok(
    close(actual.lossSum, expected.lossSum),
    `${label}: loss ${actual.lossSum} ≠ ${expected.lossSum}`,
  );
  assert.ok(
    close(actual.absErrorSum, expected.absErrorSum),
    `${label}: |error| ${actual.absErrorSum} ≠ ${expected.absErrorSum}`,
  );
  assert.equal(actual.gradients.length, expected.gradients.length, `${label}: gradients`);
  expected.gradients.forEach((e, i) => {
    const a = actual.gradients[i];
    let scale = 0, worst = 0;
    for (let j = 0; j < e.length; j++) {
      scale = Math.max(scale, Math.abs(e[j]));
      worst = Math.max(worst, Math.abs(a[j] - e[j]));
    }
    assert.ok(scale > 0, `${label}, weight ${i}: a gradient of zeros tests nothing`);
    assert.ok(
      worst <= tol * scale,
      `${label}, weight ${i}: max |diff| ${worst} > ${tol} × ${scale}`,
    );
  });
}

/** Sets every weight to random values of about the size Glorot gives (non-zero biases too). */
function randomiseWeights(model: tfl.LayersModel, seed: number, scale = 0.3) {
  model.setWeights(
    model.getWeights().map((w, i) => tf.tensor(random(w.size, seed + i, -scale, scale), w.shape)),
  );
}

async function check(
  model: tfl.LayersModel,
  x: Float32Array,
  y: Float32Array,
  loss: PlanLossName,
  delta: number,
  label: string,
  rowsPerPass?: number,
  referenceBackend = "cpu",
  simd = true,
) {
  const plan = planGradients(model, rowsPerPass, { simd });
  assert.ok(plan, `${label}: the plan runs this model`);
  const sums = plan.compute(x, y, loss, delta);
  const ours = { ...sums, gradients: plan.gradients.map((g) => g.slice()) };
  assertGradientsClose(ours, await reference(model, x, y, loss, delta, referenceBackend), label);
}

Deno.test({
  name: "training plan: the dissertation's network's gradients match tfjs, one pass and several",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = buildModel();
    randomiseWeights(model, 7, 0.1);
    const x = random(40 * N_FLUX, 1, 0, 1), y = random(40, 2, 0, 0.6);
    // δ = 1: every error inside Huber's quadratic part; the batch in one pass.
    const x16 = x.subarray(0, 16 * N_FLUX), y16 = y.subarray(0, 16);
    await check(model, x16, y16, "huber", 1, "batch 16", undefined, BLAS_BACKEND);
    // 40 rows in passes of 16, 16 and 8; a δ that splits the errors.
    await check(model, x, y, "huber", 0.05, "batch 40 in passes of 16", 16, BLAS_BACKEND);
    // The pooling loops in JavaScript, as where the runtime has no WebAssembly SIMD.
    await check(model, x, y, "huber", 0.05, "without SIMD", 16, BLAS_BACKEND, false);
    model.dispose();
  },
});

Deno.test({
  name: "training plan: every loss, both convolution paths, no pooling, no bias, linear layers",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    // 40 channels take the per-tap GEMMs, 8 the copied windows (after the first layer too, so the
    // window matrix's gradient flows back).
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv1d({
          inputShape: [N_FLUX, 1],
          filters: 40,
          kernelSize: 5,
          activation: "relu",
        }),
        tfl.layers.maxPooling1d({ poolSize: 2 }),
        tfl.layers.conv1d({ filters: 8, kernelSize: 3, activation: "relu", useBias: false }),
        tfl.layers.maxPooling1d({ poolSize: 2 }),
        tfl.layers.conv1d({ filters: 40, kernelSize: 3, activation: "linear" }),
        tfl.layers.conv1d({ filters: 12, kernelSize: 2, activation: "relu" }),
        tfl.layers.maxPooling1d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 24, activation: "relu" }),
        tfl.layers.dense({ units: 8, activation: "linear", useBias: false }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    randomiseWeights(model, 30);
    const x = random(70 * N_FLUX, 3, 0, 1), y = random(70, 4, 0, 0.6);
    for (const loss of ["huber", "mse", "mae"] as const) {
      await check(model, x, y, loss, 0.5, `${loss}, 70 rows in passes of 64`);
      await check(model, x.subarray(0, 5 * N_FLUX), y.subarray(0, 5), loss, 0.5, `${loss}, 5 rows`);
    }
    model.dispose();
  },
});

Deno.test({
  name: "training plan: ties in the pooling windows go to the first maximum, as in tfjs",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = buildModel({ ...NARROW_MODEL, seed: 9 });
    // Small integers and weights of a few values: equal GEMM outputs in many windows.
    model.setWeights(
      model.getWeights().map((w, i) =>
        tf.tensor(random(w.size, 50 + i, -2, 3).map(Math.floor).map((v) => v / 4), w.shape)
      ),
    );
    const x = random(20 * N_FLUX, 5, 0, 3).map(Math.floor), y = random(20, 6, 0, 0.6);
    await check(model, x, y, "mse", 1, "ties");
    await check(model, x, y, "mse", 1, "ties, without SIMD", undefined, "cpu", false);
    model.dispose();
  },
});

Deno.test({
  name: "training plan: train() through it gives tfjs's steps within float noise",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const data = { x: random(96 * N_FLUX, 11, 0, 1), y: random(96, 12, 0, 0.6) };
    const validation = { x: random(20 * N_FLUX, 13, 0, 1), y: random(20, 14, 0, 0.6) };
    const run = async (trainingPlan: boolean, batchSize: number) => {
      const model = buildModel({ ...NARROW_MODEL, seed: 4 });
      const { history } = await train(model, { train: data, validation }, {
        epochs: 2,
        batchSize,
        seed: 3,
      }, { trainingPlan, gradientChunk: 32 });
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      model.dispose();
      return { history, weights };
    };
    for (const batchSize of [16, 96]) {
      const planned = await run(true, batchSize), plain = await run(false, batchSize);
      planned.history.forEach((h, i) => {
        const p = plain.history[i];
        for (const key of ["loss", "mae", "valLoss", "valMae"] as const) {
          assert.ok(
            Math.abs(h[key] - p[key]) <= 1e-5 * Math.abs(p[key]),
            `batch ${batchSize}, epoch ${i + 1}, ${key}: ${h[key]} through the plan, ${
              p[key]
            } through tfjs`,
          );
        }
      });
      planned.weights.forEach((w, i) => {
        const worst = Math.max(...w.map((v, j) => Math.abs(v - plain.weights[i][j])));
        assert.ok(worst <= 1e-5, `batch ${batchSize}, weight ${i}: differs by ${worst}`);
      });
      assert.notDeepEqual(planned.weights, plain.weights, "the two paths are distinct");
    }
  },
});

Deno.test({
  name: "training plan: models it cannot train are left to tfjs",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const conv = (options: Partial<Parameters<typeof tfl.layers.conv1d>[0]> = {}) =>
      tfl.layers.conv1d({ inputShape: [N_FLUX, 1], filters: 4, kernelSize: 3, ...options });
    const head = () => [tfl.layers.flatten(), tfl.layers.dense({ units: 1 })];
    const cases: [string, () => tfl.LayersModel][] = [
      ["tanh", () => tfl.sequential({ layers: [conv({ activation: "tanh" }), ...head()] })],
      [
        "pools of 3",
        () =>
          tfl.sequential({ layers: [conv(), tfl.layers.maxPooling1d({ poolSize: 3 }), ...head()] }),
      ],
      ["same padding", () => tfl.sequential({ layers: [conv({ padding: "same" }), ...head()] })],
      ["a softmax on its outputs", () =>
        tfl.sequential({
          layers: [
            conv(),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2, activation: "softmax" }),
          ],
        })],
      ["a frozen layer", () => {
        const model = tfl.sequential({ layers: [conv(), ...head()] });
        model.layers[0].trainable = false;
        return model;
      }],
    ];
    for (const [label, make] of cases) {
      const model = make();
      assert.equal(planGradients(model), null, label);
      model.dispose();
    }
    const model = buildModel(NARROW_MODEL);
    assert.ok(planGradients(model), "the narrow network is planned");
    await tf.setBackend("cpu");
    assert.equal(planGradients(model), null, "another backend");
    await tf.setBackend(BLAS_BACKEND);
    const plan = planGradients(model)!;
    assert.throws(
      () => plan.compute(new Float32Array(N_FLUX + 1), new Float32Array(1), "huber", 1),
      /not 1 rows of 186/,
    );
    model.dispose();
  },
});
