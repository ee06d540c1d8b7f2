/**
 * The dissertation's own artefacts as the notebooks use them, shipped in `data/dissertation/`: its
 * Keras training history and the facts of its `model.keras` (which is read only when named).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type CurveEpoch, historyFromKerasCsv } from "../plots/training_curves.ts";
import {
  importKerasModel,
  type KerasArchitecture,
  type KerasLayer,
  type LayerWeightStatistics,
  readKerasArchitecture,
  weightStatistics,
} from "../keras/mod.ts";
import { readEnv } from "../_env.ts";

/** Folder of the dissertation's shipped, derived facts. */
export const DISSERTATION_DATA_DIR: string = fileURLToPath(
  new URL("../../data/dissertation", import.meta.url),
);

/** The dissertation's Keras training history (40 epochs), from `data/dissertation/history.csv`. */
export async function readDissertationHistory(): Promise<CurveEpoch[]> {
  return historyFromKerasCsv(await Deno.readTextFile(`${DISSERTATION_DATA_DIR}/history.csv`));
}

/** What a Keras model file says about itself: enough for notebook 03b without the file. */
export type KerasModelFacts = Omit<KerasArchitecture, "format" | "config" | "layers"> & {
  /** File name, size and SHA-256 of the file the facts were read from. */
  file: { name: string; bytes: number; sha256: string };
  /** Layers in order, without their weight paths. */
  layers: Omit<KerasLayer, "weights" | "index" | "tfjsName">[];
  /** {@link weightStatistics} of its layers with weights. */
  weights: LayerWeightStatistics[];
};

/** Reads the facts of a `.keras` or `.h5` file our builder can express. */
export async function kerasModelFacts(path: string): Promise<KerasModelFacts> {
  const bytes = await Deno.readFile(path);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const arch = await readKerasArchitecture(bytes);
  const { model } = await importKerasModel(bytes);
  try {
    return {
      file: {
        name: path.replace(/.*\//, ""),
        bytes: bytes.length,
        sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      },
      kerasVersion: arch.kerasVersion,
      backend: arch.backend,
      modelClass: arch.modelClass,
      modelName: arch.modelName,
      inputShape: arch.inputShape,
      layers: arch.layers.map(({ weights: _w, index: _i, tfjsName: _t, ...rest }) => rest),
      params: arch.params,
      training: arch.training,
      weights: weightStatistics(model),
    };
  } finally {
    model.dispose();
  }
}

/** Path of the shipped facts of the dissertation's `model.keras`. */
export const KERAS_FACTS_PATH: string = `${DISSERTATION_DATA_DIR}/model_keras.json`;

/** The shipped facts of the dissertation's `model.keras` (written by `tools/dissertation_facts.ts`). */
export async function readShippedKerasFacts(): Promise<KerasModelFacts> {
  return JSON.parse(await Deno.readTextFile(KERAS_FACTS_PATH)) as KerasModelFacts;
}

/**
 * Path of a copy of the dissertation's `model.keras` (public, not shipped): `path` if given, else
 * `$REDSHIFT_KERAS_MODEL`; `undefined` when neither names an existing file.
 */
export function findDissertationKerasModel(path?: string): string | undefined {
  const candidate = path ?? readEnv("REDSHIFT_KERAS_MODEL");
  try {
    return candidate !== undefined && Deno.statSync(candidate).isFile ? candidate : undefined;
  } catch {
    return undefined;
  }
}
