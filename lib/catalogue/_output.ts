/**
 * Writing a run's two files: the predictions and the rejected rows.
 *
 * Each {@link OutputFile} is CSV text written under a temporary name beside its target; a Parquet
 * output is converted from that text at the end. The finished temporary files are handed back for
 * `commitTogether`, so that the run, not the writer, decides when both are put in place. Ids that a
 * spreadsheet would read as formulas are neutralised in CSV ({@link csvField}).
 *
 * @module
 */
import type { CatalogueReject } from "../data/_chunked_reader.ts";
import { type PendingFile, tempPathBeside } from "../_atomic.ts";
import type { PredictedChunk } from "./_screening.ts";

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

const encoder = new TextEncoder();

/**
 * The columns a PDF head adds after `z_pred` (which is its mean): the PDF's mean, median and mode,
 * and the ends of its central 68 % interval (the 16 % and 84 % quantiles).
 */
export const PDF_COLUMNS = ["z_mean", "z_median", "z_mode", "z_lo68", "z_hi68"] as const;

/**
 * The shortest decimal text that reads back as the same float32 (e.g. `0.1`,
 * not `0.10000000149011612`), as polars writes a Float32 column.
 */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  let p = 6;
  while (p < 9 && Math.fround(Number(v.toPrecision(p))) !== v) p++;
  // Trailing zeros of the mantissa go, and its point with them: 1.50000e-7 → 1.5e-7, 2.000 → 2.
  return v.toPrecision(p).replace(/(?:(\.\d*[1-9])|\.)0*(?=e|$)/, "$1");
}

/**
 * A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
 *
 * With `neutralise`, text that a spreadsheet would run as a formula (it
 * begins with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * single quote, the usual defence against CSV injection; plain numbers such as
 * `-12` or `+3.5` are left as they are, since they cannot be formulas.
 */
function csvField(text: string, neutralise = true): string {
  if (neutralise && /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A column of the predictions, with its type in a Parquet output. */
type Column = readonly [name: string, type: "Utf8" | "Int64" | "Float32" | "Bool" | "Int32"];

/** One file of a run (predictions or rejects), written as CSV text under a temporary name. */
export class OutputFile {
  #file: Deno.FsFile | null;
  #parquet: string | null = null;
  private constructor(
    readonly path: string,
    readonly format: "csv" | "parquet",
    readonly temp: string,
    file: Deno.FsFile,
    /** The columns of a predictions file, with the Parquet type of each; null for rejects. */
    readonly columns: Column[] | null,
  ) {
    this.#file = file;
  }

  static async create(
    path: string,
    format: "csv" | "parquet",
    what: {
      hasZ?: boolean;
      hasError?: boolean;
      hasPdf?: boolean;
      rowIds?: boolean;
      rejects?: boolean;
    },
  ): Promise<OutputFile> {
    const temp = tempPathBeside(path, format === "csv" ? "part" : "part.csv");
    let file: Deno.FsFile;
    try {
      file = await Deno.open(temp, { write: true, createNew: true });
    } catch (e) {
      throw new CatalogueOutputError(path, `cannot write beside it: ${(e as Error).message}`);
    }
    const floats = (names: readonly string[]) => names.map((c) => [c, "Float32"] as const);
    const columns: Column[] | null = what.rejects ? null : [
      ["id", what.rowIds ? "Int64" : "Utf8"],
      ...floats(["z_pred", ...(what.hasError ? ["z_err"] : [])]),
      ...floats(what.hasPdf ? PDF_COLUMNS : []),
      ...floats(what.hasZ ? ["z_true", "error", "dz_norm"] : []),
      ["ood", "Bool"],
      ["n_outside", "Int32"],
    ];
    const output = new OutputFile(path, format, temp, file, columns);
    const header = columns?.map(([c]) => c) ?? ["row", "id", "column", "reason"];
    await output.#write(header.join(",") + "\n");
    return output;
  }

  async writePredictions({ chunk, predictions, outside, isOod }: PredictedChunk): Promise<void> {
    // A Parquet output is converted from this text, and keeps ids exactly as read.
    const neutralise = this.format === "csv";
    const { mean: zPred, std: zErr, pdf } = predictions;
    let text = "";
    for (let i = 0; i < chunk.n; i++) {
      const cells = [chunk.ids ? csvField(chunk.ids[i], neutralise) : String(chunk.rows[i])];
      const floats = [zPred[i]];
      if (zErr) floats.push(zErr[i]);
      if (pdf) floats.push(zPred[i], pdf.median[i], pdf.mode[i], pdf.lower[i], pdf.upper[i]);
      if (chunk.z) {
        const z = chunk.z[i], error = zPred[i] - z;
        floats.push(z, Math.fround(error), Math.fround(error / (1 + z)));
      }
      cells.push(...floats.map(float32Text), isOod[i] ? "true" : "false", String(outside[i]));
      text += cells.join(",") + "\n";
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
      const schema = Object.fromEntries(this.columns!.map(([c, type]) => [c, pl[type]]));
      await pl.scanCSV(this.temp, { schema } as Parameters<typeof pl.scanCSV>[1])
        .sinkParquet(this.#parquet, { compression: "zstd" }).collect();
      await Deno.remove(this.temp).catch(() => {});
      return { temp: this.#parquet, path: this.path };
    } catch (e) {
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
