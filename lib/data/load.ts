/**
 * Loads galaxies in the dissertation's format and checks every value.
 *
 * The format is a table whose column 0 is the redshift z and whose columns
 * 1..186 are the fluxes `flux_0` … `flux_185`: CSV (header row optional) or
 * Parquet. Problems are reported with the file, the data row and the column;
 * by default the first one is an error, and on request bad rows are set
 * aside and listed, never dropped silently.
 *
 * @module
 */
import pl from "nodejs-polars";
import { N_FLUX, type Spectra, Z_MAX } from "../spectra.ts";
import { scanCsvShape } from "./_csv_scan.ts";

/** Number of columns of the format: z and 186 fluxes. */
export const N_COLUMNS = N_FLUX + 1;

/** What to do with a row that fails a check. */
export type RowPolicy = "error" | "reject";

/** Options of {@link loadSpectra}. */
export interface LoadOptions {
  /** Rows with a wrong column count, a missing or non-numeric value, NaN or ±Inf: `error` (default) stops at the first; `reject` sets them aside and lists them. */
  invalidRows?: RowPolicy;
  /** Rows with z outside `zRange`: `error` (default), `reject`, or `keep` (kept, counted in the report). */
  outOfRange?: RowPolicy | "keep";
  /** Accepted redshifts, inclusive; default [0, 0.6] as in the dissertation. */
  zRange?: readonly [number, number];
}

/** One row set aside, with the first problem found in it. */
export interface RejectedRow {
  /** 1-based data row (the header is not counted). */
  row: number;
  /** 1-based column, or `null` when the problem is the whole row. */
  column: number | null;
  /** What is wrong, in words. */
  reason: string;
}

/** What happened to every row of a file. */
export interface LoadReport {
  file: string;
  format: "csv" | "parquet";
  hasHeader: boolean;
  /** Data rows found in the file. */
  rowsRead: number;
  /** Rows returned. */
  rowsKept: number;
  /** Rows set aside, each with its reason. */
  rejected: RejectedRow[];
  /** Rows kept although z was outside `zRange` (with `outOfRange: "keep"`). */
  outOfRangeKept: number;
}

/** A problem with an input file, naming the file and, where known, the row and column. */
export class LoadError extends Error {
  /**
   * @param file the file's path
   * @param message what is wrong
   * @param row 1-based data row, when one row is at fault
   * @param column 1-based column, when one column is at fault
   */
  constructor(
    readonly file: string,
    message: string,
    readonly row: number | null = null,
    readonly column: number | null = null,
  ) {
    super(`${file}: ${location(row, column)}${message}`);
    this.name = "LoadError";
  }
}

/**
 * Reads a CSV or Parquet file of redshifts and fluxes into typed arrays.
 *
 * `data.ids` holds each kept row's 1-based data row number in the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSpectra } from "./load.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * const row = [0.1, ...Array.from({ length: 186 }, (_, i) => i / 100)];
 * await Deno.writeTextFile(path, row.join(",") + "\n");
 * const { data, report } = await loadSpectra(path);
 * assert.ok(data.n === 1 && report.rowsKept === 1);
 * ```
 */
export async function loadSpectra(
  path: string,
  options: LoadOptions = {},
): Promise<{ data: Spectra; report: LoadReport }> {
  const format = detectFormat(path);
  const stat = await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) throw new LoadError(path, "file not found");
    throw new LoadError(path, `cannot read: ${e.message}`);
  });
  if (!stat.isFile) throw new LoadError(path, "not a regular file");
  if (stat.size === 0) throw new LoadError(path, "the file is empty");
  return format === "csv" ? await loadCsv(path, options) : loadParquet(path, options);
}

async function loadCsv(path: string, options: LoadOptions) {
  const shape = await scanCsvShape(path, N_COLUMNS);
  const rowsRead = shape.lineCount - (shape.hasHeader ? 1 : 0);
  if (rowsRead === 0) throw new LoadError(path, "no data rows (the file holds only a header)");
  const rejected = new Map<number, RejectedRow>();
  for (const bad of shape.badLines) {
    const row = bad.line - (shape.hasHeader ? 1 : 0);
    const problem = {
      row,
      column: null,
      reason: `${bad.fields} columns instead of ${N_COLUMNS}`,
    };
    if ((options.invalidRows ?? "error") === "error") {
      throw new LoadError(path, problem.reason, row);
    }
    rejected.set(row, problem);
  }
  // Every column as Float64; text that does not parse becomes null and is
  // reported below with its row and column. Line lengths were checked above
  // because polars pads short lines and truncates long ones without a word.
  const names = Array.from({ length: N_COLUMNS }, (_, j) => `column_${j + 1}`);
  let frame: pl.DataFrame;
  try {
    frame = pl.readCSV(path, {
      hasHeader: false, // the header is skipped, so columns get positional names
      skipRows: shape.hasHeader ? 1 : 0,
      dtypes: Object.fromEntries(names.map((name) => [name, pl.Float64])),
      ignoreErrors: true,
      quoteChar: undefined,
    } as Partial<pl.ReadCsvOptions>);
  } catch (e) {
    throw new LoadError(path, `polars could not read the CSV: ${(e as Error).message}`);
  }
  if (frame.height !== rowsRead) {
    throw new LoadError(path, `polars read ${frame.height} rows where ${rowsRead} were counted`);
  }
  return await validate(
    path,
    "csv",
    shape.hasHeader,
    frame,
    rejected,
    options,
    async (row, col) => {
      const text = await shape.field(row + (shape.hasHeader ? 1 : 0), col - 1);
      return text === "" ? "missing value" : `"${text}" is not a number`;
    },
  );
}

function loadParquet(path: string, options: LoadOptions) {
  let frame: pl.DataFrame;
  try {
    frame = pl.readParquet(path);
  } catch (e) {
    throw new LoadError(path, `not a readable Parquet file (${(e as Error).message})`);
  }
  if (frame.width !== N_COLUMNS) {
    throw new LoadError(path, `${frame.width} columns instead of ${N_COLUMNS} (z and 186 fluxes)`);
  }
  if (frame.height === 0) throw new LoadError(path, "no data rows");
  frame.dtypes.forEach((dtype, j) => {
    if (!/^(Float|Int|UInt)\d+$/.test(dtype.variant)) {
      throw new LoadError(
        path,
        `column "${frame.columns[j]}" has type ${dtype}, not numeric`,
        null,
        j + 1,
      );
    }
  });
  return validate(
    path,
    "parquet",
    true,
    frame.select(pl.all().cast(pl.Float64)),
    new Map(),
    options,
    () => Promise.resolve("missing value"),
  );
}

async function validate(
  file: string,
  format: "csv" | "parquet",
  hasHeader: boolean,
  frame: pl.DataFrame,
  rejected: Map<number, RejectedRow>,
  options: LoadOptions,
  describeNull: (row: number, column: number) => Promise<string>,
): Promise<{ data: Spectra; report: LoadReport }> {
  const invalidRows = options.invalidRows ?? "error";
  const outOfRange = options.outOfRange ?? "error";
  const [zMin, zMax] = options.zRange ?? [0, Z_MAX];
  const n = frame.height;
  const reject = async (
    row: number,
    column: number | null,
    reason: string | (() => Promise<string>),
    policy: RowPolicy,
  ) => {
    if (rejected.has(row)) return;
    const text = typeof reason === "string" ? reason : await reason();
    if (policy === "error") throw new LoadError(file, text, row, column);
    rejected.set(row, { row, column, reason: text });
  };

  const columns: Float64Array[] = [];
  for (let j = 0; j < N_COLUMNS; j++) {
    const series = frame.getColumn(frame.columns[j]);
    let values: Float64Array;
    if (series.nullCount() > 0) {
      const raw = series.toArray() as (number | null)[];
      values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = raw[i];
        if (v === null) {
          values[i] = NaN;
          await reject(i + 1, j + 1, () => describeNull(i + 1, j + 1), invalidRows);
        } else values[i] = v;
      }
    } else {
      values = series.toTypedArray() as Float64Array;
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i]) && !rejected.has(i + 1)) {
        await reject(i + 1, j + 1, `${values[i]} is not a finite number`, invalidRows);
      }
    }
    columns.push(values);
  }

  let outOfRangeKept = 0;
  const z = columns[0];
  for (let i = 0; i < n; i++) {
    if (rejected.has(i + 1) || (z[i] >= zMin && z[i] <= zMax)) continue;
    if (outOfRange === "keep") outOfRangeKept++;
    else await reject(i + 1, 1, `z = ${z[i]} is outside [${zMin}, ${zMax}]`, outOfRange);
  }

  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (!rejected.has(i + 1)) kept.push(i);
  const data: Spectra = {
    n: kept.length,
    z: new Float32Array(kept.length),
    flux: new Float32Array(kept.length * N_FLUX),
    ids: new Float64Array(kept.length),
  };
  kept.forEach((i, k) => {
    data.z[k] = z[i];
    data.ids[k] = i + 1;
  });
  for (let j = 0; j < N_FLUX; j++) {
    const column = columns[j + 1];
    for (let k = 0; k < kept.length; k++) data.flux[k * N_FLUX + j] = column[kept[k]];
  }
  const report: LoadReport = {
    file,
    format,
    hasHeader,
    rowsRead: n,
    rowsKept: kept.length,
    rejected: [...rejected.values()].sort((a, b) => a.row - b.row),
    outOfRangeKept,
  };
  return { data, report };
}

/** A few lines that say what a load did, for notebooks and command-line tools. */
export function formatLoadReport(report: LoadReport): string {
  const lines = [
    `${report.file}: ${report.rowsRead} rows read, ${report.rowsKept} kept, ${report.rejected.length} rejected`,
  ];
  if (report.outOfRangeKept) lines.push(`  ${report.outOfRangeKept} rows kept with z out of range`);
  const reasons = new Map<string, number>();
  for (const r of report.rejected) {
    const kind = r.reason.replace(/^z = .*is outside/, "z outside").replace(/^"[^"]*"/, "text")
      .replace(/^\S+ is not a finite/, "non-finite");
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  for (const [reason, count] of reasons) lines.push(`  ${count} × ${reason}`);
  return lines.join("\n");
}

function detectFormat(path: string): "csv" | "parquet" {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".parquet") || lower.endsWith(".pq")) return "parquet";
  throw new LoadError(path, "unknown format: expected a .csv or .parquet file");
}

function location(row: number | null, column: number | null): string {
  const parts = [];
  if (row !== null) parts.push(`row ${row}`);
  if (column !== null) {
    parts.push(`column ${column} (${column === 1 ? "z" : `flux_${column - 2}`})`);
  }
  return parts.length ? parts.join(", ") + ": " : "";
}
