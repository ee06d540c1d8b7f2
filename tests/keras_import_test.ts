import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import { importKerasModel, KerasImportError, readKerasArchitecture } from "../lib/keras/import.ts";
import { DISSERTATION_LAYER_PARAMS } from "../lib/model.ts";
import { isDataset, readFloatDataset, readHdf5 } from "../lib/keras/_hdf5.ts";
import { Random } from "../lib/random.ts";
import {
  type FixtureModel,
  type FixtureSpec,
  keras2Bytes,
  keras3Bytes,
  layerNamed,
  makeFixture,
  referenceForward,
  SMALL_SPEC,
  writeTemp,
} from "./_keras_fixtures.ts";

await selectBackend({ backend: "cpu" });

const REAL_FILE = new URL("../../shared/reference/dissertation/model.keras", import.meta.url);
const HAS_REAL_FILE = await Deno.stat(REAL_FILE).then(() => true, () => false);

function fixtureArrays(fixture: FixtureModel) {
  return [...fixture.weights.values()].flat();
}

function randomInputs(n: number, length: number, seed: number): Float32Array[] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => random.uniform()));
}

/** Checks the model's weights equal the file's bit for bit and its predictions match a reference. */
function assertSameModel(
  model: import("@tensorflow/tfjs-layers").LayersModel,
  spec: FixtureSpec,
  arrays: { shape: number[]; values: Float32Array }[],
) {
  const weights = model.getWeights();
  assert.equal(weights.length, arrays.length);
  weights.forEach((w, i) => {
    assert.deepEqual(w.shape, arrays[i].shape, `weight ${i} shape`);
    assert.deepEqual(w.dataSync(), arrays[i].values, `weight ${i} values`);
  });
  const inputs = randomInputs(4, spec.inputLength, 3);
  const batch = tf.tensor3d(
    inputs.flatMap((x) => [...x]),
    [inputs.length, spec.inputLength, 1],
  );
  const predicted = (model.predict(batch) as tf.Tensor).dataSync();
  batch.dispose();
  inputs.forEach((x, i) => {
    const want = referenceForward(spec, arrays, x);
    assert.ok(
      Math.abs(predicted[i] - want) <= 1e-5 * Math.max(1, Math.abs(want)),
      `prediction ${i}: tfjs ${predicted[i]}, reference ${want}`,
    );
  });
}

async function assertImportError(
  source: string | Uint8Array,
  pattern: RegExp,
  layer?: { index: number; name: string },
): Promise<void> {
  const error = await importKerasModel(source).then(
    (imported) => {
      imported.model.dispose();
      return null;
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof KerasImportError, `expected a KerasImportError, got ${error}`);
  assert.match(error.message, pattern);
  if (layer) {
    assert.equal(error.layerIndex, layer.index);
    assert.equal(error.layerName, layer.name);
  }
}

// ---------------------------------------------------------------------------
// Round trips

Deno.test("importKerasModel() loads a Keras 2 HDF5 file with its weights bit for bit", async () => {
  const fixture = makeFixture();
  const path = await writeTemp("small.h5", await keras2Bytes(fixture));
  const imported = await importKerasModel(path);
  try {
    assert.equal(imported.format, "keras2-hdf5");
    assert.equal(imported.kerasVersion, "2.10.0");
    assert.equal(imported.backend, "tensorflow");
    assert.deepEqual(
      {
        inputLength: imported.config.inputLength,
        convFilters: imported.config.convFilters,
        kernelSizes: imported.config.kernelSizes,
        denseUnits: imported.config.denseUnits,
        activation: imported.config.activation,
      },
      SMALL_SPEC,
    );
    assert.equal(imported.model.countParams(), imported.params);
    assertSameModel(imported.model, SMALL_SPEC, fixtureArrays(fixture));
  } finally {
    imported.model.dispose();
  }
});

Deno.test("importKerasModel() reads a .keras file that is HDF5 inside (Keras 2.x)", async () => {
  const fixture = makeFixture(SMALL_SPEC, 11);
  const path = await writeTemp("small.keras", await keras2Bytes(fixture));
  const imported = await importKerasModel(path);
  try {
    assert.equal(imported.format, "keras2-hdf5");
    assertSameModel(imported.model, SMALL_SPEC, fixtureArrays(fixture));
  } finally {
    imported.model.dispose();
  }
});

Deno.test("importKerasModel() loads a Keras 3 .keras zip, stored or deflated", async () => {
  for (const deflate of [false, true]) {
    const fixture = makeFixture(SMALL_SPEC, deflate ? 5 : 6);
    const path = await writeTemp("small.keras", await keras3Bytes(fixture, { deflate }));
    const imported = await importKerasModel(path);
    try {
      assert.equal(imported.format, "keras3-zip");
      assert.equal(imported.kerasVersion, "3.6.0");
      assert.deepEqual(imported.config.convFilters, SMALL_SPEC.convFilters);
      assert.deepEqual(imported.layers[2].weights.map((w) => w.path), [
        "layers/conv1d_1/vars/0",
        "layers/conv1d_1/vars/1",
      ]);
      // The file's compile settings are read (the recipe is the training options', not the model's).
      assert.equal(imported.training.learningRate, 0.002);
      assert.equal(imported.training.huberDelta, 0.5);
      assertSameModel(imported.model, SMALL_SPEC, fixtureArrays(fixture));
    } finally {
      imported.model.dispose();
    }
  }
});

Deno.test("importKerasModel() accepts bytes and a tanh network with one conv block", async () => {
  const spec: FixtureSpec = {
    inputLength: 10,
    convFilters: [2],
    kernelSizes: [3],
    denseUnits: [],
    activation: "tanh",
  };
  const fixture = makeFixture(spec, 9);
  const imported = await importKerasModel(await keras2Bytes(fixture));
  try {
    assert.equal(imported.config.activation, "tanh");
    assert.deepEqual(imported.config.denseUnits, []);
    assertSameModel(imported.model, spec, fixtureArrays(fixture));
  } finally {
    imported.model.dispose();
  }
});

Deno.test("readKerasArchitecture() lists layers, shapes, parameters and compile settings", async () => {
  const fixture = makeFixture();
  const arch = await readKerasArchitecture(await keras2Bytes(fixture));
  assert.deepEqual(
    arch.layers.map((l) => [l.name, l.tfjsName, l.className, l.outputShape, l.params]),
    [
      ["conv1d", "conv1d_1", "Conv1D", [null, 22, 4], 3 * 1 * 4 + 4],
      ["max_pooling1d", "max_pooling1d_1", "MaxPooling1D", [null, 11, 4], 0],
      ["conv1d_1", "conv1d_2", "Conv1D", [null, 10, 3], 2 * 4 * 3 + 3],
      ["max_pooling1d_1", "max_pooling1d_2", "MaxPooling1D", [null, 5, 3], 0],
      ["flatten", "flatten", "Flatten", [null, 15], 0],
      ["dense", "dense_1", "Dense", [null, 5], 15 * 5 + 5],
      ["dense_1", "dense_2", "Dense", [null, 4], 5 * 4 + 4],
      ["dense_2", "dense_3", "Dense", [null, 1], 4 + 1],
    ],
  );
  assert.deepEqual(arch.layers[0].weights, [
    { role: "kernel", path: "model_weights/conv1d/conv1d/kernel:0", shape: [3, 1, 4] },
    { role: "bias", path: "model_weights/conv1d/conv1d/bias:0", shape: [4] },
  ]);
  assert.equal(arch.params, arch.layers.reduce((s, l) => s + l.params, 0));
  assert.deepEqual(arch.training, {
    optimizer: "Adamax",
    learningRate: 0.001,
    loss: "huber",
    huberDelta: 1,
  });
  assert.deepEqual(arch.inputShape, [null, 24, 1]);
});

Deno.test("importKerasModel() accepts a Functional model that is a plain chain", async () => {
  const fixture = makeFixture();
  const entries = fixture.layers.map((entry, i) => ({
    ...entry,
    name: entry.config.name,
    inbound_nodes: i === 0 ? [] : [[[fixture.layers[i - 1].config.name, 0, 0, {}]]],
  }));
  const functional = { ...fixture, layers: entries };
  const bytes = await keras2Bytes(functional, { modelClass: "Functional" });
  const imported = await importKerasModel(bytes);
  try {
    assert.equal(imported.modelClass, "Functional");
    assertSameModel(imported.model, SMALL_SPEC, fixtureArrays(fixture));
  } finally {
    imported.model.dispose();
  }
  // A skip connection is not a chain.
  entries[5].inbound_nodes = [[["conv1d", 0, 0, {}]]];
  await assertImportError(
    await keras2Bytes(functional, { modelClass: "Functional" }),
    /layer 4 "flatten" \(Flatten\): fed by \[conv1d\].*plain chain/,
    { index: 4, name: "flatten" },
  );
});

// ---------------------------------------------------------------------------
// Unreadable files

Deno.test("importKerasModel() reports a missing file", async () => {
  await assertImportError(
    "/nonexistent/dir/model.keras",
    /cannot read .*model\.keras: no such file/,
  );
});

Deno.test("importKerasModel() refuses a file that is neither HDF5 nor zip", async () => {
  const path = await writeTemp("model.h5", new TextEncoder().encode("z,flux_0\n0.1,0.5\n"));
  await assertImportError(path, /not a Keras model file: it is neither HDF5 .* nor a zip/);
  await assertImportError(new Uint8Array(0), /not a Keras model file/);
});

Deno.test("importKerasModel() reports a truncated HDF5 file clearly", async () => {
  const bytes = await keras2Bytes(makeFixture());
  const half = bytes.slice(0, bytes.length >> 1);
  await assertImportError(half, /the file is damaged or truncated: .*truncated file/);
  // The reader stays usable after a failure.
  const arch = await readKerasArchitecture(bytes);
  assert.equal(arch.layers.length, 8);
});

Deno.test("importKerasModel() reports a damaged HDF5 file clearly", async () => {
  const bytes = await keras2Bytes(makeFixture());
  const damaged = bytes.slice();
  damaged.fill(0xff, 8, 64); // the superblock after the signature
  await assertImportError(damaged, /damaged or truncated: the HDF5 reader failed/);
});

Deno.test("importKerasModel() reports a truncated or incomplete Keras 3 zip clearly", async () => {
  const bytes = await keras3Bytes(makeFixture());
  await assertImportError(
    bytes.slice(0, bytes.length >> 1),
    /damaged or truncated zip archive/,
  );
  await assertImportError(
    await keras3Bytes(makeFixture(), { omit: ["model.weights.h5"] }),
    /zip archive without model\.weights\.h5/,
  );
  await assertImportError(
    await keras3Bytes(makeFixture(), { omit: ["config.json"] }),
    /zip archive without config\.json/,
  );
});

Deno.test("importKerasModel() refuses a weights-only HDF5 file", async () => {
  await assertImportError(
    await keras2Bytes(makeFixture(), { weightsOnly: true }),
    /no model_config attribute: it holds weights only/,
  );
});

// ---------------------------------------------------------------------------
// Architectures our builder cannot express

/** A change to the small fixture that our builder cannot express, and the error it must give. */
interface ArchitectureCase {
  what: string;
  edit: (fixture: FixtureModel) => void;
  error: RegExp;
  layer?: { index: number; name: string };
}

const ARCHITECTURE_CASES: ArchitectureCase[] = [
  {
    what: "a Dropout layer, named as the first mismatch",
    edit: (f) => {
      f.layers.splice(7, 0, { class_name: "Dropout", config: { name: "dropout", rate: 0.2 } });
      f.weights.set("dropout", []);
    },
    error: /layer 6 "dropout" \(Dropout\): found Dropout where our builder expects Dense/,
    layer: { index: 6, name: "dropout" },
  },
  {
    what: "a Conv1D with 'same' padding",
    edit: (f) => void (layerNamed(f, "conv1d_1").config.padding = "same"),
    error: /layer 2 "conv1d_1" \(Conv1D\): padding is "same" but our builder uses "valid"/,
    layer: { index: 2, name: "conv1d_1" },
  },
  {
    what: "a pooling layer with another pool size",
    edit: (f) => void (layerNamed(f, "max_pooling1d").config.pool_size = [3]),
    error: /layer 1 "max_pooling1d" \(MaxPooling1D\): pool_size is 3 but our builder uses 2/,
    layer: { index: 1, name: "max_pooling1d" },
  },
  {
    what: "a pooling layer with another stride",
    edit: (f) => void (layerNamed(f, "max_pooling1d_1").config.strides = [1]),
    error: /layer 3 "max_pooling1d_1" \(MaxPooling1D\): strides is 1 but our builder uses 2/,
    layer: { index: 3, name: "max_pooling1d_1" },
  },
  {
    what: "a Conv1D with a stride",
    edit: (f) => void (layerNamed(f, "conv1d").config.strides = [2]),
    error: /layer 0 "conv1d" \(Conv1D\): strides is 2 but our builder uses 1/,
    layer: { index: 0, name: "conv1d" },
  },
  {
    what: "a Conv1D with a dilation",
    edit: (f) => void (layerNamed(f, "conv1d").config.dilation_rate = [2]),
    error: /layer 0 "conv1d" \(Conv1D\): dilation_rate is 2 but our builder uses 1/,
    layer: { index: 0, name: "conv1d" },
  },
  {
    what: "a Conv1D whose kernel is longer than its input",
    edit: (f) => void (layerNamed(f, "conv1d_1").config.kernel_size = [40]),
    error: /layer 2 "conv1d_1" \(Conv1D\): its output would have no samples/,
    layer: { index: 2, name: "conv1d_1" },
  },
  {
    what: "a Conv1D that is not followed by pooling",
    edit: (f) => {
      f.layers.splice(2, 1); // drop max_pooling1d
      f.weights.delete("max_pooling1d");
    },
    error: /layer 1 "conv1d_1" \(Conv1D\): found Conv1D where our builder expects MaxPooling1D/,
    layer: { index: 1, name: "conv1d_1" },
  },
  {
    what: "a non-linear output layer",
    edit: (f) => void (layerNamed(f, "dense_2").config.activation = "relu"),
    error: /layer 7 "dense_2" \(Dense\): activation of the output layer is "relu" .* "linear"/,
    layer: { index: 7, name: "dense_2" },
  },
  {
    what: "a wide output layer",
    edit: (f) => void (layerNamed(f, "dense_2").config.units = 3),
    error: /layer 7 "dense_2" \(Dense\): units of the output layer is 3 but our builder uses 1/,
    layer: { index: 7, name: "dense_2" },
  },
  {
    what: "a hidden layer whose activation differs from the others",
    edit: (f) => void (layerNamed(f, "dense").config.activation = "tanh"),
    error: /layer 5 "dense" \(Dense\): activation is "tanh" but earlier layers use "relu"/,
    layer: { index: 5, name: "dense" },
  },
  {
    what: "an activation our builder does not offer",
    edit: (f) => void (layerNamed(f, "conv1d").config.activation = "softmax"),
    error: /layer 0 "conv1d" \(Conv1D\): activation "softmax" is not one our builder offers/,
    layer: { index: 0, name: "conv1d" },
  },
  {
    what: "a model that does not end in Dense layers",
    edit: (f) => void f.layers.splice(5), // up to the last pooling layer
    error: /the model ends after layer 3 "max_pooling1d_1" \(MaxPooling1D\)/,
    layer: { index: 3, name: "max_pooling1d_1" },
  },
  {
    what: "an input with several channels",
    edit: (f) => void (f.layers[0].config.batch_input_shape = [null, 24, 2]),
    error: /has 2 channels; our builder takes 1/,
  },
];

for (const c of ARCHITECTURE_CASES) {
  Deno.test(`importKerasModel() refuses ${c.what}, in Keras 2 and Keras 3 files`, async () => {
    for (const write of [keras2Bytes, keras3Bytes]) {
      const fixture = makeFixture();
      c.edit(fixture);
      await assertImportError(await write(fixture), c.error, c.layer);
    }
  });
}

// ---------------------------------------------------------------------------
// Weights that disagree with the configuration

Deno.test("importKerasModel() names a weight whose shape disagrees with the configuration", async () => {
  const fixture = makeFixture();
  const [kernel] = fixture.weights.get("dense_1")!;
  kernel.shape = [4, 5]; // transposed
  await assertImportError(
    await keras2Bytes(fixture),
    /layer 6 "dense_1" \(Dense\): kernel model_weights\/dense_1\/dense_1\/kernel:0 has shape \[4,5\] but the configuration implies \[5,4\]/,
    { index: 6, name: "dense_1" },
  );
  // The same in a Keras 3 file, caught before any weights are read.
  await assertImportError(await keras3Bytes(fixture), /kernel layers\/dense_1\/vars\/0 has shape/);
});

Deno.test("readKerasArchitecture() refuses bad weights with the same KerasImportError", async () => {
  // It used to dispose the model it built twice on this path, and tfjs's "already disposed"
  // error replaced the refusal.
  const fixture = makeFixture();
  fixture.weights.get("dense_1")![0].shape = [4, 5];
  const noGroup = makeFixture();
  noGroup.weights.delete("dense");
  for (
    const [bytes, message] of [
      [await keras2Bytes(fixture), /layer 6 "dense_1" \(Dense\): kernel .* has shape \[4,5\]/],
      [await keras2Bytes(noGroup), /layer 5 "dense" \(Dense\): missing weight group/],
    ] as const
  ) {
    await assert.rejects(() => readKerasArchitecture(bytes), (e: unknown) => {
      assert.ok(e instanceof KerasImportError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("importKerasModel() names a missing weight dataset", async () => {
  const fixture = makeFixture();
  // weight_names still lists the bias, but the dataset is not written.
  const bytes = await keras2Bytes(fixture, { dropDatasets: ["conv1d_1/conv1d_1/bias:0"] });
  await assertImportError(
    bytes,
    /layer 2 "conv1d_1" \(Conv1D\): missing weight dataset model_weights\/conv1d_1\/conv1d_1\/bias:0/,
    { index: 2, name: "conv1d_1" },
  );
  // A layer group missing altogether.
  const noGroup = makeFixture();
  noGroup.weights.delete("dense");
  await assertImportError(
    await keras2Bytes(noGroup),
    /layer 5 "dense" \(Dense\): missing weight group model_weights\/dense/,
  );
  // Keras 3: vars/1 absent.
  const k3 = makeFixture();
  k3.weights.get("dense_2")!.pop();
  await assertImportError(
    await keras3Bytes(k3),
    /layer 7 "dense_2" \(Dense\): missing weight dataset layers\/dense_2\/vars\/1/,
  );
});

// ---------------------------------------------------------------------------
// The dissertation's file (only where ../shared is present)

Deno.test({
  name: "readKerasArchitecture() reads the dissertation's model.keras: 699,073 parameters",
  ignore: !HAS_REAL_FILE,
  async fn() {
    const arch = await readKerasArchitecture(REAL_FILE);
    assert.equal(arch.format, "keras2-hdf5");
    assert.equal(arch.kerasVersion, "2.10.0");
    assert.equal(arch.params, 699_073);
    assert.deepEqual(
      arch.layers.filter((l) => l.params > 0).map((l) => l.params),
      [...DISSERTATION_LAYER_PARAMS],
    );
    assert.deepEqual(arch.layers.map((l) => l.outputShape), [
      [null, 182, 256],
      [null, 91, 256],
      [null, 87, 256],
      [null, 43, 256],
      [null, 41, 128],
      [null, 20, 128],
      [null, 19, 64],
      [null, 9, 64],
      [null, 576],
      [null, 256],
      [null, 256],
      [null, 128],
      [null, 64],
      [null, 1],
    ]);
    assert.deepEqual(
      arch.layers.flatMap((l) => l.weights.map((w) => w.shape)),
      [
        [5, 1, 256],
        [256],
        [5, 256, 256],
        [256],
        [3, 256, 128],
        [128],
        [2, 128, 64],
        [64],
        [576, 256],
        [256],
        [256, 256],
        [256],
        [256, 128],
        [128],
        [128, 64],
        [64],
        [64, 1],
        [1],
      ],
    );
    assert.deepEqual(arch.training, {
      optimizer: "Adamax",
      learningRate: 0.001,
      loss: "huber",
      huberDelta: 1,
    });
  },
});

Deno.test({
  name: "importKerasModel() loads the dissertation's weights exactly and predicts like a reference",
  ignore: !HAS_REAL_FILE,
  async fn() {
    const imported = await importKerasModel(REAL_FILE);
    try {
      assert.equal(imported.model.countParams(), 699_073);
      const arrays = await readHdf5(
        await Deno.readFile(REAL_FILE),
        (file) =>
          imported.layers.flatMap((layer) =>
            layer.weights.map((w) => {
              const ds = file.get(w.path);
              assert.ok(isDataset(ds));
              const read = readFloatDataset(ds);
              assert.ok(read, `${w.path} holds floats`);
              return read;
            })
          ),
      );
      const spec: FixtureSpec = { ...imported.config };
      assertSameModel(imported.model, spec, arrays);
    } finally {
      imported.model.dispose();
    }
  },
});
