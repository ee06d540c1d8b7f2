/**
 * What predicts for `predictCatalogue`: a model folder, a loaded model
 * with its scaler, or an ensemble, behind one {@link Predictor}.
 *
 * Kept apart from the run itself so that how a chunk's predictions are made (which model, which
 * backend, whether there is an error bar or a PDF) is one place: the run only hands over scaled
 * fluxes and gets back a {@link ChunkPredictions}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { forwardPlanOf } from "../backend/blas_forward.ts";
import { pdfBinsOf } from "../model.ts";
import { predictPdf } from "../train.ts";
import { checkAlpha, pdfSummaries, type PriorOptions } from "../bias/mod.ts";
import type { RedshiftBins } from "../redshift_bins.ts";
import { loadModel, ModelFolderError } from "../runs/model_folder.ts";
import { readTrainingPrior, TRAINING_PRIOR_KEY } from "../runs/training_prior.ts";
import {
  disposeEnsemble,
  type Ensemble,
  isEnsembleFolder,
  loadEnsemble,
  predictWithUncertainty,
} from "../uncertainty/ensemble.ts";
import type { MinMaxScaler } from "../min_max_scaler.ts";
import { N_FLUX } from "../spectra.ts";
import { pickRows } from "../data/_chunked_reader.ts";

/** A model ready to predict with its scaler: what {@link loadModel} returns will do. */
export interface CatalogueModel {
  model: tfl.LayersModel;
  scaler: MinMaxScaler;
  /**
   * The model folder's run record, where a PDF head's training distribution of z is kept
   * (`run.trainingPrior`, see `lib/runs/training_prior.ts`); needed only for α > 0.
   */
  run?: Record<string, unknown>;
}

/** Level of the central interval a PDF head's `z_lo68` and `z_hi68` bound. */
const PDF_INTERVAL_LEVEL = 0.68;

/** A PDF head's summaries of one chunk besides its mean (which is the chunk's `mean`). */
export interface PdfColumns {
  median: Float32Array;
  mode: Float32Array;
  /** The 16 % quantile: the lower end of the central 68 % interval. */
  lower: Float32Array;
  /** The 84 % quantile: the upper end of the central 68 % interval. */
  upper: Float32Array;
}

/**
 * Predictions of one chunk: the redshift (for a PDF head, the PDF's mean), its 1σ error when the
 * model is an ensemble, and a PDF head's other summaries.
 */
export interface ChunkPredictions {
  mean: Float32Array;
  std: Float32Array | null;
  pdf: PdfColumns | null;
}

/** What predicts: one network (its z, or a PDF), or an ensemble whose spread gives `z_err`. */
export interface Predictor {
  scaler: MinMaxScaler;
  hasError: boolean;
  /** A PDF head's bins and the α its PDFs are read with; null for a model that outputs z. */
  pdf: { bins: RedshiftBins; alpha: number } | null;
  predict(x: Float32Array, n: number, batchSize: number): Promise<ChunkPredictions>;
  dispose(): void;
}

/**
 * An option of the run that does not fit the model (an α for a model without a PDF head, or α > 0
 * without a training prior in the folder): a usage error, found before any row is read.
 */
export class CatalogueOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogueOptionError";
  }
}

/**
 * `model` as a {@link Predictor}, refused when its scaler does not have {@link N_FLUX} columns, or
 * when `alpha` is given and the model has no PDF head (or, for α > 0, no training prior).
 */
export async function openPredictor(
  model: string | CatalogueModel | Ensemble,
  options: { alpha?: number } = {},
): Promise<Predictor> {
  if (options.alpha !== undefined) checkAlpha(options.alpha);
  const predictor = await predictorOf(model, options.alpha);
  if (predictor.scaler.width !== N_FLUX) {
    predictor.dispose();
    const message = `the model's scaler has ${predictor.scaler.width} columns, not ${N_FLUX}`;
    if (typeof model === "string") throw new ModelFolderError(model, `scaler.json: ${message}`);
    throw new RangeError(message);
  }
  return predictor;
}

async function predictorOf(
  model: string | CatalogueModel | Ensemble,
  alpha: number | undefined,
): Promise<Predictor> {
  // What is loaded here is ours to free; what the caller passed in stays the caller's.
  const folder = typeof model === "string" ? model : null;
  if (typeof model === "string" && await isEnsembleFolder(model)) model = await loadEnsemble(model);
  if (typeof model !== "string" && "models" in model) {
    const ensemble = model;
    const dispose = () => folder !== null && disposeEnsemble(ensemble);
    if (alpha !== undefined) {
      dispose();
      throw noHead(alpha, "an ensemble");
    }
    return {
      scaler: ensemble.scaler,
      hasError: true,
      pdf: null,
      predict: async (x, _n, batchSize) => {
        const { mean, std } = await predictWithUncertainty(ensemble, x, { batchSize });
        return { mean, std, pdf: null };
      },
      dispose,
    };
  }
  const { model: network, scaler, run } = typeof model === "string"
    ? await loadModel(model)
    : model;
  const dispose = () => folder !== null && network.dispose();
  try {
    const bins = pdfBinsOf(network);
    if (!bins && alpha !== undefined) throw noHead(alpha, "this model");
    const reading = bins && priorReading(run ?? {}, bins, alpha ?? 0, folder);
    return {
      scaler,
      hasError: false,
      pdf: bins && { bins, alpha: alpha ?? 0 },
      predict: async (x, n, batchSize) =>
        bins
          ? await summarisePdfs(network, bins, reading!, x, n, batchSize)
          : { mean: await dispatchPredictions(network, x, n, batchSize), std: null, pdf: null },
      dispose,
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

/**
 * Checks from a folder's `config.json` alone (no weights loaded, no backend needed) that `alpha`
 * fits the model, so that a command can refuse it before any work: a RangeError outside [0, 1]; a
 * {@link CatalogueOptionError} for an ensemble or a model without a PDF head, or for α > 0 when
 * the folder keeps no training prior. A folder that cannot be read is left for the load to report.
 */
export async function checkAlphaFits(dir: string, alpha: number): Promise<void> {
  checkAlpha(alpha);
  if (await isEnsembleFolder(dir)) throw noHead(alpha, "an ensemble");
  const config: { modelConfig?: { pdfBins?: unknown }; run?: Record<string, unknown> } | null =
    await Deno.readTextFile(`${dir}/config.json`).then(JSON.parse).catch(() => null);
  if (typeof config !== "object" || config === null) return;
  if (!config.modelConfig?.pdfBins) throw noHead(alpha, "this model");
  const prior = config.run?.[TRAINING_PRIOR_KEY];
  if (alpha > 0 && (prior === undefined || prior === null)) throw noPrior(alpha, dir);
}

function noHead(alpha: number, what: string): CatalogueOptionError {
  return new CatalogueOptionError(
    `--alpha ${alpha}: ${what} has no PDF head (it predicts z itself); α applies only to a ` +
      "model trained with a classification head (pdfBins in its config.json)",
  );
}

/** How a PDF head's PDFs are read: as predicted (α = 0), or divided by the folder's prior^α. */
function priorReading(
  run: Record<string, unknown>,
  bins: RedshiftBins,
  alpha: number,
  folder: string | null,
): PriorOptions {
  if (alpha === 0) return {};
  let prior: Float64Array | null;
  try {
    prior = readTrainingPrior(run, bins);
  } catch (e) {
    if (folder === null) throw e;
    throw new ModelFolderError(folder, `config.json: ${(e as Error).message}`);
  }
  if (!prior) throw noPrior(alpha, folder);
  return { prior, alpha };
}

function noPrior(alpha: number, folder: string | null): CatalogueOptionError {
  return new CatalogueOptionError(
    `--alpha ${alpha}: the model ${folder === null ? "" : `folder ${folder} `}keeps no ` +
      `training distribution of z (config.json's run.${TRAINING_PRIOR_KEY}) to divide by; ` +
      "retrain it with a version that records one, or use --alpha 0",
  );
}

/**
 * A PDF head's summaries of n rows of `x`: mean, median, mode and the central 68 % interval of
 * each PDF (read with `reading`), a batch at a time so that memory holds one batch's PDFs. A row
 * whose PDF is not finite gets NaN everywhere, so that the run sets it aside.
 */
async function summarisePdfs(
  model: tfl.LayersModel,
  bins: RedshiftBins,
  reading: PriorOptions,
  x: Float32Array,
  n: number,
  batchSize: number,
): Promise<ChunkPredictions> {
  const column = () => new Float32Array(n).fill(NaN);
  const mean = column();
  const pdf: PdfColumns = { median: column(), mode: column(), lower: column(), upper: column() };
  const columns = { mean, ...pdf };
  const K = bins.count, options = { level: PDF_INTERVAL_LEVEL, ...reading };
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const probs = await predictPdf(model, x.subarray(begin * N_FLUX, (begin + size) * N_FLUX), {
      batchSize,
    });
    const good: number[] = [];
    for (let i = 0; i < size; i++) if (isPdf(probs, i * K, K)) good.push(i);
    if (!good.length) continue;
    const s = pdfSummaries(pickRows(probs, good, K), bins, options);
    for (const [key, column] of Object.entries(columns)) {
      good.forEach((i, g) => column[begin + i] = s[key as keyof typeof columns][g]);
    }
  }
  return { mean, std: null, pdf };
}

/** Whether the K probabilities at `offset` are a PDF: finite, ≥ 0, with a positive sum. */
function isPdf(p: Float32Array, offset: number, K: number): boolean {
  let total = 0;
  for (let k = 0; k < K; k++) {
    const v = p[offset + k];
    if (!(v >= 0 && v < Infinity)) return false;
    total += v;
  }
  return total > 0;
}

/** Starts every batch's prediction on the device and resolves with all of them. */
async function dispatchPredictions(
  model: tfl.LayersModel,
  x: Float32Array,
  n: number,
  batchSize: number,
): Promise<Float32Array> {
  // On cpu-blas the compiled forward pass beats running the layers through tfjs.
  const plan = forwardPlanOf(model);
  if (plan && plan.inputLength === N_FLUX) return plan.predict(x.subarray(0, n * N_FLUX));
  // Every batch is dispatched before the first await, so the device works while the run reads on.
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
  const result = new Float32Array(n);
  try {
    for (let b = 0; b < outputs.length; b++) {
      result.set(await outputs[b].data() as Float32Array, b * batchSize);
    }
  } finally {
    for (const t of outputs) t.dispose();
  }
  return result;
}
