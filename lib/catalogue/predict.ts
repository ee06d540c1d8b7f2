/**
 * Predicting redshifts for a whole catalogue, a chunk at a time, so that memory stays bounded
 * whatever the file's size. Before any work the output and rejects paths are checked against the
 * input, the model folder and each other; both files are written under temporary names and put in
 * place together at the end, so a run that fails or is interrupted changes nothing.
 *
 * The parts live beside it: `_predictor.ts` (the model, PDF head or ensemble that predicts),
 * `_screening.ts` (out-of-distribution and non-finite rows) and `_output.ts` (writing the files).
 *
 * @module
 */
import type { Ensemble } from "../uncertainty/ensemble.ts";
import { type BinRow, errorsByBin, type RedshiftMetrics, redshiftMetrics } from "../metrics.ts";
import { errorsByBinTable, metricsTable } from "../tables.ts";
import { Growable } from "../_growable.ts";
import {
  catalogueFormat,
  CatalogueInputError,
  type CatalogueLayout,
  type CatalogueReject,
  openCatalogue,
} from "../data/_chunked_reader.ts";
import { checkToolPaths, commitTogether, PathCollisionError, whyNotWritable } from "../_atomic.ts";
import { type CatalogueModel, openPredictor } from "./_predictor.ts";
import {
  DEFAULT_OOD_RULE,
  keepFinite,
  type OodRule,
  outOfDistribution,
  type PredictedChunk,
  rejectError,
} from "./_screening.ts";
import { CatalogueOutputError, OutputFile } from "./_output.ts";

export { CatalogueInputError, type CatalogueLayout, type CatalogueReject };
export { type CatalogueModel, CatalogueOptionError, checkAlphaFits } from "./_predictor.ts";
export { DEFAULT_OOD_RULE, describeReject, type OodRule } from "./_screening.ts";
export { CatalogueOutputError, PDF_COLUMNS } from "./_output.ts";

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
  /**
   * For a model with a PDF head, the α knob in [0, 1]: each PDF is divided by the training
   * distribution of z (kept in the model folder, see `readTrainingPrior`) raised to α and
   * renormalised before it is summarised; 0 (the default) reads the PDFs as predicted. Giving it
   * for a model without a PDF head, or above 0 for one whose folder keeps no training
   * distribution, is a {@link CatalogueOptionError}; outside [0, 1], a RangeError.
   */
  alpha?: number;
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
  /** A PDF head's bins and the α its PDFs were read with; null for a model that outputs z. */
  pdf: { count: number; zMin: number; zMax: number; alpha: number } | null;
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
 * A model with a PDF head writes its PDF's summaries beside `z_pred` (the
 * PDF's mean): see {@link PDF_COLUMNS}, and `alpha` for the α knob.
 *
 * Bad rows (wrong column count, missing or non-numeric value, NaN, ±Inf) are not predicted: each
 * goes to `onReject`, to the rejects file and to the summary's count; with `strict`, the first one
 * stops the run. The model runs on whatever tfjs backend is current (see {@link selectBackend}).
 *
 * @param model a model folder written by {@link saveModel}, or a loaded model with its scaler
 * @param inPath a `.csv` or `.parquet` catalogue: 186 fluxes, optionally z and an id column
 * @param outPath `.csv` or `.parquet`, written atomically
 * @param options batch and chunk sizes, strictness, column names, α, progress
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
  // Every check on the paths comes before any work, and before anything is written.
  const rejectsPath = await checkCataloguePaths({
    model: typeof model === "string" ? model : null,
    inPath,
    outPath,
    rejectsPath: options.rejectsPath,
  });
  const batchSize = options.batchSize ?? 1024;
  const chunkRows = options.chunkRows ?? 16_384;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  }
  const predictor = await openPredictor(model, { alpha: options.alpha });
  const { scaler } = predictor;
  let out: OutputFile | null = null, rejects: OutputFile | null = null;
  const zTrue = new Growable(Float32Array), zPred = new Growable(Float32Array);
  const flagged = new Growable(Uint8Array);
  const firstRejected: CatalogueReject[] = [];
  let rowsRead = 0, rowsPredicted = 0, rowsRejected = 0, rowsFlagged = 0;
  // While the device predicts chunk k, the next chunk is read and checked.
  let pending: Promise<PredictedChunk> | null = null;
  const head = predictor.pdf;
  const pdf = head &&
    { count: head.bins.count, zMin: head.bins.zMin, zMax: head.bins.zMax, alpha: head.alpha };
  const rule: OodRule = { ...DEFAULT_OOD_RULE, ...options.ood };
  let layout: CatalogueLayout;
  try {
    const reader = await openCatalogue(inPath, options);
    layout = reader.layout;
    out = await OutputFile.create(outPath, outFormat, {
      hasZ: layout.z !== null,
      hasError: predictor.hasError,
      hasPdf: pdf !== null,
      rowIds: layout.id === null,
    });
    rejects = await OutputFile.create(rejectsPath, "csv", { rejects: true });
    const setAside = async (bad: CatalogueReject[]) => {
      for (const b of bad) {
        if (options.strict) throw rejectError(inPath, b);
        rowsRejected++;
        if (firstRejected.length < 100) firstRejected.push(b);
        options.onReject?.(b);
      }
      if (bad.length) await rejects!.writeRejects(bad);
    };
    const finish = async () => {
      if (!pending) return;
      // A prediction that is not a finite number is no result: the row is set aside.
      const { rejected, kept } = keepFinite(await pending);
      pending = null;
      await setAside(rejected);
      const { chunk, predictions, isOod } = kept;
      for (let i = 0; i < chunk.n; i++) rowsFlagged += isOod[i];
      await out!.writePredictions(kept);
      rowsPredicted += chunk.n;
      if (chunk.z) {
        zTrue.push(chunk.z);
        zPred.push(predictions.mean);
        flagged.push(isOod);
      }
    };
    for await (const chunk of reader.chunks(chunkRows)) {
      if (options.signal?.aborted) throw new CatalogueInterrupted();
      await setAside(chunk.rejected);
      const { outside, flagged: isOod } = outOfDistribution(chunk.flux, chunk.n, scaler, rule);
      const result = predictor.predict(scaler.transform(chunk.flux), chunk.n, batchSize);
      await finish();
      pending = result.then((predictions) => ({ chunk, predictions, outside, isOod }));
      rowsRead = chunk.rowsSoFar;
      if (options.onProgress) {
        const seconds = (performance.now() - started) / 1000, fraction = chunk.fraction;
        options.onProgress({
          rowsDone: rowsRead,
          // Exact for Parquet; for CSV, estimated from the share of the file read.
          rowsTotal: reader.totalRows ??
            (fraction > 0 ? Math.round(rowsRead / fraction) : rowsRead),
          fraction,
          rowsPerSecond: rowsRead / Math.max(seconds, 1e-9),
          secondsLeft: fraction > 0 ? seconds * (1 - fraction) / fraction : NaN,
        });
      }
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
    await (pending as Promise<unknown> | null)?.catch(() => {});
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
      const ood = flagged.view(), unflagged = (a: Float32Array) => a.filter((_, i) => !ood[i]);
      metricsUnflagged = redshiftMetrics(unflagged(t), unflagged(p));
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
    pdf,
    metrics,
    metricsUnflagged,
    bins,
    seconds,
    rowsPerSecond: rowsRead / seconds,
  };
}

/**
 * Checks, before any work, that the output and the rejects file (default `OUT.rejects.csv`, the
 * path returned) differ from the input, from each other and from everything in the model folder
 * (by real path, links resolved), and that both can be written: their folders exist and take new
 * files, and neither names a folder. Throws a {@link CatalogueOutputError} naming the path at fault.
 */
export async function checkCataloguePaths(
  paths: { model: string | null; inPath: string; outPath: string; rejectsPath?: string },
): Promise<string> {
  const rejectsPath = paths.rejectsPath ?? `${paths.outPath}.rejects.csv`;
  try {
    await checkToolPaths([
      { role: "--out", path: paths.outPath, use: "write" },
      { role: "--rejects", path: rejectsPath, use: "write" },
      { role: "--in", path: paths.inPath, use: "read" },
      ...(paths.model === null ? [] : [
        { role: "the model folder", path: paths.model, use: "read", folder: true } as const,
      ]),
    ]);
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
  return rejectsPath;
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
  if (s.pdf) {
    lines.push(
      `PDF head: ${s.pdf.count} bins over [${s.pdf.zMin}, ${s.pdf.zMax}], α = ${s.pdf.alpha}` +
        (s.pdf.alpha > 0 ? " (divided by the training distribution^α)" : " (PDFs as predicted)") +
        "; z_pred is the PDF's mean",
    );
  }
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
