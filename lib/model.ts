/**
 * The dissertation's 1D convolutional network, built with tfjs-layers.
 *
 * The builder returns a fresh model each call and does nothing on import.
 * Defaults reproduce the published architecture exactly (699,073
 * parameters); options build narrow variants with the same layer sequence so
 * tests can train on a CPU.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { N_FLUX } from "./spectra.ts";
import { type RedshiftBins, redshiftBins } from "./redshift_bins.ts";

/**
 * Architecture of the network. The recipe (learning rate, loss, Huber δ) is not part of it: it
 * lives in the training options (`TrainOptions` in `train.ts`), so that it is set in one place.
 */
export interface ModelConfig {
  /** Length of the input spectrum. */
  inputLength: number;
  /** Filters of each Conv1D layer (each is followed by MaxPool1D(2)). */
  convFilters: number[];
  /** Kernel size of each Conv1D layer. */
  kernelSizes: number[];
  /** Units of each hidden Dense layer (ReLU); a linear Dense(1) follows, or the PDF head. */
  denseUnits: number[];
  /** Activation of every hidden layer. */
  activation: "relu" | "tanh" | "sigmoid" | "elu" | "selu";
  /** Seed of the weight initialisers; equal seeds give equal initial weights. */
  seed: number;
  /**
   * The output. null (the dissertation's): one linear unit, the redshift. Bins: a classification
   * head, one logit per redshift bin of `redshiftBins(pdfBins)`, whose softmax is a PDF of z.
   */
  pdfBins: PdfBins | null;
}

/** The bins of a classification head (see `redshiftBins` in `redshift_bins.ts`). */
export interface PdfBins {
  count: number;
  zMin: number;
  zMax: number;
}

/** The dissertation's architecture (mission.md, "Model"). */
export const DISSERTATION_MODEL: Readonly<ModelConfig> = Object.freeze({
  inputLength: N_FLUX,
  convFilters: [256, 256, 128, 64],
  kernelSizes: [5, 5, 3, 2],
  denseUnits: [256, 256, 128, 64],
  activation: "relu",
  seed: 42,
  pdfBins: null,
});

/** Parameter count of each layer with weights in the dissertation's model, in Keras order. */
export const DISSERTATION_LAYER_PARAMS: readonly number[] = [
  1_536,
  327_936,
  98_432,
  16_448,
  147_712,
  65_792,
  32_896,
  8_256,
  65,
];

/**
 * Completes a partial config with the dissertation's values. Fields that are not part of the
 * architecture (the `learningRate` and `huberDelta` of configs saved before the recipe moved to
 * the training options) are dropped.
 */
export function resolveModelConfig(options: Partial<ModelConfig> = {}): ModelConfig {
  const merged = { ...DISSERTATION_MODEL, ...options };
  const config: ModelConfig = {
    inputLength: merged.inputLength,
    convFilters: merged.convFilters,
    kernelSizes: merged.kernelSizes,
    denseUnits: merged.denseUnits,
    activation: merged.activation,
    seed: merged.seed,
    pdfBins: merged.pdfBins ? checkedBins(merged.pdfBins) : null,
  };
  if (config.convFilters.length !== config.kernelSizes.length) {
    throw new RangeError(
      `convFilters has ${config.convFilters.length} entries but kernelSizes has ${config.kernelSizes.length}`,
    );
  }
  let length = config.inputLength;
  for (const [i, k] of config.kernelSizes.entries()) {
    length = Math.floor((length - k + 1) / 2);
    if (length < 1) {
      throw new RangeError(
        `conv block ${i + 1} (kernel ${k}) leaves no samples of an input of ${config.inputLength}`,
      );
    }
  }
  return config;
}

/** The bins' three numbers, checked by building them. */
function checkedBins({ count, zMin, zMax }: PdfBins): PdfBins {
  redshiftBins({ count, zMin, zMax });
  return { count, zMin, zMax };
}

const headBins = new WeakMap<tfl.LayersModel, RedshiftBins>();

/** The bins of `model`'s classification head, or null for a model that outputs z itself. */
export function pdfBinsOf(model: tfl.LayersModel): RedshiftBins | null {
  return headBins.get(model) ?? null;
}

/**
 * Records that `model`'s output is a classification head over `pdfBins` (null: it outputs z), as
 * {@link buildModel} does; for a model read from a file. Its output must have one unit per bin.
 */
export function attachHead(model: tfl.LayersModel, pdfBins: PdfBins | null): void {
  const units = model.outputs[0].shape[1];
  if (units !== (pdfBins?.count ?? 1)) {
    throw new RangeError(
      `the network has ${units} outputs, but its head is ${
        pdfBins ? `${pdfBins.count} redshift bins` : "one redshift"
      }`,
    );
  }
  if (pdfBins) headBins.set(model, redshiftBins(pdfBins));
  else headBins.delete(model);
}

/**
 * Builds the network, uncompiled: Conv1D → MaxPool1D(2) blocks, Flatten,
 * Dense ReLU layers, Dense(1) linear. The loss and the optimiser are the
 * training loop's (`train()` in `train.ts`), so the model carries none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildModel } from "./model.ts";
 * import { selectBackend } from "./backend/select.ts";
 * await selectBackend({ backend: "cpu" });
 * const model = buildModel();
 * assert.ok(model.countParams() === 699_073);
 * model.dispose();
 * ```
 */
export function buildModel(options: Partial<ModelConfig> = {}): tfl.LayersModel {
  const config = resolveModelConfig(options);
  // Each layer gets its own seed so that layers of equal shape differ.
  let layerSeed = config.seed;
  const init = () => ({
    kernelInitializer: tfl.initializers.glorotUniform({ seed: layerSeed++ }),
    biasInitializer: tfl.initializers.zeros(),
  });
  const model = tfl.sequential({ name: "redshift_cnn" });
  config.convFilters.forEach((filters, i) => {
    model.add(tfl.layers.conv1d({
      name: `conv1d_${i + 1}`,
      ...(i === 0 ? { inputShape: [config.inputLength, 1] } : {}),
      filters,
      kernelSize: config.kernelSizes[i],
      strides: 1,
      padding: "valid",
      activation: config.activation,
      ...init(),
    }));
    model.add(tfl.layers.maxPooling1d({ name: `max_pooling1d_${i + 1}`, poolSize: 2, strides: 2 }));
  });
  model.add(tfl.layers.flatten({ name: "flatten" }));
  config.denseUnits.forEach((units, i) => {
    model.add(
      tfl.layers.dense({ name: `dense_${i + 1}`, units, activation: config.activation, ...init() }),
    );
  });
  const units = config.pdfBins?.count ?? 1;
  model.add(
    tfl.layers.dense({ name: `dense_${config.denseUnits.length + 1}`, units, ...init() }),
  );
  attachHead(model, config.pdfBins);
  return model;
}

/**
 * How many input samples one output of the last convolution sees (with `afterPooling`, one output
 * of the last max pooling): each Conv1D widens the window by (kernel − 1) × the current sample
 * spacing, and each MaxPool1D(2) by one spacing and then doubles the spacing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { receptiveField } from "./model.ts";
 * assert.equal(receptiveField(), 36); // the dissertation's kernels 5, 5, 3, 2
 * assert.equal(receptiveField({}, { afterPooling: true }), 44);
 * ```
 */
export function receptiveField(
  options: Partial<ModelConfig> = {},
  { afterPooling = false } = {},
): number {
  const { kernelSizes } = resolveModelConfig(options);
  let field = 1, spacing = 1;
  kernelSizes.forEach((k, i) => {
    field += (k - 1) * spacing; // convolution
    if (i === kernelSizes.length - 1 && !afterPooling) return;
    field += spacing; // max pooling over 2
    spacing *= 2;
  });
  return field;
}

/** One row of the architecture table (the dissertation's Table 2). */
export interface LayerSummary {
  name: string;
  type: string;
  outputShape: (number | null)[];
  filtersOrUnits: number | null;
  kernelSize: number | null;
  params: number;
}

/** Describes each layer of `model`: type, output shape, filters or units, kernel, parameters. */
export function summarizeModel(model: tfl.LayersModel): LayerSummary[] {
  return model.layers.map((layer) => {
    const cfg = layer.getConfig() as Record<string, unknown>;
    const kernel = cfg.kernelSize as number | number[] | undefined;
    return {
      name: layer.name,
      type: layer.getClassName(),
      outputShape: layer.outputShape as (number | null)[],
      filtersOrUnits: (cfg.filters ?? cfg.units ?? null) as number | null,
      kernelSize: kernel === undefined ? null : Array.isArray(kernel) ? kernel[0] : kernel,
      params: layer.countParams(),
    };
  });
}

/**
 * Sets all weights from arrays in Keras layer order (kernel then bias per
 * layer). Keras stores Conv1D kernels as [kernel, in, out] and Dense as
 * [in, out], the same layouts as tfjs, so a Keras model's arrays load unchanged.
 */
export function setWeightsFromArrays(
  model: tfl.LayersModel,
  arrays: { shape: number[]; values: Float32Array }[],
): void {
  // model.weights, not getWeights(): the latter returns the live variables.
  const expected = model.weights;
  if (arrays.length !== expected.length) {
    throw new RangeError(`expected ${expected.length} weight arrays, got ${arrays.length}`);
  }
  const tensors = arrays.map((a, i) => {
    const want = expected[i].shape as number[];
    const size = want.reduce((p, d) => p * d, 1);
    if (a.shape.join() !== want.join() || a.values.length !== size) {
      throw new RangeError(
        `weight ${i} (${expected[i].name}) has shape [${a.shape}] but the model needs [${want}]`,
      );
    }
    return tf.tensor(a.values, want);
  });
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}
