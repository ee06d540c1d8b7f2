/**
 * A deep ensemble: K copies of the network, each trained from its own initial weights and batch
 * order on the same data; their mean is the redshift, their spread its uncertainty. The spread
 * measures only model uncertainty, not the spectrum's noise, so it is usually too small: one
 * factor fitted on validation galaxies ({@link fitStdScale}) widens it to honest intervals.
 *
 * An ensemble folder holds `ensemble.json` and one model folder per member (`member_1`, …, each
 * written by {@link saveModel}), and is written atomically.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildModel, type ModelConfig } from "../model.ts";
import type { MinMaxScaler } from "../min_max_scaler.ts";
import { loadModel, ModelFolderError, saveModel } from "../runs/model_folder.ts";
import { type EpochLog, predict, train, type TrainingProgress, type XY } from "../train.ts";
import { writeDirAtomic } from "../_atomic.ts";
import { fitStdScale } from "./calibration.ts";

/** Version of the ensemble folder layout. */
export const ENSEMBLE_FORMAT_VERSION = 1;

/** Name of the file that marks a folder as an ensemble. */
export const ENSEMBLE_FILE = "ensemble.json";

/** A trained ensemble, ready to predict. */
export interface Ensemble {
  models: tfl.LayersModel[];
  /** The scaler all members were trained with (fitted on the training rows). */
  scaler: MinMaxScaler;
  /** Architecture shared by the members (with member 1's seed). */
  modelConfig: ModelConfig;
  /** Weight-initialisation seed of each member (also its batch-order seed). */
  memberSeeds: number[];
  /** Factor of the members' spread that makes the 68 % interval cover 68 % of validation (or 1). */
  stdScale: number;
  histories: EpochLog[][];
  /** Free-form facts about the run. */
  run: Record<string, unknown>;
}

/** Seed of member `k` (0-based): far apart, because each layer takes the next seed up. */
export function memberSeed(seed: number, k: number): number {
  return seed + 1009 * k;
}

/** Options of {@link trainEnsemble}. */
export interface TrainEnsembleOptions {
  /** Number of members K (at least 2). */
  members: number;
  /** Architecture; each member's `seed` is replaced by {@link memberSeed}(`seed`, k). */
  modelConfig: ModelConfig;
  epochs: number;
  batchSize: number;
  /** Learning rate of the members' training; default: `train()`'s (the dissertation's 0.001). */
  learningRate?: number;
  /** Huber δ of the members' training; default: `train()`'s (1). */
  huberDelta?: number;
  /** Base seed of the members' initial weights and batch orders. */
  seed: number;
  /** Scaler fitted on the training rows, stored with the ensemble. */
  scaler: MinMaxScaler;
  /**
   * Per-member checkpoint files `${checkpointPrefix}_k.ckpt`, kept until every member has finished,
   * so that a run stopped at member k resumes it and loads members 1 … k−1 instead of retraining.
   */
  checkpointPrefix?: string;
  onProgress?: (member: number, progress: TrainingProgress) => void | Promise<void>;
  /** After member k: its epochs and its training's seconds (its epochs', over every sitting). */
  onMemberEnd?: (member: number, history: EpochLog[], seconds: number) => void | Promise<void>;
}

/** Trains K members on `data.train` in turn; fits the σ scale on `data.validation` if given. */
export async function trainEnsemble(
  data: { train: XY; validation?: XY },
  options: TrainEnsembleOptions,
): Promise<Ensemble & { memberSeconds: number[] }> {
  if (!(Number.isInteger(options.members) && options.members >= 2)) {
    throw new RangeError(`an ensemble needs at least 2 members, got ${options.members}`);
  }
  const models: tfl.LayersModel[] = [], histories: EpochLog[][] = [];
  const memberSeeds: number[] = [], memberSeconds: number[] = [];
  const checkpoint = (k: number) => `${options.checkpointPrefix}_${k}.ckpt`;
  try {
    for (let k = 0; k < options.members; k++) {
      const seed = memberSeed(options.seed, k);
      const model = buildModel({ ...options.modelConfig, seed });
      models.push(model);
      const result = await train(model, data, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        seed,
        learningRate: options.learningRate,
        huberDelta: options.huberDelta,
        checkpointPath: options.checkpointPrefix && checkpoint(k + 1),
        onProgress: options.onProgress && ((p) => options.onProgress!(k + 1, p)),
      });
      // The epochs' own seconds (validation included), so that a member resumed from its file
      // reports the time it took over every sitting, not this sitting's.
      const seconds = result.history.reduce((sum, e) => sum + e.seconds, 0);
      memberSeeds.push(seed);
      histories.push(result.history);
      memberSeconds.push(seconds);
      await options.onMemberEnd?.(k + 1, result.history, seconds);
    }
  } catch (e) {
    disposeEnsemble({ models });
    throw e;
  }
  if (options.checkpointPrefix) {
    for (let k = 1; k <= options.members; k++) await Deno.remove(checkpoint(k)).catch(() => {});
  }
  const ensemble: Ensemble = {
    models,
    scaler: options.scaler,
    modelConfig: { ...options.modelConfig, seed: memberSeeds[0] },
    memberSeeds,
    stdScale: 1,
    histories,
    run: {},
  };
  if (data.validation) {
    const raw = await predictWithUncertainty(ensemble, data.validation.x);
    ensemble.stdScale = fitStdScale(data.validation.y, { mean: raw.mean, std: raw.rawStd });
  }
  return { ...ensemble, memberSeconds };
}

/** What {@link predictWithUncertainty} returns, one entry per galaxy. */
export interface UncertainPrediction {
  /** Mean of the members' predictions: the redshift. */
  mean: Float32Array;
  /** Recalibrated 1σ: `rawStd` × the ensemble's `stdScale` (fitted at 68 % on validation). */
  std: Float32Array;
  /** Sample standard deviation (K − 1 in the denominator) of the members' predictions. */
  rawStd: Float32Array;
  members: Float32Array[];
}

/** Predicts each row of `x` (scaled with `ensemble.scaler`, `n × length`) with every member. */
export async function predictWithUncertainty(
  ensemble: Pick<Ensemble, "models" | "stdScale">,
  x: Float32Array,
  options: { batchSize?: number } = {},
): Promise<UncertainPrediction> {
  const members: Float32Array[] = [];
  for (const model of ensemble.models) members.push(await predict(model, x, options));
  const k = members.length, n = members[0]?.length ?? 0;
  if (k < 2) throw new RangeError(`an ensemble needs at least 2 members, got ${k}`);
  const mean = new Float32Array(n), rawStd = new Float32Array(n), std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += members[j][i];
    const m = sum / k;
    let sq = 0;
    for (let j = 0; j < k; j++) sq += (members[j][i] - m) ** 2;
    mean[i] = m;
    rawStd[i] = Math.sqrt(sq / (k - 1));
    std[i] = rawStd[i] * ensemble.stdScale;
  }
  return { mean, std, rawStd, members };
}

/** Writes the ensemble to the folder `dir` (one model folder per member), replacing it atomically. */
export async function saveEnsemble(dir: string, ensemble: Ensemble): Promise<void> {
  const memberDirs = ensemble.models.map((_, k) => `member_${k + 1}`);
  await writeDirAtomic(dir, async (tmp) => {
    for (const [k, model] of ensemble.models.entries()) {
      await saveModel(`${tmp}/${memberDirs[k]}`, model, {
        modelConfig: { ...ensemble.modelConfig, seed: ensemble.memberSeeds[k] },
        scaler: ensemble.scaler,
        history: ensemble.histories[k] ?? [],
        run: { ...ensemble.run, member: k + 1, of: ensemble.models.length },
      });
    }
    const meta = {
      formatVersion: ENSEMBLE_FORMAT_VERSION,
      kind: "deep-ensemble",
      savedAt: new Date().toISOString(),
      members: memberDirs,
      memberSeeds: ensemble.memberSeeds,
      stdScale: ensemble.stdScale,
      stdScaleNote: "σ = stdScale × sample std of the members; fitted on validation (68 %)",
      run: ensemble.run,
    };
    await Deno.writeTextFile(`${tmp}/${ENSEMBLE_FILE}`, JSON.stringify(meta, null, 2));
  });
}

/** True when `dir` holds an `ensemble.json` (an ensemble folder rather than one model). */
export async function isEnsembleFolder(dir: string): Promise<boolean> {
  return await Deno.stat(`${dir}/${ENSEMBLE_FILE}`).then((s) => s.isFile, () => false);
}

/** Reads a folder written by {@link saveEnsemble}; a bad one gives a {@link ModelFolderError}. */
export async function loadEnsemble(dir: string): Promise<Ensemble> {
  let meta: {
    formatVersion?: number;
    members?: string[];
    memberSeeds?: number[];
    stdScale?: number;
    run?: Record<string, unknown>;
  };
  try {
    meta = JSON.parse(await Deno.readTextFile(`${dir}/${ENSEMBLE_FILE}`));
  } catch (e) {
    throw new ModelFolderError(
      dir,
      e instanceof Deno.errors.NotFound
        ? `${ENSEMBLE_FILE} is missing: not an ensemble folder`
        : `${ENSEMBLE_FILE}: ${(e as Error).message}`,
    );
  }
  if (meta.formatVersion !== ENSEMBLE_FORMAT_VERSION) {
    throw new ModelFolderError(
      dir,
      `${ENSEMBLE_FILE} has format version ${meta.formatVersion ?? "(none)"}; ` +
        `this library reads version ${ENSEMBLE_FORMAT_VERSION}`,
    );
  }
  if (!Array.isArray(meta.members) || meta.members.length < 2) {
    throw new ModelFolderError(dir, `${ENSEMBLE_FILE} lists fewer than 2 members`);
  }
  if (!(typeof meta.stdScale === "number" && meta.stdScale > 0)) {
    throw new ModelFolderError(dir, `${ENSEMBLE_FILE} has no positive stdScale`);
  }
  const loaded = [];
  try {
    for (const name of meta.members) loaded.push(await loadModel(`${dir}/${name}`));
    const scalerJson = JSON.stringify(loaded[0].scaler.toJSON());
    const mismatch = loaded.findIndex((m) => JSON.stringify(m.scaler.toJSON()) !== scalerJson);
    if (mismatch > 0) {
      const why = `${meta.members[mismatch]} was scaled differently from ${meta.members[0]}`;
      throw new ModelFolderError(dir, why);
    }
  } catch (e) {
    loaded.forEach((m) => m.model.dispose());
    throw e;
  }
  return {
    models: loaded.map((m) => m.model),
    scaler: loaded[0].scaler,
    modelConfig: loaded[0].modelConfig,
    memberSeeds: meta.memberSeeds ?? loaded.map((m) => m.modelConfig.seed),
    stdScale: meta.stdScale,
    histories: loaded.map((m) => m.history),
    run: meta.run ?? {},
  };
}

/** Frees the members' weights. */
export function disposeEnsemble(ensemble: Pick<Ensemble, "models">): void {
  ensemble.models.forEach((m) => m.dispose());
}
