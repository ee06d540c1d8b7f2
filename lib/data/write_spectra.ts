/**
 * Writes galaxies in the dissertation's format: CSV or Parquet, `z` then `flux_0..flux_185`.
 *
 * Files appear atomically (written beside the target under a temporary name, then renamed), so a
 * reader never sees half a file, and their bytes depend only on the data: same data, same file.
 *
 * @module
 */
import pl from "nodejs-polars";
import { FLUX_COLUMNS, N_FLUX, type Spectra } from "../spectra.ts";
import { tempPathBeside, writeFileAtomicWith } from "../_atomic.ts";
import { catalogueFormat } from "./_chunked_reader.ts";

/** Options of {@link writeSpectra} and {@link writeSpectraChunks}. */
export interface WriteOptions {
  /**
   * CSV only: decimals written for every value (default: all the digits a float32 needs,
   * so values read back exactly). The dissertation's quoted rows have 3.
   */
  decimals?: number;
}

function toFrame(data: Spectra, decimals?: number): pl.DataFrame {
  // z always keeps its float32 digits; fluxes are rounded when asked (as float64, so that
  // the shortest decimal form polars prints is the rounded one).
  const columns: pl.Series[] = [pl.Series("z", data.z, pl.Float32)];
  const f = decimals === undefined ? 0 : 10 ** decimals;
  for (let j = 0; j < N_FLUX; j++) {
    const col = decimals === undefined ? new Float32Array(data.n) : new Float64Array(data.n);
    for (let i = 0; i < data.n; i++) {
      const v = data.flux[i * N_FLUX + j];
      col[i] = decimals === undefined ? v : Math.round(v * f) / f + 0;
    }
    columns.push(pl.Series(FLUX_COLUMNS[j], col, decimals === undefined ? pl.Float32 : pl.Float64));
  }
  return pl.DataFrame(columns);
}

async function writeCsvChunks(
  chunks: Iterable<Spectra>,
  path: string,
  options: WriteOptions,
): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let rows = 0;
  try {
    let first = true;
    for (const chunk of chunks) {
      const buffer = toFrame(chunk, options.decimals).writeCSV({
        includeHeader: first,
        lineTerminator: "\n",
      });
      first = false;
      rows += chunk.n;
      let written = 0;
      while (written < buffer.length) written += await file.write(buffer.subarray(written));
    }
    if (first) {
      // No rows at all: still a valid file with its header.
      await file.write(new TextEncoder().encode(["z", ...FLUX_COLUMNS].join(",") + "\n"));
    }
  } finally {
    file.close();
  }
  return rows;
}

/**
 * Writes chunks of galaxies, one after the other, to `path` (.csv or .parquet); returns the row count.
 *
 * Memory stays at one chunk: Parquet is streamed from a temporary full-precision CSV.
 */
export async function writeSpectraChunks(
  chunks: Iterable<Spectra>,
  path: string,
  options: WriteOptions = {},
): Promise<number> {
  const format = catalogueFormat(path);
  if (!format) throw new Error(`${path}: unknown format (use .csv or .parquet)`);
  if (format === "csv") {
    return await writeFileAtomicWith(path, (tmp) => writeCsvChunks(chunks, tmp, options));
  }
  return await writeFileAtomicWith(path, async (tmp) => {
    const csv = tempPathBeside(path, "csv");
    try {
      const rows = await writeCsvChunks(chunks, csv, {});
      const schema = Object.fromEntries(["z", ...FLUX_COLUMNS].map((c) => [c, pl.Float32]));
      await pl.scanCSV(csv, { schema }).sinkParquet(tmp, { compression: "zstd" }).collect();
      return rows;
    } finally {
      await Deno.remove(csv).catch(() => {});
    }
  });
}

/**
 * Writes `data` to `path`, CSV or Parquet by extension, atomically.
 *
 * @param data the galaxies
 * @param path ends in `.csv` or `.parquet`
 * @param options decimals for CSV
 */
export async function writeSpectra(
  data: Spectra,
  path: string,
  options: WriteOptions = {},
): Promise<void> {
  await writeSpectraChunks([data], path, options);
}
