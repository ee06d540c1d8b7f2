// Reads a catalogue of spectra (CSV or Parquet) a bounded number of rows at a time.
//
// CSV is parsed here, in TypeScript, from 4 MiB blocks: polars cannot chunk a
// CSV in bounded time and memory (`scanCSV().slice()` re-reads the file up to
// the offset, so a pass is O(n²); `readCSV({ skipRows, nRows })` took 2 GB for
// 16k rows of the mock), and it pads short lines and truncates long ones
// silently. Parsing ourselves checks the field count of every line in the same
// pass and names the row, column and text of every bad value. Parquet is read
// through polars' `scanParquet(...).slice(...)`, which skips row groups, so
// each chunk costs the same wherever it lies in the file. polars is imported
// only when a Parquet file is read.
import { N_FLUX } from "../spectra.ts";

/** Where the id, z and flux values sit in a catalogue's columns. */
export interface CatalogueLayout {
  format: "csv" | "parquet";
  /** True when the first CSV line names the columns (always true for Parquet). */
  hasHeader: boolean;
  /** Column names (for a CSV without a header, named after what they hold: `id`, `z`, `flux_0`…). */
  columns: string[];
  /** Name of the id column, or `null` when rows are identified by their row number. */
  id: string | null;
  /** Name of the true-redshift column, or `null` when the file has none. */
  z: string | null;
  /** Names of the 186 flux columns, in spectrum order. */
  flux: string[];
  /** Columns present but not used. */
  ignored: string[];
}

/** A row that was not predicted, and why. */
export interface CatalogueReject {
  /** 1-based data row (a CSV header is not counted). */
  row: number;
  /** The row's id text, when the layout has an id column and it could be read. */
  id: string | null;
  /** Name of the offending column, or `null` when the whole row is at fault. */
  column: string | null;
  /** What is wrong, in words. */
  reason: string;
}

/** Rows read together: the good ones as arrays, the bad ones as {@link CatalogueReject}s. */
export interface CatalogueChunk {
  /** Good rows in this chunk. */
  n: number;
  /** 1-based data row number of each good row. */
  rows: Float64Array;
  /** Id text of each good row, or `null` when the layout has no id column. */
  ids: string[] | null;
  /** True redshift of each good row, or `null` when the layout has no z column. */
  z: Float32Array | null;
  /** Fluxes of the good rows, row-major (`n × 186`). */
  flux: Float32Array;
  /** Bad rows met in this chunk, in row order. */
  rejected: CatalogueReject[];
  /** Data rows covered so far, good and bad, this chunk included. */
  rowsSoFar: number;
  /** Share of the file read so far, 0 to 1. */
  fraction: number;
}

/** Options of {@link openCatalogue}. */
export interface OpenCatalogueOptions {
  /** Name of the id column in a header (default `id`). */
  idColumn?: string;
  /** Name of the true-redshift column in a header (default `z`). */
  zColumn?: string;
}

/** A problem with the input file as a whole, or (in strict mode) with one row. */
export class CatalogueInputError extends Error {
  /**
   * @param file the input's path
   * @param message what is wrong
   * @param row 1-based data row, when one row is at fault
   */
  constructor(readonly file: string, message: string, readonly row: number | null = null) {
    super(`${file}: ${row === null ? "" : `row ${row}: `}${message}`);
    this.name = "CatalogueInputError";
  }
}

/** An opened catalogue: its layout, size, and a generator of chunks. */
export interface CatalogueReader {
  layout: CatalogueLayout;
  /** Data rows in the file when known without reading it (Parquet), else `null`. */
  totalRows: number | null;
  /** Yields the file's rows, `chunkRows` at a time (fewer in the last chunk, and where rows are bad). */
  chunks(chunkRows: number): AsyncGenerator<CatalogueChunk>;
}

/** Format of a catalogue or output path by its extension, or `null` when unknown. */
export function catalogueFormat(path: string): "csv" | "parquet" | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".parquet") || lower.endsWith(".pq")) return "parquet";
  return null;
}

/** Opens `path` and works out which columns hold the id, z and fluxes. */
export async function openCatalogue(
  path: string,
  options: OpenCatalogueOptions = {},
): Promise<CatalogueReader> {
  const format = catalogueFormat(path);
  if (!format) {
    throw new CatalogueInputError(path, "unknown format: expected a .csv or .parquet file");
  }
  const stat = await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) throw new CatalogueInputError(path, "file not found");
    throw new CatalogueInputError(path, `cannot read: ${e.message}`);
  });
  if (!stat.isFile) throw new CatalogueInputError(path, "not a regular file");
  if (stat.size === 0) throw new CatalogueInputError(path, "the file is empty");
  return format === "csv"
    ? await openCsv(path, stat.size, options)
    : await openParquet(path, options);
}

/** Decides the layout from column names, or from the column count when there is no header. */
function layoutOf(
  path: string,
  format: "csv" | "parquet",
  hasHeader: boolean,
  columns: string[],
  options: OpenCatalogueOptions,
): CatalogueLayout {
  const w = columns.length;
  if (!hasHeader) {
    // Without names the count decides: fluxes; z and fluxes (the dissertation's
    // layout); id, z and fluxes.
    const layouts: Record<number, [string | null, string | null]> = {
      [N_FLUX]: [null, null],
      [N_FLUX + 1]: [null, columns[0]],
      [N_FLUX + 2]: [columns[0], columns[1]],
    };
    const found = layouts[w];
    if (!found) {
      throw new CatalogueInputError(
        path,
        `the first line has ${w} columns; without a header a catalogue has ${N_FLUX} (fluxes), ` +
          `${N_FLUX + 1} (z, fluxes) or ${N_FLUX + 2} (id, z, fluxes)`,
      );
    }
    const [id, z] = found;
    return { format, hasHeader, columns, id, z, flux: columns.slice(w - N_FLUX), ignored: [] };
  }
  const duplicate = columns.find((c, j) => columns.indexOf(c) !== j);
  if (duplicate !== undefined) {
    throw new CatalogueInputError(path, `column "${duplicate}" appears twice in the header`);
  }
  const pick = (wanted: string | undefined, fallback: string): string | null => {
    if (wanted !== undefined && !columns.includes(wanted)) {
      throw new CatalogueInputError(path, `no column named "${wanted}"`);
    }
    const name = wanted ?? fallback;
    return columns.includes(name) ? name : null;
  };
  const id = pick(options.idColumn, "id");
  const z = pick(options.zColumn, "z");
  const named = Array.from({ length: N_FLUX }, (_, j) => `flux_${j}`);
  let flux: string[];
  if (named.every((c) => columns.includes(c))) flux = named;
  else {
    // Other names: every column that is neither id nor z is a flux, in file order.
    flux = columns.filter((c) => c !== id && c !== z);
    if (flux.length !== N_FLUX) {
      throw new CatalogueInputError(
        path,
        `expected columns flux_0…flux_${N_FLUX - 1} (or exactly ${N_FLUX} columns besides ` +
          `id and z), found ${flux.length} other columns`,
      );
    }
  }
  const used = new Set([id, z, ...flux]);
  return { format, hasHeader, columns, id, z, flux, ignored: columns.filter((c) => !used.has(c)) };
}

// ---------------------------------------------------------------------------
// CSV

const COMMA = 44, NEWLINE = 10, RETURN = 13, MINUS = 45, PLUS = 43, DOT = 46;
const ZERO = 48, NINE = 57, LOWER_E = 101, UPPER_E = 69;
const BLOCK = 4 << 20;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const decoder = new TextDecoder();

/** Destination of each field: an index into the flux row, or one of these. */
const TO_ID = -1, TO_Z = -2, TO_NOWHERE = -3;

async function openCsv(
  path: string,
  size: number,
  options: OpenCatalogueOptions,
): Promise<CatalogueReader> {
  const first = await readFirstLine(path);
  const fields = first.split(",").map((f) => f.trim());
  // The last column is always a flux: a header is a first line whose last field is no number.
  const hasHeader = !/^[-+]?(\d|\.\d|nan$|inf)/i.test(fields.at(-1) ?? "");
  const columns = hasHeader
    ? fields.map((f) => f.replace(/^"(.*)"$/, "$1"))
    : unnamed(fields.length);
  const layout = layoutOf(path, "csv", hasHeader, columns, options);
  const dest = new Int32Array(columns.length).fill(TO_NOWHERE);
  layout.flux.forEach((c, j) => dest[columns.indexOf(c)] = j);
  if (layout.id) dest[columns.indexOf(layout.id)] = TO_ID;
  if (layout.z) dest[columns.indexOf(layout.z)] = TO_Z;
  return {
    layout,
    totalRows: null,
    chunks: (chunkRows) => csvChunks(path, size, layout, dest, checkChunkRows(chunkRows)),
  };
}

/** Names for the columns of a CSV without a header: what its column count says they hold. */
function unnamed(width: number): string[] {
  const flux = Array.from({ length: N_FLUX }, (_, j) => `flux_${j}`);
  if (width === N_FLUX) return flux;
  if (width === N_FLUX + 1) return ["z", ...flux];
  if (width === N_FLUX + 2) return ["id", "z", ...flux];
  return Array.from({ length: width }, (_, j) => `column_${j + 1}`);
}

function checkChunkRows(chunkRows: number): number {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new RangeError(`chunkRows must be a positive integer, not ${chunkRows}`);
  }
  return chunkRows;
}

async function readFirstLine(path: string): Promise<string> {
  using file = await Deno.open(path);
  const bytes: Uint8Array[] = [];
  const buffer = new Uint8Array(1 << 16);
  for (let total = 0; total < 1 << 24;) {
    const read = await file.read(buffer);
    if (read === null) break;
    const end = buffer.subarray(0, read).indexOf(NEWLINE);
    bytes.push(buffer.slice(0, end < 0 ? read : end));
    if (end >= 0) break;
    total += read;
  }
  const all = new Uint8Array(bytes.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of bytes) all.set(b, (at += b.length) - b.length);
  return decoder.decode(all).replace(/\r$/, "");
}

/** A chunk being filled: preallocated arrays and a count of good rows. */
class ChunkBuilder {
  n = 0;
  rows: Float64Array;
  ids: string[] | null;
  z: Float32Array | null;
  flux: Float32Array;
  rejected: CatalogueReject[] = [];
  constructor(capacity: number, layout: CatalogueLayout) {
    this.rows = new Float64Array(capacity);
    this.ids = layout.id ? [] : null;
    this.z = layout.z ? new Float32Array(capacity) : null;
    this.flux = new Float32Array(capacity * N_FLUX);
  }
  finish(rowsSoFar: number, fraction: number): CatalogueChunk {
    const n = this.n;
    return {
      n,
      rows: this.rows.subarray(0, n),
      ids: this.ids,
      z: this.z?.subarray(0, n) ?? null,
      flux: this.flux.subarray(0, n * N_FLUX),
      rejected: this.rejected,
      rowsSoFar,
      fraction,
    };
  }
}

async function* csvChunks(
  path: string,
  size: number,
  layout: CatalogueLayout,
  dest: Int32Array,
  chunkRows: number,
): AsyncGenerator<CatalogueChunk> {
  using file = await Deno.open(path);
  const width = dest.length;
  const block = new Uint8Array(BLOCK);
  let carry = new Uint8Array(0);
  let consumed = 0; // bytes of the file handed to the parser
  let row = layout.hasHeader ? -1 : 0; // data rows seen; the header is row 0
  let chunk = new ChunkBuilder(chunkRows, layout);
  let rowsInChunk = 0;
  const values = new Float64Array(width);
  for (let eof = false; !eof;) {
    const read = await file.read(block);
    let data: Uint8Array;
    if (read === null) {
      eof = true;
      data = carry;
    } else {
      data = new Uint8Array(carry.length + read);
      data.set(carry);
      data.set(block.subarray(0, read), carry.length);
    }
    let start = 0;
    for (;;) {
      let end = data.indexOf(NEWLINE, start);
      if (end < 0) {
        if (!eof || start >= data.length) break;
        end = data.length; // a last line without a final newline
      }
      row++;
      if (row > 0) {
        parseLine(data, start, end, row, layout.columns, dest, values, chunk);
        if (++rowsInChunk === chunkRows) {
          yield chunk.finish(row, Math.min(1, (consumed + end + 1) / size));
          chunk = new ChunkBuilder(chunkRows, layout);
          rowsInChunk = 0;
        }
      }
      start = end + 1;
    }
    consumed += Math.min(start, data.length);
    carry = start < data.length ? data.slice(start) : new Uint8Array(0);
  }
  if (row < 1) throw new CatalogueInputError(path, "no data rows (the file holds only a header)");
  if (rowsInChunk > 0) yield chunk.finish(row, 1);
}

/** Parses one line into `chunk` (as a good row, or as a rejected one). */
function parseLine(
  data: Uint8Array,
  start: number,
  end: number,
  row: number,
  columns: readonly string[],
  dest: Int32Array,
  values: Float64Array,
  chunk: ChunkBuilder,
): void {
  const width = columns.length;
  if (end > start && data[end - 1] === RETURN) end--;
  const k = chunk.n;
  const base = k * N_FLUX;
  let id: string | null = null;
  let problem: { column: number; reason: string } | null = null;
  let i = start;
  for (let f = 0; f < width; f++) {
    let fieldEnd = data.indexOf(COMMA, i);
    if (f === width - 1) {
      if (fieldEnd >= 0 && fieldEnd < end) return rejectWidth(data, start, end, row, width, chunk);
      fieldEnd = end;
    } else if (fieldEnd < 0 || fieldEnd >= end) {
      return rejectWidth(data, start, end, row, width, chunk);
    }
    const to = dest[f];
    if (to === TO_ID) id = idText(data, i, fieldEnd);
    else if (to !== TO_NOWHERE && problem === null) {
      const v = parseNumber(data, i, fieldEnd);
      if (Number.isFinite(v)) {
        if (to === TO_Z) values[0] = v;
        else chunk.flux[base + to] = v;
      } else problem = { column: f, reason: describeBad(data, i, fieldEnd, v) };
    }
    i = fieldEnd + 1;
  }
  if (problem !== null) {
    chunk.rejected.push({ row, id, column: columns[problem.column], reason: problem.reason });
    return;
  }
  chunk.rows[k] = row;
  if (chunk.z) chunk.z[k] = values[0];
  if (chunk.ids) chunk.ids.push(id ?? "");
  chunk.n = k + 1;
}

/** Sets aside a line whose field count is not `width` (values are checked only on full rows). */
function rejectWidth(
  data: Uint8Array,
  start: number,
  end: number,
  row: number,
  width: number,
  chunk: ChunkBuilder,
): void {
  let fields = 1;
  for (let i = start; i < end; i++) if (data[i] === COMMA) fields++;
  const reason = end === start
    ? `empty line instead of ${width} columns`
    : `${fields} columns instead of ${width}`;
  chunk.rejected.push({ row, id: null, column: null, reason });
}

function idText(data: Uint8Array, start: number, end: number): string {
  const text = rawIdText(data, start, end);
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2
    ? text.slice(1, -1).replace(/""/g, '"')
    : text;
}

function rawIdText(data: Uint8Array, start: number, end: number): string {
  let text = "";
  if (end - start < 64) {
    for (let i = start; i < end; i++) {
      const c = data[i];
      if (c > 127) return decoder.decode(data.subarray(start, end)).trim();
      text += String.fromCharCode(c);
    }
    return text.trim();
  }
  return decoder.decode(data.subarray(start, end)).trim();
}

/**
 * The number in `data[start, end)`, or NaN when the text is not a number.
 *
 * Plain decimals of up to 15 significant digits and exponents within ±22 are
 * converted exactly (Clinger's fast path: both the digits and the power of ten
 * are exact doubles, so one division or multiplication rounds correctly);
 * anything else goes through `Number()` on the text.
 */
function parseNumber(data: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = data[i];
  let negative = false;
  if (c === MINUS || c === PLUS) {
    negative = c === MINUS;
    c = data[++i];
  }
  let mantissa = 0, digits = 0, exponent = 0, seen = 0;
  while (i < end && c >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    if (mantissa > 0) digits++;
    seen++;
    c = data[++i];
  }
  if (i < end && c === DOT) {
    c = data[++i];
    while (i < end && c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      if (mantissa > 0) digits++;
      exponent--;
      seen++;
      c = data[++i];
    }
  }
  if (seen > 0 && i < end && (c === LOWER_E || c === UPPER_E)) {
    c = data[++i];
    let expNegative = false, e = 0, expDigits = 0;
    if (c === MINUS || c === PLUS) {
      expNegative = c === MINUS;
      c = data[++i];
    }
    while (i < end && c >= ZERO && c <= NINE && e < 10000) {
      e = e * 10 + (c - ZERO);
      expDigits++;
      c = data[++i];
    }
    if (expDigits === 0) return slowNumber(data, start, end);
    exponent += expNegative ? -e : e;
  }
  if (seen === 0 || i !== end) return slowNumber(data, start, end);
  if (digits > 15 || exponent < -22 || exponent > 22) return slowNumber(data, start, end);
  const v = exponent < 0 ? mantissa / POW10[-exponent] : mantissa * POW10[exponent];
  return negative ? -v : v;
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function slowNumber(data: Uint8Array, start: number, end: number): number {
  const text = decoder.decode(data.subarray(start, end)).trim().replace(/^"(.*)"$/, "$1").trim();
  if (DECIMAL.test(text)) return Number(text);
  if (/^[-+]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return NaN;
}

function describeBad(data: Uint8Array, start: number, end: number, v: number): string {
  const text = decoder.decode(data.subarray(start, end)).trim();
  if (text === "") return "missing value";
  if (v === Infinity || v === -Infinity || /^[-+]?nan$/i.test(text)) {
    return `${text} is not a finite number`;
  }
  return `"${text.length > 40 ? text.slice(0, 40) + "…" : text}" is not a number`;
}

// ---------------------------------------------------------------------------
// Parquet

async function polars() {
  return (await import("nodejs-polars")).default;
}

async function openParquet(path: string, options: OpenCatalogueOptions): Promise<CatalogueReader> {
  const pl = await polars();
  let columns: string[], totalRows: number, dtypes: Record<string, string>;
  try {
    const empty = await pl.scanParquet(path).slice(0, 0).collect();
    columns = empty.columns;
    dtypes = Object.fromEntries(columns.map((c, j) => [c, empty.dtypes[j].variant]));
    const count = await pl.scanParquet(path).select(pl.len().alias("n")).collect();
    totalRows = Number(count.getColumn("n").get(0));
  } catch (e) {
    throw new CatalogueInputError(path, `not a readable Parquet file (${(e as Error).message})`);
  }
  if (totalRows === 0) throw new CatalogueInputError(path, "no data rows");
  const layout = layoutOf(path, "parquet", true, columns, options);
  for (const c of [...layout.flux, ...(layout.z ? [layout.z] : [])]) {
    if (!/^(Float|Int|UInt)\d+$/.test(dtypes[c])) {
      throw new CatalogueInputError(path, `column "${c}" has type ${dtypes[c]}, not numeric`);
    }
  }
  return {
    layout,
    totalRows,
    chunks: (chunkRows) => parquetChunks(path, layout, totalRows, checkChunkRows(chunkRows)),
  };
}

async function* parquetChunks(
  path: string,
  layout: CatalogueLayout,
  totalRows: number,
  chunkRows: number,
): AsyncGenerator<CatalogueChunk> {
  const pl = await polars();
  const wanted = [
    ...(layout.id ? [layout.id] : []),
    ...(layout.z ? [layout.z] : []),
    ...layout.flux,
  ];
  for (let offset = 0; offset < totalRows; offset += chunkRows) {
    const frame = await pl.scanParquet(path).select(...wanted).slice(offset, chunkRows).collect();
    const n = frame.height;
    const chunk = new ChunkBuilder(n, layout);
    const bad = new Map<number, CatalogueReject>();
    const ids = layout.id
      ? (frame.getColumn(layout.id).cast(pl.Utf8).toArray() as (string | null)[])
      : null;
    const numeric = (name: string): Float64Array => {
      const series = frame.getColumn(name).cast(pl.Float64);
      const values = series.nullCount() > 0
        ? Float64Array.from(series.toArray() as (number | null)[], (v) => v ?? NaN)
        : series.toTypedArray() as Float64Array;
      const nulls = series.nullCount() > 0 ? series.isNull().toArray() as boolean[] : null;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(values[i]) && !bad.has(i)) {
          bad.set(i, {
            row: offset + i + 1,
            id: ids?.[i] ?? null,
            column: name,
            reason: nulls?.[i] ? "missing value" : `${values[i]} is not a finite number`,
          });
        }
      }
      return values;
    };
    const z = layout.z ? numeric(layout.z) : null;
    const flux = new Float32Array(n * N_FLUX);
    layout.flux.forEach((name, j) => {
      const values = numeric(name);
      for (let i = 0; i < n; i++) flux[i * N_FLUX + j] = values[i];
    });
    for (let i = 0; i < n; i++) {
      if (bad.has(i)) continue;
      const k = chunk.n++;
      chunk.rows[k] = offset + i + 1;
      if (chunk.z) chunk.z[k] = z![i];
      if (chunk.ids) chunk.ids.push(ids![i] ?? "");
      if (bad.size > 0) chunk.flux.set(flux.subarray(i * N_FLUX, (i + 1) * N_FLUX), k * N_FLUX);
    }
    if (bad.size === 0) chunk.flux = flux;
    chunk.rejected = [...bad.values()].sort((a, b) => a.row - b.row);
    const done = offset + n;
    yield chunk.finish(done, done / totalRows);
  }
}
