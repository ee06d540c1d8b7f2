/**
 * Predicting redshifts for a whole catalogue, a chunk at a time.
 *
 * {@link predictCatalogue} reads a CSV or Parquet file of spectra in chunks
 * (memory stays bounded whatever the file's size), applies the model's own
 * scaler, predicts in batches on the current tfjs backend and writes one row
 * per galaxy: `id, z_pred`, then `z_true, error, dz_norm` when the input has
 * a z column, then `ood, n_outside`. Before any work, the output and rejects
 * paths are checked against the input, the model folder and each other (by
 * real path) and for writability. Both files are written under temporary
 * names beside their targets and put in place together at the end (both or
 * neither), so a run that fails or is interrupted changes nothing. Ids that a
 * spreadsheet would read as formulas are neutralised in CSV outputs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
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
import { type BinRow, errorsByBin, type RedshiftMetrics, redshiftMetrics } from "../metrics.ts";
import { errorsByBinTable, metricsTable } from "../tables.ts";
import {
  type CatalogueChunk,
  catalogueFormat,
  CatalogueInputError,
  type CatalogueLayout,
  type CatalogueReject,
  openCatalogue,
} from "../data/_chunked_reader.ts";
import {
  checkToolPaths,
  commitTogether,
  PathCollisionError,
  type PendingFile,
  tempPathBeside,
  type ToolPath,
  whyNotWritable,
} from "../_atomic.ts";

export { CatalogueInputError, type CatalogueLayout, type CatalogueReject };

/** A model ready to predict with its scaler: what {@link loadModel} returns will do. */
export interface CatalogueModel {
  model: tfl.LayersModel;
  scaler: MinMaxScaler;
}

/** Predictions of one chunk: the redshift, and its 1σ error when the model gives one. */
interface ChunkPredictions {
  mean: Float32Array;
  std: Float32Array | null;
}

/** What predicts: a single network, or an ensemble whose spread gives `z_err`. */
interface Predictor {
  scaler: MinMaxScaler;
  hasError: boolean;
  predict(x: Float32Array, n: number, batchSize: number): Promise<ChunkPredictions>;
  dispose(): void;
}

async function openPredictor(model: string | CatalogueModel | Ensemble): Promise<Predictor> {
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

/**
 * When a spectrum counts as out of distribution.
 *
 * Each flux is compared with the range [min, max] its column had in the
 * scaler's training rows. A row is flagged when more than `maxOutside` of its
 * 186 fluxes lie outside that range widened by `margin` × (max − min) on each
 * side, or when any flux lies more than `far` × (max − min) beyond it.
 */
export interface OodRule {
  /** Widening of each column's training range, as a share of the range; default 0.1. */
  margin: number;
  /** Fluxes outside the widened range a row may have before it is flagged; default 18 (~10 %). */
  maxOutside: number;
  /** A single flux this many ranges beyond its column's range flags the row; default 1. */
  far: number;
}

/** The default {@link OodRule}. */
export const DEFAULT_OOD_RULE: Readonly<OodRule> = Object.freeze({
  margin: 0.1,
  maxOutside: 18,
  far: 1,
});

/** Progress of {@link predictCatalogue}, reported after every chunk. */
export interface CatalogueProgress {
  /** Data rows read so far (predicted and rejected). */
  rowsDone: number;
  /** Rows in the file: exact for Parquet, estimated from the bytes read for CSV. */
  rowsTotal: number;
  /** Share of the file done, 0 to 1. */
  fraction: number;
  /** Rows per second since the start. */
  rowsPerSecond: number;
  /** Estimated seconds until the end. */
  secondsLeft: number;
}

/** Options of {@link predictCatalogue}. */
export interface PredictCatalogueOptions {
  /** Rows per prediction batch (default 1,024). */
  batchSize?: number;
  /** Rows read, scaled and written at a time (default 16,384); memory grows with it. */
  chunkRows?: number;
  /** Stop with a {@link CatalogueInputError} at the first bad row instead of setting it aside. */
  strict?: boolean;
  /** Name of the id column in the input's header (default `id`). */
  idColumn?: string;
  /** Name of the true-redshift column in the input's header (default `z`). */
  zColumn?: string;
  /** Where bad rows are listed (default: the output's path + `.rejects.csv`). */
  rejectsPath?: string;
  /** Overrides of the {@link DEFAULT_OOD_RULE}. */
  ood?: Partial<OodRule>;
  /** Aborting stops the run between chunks, removes the temporary files and throws. */
  signal?: AbortSignal;
  /** Called after each chunk. */
  onProgress?: (progress: CatalogueProgress) => void;
  /** Called for each bad row as it is met. */
  onReject?: (rejected: CatalogueReject) => void;
}

/** What a run did. */
export interface CatalogueSummary {
  input: string;
  output: string;
  rejectsPath: string;
  layout: CatalogueLayout;
  /** Data rows in the input. */
  rowsRead: number;
  /** Rows with a prediction in the output. */
  rowsPredicted: number;
  /** Rows set aside (listed in the rejects file). */
  rowsRejected: number;
  /** Predicted rows flagged as out of distribution. */
  rowsFlagged: number;
  /** The first 100 rejected rows. */
  firstRejected: CatalogueReject[];
  /** The rule rows were flagged by. */
  oodRule: OodRule;
  /** Metrics over every predicted row, when the input has z. */
  metrics: RedshiftMetrics | null;
  /** Metrics over the rows not flagged, when the input has z and some rows were flagged. */
  metricsUnflagged: RedshiftMetrics | null;
  /** Errors per redshift bin over every predicted row, when the input has z. */
  bins: BinRow[] | null;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Data rows per second. */
  rowsPerSecond: number;
}

/** A problem writing the output or the rejects file. */
export class CatalogueOutputError extends Error {
  /**
   * @param file the path that could not be written
   * @param message what went wrong
   */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "CatalogueOutputError";
  }
}

/** The run was stopped through its abort signal; nothing was left at the output path. */
export class CatalogueInterrupted extends Error {
  constructor() {
    super("interrupted: no output written");
    this.name = "CatalogueInterrupted";
  }
}

/**
 * Predicts the redshift of every row of `inPath` and writes them to `outPath` (CSV or Parquet).
 *
 * Bad rows (wrong column count, missing or non-numeric value, NaN, ±Inf) are
 * not predicted: each goes to `onReject`, to the rejects file and to the
 * summary's count; with `strict`, the first one stops the run. The model runs
 * on whatever tfjs backend is current (see {@link selectBackend}).
 *
 * @param model a model folder written by {@link saveModel}, or a loaded model with its scaler
 * @param inPath a `.csv` or `.parquet` catalogue: 186 fluxes, optionally z and an id column
 * @param outPath `.csv` or `.parquet`, written atomically
 * @param options batch and chunk sizes, strictness, column names, progress
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildModel, fitMinMax } from "../mod.ts";
 * import { selectBackend } from "../backend/mod.ts";
 * import { predictCatalogue } from "./mod.ts";
 * await selectBackend({ backend: "cpu" });
 * const dir = await Deno.makeTempDir();
 * const row = Array.from({ length: 186 }, (_, j) => (j % 7) / 7);
 * await Deno.writeTextFile(`${dir}/in.csv`, row.join(",") + "\n" + row.join(",") + "\n");
 * const model = buildModel({ convFilters: [4, 4, 4, 4], denseUnits: [4, 4, 4, 4] });
 * const scaler = fitMinMax(Float32Array.from(row), "all");
 * const summary = await predictCatalogue({ model, scaler }, `${dir}/in.csv`, `${dir}/out.csv`);
 * assert.ok(summary.rowsPredicted === 2 && summary.rowsRejected === 0);
 * ```
 */
export async function predictCatalogue(
  model: string | CatalogueModel | Ensemble,
  inPath: string,
  outPath: string,
  options: PredictCatalogueOptions = {},
): Promise<CatalogueSummary> {
  const started = performance.now();
  const outFormat = catalogueFormat(outPath);
  if (!outFormat) {
    throw new CatalogueOutputError(outPath, "unknown format: expected a .csv or .parquet path");
  }
  const rejectsPath = options.rejectsPath ?? defaultRejectsPath(outPath);
  // Every check on the paths comes before any work, and before anything is written.
  await checkCataloguePaths({
    model: typeof model === "string" ? model : null,
    inPath,
    outPath,
    rejectsPath,
  });
  const batchSize = options.batchSize ?? 1024;
  const chunkRows = options.chunkRows ?? 16_384;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  }
  const predictor = await openPredictor(model);
  let out: OutputFile | null = null, rejects: OutputFile | null = null;
  const zTrue = new GrowableArray((n) => new Float32Array(n));
  const zPred = new GrowableArray((n) => new Float32Array(n));
  const flagged = new GrowableArray((n) => new Uint8Array(n));
  const firstRejected: CatalogueReject[] = [];
  let rowsRead = 0, rowsPredicted = 0, rowsRejected = 0, rowsFlagged = 0;
  // While the device predicts chunk k, the next chunk is read and checked.
  let pending: {
    chunk: CatalogueChunk;
    outside: Int32Array;
    isOod: Uint8Array;
    result: Promise<ChunkPredictions>;
  } | null = null;
  const { scaler } = predictor;
  const rule: OodRule = { ...DEFAULT_OOD_RULE, ...options.ood };
  let layout: CatalogueLayout;
  try {
    const reader = await openCatalogue(inPath, options);
    layout = reader.layout;
    const hasZ = layout.z !== null;
    out = await OutputFile.create(outPath, outFormat, {
      hasZ,
      hasError: predictor.hasError,
      rowIds: layout.id === null,
    });
    rejects = await OutputFile.create(rejectsPath, "csv", { rejects: true });
    const setAside = async (bad: CatalogueReject[]) => {
      for (const b of bad) {
        if (options.strict) {
          const where = [b.id ? `id ${b.id}` : "", b.column ? `column ${b.column}` : ""];
          const prefix = where.filter(Boolean).join(", ");
          throw new CatalogueInputError(inPath, `${prefix ? prefix + ": " : ""}${b.reason}`, b.row);
        }
        rowsRejected++;
        if (firstRejected.length < 100) firstRejected.push(b);
        options.onReject?.(b);
      }
      if (bad.length) await rejects!.writeRejects(bad);
    };
    const finish = async () => {
      if (!pending) return;
      const { chunk, outside, isOod, result } = pending;
      pending = null;
      const { mean, std } = await result;
      // A prediction that is not a finite number is no result: the row is set aside.
      const unusable = notFinite(chunk, mean, std);
      if (unusable.length) await setAside(unusable);
      const kept = unusable.length ? keepFinite(chunk, mean, std, outside, isOod) : null;
      const c = kept?.chunk ?? chunk, predictions = kept?.mean ?? mean;
      const ood = kept?.isOod ?? isOod;
      for (let i = 0; i < c.n; i++) rowsFlagged += ood[i];
      await out!.writePredictions(c, predictions, kept?.std ?? std, kept?.outside ?? outside, ood);
      rowsPredicted += c.n;
      if (c.z) {
        zTrue.push(c.z);
        zPred.push(predictions);
        flagged.push(ood);
      }
    };
    const stats = new ChunkClock(started, reader.totalRows);
    for await (const chunk of reader.chunks(chunkRows)) {
      if (options.signal?.aborted) throw new CatalogueInterrupted();
      await setAside(chunk.rejected);
      const { outside, flagged: isOod } = outOfDistribution(chunk.flux, chunk.n, scaler, rule);
      const x = scaler.transform(chunk.flux);
      const result = predictor.predict(x, chunk.n, batchSize);
      await finish();
      pending = { chunk, outside, isOod, result };
      rowsRead = chunk.rowsSoFar;
      options.onProgress?.(stats.progress(rowsRead, chunk.fraction));
    }
    await finish();
    if (options.signal?.aborted) throw new CatalogueInterrupted();
    const finished = [await rejects.finish(), await out.finish()];
    // A signal during the last step (the Parquet conversion can take a while) still counts.
    if (options.signal?.aborted) throw new CatalogueInterrupted();
    try {
      await commitTogether(finished);
    } catch (e) {
      throw new CatalogueOutputError(
        outPath,
        `could not put the output in place: ${(e as Error).message}`,
      );
    }
  } catch (e) {
    await (pending as { result: Promise<unknown> } | null)?.result.catch(() => {});
    await out?.discard();
    await rejects?.discard();
    throw e;
  } finally {
    predictor.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  let metrics = null, metricsUnflagged = null, bins = null;
  if (layout.z !== null && rowsPredicted > 0) {
    const t = zTrue.view(), p = zPred.view();
    metrics = redshiftMetrics(t, p);
    bins = errorsByBin(t, p);
    if (rowsFlagged > 0 && rowsFlagged < rowsPredicted) {
      const keep = flagged.view();
      metricsUnflagged = redshiftMetrics(
        t.filter((_, i) => !keep[i]),
        p.filter((_, i) => !keep[i]),
      );
    }
  }
  return {
    input: inPath,
    output: outPath,
    rejectsPath,
    layout,
    rowsRead,
    rowsPredicted,
    rowsRejected,
    rowsFlagged,
    firstRejected,
    oodRule: rule,
    metrics,
    metricsUnflagged,
    bins,
    seconds,
    rowsPerSecond: rowsRead / seconds,
  };
}

/** Where bad rows go when no rejects path is given: beside the output, `OUT.rejects.csv`. */
export function defaultRejectsPath(outPath: string): string {
  return `${outPath}.rejects.csv`;
}

/**
 * Checks, before any work, that the output and the rejects file differ from
 * the input, from each other and from everything in the model folder (by real
 * path, links resolved), and that both can be written: their folders exist
 * and take new files, and neither names a folder. Throws a
 * {@link CatalogueOutputError} naming the path at fault.
 */
export async function checkCataloguePaths(
  paths: { model: string | null; inPath: string; outPath: string; rejectsPath?: string },
): Promise<void> {
  const rejectsPath = paths.rejectsPath ?? defaultRejectsPath(paths.outPath);
  const all: ToolPath[] = [
    { role: "--out", path: paths.outPath, use: "write" },
    { role: "--rejects", path: rejectsPath, use: "write" },
    { role: "--in", path: paths.inPath, use: "read" },
  ];
  if (paths.model !== null) {
    all.push({ role: "the model folder", path: paths.model, use: "read", folder: true });
  }
  try {
    await checkToolPaths(all);
  } catch (e) {
    if (e instanceof PathCollisionError) {
      throw new CatalogueOutputError(e.written.path, `refused: ${e.message}; nothing was written`);
    }
    throw e;
  }
  for (const path of [paths.outPath, rejectsPath]) {
    const why = await whyNotWritable(path);
    if (why) throw new CatalogueOutputError(path, `cannot be written: ${why}`);
  }
}

/** Rows of `chunk` whose prediction (or error bar) is not a finite number, as rejects. */
function notFinite(
  chunk: CatalogueChunk,
  mean: Float32Array,
  std: Float32Array | null,
): CatalogueReject[] {
  const bad: CatalogueReject[] = [];
  for (let i = 0; i < chunk.n; i++) {
    const m = mean[i], s = std ? std[i] : 0;
    if (Number.isFinite(m) && Number.isFinite(s)) continue;
    bad.push({
      row: chunk.rows[i],
      id: chunk.ids?.[i] ?? null,
      column: null,
      reason: `the model's prediction is ${Number.isFinite(m) ? `z_err ${s}` : m}, ` +
        "not a finite number (a spectrum far outside the training range, or a broken model)",
    });
  }
  return bad;
}

/** The rows of a chunk (and their predictions) whose predictions are finite. */
function keepFinite(
  chunk: CatalogueChunk,
  mean: Float32Array,
  std: Float32Array | null,
  outside: Int32Array,
  isOod: Uint8Array,
) {
  const keep: number[] = [];
  for (let i = 0; i < chunk.n; i++) {
    if (Number.isFinite(mean[i]) && (!std || Number.isFinite(std[i]))) keep.push(i);
  }
  const n = keep.length;
  const flux = new Float32Array(n * N_FLUX);
  keep.forEach((i, k) => flux.set(chunk.flux.subarray(i * N_FLUX, (i + 1) * N_FLUX), k * N_FLUX));
  const pick = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(a: T) =>
    keep.map((i) => a[i]);
  return {
    chunk: {
      ...chunk,
      n,
      rows: Float64Array.from(pick(chunk.rows)),
      ids: chunk.ids ? keep.map((i) => chunk.ids![i]) : null,
      z: chunk.z ? Float32Array.from(pick(chunk.z)) : null,
      flux,
    },
    mean: Float32Array.from(pick(mean)),
    std: std ? Float32Array.from(pick(std)) : null,
    outside: Int32Array.from(pick(outside)),
    isOod: Uint8Array.from(pick(isOod)),
  };
}

/** One line for a bad row, e.g. `row 17, column flux_3: "abc" is not a number`. */
export function describeReject(rejected: CatalogueReject): string {
  const where = [`row ${rejected.row}`];
  if (rejected.id) where.push(`id ${rejected.id}`);
  if (rejected.column) where.push(`column ${rejected.column}`);
  return `${where.join(", ")}: ${rejected.reason}`;
}

/** The summary as text: counts, files, and the metrics tables when the input had z. */
export function formatCatalogueSummary(summary: CatalogueSummary): string {
  const s = summary;
  const lines = [
    `${s.input}: ${s.rowsRead} rows read, ${s.rowsPredicted} predicted, ` +
    `${s.rowsRejected} rejected, ${s.rowsFlagged} flagged out of distribution`,
    `written: ${s.output} (${s.rowsPredicted} rows), ${s.rejectsPath} (${s.rowsRejected} rows)`,
    `${s.seconds.toFixed(1)} s, ${Math.round(s.rowsPerSecond)} rows/s`,
  ];
  lines.push(s.layout.note);
  if (s.layout.ignored.length) lines.push(`columns not used: ${s.layout.ignored.join(", ")}`);
  if (s.metrics) {
    lines.push("", "All predicted rows", "", metricsTable(s.metrics));
    if (s.metricsUnflagged) {
      lines.push("", "Rows not flagged out of distribution", "", metricsTable(s.metricsUnflagged));
    }
    lines.push("", "Errors per redshift bin", "", errorsByBinTable(s.bins!, { published: false }));
  }
  return lines.join("\n");
}

/**
 * Per row, how many fluxes lie outside their column's training range widened
 * by `margin`, and whether the row is flagged by the {@link OodRule}.
 */
function outOfDistribution(
  flux: Float32Array,
  n: number,
  scaler: MinMaxScaler,
  rule: OodRule,
): { outside: Int32Array; flagged: Uint8Array } {
  const lo = new Float64Array(N_FLUX), hi = new Float64Array(N_FLUX);
  const farLo = new Float64Array(N_FLUX), farHi = new Float64Array(N_FLUX);
  for (let j = 0; j < N_FLUX; j++) {
    const range = scaler.max[j] - scaler.min[j];
    lo[j] = scaler.min[j] - rule.margin * range;
    hi[j] = scaler.max[j] + rule.margin * range;
    // A column constant in training has no scale to be far by: only counted.
    farLo[j] = range > 0 ? scaler.min[j] - rule.far * range : -Infinity;
    farHi[j] = range > 0 ? scaler.max[j] + rule.far * range : Infinity;
  }
  const outside = new Int32Array(n), flagged = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let count = 0, far = false;
    const base = i * N_FLUX;
    for (let j = 0; j < N_FLUX; j++) {
      const v = flux[base + j];
      if (v < lo[j] || v > hi[j]) {
        count++;
        if (v < farLo[j] || v > farHi[j]) far = true;
      }
    }
    outside[i] = count;
    flagged[i] = far || count > rule.maxOutside ? 1 : 0;
  }
  return { outside, flagged };
}

/** Starts every batch's prediction on the device and resolves with all of them. */
function dispatchPredictions(
  model: tfl.LayersModel,
  x: Float32Array,
  n: number,
  batchSize: number,
): Promise<Float32Array> {
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

/** Rows per second and time left from the rows done and the share of the file read. */
class ChunkClock {
  constructor(readonly started: number, readonly totalRows: number | null) {}
  progress(rowsDone: number, fraction: number): CatalogueProgress {
    const seconds = (performance.now() - this.started) / 1000;
    const rowsTotal = this.totalRows ?? (fraction > 0 ? Math.round(rowsDone / fraction) : rowsDone);
    const rowsPerSecond = rowsDone / Math.max(seconds, 1e-9);
    return {
      rowsDone,
      rowsTotal,
      fraction,
      rowsPerSecond,
      secondsLeft: fraction > 0 ? seconds * (1 - fraction) / fraction : NaN,
    };
  }
}

/** An append-only typed array that doubles its capacity as it fills. */
class GrowableArray<T extends Float32Array | Uint8Array> {
  #data: T;
  #n = 0;
  constructor(private readonly allocate: (length: number) => T) {
    this.#data = allocate(1024);
  }
  push(values: ArrayLike<number>): void {
    if (this.#n + values.length > this.#data.length) {
      const next = this.allocate(Math.max(2 * this.#data.length, this.#n + values.length));
      next.set(this.#data.subarray(0, this.#n));
      this.#data = next;
    }
    this.#data.set(values, this.#n);
    this.#n += values.length;
  }
  view(): T {
    return this.#data.subarray(0, this.#n) as T;
  }
}

// ---------------------------------------------------------------------------
// Output: CSV text written under a temporary name; Parquet converted from it at the end.

const encoder = new TextEncoder();

/**
 * The shortest decimal text that reads back as the same float32 (e.g. `0.1`,
 * not `0.10000000149011612`), as polars writes a Float32 column.
 */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  for (let p = 6; p < 9; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(Number(text)) === v) return trimZeros(text);
  }
  return trimZeros(v.toPrecision(9));
}

function trimZeros(text: string): string {
  const e = text.indexOf("e");
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? "" : text.slice(e);
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  return trimmed + exponent;
}

/**
 * A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
 *
 * With `neutralise`, text that a spreadsheet would run as a formula (it
 * begins with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * single quote, the usual defence against CSV injection; plain numbers such as
 * `-12` or `+3.5` are left as they are, since they cannot be formulas.
 */
export function csvField(text: string, neutralise = true): string {
  if (neutralise && /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

class OutputFile {
  #file: Deno.FsFile | null;
  #parquet: string | null = null;
  private constructor(
    readonly path: string,
    readonly format: "csv" | "parquet",
    readonly temp: string,
    file: Deno.FsFile,
    readonly hasZ: boolean,
    readonly rowIds: boolean,
    readonly hasError: boolean,
  ) {
    this.#file = file;
  }

  static async create(
    path: string,
    format: "csv" | "parquet",
    what: { hasZ?: boolean; hasError?: boolean; rowIds?: boolean; rejects?: boolean },
  ): Promise<OutputFile> {
    const temp = tempPathBeside(path, format === "csv" ? "part" : "part.csv");
    let file: Deno.FsFile;
    try {
      file = await Deno.open(temp, { write: true, createNew: true });
    } catch (e) {
      throw new CatalogueOutputError(path, `cannot write beside it: ${(e as Error).message}`);
    }
    const output = new OutputFile(
      path,
      format,
      temp,
      file,
      what.hasZ ?? false,
      what.rowIds ?? false,
      what.hasError ?? false,
    );
    const header = what.rejects ? ["row", "id", "column", "reason"] : [
      "id",
      "z_pred",
      ...(what.hasError ? ["z_err"] : []),
      ...(what.hasZ ? ["z_true", "error", "dz_norm"] : []),
      "ood",
      "n_outside",
    ];
    await output.#write(header.join(",") + "\n");
    return output;
  }

  async writePredictions(
    chunk: CatalogueChunk,
    zPred: Float32Array,
    zErr: Float32Array | null,
    outside: Int32Array,
    ood: Uint8Array,
  ): Promise<void> {
    // A Parquet output is converted from this text, and keeps ids exactly as read.
    const neutralise = this.format === "csv";
    let text = "";
    for (let i = 0; i < chunk.n; i++) {
      const id = chunk.ids ? csvField(chunk.ids[i], neutralise) : String(chunk.rows[i]);
      let line = `${id},${float32Text(zPred[i])}`;
      if (zErr) line += `,${float32Text(zErr[i])}`;
      if (chunk.z) {
        const z = chunk.z[i], error = zPred[i] - z;
        line += `,${float32Text(z)},${float32Text(Math.fround(error))},${
          float32Text(Math.fround(error / (1 + z)))
        }`;
      }
      line += `,${ood[i] ? "true" : "false"},${outside[i]}\n`;
      text += line;
    }
    await this.#write(text);
  }

  async writeRejects(rows: CatalogueReject[]): Promise<void> {
    await this.#write(
      rows.map((r) =>
        `${r.row},${csvField(r.id ?? "")},${csvField(r.column ?? "")},${csvField(r.reason)}\n`
      ).join(""),
    );
  }

  async #write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    try {
      let written = 0;
      while (written < bytes.length) written += await this.#file!.write(bytes.subarray(written));
    } catch (e) {
      throw new CatalogueOutputError(this.path, `write failed: ${(e as Error).message}`);
    }
  }

  /**
   * Finishes the temporary file (a Parquet output is converted from it) and
   * returns it with its target, ready for {@link commitTogether}.
   */
  async finish(): Promise<PendingFile> {
    try {
      await this.#file!.sync();
      this.#file!.close();
      this.#file = null;
      if (this.format === "csv") return { temp: this.temp, path: this.path };
      const pl = (await import("nodejs-polars")).default;
      this.#parquet = tempPathBeside(this.path, "part");
      const schema: Record<string, unknown> = {
        id: this.rowIds ? pl.Int64 : pl.Utf8,
        z_pred: pl.Float32,
        ...(this.hasError ? { z_err: pl.Float32 } : {}),
        ...(this.hasZ ? { z_true: pl.Float32, error: pl.Float32, dz_norm: pl.Float32 } : {}),
        ood: pl.Bool,
        n_outside: pl.Int32,
      };
      await pl.scanCSV(this.temp, { schema } as Parameters<typeof pl.scanCSV>[1])
        .sinkParquet(this.#parquet, { compression: "zstd" }).collect();
      await Deno.remove(this.temp).catch(() => {});
      return { temp: this.#parquet, path: this.path };
    } catch (e) {
      if (e instanceof CatalogueOutputError) throw e;
      throw new CatalogueOutputError(this.path, `could not finish: ${(e as Error).message}`);
    }
  }

  /** Closes and removes the temporary files. */
  async discard(): Promise<void> {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = null;
    await Deno.remove(this.temp).catch(() => {});
    if (this.#parquet) await Deno.remove(this.#parquet).catch(() => {});
  }
}
