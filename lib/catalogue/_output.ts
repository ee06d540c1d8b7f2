/**
 * Writing a run's two files: the predictions and the rejected rows.
 *
 * Each {@link OutputFile} is CSV text written under a temporary name beside
 * its target; a Parquet output is converted from that text at the end. The
 * finished temporary files are handed back for `commitTogether`, so that the
 * run, not the writer, decides when both are put in place. Ids that a
 * spreadsheet would read as formulas are neutralised in CSV ({@link csvField}).
 *
 * @module
 */
import type { CatalogueChunk, CatalogueReject } from "../data/_chunked_reader.ts";
import { type PendingFile, tempPathBeside } from "../_atomic.ts";
import type { ChunkPredictions } from "./_predictor.ts";

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

/** One file of a run (predictions or rejects), written as CSV text under a temporary name. */
export class OutputFile {
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
    readonly hasPdf: boolean,
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
    const output = new OutputFile(
      path,
      format,
      temp,
      file,
      what.hasZ ?? false,
      what.rowIds ?? false,
      what.hasError ?? false,
      what.hasPdf ?? false,
    );
    const header = what.rejects ? ["row", "id", "column", "reason"] : [
      "id",
      "z_pred",
      ...(what.hasError ? ["z_err"] : []),
      ...(what.hasPdf ? PDF_COLUMNS : []),
      ...(what.hasZ ? ["z_true", "error", "dz_norm"] : []),
      "ood",
      "n_outside",
    ];
    await output.#write(header.join(",") + "\n");
    return output;
  }

  async writePredictions(
    chunk: CatalogueChunk,
    predictions: ChunkPredictions,
    outside: Int32Array,
    ood: Uint8Array,
  ): Promise<void> {
    // A Parquet output is converted from this text, and keeps ids exactly as read.
    const neutralise = this.format === "csv";
    const { mean: zPred, std: zErr, pdf } = predictions;
    let text = "";
    for (let i = 0; i < chunk.n; i++) {
      const id = chunk.ids ? csvField(chunk.ids[i], neutralise) : String(chunk.rows[i]);
      let line = `${id},${float32Text(zPred[i])}`;
      if (zErr) line += `,${float32Text(zErr[i])}`;
      if (pdf) {
        line += `,${float32Text(zPred[i])},${float32Text(pdf.median[i])},${
          float32Text(pdf.mode[i])
        },${float32Text(pdf.lower[i])},${float32Text(pdf.upper[i])}`;
      }
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
        ...(this.hasPdf ? Object.fromEntries(PDF_COLUMNS.map((c) => [c, pl.Float32])) : {}),
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
