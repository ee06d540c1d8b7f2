/**
 * Imports a Keras model (such as the dissertation's published `model.keras`) into this project's
 * tfjs network.
 *
 * The file's configuration is checked layer by layer and mapped onto a {@link ModelConfig};
 * tfjs-layers' own Keras deserialiser builds the same configuration, whose output shapes, parameter
 * counts and weight shapes are compared layer by layer with {@link buildModel}'s network, and the
 * file's weights are set in ours. Only what our builder expresses exactly is accepted: Conv1D
 * ('valid', stride 1) each followed by MaxPooling1D(2, 2), Flatten, Dense hidden layers with one
 * shared activation, and a linear Dense(1); anything else is a {@link KerasImportError} naming the
 * first layer that differs and how.
 *
 * Two formats: Keras 2 HDF5 (`.h5`, and `.keras` from Keras 2.x: root attributes `model_config`,
 * `keras_version`, `backend`, `training_config`; weights in `model_weights/<layer>/<name>`), and
 * Keras 3 `.keras`, a zip of `config.json`, `metadata.json` and `model.weights.h5` (weights in
 * `layers/<snake_case class>[_n]/vars/<i>`). h5wasm (HDF5 in WebAssembly) and fflate read them, so
 * the importer runs in notebooks, under `deno run` and in a `deno bundle`.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { models } from "@tensorflow/tfjs-layers";
import { unzipSync } from "fflate";
import {
  buildModel,
  DISSERTATION_MODEL,
  type ModelConfig,
  setWeightsFromArrays,
  summarizeModel,
} from "../model.ts";
import {
  type H5File,
  isDataset,
  isGroup,
  isHdf5,
  readFloatDataset,
  readHdf5,
  stringAttr,
  stringListAttr,
} from "./_hdf5.ts";

/** How a Keras model file is laid out. */
export type KerasFormat = "keras2-hdf5" | "keras3-zip";

/** Where a Keras model comes from: a path, a file URL, or the file's bytes. */
export type KerasSource = string | URL | Uint8Array;

/** One weight array of a layer as stored in the file. */
export interface KerasWeight {
  role: "kernel" | "bias";
  /** Path of the dataset inside the HDF5 weights file. */
  path: string;
  /** Shape stored in the file. */
  shape: number[];
}

/** One layer of a Keras model file, as its configuration and weights describe it. */
export interface KerasLayer {
  /** Position in the model's layer list, counting from 0 and leaving out the InputLayer. */
  index: number;
  /** The layer's name in the Keras file, e.g. `conv1d_1`. */
  name: string;
  /** The name of the matching layer in the model {@link buildModel} returns, e.g. `conv1d_2`. */
  tfjsName: string;
  /** Keras class name: `Conv1D`, `MaxPooling1D`, `Flatten` or `Dense`. */
  className: string;
  /** Output shape, batch dimension first (`null`). */
  outputShape: (number | null)[];
  /** Conv1D filters or Dense units; `null` for other layers. */
  filtersOrUnits: number | null;
  /** Conv1D kernel size or MaxPooling1D pool size; `null` for other layers. */
  kernelSize: number | null;
  /** Conv1D or MaxPooling1D stride; `null` for other layers. */
  strides: number | null;
  /** Conv1D or MaxPooling1D padding; `null` for other layers. */
  padding: string | null;
  /** Conv1D or Dense activation; `null` for other layers. */
  activation: string | null;
  /** Number of trainable parameters. */
  params: number;
  /** Weights stored in the file (kernel then bias), empty for layers without weights. */
  weights: KerasWeight[];
}

/** What a Keras model file holds, mapped onto this project's model. */
export interface KerasArchitecture {
  format: KerasFormat;
  /** Keras version that wrote the file, e.g. `2.10.0`. */
  kerasVersion: string | null;
  /** Keras backend that wrote the file (Keras 2 files), e.g. `tensorflow`. */
  backend: string | null;
  /** Keras model class, `Sequential` or `Functional`. */
  modelClass: string;
  modelName: string;
  /** Input shape, batch dimension first (`null`). */
  inputShape: (number | null)[];
  /** Layers in order, InputLayer left out. */
  layers: KerasLayer[];
  params: number;
  /** The {@link ModelConfig} that rebuilds this architecture with {@link buildModel}. */
  config: ModelConfig;
  /** The optimiser, learning rate and loss the file was compiled with, when it says. */
  training: KerasTraining;
}

/** Compile settings stored in a Keras file (`null` where the file does not say). */
export interface KerasTraining {
  /** Optimiser class, e.g. `Adamax`. */
  optimizer: string | null;
  /** Optimiser learning rate, when a plain number. */
  learningRate: number | null;
  /** Loss name or class, e.g. `huber`. */
  loss: string | null;
  /** Huber δ, when the loss is Huber. */
  huberDelta: number | null;
}

/** A Keras model imported into tfjs: the built model and what the file held. */
export interface ImportedKerasModel extends KerasArchitecture {
  /** The tfjs model (uncompiled) with the file's weights; dispose it when done. */
  model: tfl.LayersModel;
}

/** A Keras file that cannot be read, or whose model our builder cannot express. */
export class KerasImportError extends Error {
  /** Index (as in {@link KerasLayer.index}) of the first mismatching layer, when one is to blame. */
  readonly layerIndex: number | null;
  /** Keras name of the first mismatching layer, when one is to blame. */
  readonly layerName: string | null;
  constructor(
    message: string,
    options: { layer?: { index: number; name: string }; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "KerasImportError";
    this.layerIndex = options.layer?.index ?? null;
    this.layerName = options.layer?.name ?? null;
  }
}

/**
 * Reads a Keras model file's architecture and weight shapes (not the weight values) and maps it
 * onto a {@link ModelConfig}; throws a {@link KerasImportError} when our builder cannot express it.
 *
 * @param source path, file URL or bytes of a `.h5` or `.keras` file
 *
 * @example
 * ```ts ignore
 * import { readKerasArchitecture } from "./import.ts";
 * const arch = await readKerasArchitecture("../shared/reference/dissertation/model.keras");
 * console.table(arch.layers.map(({ name, className, outputShape, params }) => ({
 *   name, className, outputShape: JSON.stringify(outputShape), params,
 * })));
 * console.assert(arch.params === 699_073);
 * ```
 */
export async function readKerasArchitecture(source: KerasSource): Promise<KerasArchitecture> {
  return await readKerasFile(source, false);
}

/**
 * Imports a Keras model file: checks its architecture, builds the same network
 * with {@link buildModel}, sets the file's weights, and checks the built model
 * against the file layer by layer.
 *
 * @param source path, file URL or bytes of a `.h5` or `.keras` file
 *
 * @example
 * ```ts ignore
 * import { importKerasModel } from "./import.ts";
 * import { selectBackend } from "../backend/select.ts";
 * await selectBackend({ backend: "cpu" });
 * const { model, params } = await importKerasModel("../shared/reference/dissertation/model.keras");
 * console.assert(params === 699_073 && model.countParams() === 699_073);
 * model.dispose();
 * ```
 */
export async function importKerasModel(source: KerasSource): Promise<ImportedKerasModel> {
  return await readKerasFile(source, true) as ImportedKerasModel;
}

// ---------------------------------------------------------------------------
// Reading files

type Dict = Record<string, unknown>;

interface ParsedLayer extends Pick<KerasLayer, "index" | "name" | "className"> {
  config: Dict;
}

/** A model configuration as read from the file, with the {@link ModelConfig} that rebuilds it. */
interface ParsedModel
  extends Pick<KerasArchitecture, "modelClass" | "modelName" | "inputShape" | "config"> {
  layers: ParsedLayer[];
}

interface StoredWeight extends KerasWeight {
  values?: Float32Array;
}

/** A layer's stored weights and where they lie; `stored` is `null` when its group is absent. */
interface LayerWeights {
  where: string;
  stored: StoredWeight[] | null;
}

/** What a format reader finds in a file, before the network is built. */
interface ReadResult
  extends Pick<KerasArchitecture, "format" | "kerasVersion" | "backend" | "training"> {
  parsed: ParsedModel;
  weights: LayerWeights[];
}

async function loadBytes(source: KerasSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  try {
    return await Deno.readFile(source);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : errorText(error);
    throw new KerasImportError(`cannot read Keras model file ${source}: ${reason}`, {
      cause: error,
    });
  }
}

function isZip(bytes: Uint8Array): boolean {
  // Local file header, or the end-of-central-directory record of an empty archive.
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

function readKeras2(bytes: Uint8Array, label: string, withValues: boolean): Promise<ReadResult> {
  return readDamageAware(bytes, label, (file) => {
    const modelJson = stringAttr(file, "model_config");
    if (modelJson === undefined) {
      throw new KerasImportError(
        `${label} has no model_config attribute: it holds weights only (model.save_weights), ` +
          `not a whole model`,
      );
    }
    const parsed = parseModelConfig(parseJson(modelJson, `${label}: model_config`), label);
    const root = file.get("model_weights");
    if (!isGroup(root)) {
      throw new KerasImportError(`${label} has a model_config but no model_weights group`);
    }
    const weights = parsed.layers.map((layer): LayerWeights => {
      const where = `model_weights/${layer.name}`;
      const group = root.get(layer.name);
      if (!isGroup(group)) return { where, stored: null };
      const names = stringListAttr(group, "weight_names") ?? [];
      const stored = names.map((name, i) => {
        const path = `${where}/${name}`;
        const ds = group.get(name);
        return storedWeight(ds, layer, path, roleOf(name, i), withValues, "missing weight dataset");
      });
      return { where, stored };
    });
    return {
      format: "keras2-hdf5",
      parsed,
      weights,
      kerasVersion: stringAttr(file, "keras_version") ?? null,
      backend: stringAttr(file, "backend") ?? null,
      training: readTraining(stringAttr(file, "training_config"), label),
    };
  });
}

async function readKeras3(bytes: Uint8Array, label: string, withValues: boolean) {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => ["config.json", "metadata.json", "model.weights.h5"].includes(f.name),
    });
  } catch (error) {
    throw new KerasImportError(
      `${label} is a damaged or truncated zip archive (${errorText(error)})`,
      { cause: error },
    );
  }
  for (const name of ["config.json", "model.weights.h5"]) {
    if (!(name in entries)) {
      throw new KerasImportError(`${label} is a zip archive without ${name}: not a Keras 3 model`);
    }
  }
  const json = (name: string) =>
    parseJson(new TextDecoder().decode(entries[name]), `${label}: ${name}`) as Dict;
  const config = json("config.json");
  const metadata = "metadata.json" in entries ? json("metadata.json") : {};
  const parsed = parseModelConfig(config, label);
  const paths = keras3LayerPaths(parsed.layers);
  const weightsLabel = `${label}: model.weights.h5`;
  if (!isHdf5(entries["model.weights.h5"])) {
    throw new KerasImportError(`${weightsLabel} is not an HDF5 file`);
  }
  return await readDamageAware(entries["model.weights.h5"], weightsLabel, (file): ReadResult => ({
    format: "keras3-zip",
    parsed,
    // Keras 3 numbers a layer's weights `<where>/vars/0, 1, …` (kernel then bias).
    weights: parsed.layers.map((layer, i): LayerWeights => {
      const where = paths[i];
      const expected = layer.className === "Conv1D" || layer.className === "Dense" ? 2 : 0;
      const group = file.get(`${where}/vars`);
      if (!isGroup(group)) return { where, stored: expected === 0 ? [] : null };
      const keys = group.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => +a - +b);
      const stored = keys.map((key, i) => {
        const path = `${where}/vars/${key}`;
        return storedWeight(group.get(key), layer, path, i === 0 ? "kernel" : "bias", withValues);
      });
      if (keys.length < expected) {
        throw layerError(layer, `missing weight dataset ${where}/vars/${keys.length}`);
      }
      return { where, stored };
    }),
    kerasVersion: asString(metadata.keras_version),
    backend: null,
    training: readTraining(config.compile_config, label),
  }));
}

/**
 * One stored weight: its shape, and its values when `withValues`. `missing` says how to report
 * an entry that is not a dataset: before its path (Keras 2), or after it as "is not a dataset".
 */
function storedWeight(
  ds: unknown,
  layer: ParsedLayer,
  path: string,
  role: KerasWeight["role"],
  withValues: boolean,
  missing?: string,
): StoredWeight {
  if (!isDataset(ds)) {
    throw layerError(layer, missing ? `${missing} ${path}` : `${path} is not a dataset`);
  }
  if (!withValues) return { role, path, shape: ds.shape ?? [] };
  const read = readFloatDataset(ds);
  if (read === null) {
    throw layerError(
      layer,
      `${path} holds ${JSON.stringify(ds.dtype)} values, not float32 or float64`,
    );
  }
  return { role, path, ...read };
}

/** Keras 3 stores a Sequential's layers under their snake-cased class name, numbered per class. */
function keras3LayerPaths(layers: ParsedLayer[]): string[] {
  const used = new Map<string, number>();
  return layers.map((layer) => {
    const base = layer.className.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
      .replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return `layers/${n === undefined ? base : `${base}_${n + 1}`}`;
  });
}

/** Reads HDF5 `bytes`, reporting a failure of the HDF5 reader as a damaged or truncated file. */
async function readDamageAware<T>(bytes: Uint8Array, label: string, read: (file: H5File) => T) {
  try {
    return await readHdf5(bytes, read);
  } catch (error) {
    if (error instanceof KerasImportError) throw error;
    throw new KerasImportError(
      `${label} is damaged or truncated: the HDF5 reader failed (${errorText(error)})`,
      { cause: error },
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function roleOf(name: string, position: number): "kernel" | "bias" {
  const last = name.split("/").at(-1) ?? name;
  if (last.startsWith("kernel")) return "kernel";
  if (last.startsWith("bias")) return "bias";
  return position === 0 ? "kernel" : "bias";
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KerasImportError(`${what} is not valid JSON (${errorText(error)})`, {
      cause: error,
    });
  }
}

/** Compile settings from Keras 2's `training_config` (JSON text) or Keras 3's `compile_config`. */
function readTraining(raw: unknown, label: string): KerasTraining {
  const cfg = typeof raw === "string" ? parseJson(raw, `${label}: training_config`) : raw;
  if (!isRecord(cfg)) return { optimizer: null, learningRate: null, loss: null, huberDelta: null };
  // Keras 2: optimizer_config; Keras 3: optimizer. Each is a name or a { class_name, config }.
  const opt = cfg.optimizer_config ?? cfg.optimizer;
  const nameOf = (v: unknown) => asString(v) ?? (isRecord(v) ? asString(v.class_name) : null);
  const configOf = (v: unknown) => (isRecord(v) && isRecord(v.config) ? v.config : {});
  const loss = nameOf(cfg.loss);
  const delta = asNumber(configOf(cfg.loss).delta) ?? 1;
  return {
    optimizer: nameOf(opt),
    learningRate: asNumber(configOf(opt).learning_rate) ?? asNumber(configOf(opt).lr),
    loss,
    huberDelta: loss !== null && /^huber/i.test(loss) ? delta : null,
  };
}

// ---------------------------------------------------------------------------
// Configuration → ModelConfig

function parseModelConfig(raw: unknown, label: string): ParsedModel {
  if (!isRecord(raw) || typeof raw.class_name !== "string") {
    throw new KerasImportError(`${label}: the model configuration has no class_name`);
  }
  const modelClass = raw.class_name;
  if (!["Sequential", "Functional", "Model"].includes(modelClass)) {
    throw new KerasImportError(
      `${label}: the model is a ${modelClass}; only Sequential and Functional models are read`,
    );
  }
  const cfg = raw.config;
  // Keras < 2.2 stored a Sequential's config as the bare layer list.
  const list = Array.isArray(cfg) ? cfg : isRecord(cfg) ? cfg.layers : undefined;
  if (!Array.isArray(list)) {
    throw new KerasImportError(`${label}: the model configuration has no layer list`);
  }
  const all = list.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.class_name !== "string" || !isRecord(entry.config)) {
      throw new KerasImportError(`${label}: layer entry ${i} of the configuration is malformed`);
    }
    const config = entry.config;
    const name = asString(config.name) ?? asString(entry.name) ?? `layer_${i}`;
    return { entry, className: entry.class_name, name, config };
  });
  const first = all[0];
  const hasInput = first?.className === "InputLayer";
  const inputShape = shapeOf(first?.config) ??
    (isRecord(cfg) ? shapeOf({ batch_input_shape: cfg.build_input_shape }) : undefined);
  if (inputShape === undefined) {
    throw new KerasImportError(`${label}: the model configuration has no input shape`);
  }
  if (modelClass !== "Sequential") checkChain(all, hasInput);
  const layers = all.slice(hasInput ? 1 : 0)
    .map(({ className, name, config }, index) => ({ index, name, className, config }));
  const modelName = (isRecord(cfg) && asString(cfg.name)) || "";
  const parsed = { modelClass, modelName, inputShape, layers };
  return { ...parsed, config: mapArchitecture(parsed) };
}

function shapeOf(config: Dict | undefined): (number | null)[] | undefined {
  const shape = config?.batch_input_shape ?? config?.batch_shape;
  if (!Array.isArray(shape)) return undefined;
  return shape.map((d) => (typeof d === "number" ? d : null));
}

/** A Functional model is accepted when it is a plain chain: each layer fed by the one before. */
function checkChain(
  all: { entry: Dict; className: string; name: string }[],
  hasInput: boolean,
): void {
  for (let i = 1; i < all.length; i++) {
    const fed = inboundNames(all[i].entry.inbound_nodes);
    const want = all[i - 1].name;
    if (fed.length !== 1 || fed[0] !== want) {
      const { name, className } = all[i];
      throw layerError(
        { index: i - (hasInput ? 1 : 0), name, className },
        `fed by [${fed.join(", ")}], but our builder is a plain chain (expected "${want}")`,
      );
    }
  }
}

function inboundNames(nodes: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === "string" && typeof v[1] === "number") names.add(v[0]);
      else v.forEach(visit);
    } else if (isRecord(v)) {
      const history = v.keras_history;
      if (Array.isArray(history) && typeof history[0] === "string") names.add(history[0]);
      else Object.values(v).forEach(visit);
    }
  };
  visit(nodes);
  return [...names];
}

const ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "selu"] as const;
type Activation = (typeof ACTIVATIONS)[number];

/** Where the walk through our builder's layer sequence is: what the next layer may be. */
type Stage = "start" | "pool" | "afterPool" | "dense";

const EXPECTED_NEXT: Record<Stage, string> = {
  start: "Conv1D",
  pool: "MaxPooling1D(2) after each Conv1D",
  afterPool: "Conv1D or Flatten",
  dense: "Dense",
};

/** A setting our builder fixes: its name, the file's value, the value our builder uses. */
type Setting = readonly [string, (c: Dict) => unknown, unknown];

/** A setting that must be `want`, which is also Keras's default when the file leaves it out. */
const byDefault = (key: string, want: unknown): Setting => [key, (c) => c[key] ?? want, want];

/**
 * The layer classes our builder makes: the stages each may come at, the stage after it, the key
 * of its size (filters or units) and the settings it fixes.
 */
const LAYER_RULES: Record<string, { at: Stage[]; next: Stage; size?: string; fixed: Setting[] }> = {
  Conv1D: {
    at: ["start", "afterPool"],
    next: "pool",
    size: "filters",
    fixed: [
      ["strides", (c) => single(c.strides), 1],
      ["padding", (c) => c.padding, "valid"],
      ["dilation_rate", (c) => single(c.dilation_rate ?? 1), 1],
      byDefault("groups", 1),
      byDefault("data_format", "channels_last"),
      byDefault("use_bias", true),
    ],
  },
  MaxPooling1D: {
    at: ["pool"],
    next: "afterPool",
    fixed: [
      ["pool_size", (c) => single(c.pool_size), 2],
      ["strides", (c) => single(c.strides ?? c.pool_size), 2],
      byDefault("padding", "valid"),
      byDefault("data_format", "channels_last"),
    ],
  },
  Flatten: { at: ["afterPool"], next: "dense", fixed: [byDefault("data_format", "channels_last")] },
  Dense: { at: ["dense"], next: "dense", size: "units", fixed: [byDefault("use_bias", true)] },
};

/**
 * Walks the layers through the sequence our builder makes, checking each layer's settings, and
 * returns the {@link ModelConfig} that rebuilds them. Shapes and parameter counts are not derived
 * here: tfjs-layers reads the file's configuration itself ({@link readWithTfjs}).
 */
function mapArchitecture(parsed: Omit<ParsedModel, "config">): ModelConfig {
  const [, length, channels, ...rest] = parsed.inputShape;
  const inputLabel = `the input shape [${parsed.inputShape.map(String)}]`;
  if (parsed.inputShape.length !== 3 || rest.length > 0 || typeof length !== "number") {
    throw new KerasImportError(
      `${inputLabel} is not (batch, length, 1) with a fixed length, as our builder needs`,
    );
  }
  if (channels !== 1) {
    throw new KerasImportError(`${inputLabel} has ${channels} channels; our builder takes 1`);
  }

  const convFilters: number[] = [];
  const kernelSizes: number[] = [];
  const denseUnits: number[] = [];
  let activation: Activation | null = null;
  let stage: Stage = "start";

  for (const layer of parsed.layers) {
    const { className, config: c } = layer;
    const expect = (key: string, got: unknown, want: unknown) => {
      const [g, w] = [got, want].map((v) => JSON.stringify(v));
      if (g !== w) throw layerError(layer, `${key} is ${g} but our builder uses ${w}`);
    };
    const sharedActivation = (value: unknown) => {
      if (typeof value !== "string" || !ACTIVATIONS.includes(value as Activation)) {
        throw layerError(
          layer,
          `activation ${JSON.stringify(value)} is not one our builder offers ` +
            `(${ACTIVATIONS.join(", ")})`,
        );
      }
      if (activation !== null && value !== activation) {
        throw layerError(
          layer,
          `activation is "${value}" but earlier layers use "${activation}"; ` +
            `our builder gives every hidden layer the same activation`,
        );
      }
      activation = value as Activation;
    };

    const rule = Object.hasOwn(LAYER_RULES, className) ? LAYER_RULES[className] : undefined;
    if (!rule?.at.includes(stage)) {
      const none = rule ? "" : `; it has no ${className} layers`;
      throw layerError(
        layer,
        `found ${className} where our builder expects ${EXPECTED_NEXT[stage]}${none}`,
      );
    }
    stage = rule.next;
    const size = rule.size && c[rule.size];
    if (rule.size && typeof size !== "number") throw layerError(layer, `${rule.size} is missing`);
    const kernel = single(c.kernel_size);
    if (className === "Conv1D" && kernel === null) {
      throw layerError(layer, `kernel_size ${JSON.stringify(c.kernel_size)} is not one number`);
    }
    for (const [key, read, want] of rule.fixed) expect(key, read(c), want);
    if (className === "Conv1D") {
      sharedActivation(c.activation);
      convFilters.push(size as number);
      kernelSizes.push(kernel as number);
    } else if (className === "Dense" && layer.index === parsed.layers.length - 1) {
      expect("units of the output layer", c.units, 1);
      expect("activation of the output layer", c.activation ?? "linear", "linear");
    } else if (className === "Dense") {
      sharedActivation(c.activation);
      denseUnits.push(size as number);
    }
  }

  const last = parsed.layers.at(-1);
  if (last === undefined || last.className !== "Dense") {
    const after = last ? `after ${layerLabel(last)}` : "with no layers";
    throw new KerasImportError(
      `the model ends ${after}; our builder ends with Flatten, Dense layers and a linear Dense(1)`,
      last ? { layer: last } : {},
    );
  }
  return {
    ...DISSERTATION_MODEL,
    inputLength: length,
    convFilters,
    kernelSizes,
    denseUnits,
    activation: activation ?? "relu",
  };
}

/**
 * The file's network as tfjs-layers' own Keras deserialiser reads it: the checked chain of layer
 * configurations as a Sequential (Keras 3's extra keys, such as dtype policies, are ignored by
 * it). A layer whose output would be empty is named, as tfjs names it.
 */
async function readWithTfjs(parsed: ParsedModel): Promise<tfl.LayersModel> {
  const layers = parsed.layers.map((layer, i) => ({
    class_name: layer.className,
    config: i === 0 ? { ...layer.config, batch_input_shape: parsed.inputShape } : layer.config,
  }));
  const modelTopology = { class_name: "Sequential", config: { name: "keras_file", layers } };
  try {
    return await models.modelFromJSON(
      { modelTopology } as Parameters<typeof models.modelFromJSON>[0],
    );
  } catch (error) {
    const message = errorText(error);
    const named = /adding layer (\S+) with input shape/.exec(message)?.[1];
    const layer = parsed.layers.find((l) => l.name === named);
    if (layer && /Negative dimension/.test(message)) {
      throw layerError(
        layer,
        `its output would have no samples (its kernel or pool is ` +
          `longer than its input; tfjs-layers: ${message})`,
        error,
      );
    }
    throw new KerasImportError(`tfjs-layers cannot read the model configuration: ${message}`, {
      cause: error,
    });
  }
}

/** A layer as tfjs-layers read it from the file, before its stored weights are matched. */
type MappedLayer = Omit<KerasLayer, "weights"> & { weights: { role: string; shape: number[] }[] };

/**
 * The file's layers as tfjs-layers built them (output shapes, parameters, weight shapes), each
 * checked against the same layer of our builder's model.
 */
function describeLayers(
  parsed: ParsedModel,
  fromFile: tfl.LayersModel,
  ours: tfl.LayersModel,
): MappedLayer[] {
  const file = summarizeModel(fromFile), built = summarizeModel(ours);
  if (built.length !== file.length) {
    throw new KerasImportError(
      `the built model has ${built.length} layers but the file has ${file.length}`,
    );
  }
  return parsed.layers.map((layer, i) => {
    const f = file[i], b = built[i];
    const config = fromFile.layers[i].getConfig();
    if (
      b.type !== f.type || b.params !== f.params || b.outputShape.join() !== f.outputShape.join() ||
      b.kernelSize !== f.kernelSize || b.filtersOrUnits !== f.filtersOrUnits
    ) {
      throw layerError(
        layer,
        `the built layer ${b.name} (${b.type}, output [${b.outputShape}], ` +
          `${b.params} parameters) does not match the file's (output [${f.outputShape}], ` +
          `${f.params} parameters)`,
      );
    }
    return {
      index: layer.index,
      name: layer.name,
      tfjsName: b.name,
      className: layer.className,
      outputShape: f.outputShape,
      filtersOrUnits: f.filtersOrUnits,
      kernelSize: f.kernelSize ?? single(config.poolSize),
      strides: single(config.strides),
      padding: asString(config.padding),
      activation: asString(config.activation),
      params: f.params,
      weights: fromFile.layers[i].weights.map((w) => ({
        role: /bias$/.test(w.originalName) ? "bias" : "kernel",
        shape: w.shape as number[],
      })),
    };
  });
}

function single(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "number") return value[0];
  return null;
}

function asString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function asNumber(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function layerLabel(layer: { index: number; name: string; className: string }): string {
  return `layer ${layer.index} "${layer.name}" (${layer.className})`;
}

/** A {@link KerasImportError} that blames `layer` for `what`. */
function layerError(
  layer: { index: number; name: string; className: string },
  what: string,
  cause?: unknown,
): KerasImportError {
  return new KerasImportError(`${layerLabel(layer)}: ${what}`, { layer, cause });
}

function isRecord(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------
// Putting it together

/**
 * Reads the file, builds its network with tfjs-layers and ours with {@link buildModel}, compares
 * them layer by layer, checks the stored weights against the shapes tfjs gives, and assembles the
 * result. With `withValues`, the file's weights are set in our model, which is returned with it;
 * else it is disposed.
 */
async function readKerasFile(
  source: KerasSource,
  withValues: boolean,
): Promise<KerasArchitecture & { model?: tfl.LayersModel }> {
  const bytes = await loadBytes(source);
  const label = typeof source === "string" || source instanceof URL ? String(source) : "the file";
  const read = isHdf5(bytes) ? readKeras2 : isZip(bytes) ? readKeras3 : null;
  if (!read) {
    throw new KerasImportError(
      `${label} is not a Keras model file: it is neither HDF5 (Keras 2 .h5 or .keras) ` +
        `nor a zip archive (Keras 3 .keras)`,
    );
  }
  const { parsed, weights, training, ...about } = await read(bytes, label, withValues);
  const fromFile = await readWithTfjs(parsed);
  const ours = buildModel(parsed.config);
  let keep = false;
  try {
    const values: StoredWeight[] = [];
    const layers = describeLayers(parsed, fromFile, ours).map((layer, i): KerasLayer => {
      const { where, stored } = weights[i];
      const wanted = layer.weights;
      if (stored === null) {
        if (wanted.length === 0) return { ...layer, weights: [] };
        throw layerError(layer, `missing weight group ${where} (needs a kernel and a bias)`);
      }
      if (stored.length !== wanted.length) {
        throw layerError(
          layer,
          `the file stores ${stored.length} weight arrays under ${where}; ` +
            `our builder needs ${wanted.length}${wanted.length ? " (kernel, bias)" : ""}`,
        );
      }
      const byRole = wanted.map((w) => {
        const found = stored.find((s) => s.role === w.role);
        if (!found) throw layerError(layer, `missing ${w.role} under ${where}`);
        if (found.shape.join() !== w.shape.join()) {
          throw layerError(
            layer,
            `${w.role} ${found.path} has shape [${found.shape}] but the configuration implies ` +
              `[${w.shape}]`,
          );
        }
        return found;
      });
      values.push(...byRole);
      return { ...layer, weights: byRole.map(({ role, path, shape }) => ({ role, path, shape })) };
    });
    const { layers: _, config, ...model } = parsed; // model: its class, name and input shape
    const params = layers.reduce((sum, l) => sum + l.params, 0);
    const architecture = { ...about, ...model, layers, params, config, training };
    if (!withValues) return architecture;
    try {
      setWeightsFromArrays(ours, values.map(({ shape, values }) => ({ shape, values: values! })));
    } catch (e) {
      throw new KerasImportError(
        `the file's weights do not fit the built model: ${(e as Error).message}`,
      );
    }
    keep = true;
    return { ...architecture, model: ours };
  } finally {
    fromFile.dispose();
    if (!keep) ours.dispose();
  }
}
