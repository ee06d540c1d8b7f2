/**
 * Loads galaxies in the dissertation's format and checks every value.
 *
 * The format is a table of the redshift `z` and the 186 fluxes `flux_0` … `flux_185`: CSV or
 * Parquet. Columns are found by their names in the header, in any order (others, such as an `id`,
 * are left aside); a CSV without a header is read by its column count (187: z then the fluxes, the
 * dissertation's layout; 188: an id, z, the fluxes). `predict` reads through the same reader
 * (`_chunked_reader.ts`). Problems name the file, data row and column; by default the first one is
 * an error, and on request bad rows are set aside and listed, never dropped silently.
 *
 * @module
 */
import { N_FLUX, type Spectra, Z_MAX } from "../spectra.ts";
import { Growable } from "../_growable.ts";
import {
  CatalogueInputError,
  type CatalogueReject,
  openCatalogue,
  pickRows,
} from "./_chunked_reader.ts";

/** What to do with a row that fails a check. */
export type RowPolicy = "error" | "reject";

/** Options of {@link loadSpectra}. */
export interface LoadOptions {
  /**
   * Rows with a wrong column count, a missing or non-numeric value, NaN, ±Inf, a value beyond
   * the float32 range, or z outside (−1, 3): `error` (default) stops at the first; `reject` sets
   * them aside and lists them.
   */
  invalidRows?: RowPolicy;
  /** Rows with z outside `zRange`: `error` (default), `reject`, or `keep` (kept, counted in the report). */
  outOfRange?: RowPolicy | "keep";
  /** Accepted redshifts, inclusive; default [0, 0.6] as in the dissertation. */
  zRange?: readonly [number, number];
  /** Name of the redshift column in the header (default `z`). */
  zColumn?: string;
}

/** One row set aside, with the first problem found in it. */
export interface RejectedRow {
  /** 1-based data row (the header is not counted). */
  row: number;
  /** 1-based column in the file, or `null` when the problem is the whole row. */
  column: number | null;
  /** Name of that column (`z`, `flux_9`, …), or `null`. */
  columnName: string | null;
  /** What is wrong, in words. */
  reason: string;
}

/** What happened to every row of a file. */
export interface LoadReport {
  file: string;
  format: "csv" | "parquet";
  hasHeader: boolean;
  /** How the columns were found: header or not (and why), which column is z. */
  layout: string;
  /** Columns present in the file but not used (e.g. an id). */
  ignoredColumns: string[];
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
  /** `row` (a data row) and `column` count from 1; each is `null` unless one is at fault. */
  constructor(
    readonly file: string,
    message: string,
    readonly row: number | null = null,
    readonly column: number | null = null,
    readonly columnName: string | null = null,
  ) {
    super(`${file}: ${location(row, column, columnName)}${message}`);
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
  const invalidRows = options.invalidRows ?? "error";
  const outOfRange = options.outOfRange ?? "error";
  const [zMin, zMax] = options.zRange ?? [0, Z_MAX];
  try {
    const reader = await openCatalogue(path, { zColumn: options.zColumn });
    const { layout } = reader;
    if (layout.z === null) {
      throw new LoadError(
        path,
        `no z column: training needs the true redshift (a column named ${
          options.zColumn ?? "z"
        } in the header, or ${N_FLUX + 1} columns, z first, without one)`,
      );
    }
    const columnOf = (name: string | null) =>
      name === null ? null : layout.columns.indexOf(name) + 1;
    const toRejected = (bad: Omit<CatalogueReject, "id">): RejectedRow => ({
      row: bad.row,
      column: columnOf(bad.column),
      columnName: bad.column,
      reason: bad.reason,
    });
    const z = new Growable(Float32Array), flux = new Growable(Float32Array, N_FLUX);
    const ids = new Growable(Float64Array);
    const rejected: RejectedRow[] = [];
    let rowsRead = 0, outOfRangeKept = 0;
    for await (const chunk of reader.chunks(16_384)) {
      // Problems of this chunk in row order: bad values, then z outside the accepted range.
      const problems: (RejectedRow & { policy: RowPolicy })[] = chunk.rejected
        .map((bad) => ({ ...toRejected(bad), policy: invalidRows }));
      const kept: number[] = [];
      for (let i = 0; i < chunk.n; i++) {
        const zi = chunk.z![i], inRange = zi >= zMin && zi <= zMax;
        if (inRange || outOfRange === "keep") {
          if (!inRange) outOfRangeKept++;
          kept.push(i);
          continue;
        }
        const reason = `z = ${zi} is outside [${zMin}, ${zMax}]`;
        problems.push({
          ...toRejected({ row: chunk.rows[i], column: layout.z, reason }),
          policy: outOfRange,
        });
      }
      problems.sort((a, b) => a.row - b.row);
      const fatal = problems.find((p) => p.policy === "error");
      if (fatal) throw new LoadError(path, fatal.reason, fatal.row, fatal.column, fatal.columnName);
      rejected.push(...problems.map(({ policy: _, ...row }) => row));
      const estimate = chunk.fraction > 0 ? Math.ceil(chunk.rowsSoFar / chunk.fraction) : 0;
      z.push(pickRows(chunk.z!, kept), estimate);
      ids.push(pickRows(chunk.rows, kept), estimate);
      flux.push(pickRows(chunk.flux, kept, N_FLUX), estimate);
      rowsRead = chunk.rowsSoFar;
    }
    const n = z.length;
    const report: LoadReport = {
      file: path,
      format: layout.format,
      hasHeader: layout.hasHeader,
      layout: `${layout.note}; fluxes from column ${columnOf(layout.flux[0])}` +
        (layout.ignored.length ? `; not used: ${layout.ignored.join(", ")}` : ""),
      ignoredColumns: layout.ignored,
      rowsRead,
      rowsKept: n,
      rejected,
      outOfRangeKept,
    };
    return { data: { n, z: z.take(), flux: flux.take(), ids: ids.take() }, report };
  } catch (e) {
    if (e instanceof CatalogueInputError) {
      const inner = e.message.slice(`${e.file}: `.length).replace(/^row \d+: /, "");
      throw new LoadError(path, inner, e.row);
    }
    throw e;
  }
}

/** A few lines that say what a load did, for notebooks and command-line tools. */
export function formatLoadReport(report: LoadReport): string {
  const lines = [
    `${report.file}: ${report.rowsRead} rows read, ${report.rowsKept} kept, ${report.rejected.length} rejected`,
    `  ${report.layout}`,
  ];
  if (report.outOfRangeKept) lines.push(`  ${report.outOfRangeKept} rows kept with z out of range`);
  const reasons = new Map<string, number>();
  for (const r of report.rejected) {
    const kind = r.reason.replace(/^z = .*is outside.*/, "z outside its range")
      .replace(/^"[^"]*"/, "text")
      .replace(/^\S+ is not a finite/, "non-finite")
      .replace(/^\S+ is beyond the float32 range.*/, "beyond the float32 range");
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  for (const [reason, count] of reasons) lines.push(`  ${count} × ${reason}`);
  return lines.join("\n");
}

function location(row: number | null, column: number | null, name: string | null): string {
  const parts = [];
  if (row !== null) parts.push(`row ${row}`);
  if (column !== null) parts.push(`column ${column}${name ? ` (${name})` : ""}`);
  return parts.length ? parts.join(", ") + ": " : "";
}
