/**
 * Saving and loading a trained model as a folder.
 *
 * A model folder holds everything needed to predict and to know what was
 * trained: `model.json` and `weights.bin` (the tfjs layers format, so other
 * tfjs tools can read them), `scaler.json`, `config.json` (architecture,
 * training options, data provenance, and the SHA-256 of every other file) and
 * `history.json`. The folder is written beside its destination and renamed
 * into place, so a crash leaves either the old folder or the new one, never a
 * mixture; on load every checksum is verified and the weights must be finite,
 * so a damaged or tampered folder is refused rather than predicting nonsense.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { attachHead, type ModelConfig, resolveModelConfig } from "../model.ts";
import { MinMaxScaler } from "../min_max_scaler.ts";
import type { EpochLog } from "../train.ts";
import { writeDirAtomic } from "../_atomic.ts";

/** Version of the folder layout; bumped when it changes incompatibly (2: checksums in config.json). */
export const MODEL_FORMAT_VERSION = 2;

/** Files whose SHA-256 config.json records. */
const CHECKED_FILES = ["model.json", "weights.bin", "scaler.json", "history.json"] as const;

/** Everything a saved model folder holds besides the network itself. */
export interface ModelRecord {
  /** Architecture and optimiser settings the model was built with. */
  modelConfig: ModelConfig;
  /** Scaler fitted on the training rows; apply it before predicting. */
  scaler: MinMaxScaler;
  /** Per-epoch training history. */
  history: EpochLog[];
  /** Free-form facts about the run: data, split, seed, backend, timings. */
  run: Record<string, unknown>;
}

/** A problem with a model folder, naming the folder. */
export class ModelFolderError extends Error {
  constructor(readonly dir: string, message: string) {
    super(`${dir}: ${message}`);
    this.name = "ModelFolderError";
  }
}

/** Writes `model` and its record to the folder `dir`, replacing it atomically. */
export async function saveModel(
  dir: string,
  model: tfl.LayersModel,
  record: ModelRecord,
): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(folderWriter(tmp));
    await Deno.writeTextFile(`${tmp}/scaler.json`, JSON.stringify(record.scaler.toJSON()));
    await Deno.writeTextFile(`${tmp}/history.json`, JSON.stringify(record.history, null, 1));
    const checksums: Record<string, string> = {};
    for (const name of CHECKED_FILES) {
      checksums[name] = await sha256(await Deno.readFile(`${tmp}/${name}`));
    }
    await Deno.writeTextFile(
      `${tmp}/config.json`,
      JSON.stringify(
        {
          formatVersion: MODEL_FORMAT_VERSION,
          savedAt: new Date().toISOString(),
          modelConfig: record.modelConfig,
          run: record.run,
          checksums,
        },
        null,
        2,
      ),
    );
  });
}

/**
 * Reads a folder written by {@link saveModel}; the model comes back compiled.
 *
 * A folder from another format version, or with a missing or damaged file,
 * gives a {@link ModelFolderError} that says which file and what is wrong.
 */
export async function loadModel(dir: string): Promise<{ model: tfl.LayersModel } & ModelRecord> {
  const config = await readJson(dir, "config.json", null) as {
    formatVersion?: number;
    modelConfig?: ModelConfig;
    run?: Record<string, unknown>;
    checksums?: Record<string, string>;
  };
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ModelFolderError(dir, "config.json does not hold an object (damaged)");
  }
  if (config.formatVersion !== MODEL_FORMAT_VERSION && config.formatVersion !== 1) {
    throw new ModelFolderError(
      dir,
      `config.json has format version ${config.formatVersion ?? "(none)"}; this library reads ` +
        `version ${MODEL_FORMAT_VERSION} (and 1, which has no checksums). Re-save the model ` +
        "with a matching version of the library.",
    );
  }
  // Version 1 folders predate checksums; their weights are still checked for finite values.
  const checksums = config.formatVersion === 1 ? null : config.checksums;
  if (checksums === undefined || (checksums !== null && typeof checksums !== "object")) {
    throw new ModelFolderError(dir, "config.json has no checksums: damaged, or edited by hand");
  }
  if (!config.modelConfig) throw new ModelFolderError(dir, "config.json has no modelConfig");
  let scaler: MinMaxScaler;
  try {
    scaler = MinMaxScaler.fromJSON(await readJson(dir, "scaler.json", checksums));
  } catch (e) {
    if (e instanceof ModelFolderError) throw e;
    throw new ModelFolderError(dir, `scaler.json: ${(e as Error).message}`);
  }
  const history = await readJson(dir, "history.json", checksums) as EpochLog[];
  const artifacts = await readArtifacts(dir, checksums);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new ModelFolderError(
      dir,
      `model.json does not describe a loadable model: ${(e as Error).message}`,
    );
  }
  const inputLength = model.inputs[0].shape[1];
  if (scaler.width !== inputLength) {
    model.dispose();
    throw new ModelFolderError(
      dir,
      `scaler.json scales ${scaler.width} columns but the network takes ${inputLength} fluxes`,
    );
  }
  // Folders saved before the recipe left ModelConfig carry learningRate and huberDelta: dropped.
  let modelConfig: ModelConfig;
  try {
    modelConfig = resolveModelConfig(config.modelConfig);
    attachHead(model, modelConfig.pdfBins);
  } catch (e) {
    model.dispose();
    throw new ModelFolderError(dir, `config.json: ${(e as Error).message}`);
  }
  return { model, modelConfig, scaler, history, run: config.run ?? {} };
}

function folderWriter(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      const weightData = artifacts.weightData;
      if (!weightData || !artifacts.weightSpecs) throw new Error("model has no weights to save");
      const bytes = new Uint8Array(
        weightData instanceof ArrayBuffer ? weightData : tf.io.concatenateArrayBuffers(weightData),
      );
      await Deno.writeFile(`${dir}/weights.bin`, bytes);
      const modelJson = {
        format: "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

async function readArtifacts(
  dir: string,
  checksums: Record<string, string> | null,
): Promise<tf.io.ModelArtifacts> {
  const modelJson = await readJson(dir, "model.json", checksums) as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const manifest = modelJson.weightsManifest?.[0];
  if (!modelJson.modelTopology || !manifest) {
    throw new ModelFolderError(dir, "model.json lacks modelTopology or weightsManifest");
  }
  const weights = await Deno.readFile(`${dir}/weights.bin`).catch(() => {
    throw new ModelFolderError(dir, "weights.bin is missing or unreadable");
  });
  let expected: number;
  try {
    expected = manifest.weights.reduce(
      (sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * 4,
      0,
    );
  } catch {
    throw new ModelFolderError(dir, "model.json's weightsManifest is malformed");
  }
  if (weights.byteLength !== expected) {
    throw new ModelFolderError(
      dir,
      `weights.bin has ${weights.byteLength} bytes but model.json describes ${expected}: the save is damaged`,
    );
  }
  await verify(dir, "weights.bin", weights, checksums);
  const floats = new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4);
  const bad = floats.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new ModelFolderError(
      dir,
      `weights.bin holds ${floats[bad]} (value ${bad + 1} of ${floats.length}): ` +
        "the weights are damaged or training diverged",
    );
  }
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: manifest.weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  };
}

/** SHA-256 of `bytes` as `sha256:` and 64 hex digits, as `sha256sum` prints it. */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return "sha256:" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Refuses a file whose SHA-256 differs from the one config.json recorded. */
async function verify(
  dir: string,
  name: string,
  bytes: Uint8Array,
  checksums: Record<string, string> | null,
): Promise<void> {
  if (checksums === null) return;
  const expected = checksums[name];
  if (typeof expected !== "string") {
    throw new ModelFolderError(dir, `config.json has no checksum for ${name}`);
  }
  if (await sha256(bytes) !== expected) {
    throw new ModelFolderError(
      dir,
      `${name} does not match its checksum in config.json: the file is damaged or was changed`,
    );
  }
}

async function readJson(
  dir: string,
  name: string,
  checksums: Record<string, string> | null,
): Promise<unknown> {
  let text: string;
  try {
    const bytes = await Deno.readFile(`${dir}/${name}`);
    await verify(dir, name, bytes, checksums);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof ModelFolderError) throw e;
    if (e instanceof TypeError) {
      throw new ModelFolderError(dir, `${name} is not UTF-8 text (damaged)`);
    }
    if (e instanceof Deno.errors.NotFound) {
      const isDir = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
      throw new ModelFolderError(
        dir,
        isDir ? `${name} is missing: not a complete model folder` : "no such model folder",
      );
    }
    throw new ModelFolderError(dir, `${name}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelFolderError(dir, `${name} is not valid JSON (damaged or truncated)`);
  }
}
