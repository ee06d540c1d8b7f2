import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import {
  buildModel,
  DISSERTATION_LAYER_PARAMS,
  receptiveField,
  resolveModelConfig,
  setWeightsFromArrays,
  summarizeModel,
} from "../lib/model.ts";
import { NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

Deno.test("buildModel() reproduces the dissertation's 699,073 parameters layer by layer", () => {
  const model = buildModel();
  const layers = summarizeModel(model);
  assert.equal(model.countParams(), 699_073);
  assert.deepEqual(
    layers.filter((l) => l.params > 0).map((l) => l.params),
    DISSERTATION_LAYER_PARAMS,
  );
  assert.deepEqual(
    layers.map((l) => [l.type, l.filtersOrUnits, l.kernelSize]),
    [
      ["Conv1D", 256, 5],
      ["MaxPooling1D", null, null],
      ["Conv1D", 256, 5],
      ["MaxPooling1D", null, null],
      ["Conv1D", 128, 3],
      ["MaxPooling1D", null, null],
      ["Conv1D", 64, 2],
      ["MaxPooling1D", null, null],
      ["Flatten", null, null],
      ["Dense", 256, null],
      ["Dense", 256, null],
      ["Dense", 128, null],
      ["Dense", 64, null],
      ["Dense", 1, null],
    ],
  );
  assert.deepEqual(layers.map((l) => l.outputShape.slice(1)), [
    [182, 256],
    [91, 256],
    [87, 256],
    [43, 256],
    [41, 128],
    [20, 128],
    [19, 64],
    [9, 64],
    [576],
    [256],
    [256],
    [128],
    [64],
    [1],
  ]);
  model.dispose();
});

Deno.test("buildModel() runs a forward pass of the full model: one redshift per spectrum", () => {
  const model = buildModel();
  const out = tf.tidy(() =>
    model.predict(tf.randomUniform([3, 186, 1], 0, 1, "float32", 1)) as tf.Tensor
  );
  assert.deepEqual(out.shape, [3, 1]);
  assert.ok((out.dataSync() as Float32Array).every(Number.isFinite));
  out.dispose();
  model.dispose();
});

Deno.test("buildModel() gives equal initial weights for equal seeds and different ones otherwise", () => {
  const narrow = { convFilters: [4, 4, 4, 4], denseUnits: [8, 8, 8, 8] };
  const [a, b, c] = [
    buildModel({ ...narrow, seed: 1 }),
    buildModel({ ...narrow, seed: 1 }),
    buildModel({ ...narrow, seed: 2 }),
  ];
  const w = (m: typeof a) => m.getWeights().map((t) => [...t.dataSync()]);
  assert.deepEqual(w(a), w(b));
  assert.notDeepEqual(w(a), w(c));
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("buildModel() refuses kernels that leave no samples and mismatched option lengths", () => {
  assert.throws(() => buildModel({ inputLength: 20 }), /leaves no samples/);
  assert.throws(() => buildModel({ convFilters: [8, 8], kernelSizes: [3] }), /kernelSizes/);
});

Deno.test("buildModel() returns an uncompiled model and a config without the recipe", () => {
  const model = buildModel(NARROW);
  // The recipe is train()'s: a compiled optimiser or loss here would be one nobody uses.
  assert.equal(model.optimizer, undefined);
  assert.equal(model.loss, undefined);
  model.dispose();
  const config = resolveModelConfig({ ...NARROW, learningRate: 0.5 } as never);
  assert.equal("learningRate" in config, false);
});

Deno.test("setWeightsFromArrays() loads Keras-ordered arrays and checks their shapes", () => {
  const model = buildModel({ convFilters: [2, 2, 2, 2], denseUnits: [3, 3, 3, 3] });
  const arrays = model.getWeights().map((t, i) => ({
    shape: t.shape,
    values: new Float32Array(t.size).fill(i / 100),
  }));
  setWeightsFromArrays(model, arrays);
  assert.deepEqual([...model.getWeights()[5].dataSync()], new Array(2).fill(0.05).map(Math.fround));
  const bad = arrays.map((a) => ({ ...a }));
  bad[0] = { shape: [5, 2, 2], values: new Float32Array(20) };
  assert.throws(
    () => setWeightsFromArrays(model, bad),
    /weight 0 .* has shape \[5,2,2\] but the model needs \[5,1,2\]/,
  );
  assert.throws(
    () => setWeightsFromArrays(model, arrays.slice(1)),
    /expected 18 weight arrays, got 17/,
  );
  model.dispose();
});

Deno.test("receptiveField() of the dissertation's last convolution is 36 of the 186 samples, 44 after its pooling", () => {
  // conv5: 5, pool: 6 (spacing 2); conv5: 14, pool: 16 (4); conv3: 24, pool: 28 (8); conv2: 36, pool: 44
  assert.equal(receptiveField(), 36);
  assert.equal(receptiveField({}, { afterPooling: true }), 44);
  assert.equal(receptiveField({ kernelSizes: [3], convFilters: [4] }), 3);
  assert.equal(receptiveField({ kernelSizes: [3], convFilters: [4] }, { afterPooling: true }), 4);
});
