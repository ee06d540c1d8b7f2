/**
 * What predicts for `predictCatalogue`: a model folder, a loaded model
 * with its scaler, or an ensemble, behind one {@link Predictor}.
 *
 * Kept apart from the run itself so that how a chunk's predictions are made
 * (which model, which backend, whether there is an error bar) is one place:
 * the run only hands over scaled fluxes and gets back a {@link ChunkPredictions}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { forwardPlanOf } from "../backend/blas_forward.ts";
import { loadModel, ModelFolderError } from "../runs/model_folder.ts";
import {
  disposeEnsemble,
  type Ensemble,
  isEnsembleFolder,
  loadEnsemble,
  predictWithUncertainty,
} from "../uncertainty/ensemble.ts";
import type { MinMaxScaler } from "../min_max_scaler.ts";
import { N_FLUX } from "../spectra.ts";

/** A model ready to predict with its scaler: what {@link loadModel} returns will do. */
export interface CatalogueModel {
  model: tfl.LayersModel;
  scaler: MinMaxScaler;
}

/** Predictions of one chunk: the redshift, and its 1σ error when the model gives one. */
export interface ChunkPredictions {
  mean: Float32Array;
  std: Float32Array | null;
}

/** What predicts: a single network, or an ensemble whose spread gives `z_err`. */
export interface Predictor {
  scaler: MinMaxScaler;
  hasError: boolean;
  predict(x: Float32Array, n: number, batchSize: number): Promise<ChunkPredictions>;
  dispose(): void;
}

/** `model` as a {@link Predictor}, refused when its scaler does not have {@link N_FLUX} columns. */
export async function openPredictor(
  model: string | CatalogueModel | Ensemble,
): Promise<Predictor> {
  const predictor = await predictorOf(model);
  if (predictor.scaler.width !== N_FLUX) {
    predictor.dispose();
    const message = `the model's scaler has ${predictor.scaler.width} columns, not ${N_FLUX}`;
    if (typeof model === "string") throw new ModelFolderError(model, `scaler.json: ${message}`);
    throw new RangeError(message);
  }
  return predictor;
}

async function predictorOf(model: string | CatalogueModel | Ensemble): Promise<Predictor> {
  // What is loaded here is ours to free; what the caller passed in stays the caller's.
  const owned = typeof model === "string";
  if (typeof model === "string" && await isEnsembleFolder(model)) model = await loadEnsemble(model);
  if (typeof model !== "string" && "models" in model) {
    const ensemble = model;
    return {
      scaler: ensemble.scaler,
      hasError: true,
      predict: async (x, _n, batchSize) => {
        const { mean, std } = await predictWithUncertainty(ensemble, x, { batchSize });
        return { mean, std };
      },
      dispose: () => owned ? disposeEnsemble(ensemble) : undefined,
    };
  }
  const single = typeof model === "string" ? await loadModel(model) : model;
  return {
    scaler: single.scaler,
    hasError: false,
    predict: async (x, n, batchSize) => ({
      mean: await dispatchPredictions(single.model, x, n, batchSize),
      std: null,
    }),
    dispose: () => owned ? single.model.dispose() : undefined,
  };
}

/** Starts every batch's prediction on the device and resolves with all of them. */
function dispatchPredictions(
  model: tfl.LayersModel,
  x: Float32Array,
  n: number,
  batchSize: number,
): Promise<Float32Array> {
  // On cpu-blas the compiled forward pass beats running the layers through tfjs.
  const plan = forwardPlanOf(model);
  if (plan && plan.inputLength === N_FLUX) {
    try {
      return Promise.resolve(plan.predict(x.subarray(0, n * N_FLUX)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const outputs: tf.Tensor[] = [];
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    outputs.push(tf.tidy(() =>
      model.apply(
        tf.tensor3d(x.subarray(begin * N_FLUX, (begin + size) * N_FLUX), [size, N_FLUX, 1]),
        { training: false },
      ) as tf.Tensor
    ));
  }
  return (async () => {
    const result = new Float32Array(n);
    try {
      for (let b = 0; b < outputs.length; b++) {
        result.set(await outputs[b].data() as Float32Array, b * batchSize);
      }
    } finally {
      for (const t of outputs) t.dispose();
    }
    return result;
  })();
}
