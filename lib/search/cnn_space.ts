/**
 * The network's search space: the dissertation's dimensions (convolution and dense layers, their
 * sizes, activation, loss, optimiser) plus learning rate, batch size and the Huber δ (with errors
 * of a few hundredths, δ = 0.001 makes Huber MAE-like and δ = 1 MSE-like).
 *
 * Layers are fixed slots (`filters1`…`filtersN`): a point with `convLayers = 2` uses the first
 * two and ignores the rest. TPE models every slot anyway, which keeps the sampler simple.
 *
 * @module
 */
import { DISSERTATION_MODEL, type ModelConfig, resolveModelConfig } from "../model.ts";
import { DISSERTATION_RECIPE } from "../profiles.ts";
import { N_FLUX } from "../spectra.ts";
import { LOSSES, type LossName } from "../train.ts";
import { type OptimizerName, OPTIMIZERS } from "../optimizers/optimizers.ts";
import type { Params, SearchSpace } from "./space.ts";

type Activation = ModelConfig["activation"];

/** Activations the space offers (those of {@link ModelConfig}). */
export const ACTIVATIONS: readonly Activation[] = ["relu", "tanh", "sigmoid", "elu", "selu"];

/** Options of {@link cnnSearchSpace}: the range of each dimension. */
export interface CnnSpaceOptions {
  /** Most convolution blocks; default 5 (at least 1). */
  maxConvLayers?: number;
  /** Filters per convolution, log scale; default [8, 256]. */
  filters?: [number, number];
  /** Kernel size per convolution; default [2, 11]. */
  kernel?: [number, number];
  /** Most hidden dense layers; default 4 (at least 1). */
  maxDenseLayers?: number;
  /** Units per dense layer, log scale; default [16, 512]. */
  units?: [number, number];
  /** Learning rate, log scale; default [1e-4, 1e-2]. */
  learningRate?: [number, number];
  /** Batch sizes; default 16, 32, 64, 128, 256. */
  batchSizes?: number[];
  /** Huber threshold δ, log scale; default [0.001, 1]. */
  huberDelta?: [number, number];
  /** Losses; default Huber, MSE and MAE. */
  losses?: readonly LossName[];
  /** Optimisers; default Adamax, Adam and SGD with momentum. */
  optimizers?: readonly OptimizerName[];
  /** Activations; default all five. */
  activations?: readonly Activation[];
  /** Largest network (parameters) a point may build; default 2,000,000. */
  maxParams?: number;
  /** Length of the input spectrum; default 186. */
  inputLength?: number;
}

/** A point decoded into what building and training need. */
export interface CnnTrialConfig {
  model: ModelConfig;
  batchSize: number;
  learningRate: number;
  loss: LossName;
  /** Huber δ (used by the Huber loss only). */
  huberDelta: number;
  optimizer: OptimizerName;
}

/**
 * The search space of the network. Its validity rule rejects kernels that leave a convolution
 * block no samples and networks above `maxParams` parameters, so neither is ever proposed.
 */
export function cnnSearchSpace(options: CnnSpaceOptions = {}): SearchSpace {
  const maxConv = options.maxConvLayers ?? 5;
  const maxDense = options.maxDenseLayers ?? 4;
  const [fLow, fHigh] = options.filters ?? [8, 256];
  const [kLow, kHigh] = options.kernel ?? [2, 11];
  const [uLow, uHigh] = options.units ?? [16, 512];
  const [lrLow, lrHigh] = options.learningRate ?? [1e-4, 1e-2];
  const [dLow, dHigh] = options.huberDelta ?? [0.001, 1];
  const maxParams = options.maxParams ?? 2_000_000;
  const inputLength = options.inputLength ?? N_FLUX;
  const dimensions: SearchSpace["dimensions"] = {
    convLayers: { kind: "int", low: 1, high: maxConv },
    ...Object.fromEntries(
      Array.from({ length: maxConv }, (_, i) => [
        [`filters${i + 1}`, { kind: "int", low: fLow, high: fHigh, log: true }],
        [`kernel${i + 1}`, { kind: "int", low: kLow, high: kHigh }],
      ]).flat(),
    ),
    denseLayers: { kind: "int", low: 1, high: maxDense },
    ...Object.fromEntries(
      Array.from({ length: maxDense }, (_, i) => [
        `units${i + 1}`,
        { kind: "int", low: uLow, high: uHigh, log: true },
      ]),
    ),
    activation: { kind: "categorical", choices: options.activations ?? ACTIVATIONS },
    learningRate: { kind: "float", low: lrLow, high: lrHigh, log: true },
    batchSize: { kind: "categorical", choices: options.batchSizes ?? [16, 32, 64, 128, 256] },
    loss: { kind: "categorical", choices: options.losses ?? LOSSES },
    optimizer: { kind: "categorical", choices: options.optimizers ?? OPTIMIZERS },
    huberDelta: { kind: "float", low: dLow, high: dHigh, log: true },
  };
  return {
    dimensions,
    isValid(params: Params): boolean {
      try {
        const { model } = paramsToTrialConfig(params, { inputLength });
        resolveModelConfig(model); // throws when a kernel leaves no samples
        return countParams(model) <= maxParams;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Decodes a point into a model configuration and a batch size.
 *
 * @param params a point of {@link cnnSearchSpace}
 * @param base fields the space does not set (input length, seed)
 */
export function paramsToTrialConfig(
  params: Params,
  base: Partial<ModelConfig> = {},
): CnnTrialConfig {
  const conv = Number(params.convLayers), dense = Number(params.denseLayers);
  const slots = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => Number(params[`${prefix}${i + 1}`]));
  return {
    model: {
      ...DISSERTATION_MODEL,
      ...base,
      convFilters: slots("filters", conv),
      kernelSizes: slots("kernel", conv),
      denseUnits: slots("units", dense),
      activation: params.activation as Activation,
    },
    batchSize: Number(params.batchSize),
    learningRate: Number(params.learningRate),
    huberDelta: Number(params.huberDelta),
    // Logs written before the loss and the optimiser were dimensions: Huber and Adamax.
    loss: (params.loss ?? "huber") as LossName,
    optimizer: (params.optimizer ?? "adamax") as OptimizerName,
  };
}

/**
 * The point of {@link cnnSearchSpace} that builds `model` and trains with `batchSize`
 * (e.g. the dissertation's configuration, as a baseline trial); unused slots repeat the last layer.
 *
 * @param options the space's layer slots: most convolution and dense layers (5 and 4)
 */
export function trialConfigToParams(
  model: Pick<ModelConfig, "convFilters" | "kernelSizes" | "denseUnits" | "activation">,
  batchSize: number,
  options:
    & Pick<CnnSpaceOptions, "maxConvLayers" | "maxDenseLayers">
    & Partial<Omit<CnnTrialConfig, "model" | "batchSize">> = {},
): Params {
  const maxConv = options.maxConvLayers ?? 5, maxDense = options.maxDenseLayers ?? 4;
  const params: Params = { convLayers: model.convFilters.length };
  for (let i = 0; i < maxConv; i++) {
    const j = Math.min(i, model.convFilters.length - 1);
    params[`filters${i + 1}`] = model.convFilters[j];
    params[`kernel${i + 1}`] = model.kernelSizes[j];
  }
  params.denseLayers = model.denseUnits.length;
  for (let i = 0; i < maxDense; i++) {
    params[`units${i + 1}`] = model.denseUnits[Math.min(i, model.denseUnits.length - 1)];
  }
  return {
    ...params,
    activation: model.activation,
    learningRate: options.learningRate ?? DISSERTATION_RECIPE.learningRate,
    batchSize,
    loss: options.loss ?? "huber",
    optimizer: options.optimizer ?? "adamax",
    huberDelta: options.huberDelta ?? DISSERTATION_RECIPE.huberDelta,
  };
}

/** Parameters of the network `config` builds, counted without building it. */
export function countParams(
  config: Pick<ModelConfig, "inputLength" | "convFilters" | "kernelSizes" | "denseUnits">,
): number {
  let length = config.inputLength, channels = 1, total = 0;
  config.convFilters.forEach((filters, i) => {
    const k = config.kernelSizes[i];
    total += (k * channels + 1) * filters;
    length = Math.floor((length - k + 1) / 2);
    channels = filters;
  });
  let inputs = length * channels;
  for (const units of [...config.denseUnits, 1]) {
    total += (inputs + 1) * units;
    inputs = units;
  }
  return total;
}

/** Short text of a point's network: `conv 16k5-16k5 · dense 32-16 · relu`. */
export function describeTrialConfig(config: CnnTrialConfig): string {
  const m = config.model;
  const conv = m.convFilters.map((f, i) => `${f}k${m.kernelSizes[i]}`).join("-");
  return `conv ${conv} · dense ${m.denseUnits.join("-")} · ${m.activation}`;
}
