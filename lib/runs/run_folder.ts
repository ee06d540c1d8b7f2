/**
 * A trained run as a folder: what notebooks 03 and 04 need to present it
 * without training again.
 *
 * `model/` (a model folder, see model_folder.ts), `history.json` (every epoch
 * trained, also past the evaluated one), `predictions.csv` (`id,z_true,z_pred`
 * for the test galaxies) and `run.json` (command, commit, device, wall time).
 * A run of a PDF head adds `alpha_means.csv`: each test galaxy's PDF mean with
 * the training distribution divided out to each power α of {@link ALPHA_GRID},
 * the α knob's trade-off without the model or the spectra.
 * A run trained on the GPU machine is committed under `results/runs/<profile>/`
 * so that machines without a GPU can show full-scale results, labelled as loaded.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type * as tfl from "@tensorflow/tfjs-layers";
import { pdfSummaries } from "../bias/pdf_summary.ts";
import { trainingPrior } from "../bias/prior.ts";
import {
  DEFAULT_SOFT_LABEL_WIDTH,
  type EpochLog,
  predict,
  predictPdf,
  train,
  type TrainOptions,
} from "../train.ts";
import { type ModelConfig, pdfBinsOf } from "../model.ts";
import type { PreparedData } from "../prepare.ts";
import { formatDuration, markdownTable } from "../tables.ts";
import { readTextFileIfAny, writeFileAtomic } from "../_atomic.ts";
import { loadModel, ModelFolderError, saveModel } from "./model_folder.ts";
import { describeMachine, gitCommit } from "./provenance.ts";
import { TRAINING_PRIOR_KEY, trainingPriorRecord } from "./training_prior.ts";

/** Where and how a run was made. */
export interface RunRecord {
  profile: string;
  /** The command that made it, to repeat it. */
  command: string;
  /** Git commit of the code that trained it (of its last sitting, when it took several). */
  commit: string;
  /** Backend and adapter of the last sitting, e.g. `webgpu (NVIDIA H100 80GB HBM3), detected`. */
  device: string;
  /** The machine of the last sitting (`describeMachine()`); absent in older runs. */
  machine?: string;
  /** Sittings the training took (resumptions from its checkpoint + 1); absent in older runs. */
  sittings?: number;
  /** Where the galaxies came from. */
  data: string;
  galaxies: number;
  /**
   * Batch size and learning rate (a number, or a schedule's settings as JSON), and where they
   * differ from the dissertation's the loss (with its soft labels' width) and the sample
   * weights; absent in runs made before it was recorded.
   */
  recipe?: { batchSize: number; learningRate: string; loss?: string; sampleWeights?: string };
  /** Epoch of the evaluated model (the dissertation's 20). */
  evaluatedEpoch: number;
  /**
   * Epochs trained in all, the evaluated one and any past it (the dissertation's 30, for Figure
   * 14); absent in runs made before it was recorded, which trained only the evaluated ones.
   */
  trainedEpochs?: number;
  /** Seconds of training up to the evaluated epoch. */
  trainingSeconds: number;
  /** Seconds of the last sitting: data, training (as far as it went), evaluation. */
  wallSeconds: number;
  /** ISO time the run finished. */
  finishedAt: string;
}

/** The powers α of a PDF head's `alpha_means.csv`: 0 (the PDF as predicted) to 1 by 0.1. */
export const ALPHA_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** A PDF head's test means per α: `means[a][i]` is galaxy i's at `alphas[a]`. */
export interface AlphaMeans {
  alphas: number[];
  ids: Float64Array;
  means: Float64Array[];
}

const ALPHA_HEADER = ["id", ...ALPHA_GRID.map((a) => `alpha_${a}`)].join(",");

/** A run read back: its history, record and test predictions. */
export interface RunArtifact {
  dir: string;
  history: EpochLog[];
  run: RunRecord;
  test: { ids: Float64Array; zTrue: Float32Array; zPred: Float32Array };
}

/** Whether two lists of galaxy ids are the same ids in the same order. */
export function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Folder of a profile's committed run: `results/runs/<profile>` in the project. */
export function committedRunDir(profile: string): string {
  return fileURLToPath(new URL(`../../results/runs/${profile}`, import.meta.url));
}

/**
 * Writes `history.json`, `predictions.csv` and `run.json` into `dir` (each
 * file atomically); the model itself goes to `dir/model` through saveModel.
 */
export async function saveRunArtifact(
  dir: string,
  artifact: Omit<RunArtifact, "dir"> & { alphaMeans?: AlphaMeans | null },
): Promise<void> {
  const { ids, zTrue, zPred } = artifact.test;
  if (zTrue.length !== zPred.length || ids.length !== zTrue.length) {
    throw new RangeError("test ids, true and predicted redshifts differ in length");
  }
  await Deno.mkdir(dir, { recursive: true });
  const lines = ["id,z_true,z_pred"];
  for (let i = 0; i < zTrue.length; i++) lines.push(`${ids[i]},${zTrue[i]},${zPred[i]}`);
  await writeFileAtomic(`${dir}/predictions.csv`, lines.join("\n") + "\n");
  if (artifact.alphaMeans) {
    const { ids, means } = artifact.alphaMeans;
    const rows = [ALPHA_HEADER];
    // six decimals: a millionth in z, well below any bias or MAE the page quotes
    for (let i = 0; i < ids.length; i++) {
      rows.push(`${ids[i]},${means.map((m) => m[i].toFixed(6)).join(",")}`);
    }
    await writeFileAtomic(`${dir}/alpha_means.csv`, rows.join("\n") + "\n");
  }
  await writeFileAtomic(`${dir}/history.json`, JSON.stringify(artifact.history, null, 1) + "\n");
  await writeFileAtomic(`${dir}/run.json`, JSON.stringify(artifact.run, null, 2) + "\n");
}

/** Reads a run folder; a missing or damaged file is an error that names it. */
export async function loadRunArtifact(dir: string): Promise<RunArtifact> {
  const read = async (name: string) => {
    try {
      return await Deno.readTextFile(`${dir}/${name}`);
    } catch {
      throw new Error(`${dir}/${name} is missing: not a complete run folder`);
    }
  };
  const json = async (name: string) => {
    const text = await read(name);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${dir}/${name} is not valid JSON`);
    }
  };
  const run = await json("run.json") as RunRecord;
  const history = await json("history.json") as EpochLog[];
  const rows = (await read("predictions.csv")).trimEnd().split("\n");
  if (rows[0] !== "id,z_true,z_pred") {
    throw new Error(`${dir}/predictions.csv: expected the header id,z_true,z_pred`);
  }
  const n = rows.length - 1;
  const test = { ids: new Float64Array(n), zTrue: new Float32Array(n), zPred: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const fields = rows[i + 1].split(",").map(Number);
    if (fields.length !== 3 || !fields.every(Number.isFinite)) {
      throw new Error(`${dir}/predictions.csv, row ${i + 1}: expected three numbers`);
    }
    [test.ids[i], test.zTrue[i], test.zPred[i]] = fields;
  }
  return { dir, history, run, test };
}

/**
 * A PDF head's `alpha_means.csv` in the run folder `dir`, or null when the folder has none (a run
 * of the one-redshift head). A damaged file is an error that names its row and column.
 */
export async function loadAlphaMeans(dir: string): Promise<AlphaMeans | null> {
  const path = `${dir}/alpha_means.csv`;
  const text = await readTextFileIfAny(path);
  if (text === null) return null;
  const rows = text.trimEnd().split("\n");
  if (rows[0] !== ALPHA_HEADER) throw new Error(`${path}: expected the header ${ALPHA_HEADER}`);
  const n = rows.length - 1;
  const ids = new Float64Array(n);
  const means = ALPHA_GRID.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const fields = rows[i + 1].split(",");
    if (fields.length !== ALPHA_GRID.length + 1) {
      throw new Error(`${path}, row ${i + 1}: expected ${ALPHA_GRID.length + 1} columns`);
    }
    fields.forEach((f, c) => {
      const v = Number(f);
      if (f === "" || !Number.isFinite(v)) {
        throw new Error(`${path}, row ${i + 1}, column ${c + 1}: "${f}" is not a number`);
      }
      (c === 0 ? ids : means[c - 1])[i] = v;
    });
  }
  return { alphas: [...ALPHA_GRID], ids, means };
}

/** True when `dir` holds a run folder (its run.json). */
export async function isRunFolder(dir: string): Promise<boolean> {
  return await Deno.stat(`${dir}/run.json`).then((s) => s.isFile, () => false);
}

/** Options of {@link trainRunFolder}: `train()`'s recipe, the epochs, and what the record says. */
export interface TrainRunFolderOptions
  extends
    Required<Pick<TrainOptions, "batchSize" | "seed" | "learningRate" | "huberDelta">>,
    Pick<TrainOptions, "softLabelWidth" | "progressEvery" | "onProgress"> {
  /** Profile name, for the record. */
  profile: string;
  /** Epoch whose weights are evaluated and saved (the dissertation's 20). */
  evaluatedEpoch: number;
  /** Epochs trained in all (past the evaluated one, to show where validation stops improving). */
  epochs: number;
  /** One weight per training row, and how they were made (for the record). */
  sampleWeights?: { weights: Float32Array; description: string };
  /** The network's configuration, saved with the model. */
  modelConfig: ModelConfig;
  /** Where the galaxies came from. */
  data: string;
  /** Backend and adapter. */
  device: string;
  /** The command that made the run, to repeat it. */
  command: string;
  /**
   * The checkpoint an interrupted run resumes from (default `dir/training.ckpt`; null: none);
   * removed when the run is complete.
   */
  checkpointPath?: string | null;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
}

/**
 * Trains `model` into a run folder: checkpoints every epoch (an interrupted run resumes), saves
 * the model at the evaluated epoch and trains on to `options.epochs`, writes the test
 * predictions of the evaluated model, the whole history and the run record, and removes the
 * checkpoint. Returns the run as {@link loadRunArtifact} would read it.
 *
 * A run resumed past its evaluated epoch reads the evaluated model back from `dir/model`,
 * which an earlier sitting saved there, and checks that its history is this run's.
 *
 * @param dir the run folder, created if missing
 * @param model the network, at its initial weights (or any weights to continue from)
 * @param prepared the split and scaled galaxies
 * @param options the recipe, the epochs and what the record says
 */
export async function trainRunFolder(
  dir: string,
  model: tfl.LayersModel,
  prepared: PreparedData,
  options: TrainRunFolderOptions,
): Promise<RunArtifact & { resumedEpochs: number }> {
  const { evaluatedEpoch, epochs } = options;
  if (!(Number.isInteger(evaluatedEpoch) && evaluatedEpoch >= 1 && evaluatedEpoch <= epochs)) {
    throw new RangeError(
      `the evaluated epoch must be a whole number from 1 to the epochs trained (${epochs}), ` +
        `got ${evaluatedEpoch}`,
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  const started = performance.now();
  // The code that trains is the code loaded now, whatever is committed while it runs.
  const commit = await gitCommit();
  const { checkpointPath = `${dir}/training.ckpt` } = options;
  let evaluated: TestPredictions | null = null;
  const bins = pdfBinsOf(model);
  const { batchSize, seed, learningRate, huberDelta, softLabelWidth, progressEvery } = options;
  const recipe = { batchSize, seed, learningRate, huberDelta, softLabelWidth, progressEvery };
  const result = await train(model, prepared, {
    ...recipe,
    epochs,
    sampleWeights: options.sampleWeights?.weights,
    checkpointPath: checkpointPath ?? undefined,
    onProgress: options.onProgress,
    onEpochEnd: async (log, sofar) => {
      await options.onEpochEnd?.(log);
      if (log.epoch !== evaluatedEpoch) return;
      evaluated = await testPredictions(model, prepared);
      await saveModel(`${dir}/model`, model, {
        modelConfig: options.modelConfig,
        scaler: prepared.scaler,
        history: [...sofar],
        run: {
          profile: options.profile,
          command: options.command,
          source: options.data,
          backend: options.device,
          epochs: log.epoch,
          // what predict's α divides out: the training distribution over the head's bins
          ...(bins ? { [TRAINING_PRIOR_KEY]: trainingPriorRecord(prepared.train.y, bins) } : {}),
        },
      });
    },
  });
  const { history } = result;
  const { zPred, alphaMeans } = evaluated ??
    await predictWithSavedModel(`${dir}/model`, history.slice(0, evaluatedEpoch), prepared);
  const run: RunRecord = {
    profile: options.profile,
    command: options.command,
    commit,
    device: options.device,
    machine: describeMachine(),
    sittings: result.sittings,
    data: options.data,
    galaxies: prepared.train.y.length + prepared.validation.y.length + prepared.test.y.length,
    recipe: {
      batchSize: options.batchSize,
      learningRate: String(options.learningRate),
      ...(options.modelConfig.pdfBins
        ? { loss: `soft-label (width ${options.softLabelWidth ?? DEFAULT_SOFT_LABEL_WIDTH})` }
        : {}),
      ...(options.sampleWeights ? { sampleWeights: options.sampleWeights.description } : {}),
    },
    evaluatedEpoch,
    trainedEpochs: history.length,
    trainingSeconds: history.slice(0, evaluatedEpoch).reduce((s, h) => s + h.seconds, 0),
    wallSeconds: (performance.now() - started) / 1000,
    finishedAt: new Date().toISOString(),
  };
  const test = { ids: prepared.testIds, zTrue: prepared.test.y, zPred };
  await saveRunArtifact(dir, { history, run, test, alphaMeans });
  if (checkpointPath) await Deno.remove(checkpointPath).catch(() => {});
  return { dir, history, run, test, resumedEpochs: result.resumedEpochs };
}

/**
 * The test predictions of the evaluated model that an earlier sitting saved in `modelDir`,
 * refusing a model whose history is not `history` (another run's, or a stale folder).
 */
async function predictWithSavedModel(
  modelDir: string,
  history: EpochLog[],
  prepared: PreparedData,
): Promise<TestPredictions> {
  const saved = await loadModel(modelDir);
  try {
    const same = saved.history.length === history.length &&
      saved.history.every((h, i) => h.loss === history[i].loss && h.valLoss === history[i].valLoss);
    if (!same) {
      throw new ModelFolderError(
        modelDir,
        `its history is not this run's first ${history.length} epochs: the run resumed past its ` +
          "evaluated epoch, and the model saved then is missing or was replaced",
      );
    }
    return await testPredictions(saved.model, prepared);
  } finally {
    saved.model.dispose();
  }
}

type TestPredictions = { zPred: Float32Array; alphaMeans: AlphaMeans | null };

/** The test predictions of `model`, and for a PDF head its means over {@link ALPHA_GRID}. */
async function testPredictions(
  model: tfl.LayersModel,
  prepared: PreparedData,
): Promise<TestPredictions> {
  const zPred = await predict(model, prepared.test.x);
  const bins = pdfBinsOf(model);
  if (!bins) return { zPred, alphaMeans: null };
  const probs = await predictPdf(model, prepared.test.x);
  // the prior that the model folder records (trainingPriorRecord's defaults), so that
  // `task predict --alpha` gives these means
  const prior = trainingPrior(prepared.train.y, bins);
  return {
    zPred,
    alphaMeans: {
      alphas: [...ALPHA_GRID],
      ids: Float64Array.from(prepared.testIds),
      means: ALPHA_GRID.map((alpha) => pdfSummaries(probs, bins, { prior, alpha }).mean),
    },
  };
}

/** A run's record as a two-column table: command, commit, device, data, epochs and times. */
export function runRecordTable(run: RunRecord): string {
  // a resumed run's commit, device, machine and wall time are those of its last sitting
  const ofLast = run.sittings && run.sittings > 1 ? " of the last sitting" : "";
  return markdownTable(["", "the run"], [
    ["command", `\`${run.command}\``],
    ["commit" + ofLast, run.commit],
    ["device" + ofLast, run.device],
    ...(run.machine ? [["machine" + ofLast, run.machine]] : []),
    ["data", run.data.split("\n")[0]],
    ["galaxies", run.galaxies.toLocaleString("en")],
    ["evaluated epoch", run.evaluatedEpoch],
    ["epochs trained", run.trainedEpochs ?? run.evaluatedEpoch],
    ["training time to it", formatDuration(run.trainingSeconds)],
    ...(run.sittings ? [["sittings", run.sittings]] : []),
    [ofLast ? "wall time" + ofLast : "wall time of the run", formatDuration(run.wallSeconds)],
    ["finished", run.finishedAt],
  ]);
}
