/**
 * Test helper: writes small Keras model files in the layouts Keras itself
 * writes, so the importer's tests need no Python and no `../shared`.
 *
 * - Keras 2 HDF5 (as in the dissertation's `model.keras`, written by Keras
 *   2.10): root attributes `model_config`, `keras_version`, `backend`,
 *   `training_config` (JSON strings); group `model_weights` with attributes
 *   `layer_names`, `keras_version`, `backend`; one group per layer with a
 *   `weight_names` attribute and datasets `<layer>/<layer>/kernel:0`, `…/bias:0`.
 * - Keras 3 `.keras`: a zip of `metadata.json`, `config.json` and
 *   `model.weights.h5`, the weights under `layers/<snake_case class>[_n]/vars/0, 1`.
 *
 * @module
 */
import { zipSync } from "fflate";
import { writeHdf5 } from "../lib/keras/_hdf5.ts";
import { Random } from "../lib/random.ts";

/** Architecture of a fixture model, in the terms of our builder. */
export interface FixtureSpec {
  inputLength: number;
  convFilters: number[];
  kernelSizes: number[];
  denseUnits: number[];
  activation: string;
}

/** A narrow variant of the dissertation's network, small enough for quick tests. */
export const SMALL_SPEC: FixtureSpec = {
  inputLength: 24,
  convFilters: [4, 3],
  kernelSizes: [3, 2],
  denseUnits: [5, 4],
  activation: "relu",
};

/** One layer entry of a Keras configuration. */
export interface LayerEntry {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

/** One stored weight array of a layer. */
export interface FixtureWeight {
  /** Keras 2 weight name, e.g. `conv1d/kernel:0`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A fixture model: its layer entries (InputLayer first) and weights per layer name. */
export interface FixtureModel {
  layers: LayerEntry[];
  weights: Map<string, FixtureWeight[]>;
}

/** Builds Keras 2-style layer entries and seeded random weights for `spec`. */
export function makeFixture(spec: FixtureSpec = SMALL_SPEC, seed = 7): FixtureModel {
  const rng = new Random(seed);
  const random = () => rng.uniform();
  const layers: LayerEntry[] = [{
    class_name: "InputLayer",
    config: {
      batch_input_shape: [null, spec.inputLength, 1],
      dtype: "float32",
      sparse: false,
      ragged: false,
      name: "input_1",
    },
  }];
  const weights = new Map<string, FixtureWeight[]>();
  const counts = new Map<string, number>();
  const nameFor = (base: string) => {
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const addWeights = (name: string, kernel: number[], units: number) => {
    const size = kernel.reduce((p, d) => p * d, 1);
    weights.set(name, [
      {
        name: `${name}/kernel:0`,
        shape: kernel,
        values: Float32Array.from({ length: size }, () => (random() - 0.5) * 0.8),
      },
      {
        name: `${name}/bias:0`,
        shape: [units],
        values: Float32Array.from({ length: units }, () => (random() - 0.5) * 0.2),
      },
    ]);
  };
  let channels = 1;
  spec.convFilters.forEach((filters, i) => {
    const name = nameFor("conv1d");
    layers.push({
      class_name: "Conv1D",
      config: {
        name,
        trainable: true,
        dtype: "float32",
        filters,
        kernel_size: [spec.kernelSizes[i]],
        strides: [1],
        padding: "valid",
        data_format: "channels_last",
        dilation_rate: [1],
        groups: 1,
        activation: spec.activation,
        use_bias: true,
      },
    });
    addWeights(name, [spec.kernelSizes[i], channels, filters], filters);
    channels = filters;
    const pool = nameFor("max_pooling1d");
    layers.push({
      class_name: "MaxPooling1D",
      config: {
        name: pool,
        trainable: true,
        dtype: "float32",
        strides: [2],
        pool_size: [2],
        padding: "valid",
        data_format: "channels_last",
      },
    });
    weights.set(pool, []);
  });
  layers.push({
    class_name: "Flatten",
    config: { name: "flatten", trainable: true, dtype: "float32", data_format: "channels_last" },
  });
  weights.set("flatten", []);
  let length = spec.inputLength;
  for (const k of spec.kernelSizes) length = Math.floor((length - k + 1) / 2);
  let features = length * channels;
  [...spec.denseUnits, 1].forEach((units, i) => {
    const name = nameFor("dense");
    const last = i === spec.denseUnits.length;
    layers.push({
      class_name: "Dense",
      config: {
        name,
        trainable: true,
        dtype: "float32",
        units,
        activation: last ? "linear" : spec.activation,
        use_bias: true,
      },
    });
    addWeights(name, [features, units], units);
    features = units;
  });
  return { layers, weights };
}

/** The layer entry named `name` (throws when absent), for tests that alter a configuration. */
export function layerNamed(fixture: FixtureModel, name: string): LayerEntry {
  const entry = fixture.layers.find((l) => l.config.name === name);
  if (!entry) throw new Error(`no layer ${name}`);
  return entry;
}

/** Keras 2 `training_config` of the dissertation: Huber loss, Adamax(0.001). */
export const TRAINING_CONFIG = {
  loss: "huber",
  metrics: [[{
    class_name: "MeanMetricWrapper",
    config: { name: "mean_absolute_error", dtype: "float32", fn: "mean_absolute_error" },
  }]],
  optimizer_config: {
    class_name: "Adamax",
    config: { name: "Adamax", learning_rate: 0.001, decay: 0, beta_1: 0.9, beta_2: 0.999 },
  },
};

/** Options of {@link keras2Bytes}. */
export interface Keras2Options {
  /** Leave out the `model_config` attribute (a weights-only file). */
  weightsOnly?: boolean;
  /** Model class written in `model_config`; default `Sequential`. */
  modelClass?: string;
  /** Datasets (paths under `model_weights`) not to write, though `weight_names` lists them. */
  dropDatasets?: string[];
}

/** Writes `fixture` as a Keras 2 HDF5 model file and returns its bytes. */
export function keras2Bytes(
  fixture: FixtureModel,
  options: Keras2Options = {},
): Promise<Uint8Array> {
  const modelConfig = {
    class_name: options.modelClass ?? "Sequential",
    config: { name: "sequential", layers: fixture.layers },
  };
  return writeHdf5((file) => {
    if (!options.weightsOnly) {
      file.create_attribute("model_config", JSON.stringify(modelConfig));
      file.create_attribute("training_config", JSON.stringify(TRAINING_CONFIG));
    }
    file.create_attribute("keras_version", "2.10.0");
    file.create_attribute("backend", "tensorflow");
    const root = file.create_group("model_weights");
    const names = [...fixture.weights.keys()];
    root.create_attribute("layer_names", names);
    root.create_attribute("keras_version", "2.10.0");
    root.create_attribute("backend", "tensorflow");
    for (const [layer, weights] of fixture.weights) {
      const group = root.create_group(layer);
      if (weights.length === 0) {
        // h5py writes an empty list as an empty float64 array.
        group.create_attribute("weight_names", new Float64Array(0), [0]);
        continue;
      }
      group.create_attribute("weight_names", weights.map((w) => w.name));
      for (const w of weights) {
        if (options.dropDatasets?.includes(`${layer}/${w.name}`)) continue;
        const parts = w.name.split("/");
        let parent = group;
        for (const part of parts.slice(0, -1)) {
          parent = parent.keys().includes(part)
            ? parent.get(part) as typeof group
            : parent.create_group(part);
        }
        parent.create_dataset({ name: parts.at(-1)!, data: w.values, shape: w.shape });
      }
    }
    file.create_group("model_weights/top_level_model_weights")
      .create_attribute("weight_names", new Float64Array(0), [0]);
  });
}

/** Options of {@link keras3Bytes}. */
export interface Keras3Options {
  /** Deflate the archive's members (Keras itself stores them uncompressed). */
  deflate?: boolean;
  /** Leave these archive members out. */
  omit?: string[];
}

/** Converts a Keras 2 layer entry to Keras 3's form (`module`, `batch_shape`, …). */
function keras3Entry(entry: LayerEntry): LayerEntry {
  const config = { ...entry.config };
  if ("batch_input_shape" in config) {
    config.batch_shape = config.batch_input_shape;
    delete config.batch_input_shape;
    delete config.ragged;
  }
  return { module: "keras.layers", class_name: entry.class_name, config, registered_name: null };
}

/** Writes `fixture` as a Keras 3 `.keras` zip archive and returns its bytes. */
export async function keras3Bytes(
  fixture: FixtureModel,
  options: Keras3Options = {},
): Promise<Uint8Array> {
  const inputShape = fixture.layers[0].config.batch_input_shape;
  const config = {
    module: "keras",
    class_name: "Sequential",
    config: {
      name: "sequential",
      trainable: true,
      layers: fixture.layers.map(keras3Entry),
      build_input_shape: inputShape,
    },
    registered_name: null,
    build_config: { input_shape: inputShape },
    compile_config: {
      optimizer: {
        module: "keras.optimizers",
        class_name: "Adamax",
        config: { name: "adamax", learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999 },
        registered_name: null,
      },
      loss: {
        module: "keras.losses",
        class_name: "Huber",
        config: { name: "huber_loss", reduction: "sum_over_batch_size", delta: 0.5 },
        registered_name: null,
      },
    },
  };
  const metadata = { keras_version: "3.6.0", date_saved: "2026-11-22@12:00:00" };
  // Keras 3 names each layer's group after its class, numbered per class.
  const counts = new Map<string, number>();
  const weightsH5 = await writeHdf5((file) => {
    const layersGroup = file.create_group("layers");
    for (const entry of fixture.layers.slice(1)) {
      const base = entry.class_name === "Conv1D"
        ? "conv1d"
        : entry.class_name === "MaxPooling1D"
        ? "max_pooling1d"
        : entry.class_name.toLowerCase();
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      const vars = layersGroup.create_group(n === 0 ? base : `${base}_${n}`).create_group("vars");
      const weights = fixture.weights.get(entry.config.name as string) ?? [];
      weights.forEach((w, i) =>
        vars.create_dataset({ name: String(i), data: w.values, shape: w.shape })
      );
    }
    file.create_group("optimizer").create_group("vars");
    file.create_group("vars");
  });
  const members: Record<string, Uint8Array> = {
    "metadata.json": new TextEncoder().encode(JSON.stringify(metadata)),
    "config.json": new TextEncoder().encode(JSON.stringify(config)),
    "model.weights.h5": weightsH5,
  };
  for (const name of options.omit ?? []) delete members[name];
  return zipSync(members, { level: options.deflate ? 6 : 0 });
}

/** Writes `bytes` to `name` in a fresh temporary directory and returns the path. */
export async function writeTemp(name: string, bytes: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "keras_import_test_" });
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, bytes);
  return path;
}

/**
 * Reference forward pass in plain TypeScript (float64) over Keras-ordered
 * weights, independent of tfjs: Conv1D valid + ReLU-family activation,
 * MaxPool1D(2), Flatten (channels last), Dense layers, linear output.
 */
export function referenceForward(
  spec: FixtureSpec,
  weights: { shape: number[]; values: Float32Array }[],
  input: Float32Array,
): number {
  const act = (x: number) => {
    switch (spec.activation) {
      case "relu":
        return Math.max(0, x);
      case "tanh":
        return Math.tanh(x);
      case "sigmoid":
        return 1 / (1 + Math.exp(-x));
      default:
        throw new Error(`activation ${spec.activation} not in the reference`);
    }
  };
  let length = spec.inputLength;
  let channels = 1;
  let x = Float64Array.from(input); // [length][channels]
  let w = 0;
  for (const k of spec.kernelSizes) {
    const kernel = weights[w++];
    const bias = weights[w++].values;
    const out = kernel.shape[2];
    const convLength = length - k + 1;
    const y = new Float64Array(convLength * out);
    for (let t = 0; t < convLength; t++) {
      for (let o = 0; o < out; o++) {
        let sum = bias[o];
        for (let j = 0; j < k; j++) {
          for (let i = 0; i < channels; i++) {
            sum += x[(t + j) * channels + i] * kernel.values[(j * channels + i) * out + o];
          }
        }
        y[t * out + o] = act(sum);
      }
    }
    const pooled = Math.floor(convLength / 2);
    x = new Float64Array(pooled * out);
    for (let t = 0; t < pooled; t++) {
      for (let o = 0; o < out; o++) {
        x[t * out + o] = Math.max(y[2 * t * out + o], y[(2 * t + 1) * out + o]);
      }
    }
    length = pooled;
    channels = out;
  }
  const layers = spec.denseUnits.length + 1;
  for (let l = 0; l < layers; l++) {
    const kernel = weights[w++];
    const bias = weights[w++].values;
    const [inputs, out] = kernel.shape;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let sum = bias[o];
      for (let i = 0; i < inputs; i++) sum += x[i] * kernel.values[i * out + o];
      y[o] = l === layers - 1 ? sum : act(sum);
    }
    x = y;
  }
  return x[0];
}
