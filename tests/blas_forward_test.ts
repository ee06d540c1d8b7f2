// The cpu-blas forward plan against tfjs's own cpu kernels: random inputs and weights, ties, every
// activation and both convolution paths, row counts across the plan's blocks, a committed model,
// weights changed after the plan was made, a catalogue; and the models it must leave to tfjs. Skipped (with the
// reason printed) only where no BLAS library can be opened.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "../lib/backend/blas_backend.ts";
import { FORWARD_ROWS, forwardPlanOf, planForward } from "../lib/backend/blas_forward.ts";
import { simdAvailable } from "../lib/backend/_simd.ts";
import { buildModel, type ModelConfig } from "../lib/model.ts";
import { NARROW_MODEL } from "../lib/profiles.ts";
import { evaluate, predict } from "../lib/train.ts";
import { loadModel } from "../lib/runs/mod.ts";
import { N_FLUX } from "../lib/spectra.ts";
import { predictCatalogue } from "../lib/catalogue/mod.ts";
import { writeSpectra } from "../lib/data/write_spectra.ts";
import { bumpData, savedToyModel } from "./_toy_data.ts";
import { assertClose, random } from "./_helpers.ts";

const blas = registerBlasBackend();
const ignore = !blas.available;
if (!blas.available) console.log(`blas_forward_test skipped: BLAS ${blas.reason}`);

/** The model's predictions through tfjs's plain cpu kernels (the reference). */
async function reference(model: tfl.LayersModel, x: Float32Array): Promise<Float32Array> {
  await tf.setBackend("cpu");
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const length = model.inputs[0].shape[1] as number;
  const y = tf.tidy(() =>
    model.apply(tf.tensor3d(x, [x.length / length, length, 1]), { training: false }) as tf.Tensor
  );
  const values = await y.data() as Float32Array;
  y.dispose();
  await tf.setBackend(BLAS_BACKEND);
  return values;
}

/** Sets every weight of `model` to random values of about the size Glorot gives. */
function randomiseWeights(model: tfl.LayersModel, seed: number) {
  model.setWeights(
    model.getWeights().map((w, i) => tf.tensor(random(w.size, seed + i, -0.3, 0.3), w.shape)),
  );
}

async function checkAgainstTfjs(model: tfl.LayersModel, rows: number, seed: number, label: string) {
  const plan = planForward(model);
  assert.ok(plan, `${label}: the plan runs this model`);
  const x = random(rows * plan.inputLength, seed, 0, 1);
  assertClose(plan.predict(x), await reference(model, x), label);
}

Deno.test({
  name: "forward plan: the dissertation's network matches tfjs across the plan's blocks",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = buildModel();
    randomiseWeights(model, 7); // non-zero biases too
    // More rows than one block, and not a multiple of it.
    await checkAgainstTfjs(model, FORWARD_ROWS + 6, 1, "dissertation network");
    const winograd = (text: string) => simdAvailable() ? ` (Winograd ${text})` : "";
    assert.deepEqual(planForward(model)!.describe(), [
      "conv 5×1→256 relu, max pool 2: length 186→91",
      `conv 5×256→256 relu, max pool 2: length 91→43${winograd("F(4, 5)")}`,
      `conv 3×256→128 relu, max pool 2: length 43→20${winograd("F(6, 3)")}`,
      "conv 2×128→64 relu, max pool 2: length 20→9",
      "dense 576→256 relu",
      "dense 256→256 relu",
      "dense 256→128 relu",
      "dense 128→64 relu",
      "dense 64→1 linear",
    ]);
    model.dispose();
  },
});

Deno.test({
  name: "forward plan: every activation, both convolution paths, 1 to 200 rows",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const activations: ModelConfig["activation"][] = ["relu", "tanh", "sigmoid", "elu", "selu"];
    for (const [i, activation] of activations.entries()) {
      // 40 channels take the per-tap GEMMs, 8 and 1 the copied windows.
      const model = buildModel({
        convFilters: [40, 8, 40],
        kernelSizes: [5, 3, 2],
        denseUnits: [24, 8],
        activation,
        seed: 11 + i,
      });
      randomiseWeights(model, 100 * i);
      for (const rows of [1, FORWARD_ROWS, 200]) {
        await checkAgainstTfjs(model, rows, rows + i, `${activation}, ${rows} rows`);
      }
      model.dispose();
    }
  },
});

Deno.test({
  name: "forward plan: ties, pools of 3 and a convolution without pooling or bias",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv1d({
          inputShape: [N_FLUX, 1],
          filters: 36,
          kernelSize: 4,
          activation: "relu",
        }),
        tfl.layers.maxPooling1d({ poolSize: 3 }),
        tfl.layers.conv1d({ filters: 12, kernelSize: 3, activation: "tanh", useBias: false }),
        tfl.layers.conv1d({ filters: 6, kernelSize: 2, activation: "linear" }),
        tfl.layers.maxPooling1d({ poolSize: 2, strides: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 5, activation: "elu" }),
        tfl.layers.dense({ units: 1, useBias: false }),
      ],
    });
    randomiseWeights(model, 3);
    // Small integers: equal values in many pooling windows, and ReLU's zeros.
    const x = random(50 * N_FLUX, 5, 0, 4).map(Math.floor);
    const plan = planForward(model)!;
    assert.ok(plan);
    assertClose(plan.predict(x), await reference(model, x), "ties");
    assertClose(
      plan.predict(random(30 * N_FLUX, 6, 0, 1)),
      await reference(model, random(30 * N_FLUX, 6, 0, 1)),
      "pools of 3",
    );
    model.dispose();
  },
});

Deno.test({
  name: "forward plan: predict() and evaluate() use it, with weights changed after it was made",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const model = buildModel(NARROW_MODEL);
    const x = random(130 * N_FLUX, 9, 0, 1), y = random(130, 10, 0, 0.6);
    const plan = forwardPlanOf(model)!;
    assert.ok(plan);
    assert.equal(forwardPlanOf(model), plan, "one plan per model");
    const before = await predict(model, x);
    assertClose(before, await reference(model, x), "initial weights");
    randomiseWeights(model, 21);
    const after = await predict(model, x);
    assert.notDeepEqual(after, before);
    assertClose(after, await reference(model, x), "new weights");
    const planned = await evaluate(model, { x, y }, { batchSize: 50 });
    await tf.setBackend("cpu");
    const plain = await evaluate(model, { x, y }, { batchSize: 50 });
    await tf.setBackend(BLAS_BACKEND);
    assert.ok(Math.abs(planned.mae - plain.mae) < 1e-6, `${planned.mae} vs ${plain.mae}`);
    assert.ok(Math.abs(planned.loss - plain.loss) < 1e-6, `${planned.loss} vs ${plain.loss}`);
    assert.throws(() => plan.predict(new Float32Array(N_FLUX + 1)), /not rows of 186/);
    model.dispose();
  },
});

Deno.test({
  name: "forward plan: the committed default run's model matches tfjs",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const { model } = await loadModel(
      new URL("../results/runs/default/model", import.meta.url).pathname,
    );
    await checkAgainstTfjs(model, 40, 12, "results/runs/default/model");
    model.dispose();
  },
});

Deno.test({
  name: "forward plan: models it cannot run are left to tfjs",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const conv = (options: Partial<Parameters<typeof tfl.layers.conv1d>[0]> = {}) =>
      tfl.layers.conv1d({ inputShape: [N_FLUX, 1], filters: 4, kernelSize: 3, ...options });
    const head = () => [tfl.layers.flatten(), tfl.layers.dense({ units: 1 })];
    const cases: [string, tfl.layers.Layer[]][] = [
      ["same padding", [conv({ padding: "same" }), ...head()]],
      ["strides", [conv({ strides: 2 }), ...head()]],
      ["dilation", [conv({ dilationRate: 2 }), ...head()]],
      ["softmax", [conv({ activation: "softmax" }), ...head()]],
      ["overlapping pools", [
        conv(),
        tfl.layers.maxPooling1d({ poolSize: 3, strides: 2 }),
        ...head(),
      ]],
      ["average pooling", [conv(), tfl.layers.averagePooling1d({ poolSize: 2 }), ...head()]],
      ["dropout", [conv(), tfl.layers.dropout({ rate: 0.5 }), ...head()]],
      ["dense on a sequence", [conv(), tfl.layers.dense({ units: 1 })]],
      ["two outputs", [conv(), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })]],
    ];
    for (const [label, layers] of cases) {
      const model = tfl.sequential({ layers });
      assert.equal(planForward(model), null, label);
      model.dispose();
    }
    const model = buildModel(NARROW_MODEL);
    await tf.setBackend("cpu");
    assert.equal(forwardPlanOf(model), null, "another backend");
    await tf.setBackend(BLAS_BACKEND);
    model.dispose();
  },
});

Deno.test({
  name: "forward plan: a catalogue predicted on cpu-blas gives the plan's predictions",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const saved = await savedToyModel({ seed: 5, rows: 128, epochs: 1 });
    const dir = await Deno.makeTempDir();
    const { x, y } = bumpData(150, 6);
    const ids = Float64Array.from({ length: 150 }, (_, i) => i + 1);
    await writeSpectra({ n: 150, z: y, flux: x, ids }, `${dir}/in.csv`);
    await predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
    const rows = (await Deno.readTextFile(`${dir}/out.csv`)).trimEnd().split("\n").map((l) =>
      l.split(",")
    );
    const zPred = Float32Array.from(rows.slice(1), (r) => Number(r[rows[0].indexOf("z_pred")]));
    const scaled = saved.scaler.transform(x);
    const plan = forwardPlanOf(saved.model)!;
    assert.ok(plan);
    assert.deepEqual(zPred, plan.predict(scaled));
    assertClose(zPred, await reference(saved.model, scaled), "catalogue");
    await Deno.remove(dir, { recursive: true });
  },
});
