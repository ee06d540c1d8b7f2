// The one reader of spectra files, CSV or Parquet, a bounded number of rows at a time, columns
// found by name: `loadSpectra` and `predictCatalogue` both read through it.
//
// CSV is parsed here from 4 MiB blocks: polars cannot chunk a CSV in bounded time and memory
// (`scanCSV().slice()` re-reads up to the offset; `readCSV({ skipRows, nRows })` took 2 GB for 16k
// rows) and pads or truncates bad lines silently. Parsing ourselves checks every record's field
// count in the same pass and names the row, column and text of every bad value. Lines without a
// quote take a fast path; others are split by RFC 4180. Why not a library: with these checks,
// papaparse 5.7.1 read 0.54–0.57× and csv-parse 7.0.3 0.20–0.22× as many rows/s as this, on 100k
// rows × 188 columns (docs/performance.md, "Reading CSV").
//
// Parquet goes through polars' `scanParquet(...).slice(...)`, which skips row groups, so each chunk
// costs the same wherever it lies; polars is imported only when a Parquet file is read.
import { N_FLUX } from "../spectra.ts";

/** Redshifts outside this open interval are no redshifts: z ≤ −1 makes 1 + z ≤ 0. */
const Z_LIMITS: readonly [number, number] = [-1, 3];

/** Largest finite float32; values beyond it would become ±Infinity in the arrays. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Where the id, z and flux values sit in a catalogue's columns. */
export interface CatalogueLayout {
  format: "csv" | "parquet";
  /** True when the first CSV line names the columns (always true for Parquet). */
  hasHeader: boolean;
  /** Why the first line was, or was not, taken for a header; and how the columns were assigned. */
  note: string;
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
  /** `row`: the 1-based data row at fault, if one is. */
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
  return /\.csv$/i.test(path) ? "csv" : /\.(parquet|pq)$/i.test(path) ? "parquet" : null;
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
  try {
    return format === "csv"
      ? await openCsv(path, stat.size, options)
      : await openParquet(path, options);
  } catch (e) {
    throw asInputError(path, e);
  }
}

/** Any failure while reading (permissions, I/O, a native reader's error) as an input error. */
function asInputError(path: string, e: unknown): CatalogueInputError {
  if (e instanceof CatalogueInputError) return e;
  return new CatalogueInputError(path, `cannot read: ${(e as Error).message}`);
}

const FLUX_NAMES = Array.from({ length: N_FLUX }, (_, j) => `flux_${j}`);

/** Decides the layout from column names, or from the column count when there is no header. */
function layoutOf(
  path: string,
  format: "csv" | "parquet",
  hasHeader: boolean,
  note: string,
  columns: string[],
  options: OpenCatalogueOptions,
): CatalogueLayout {
  const w = columns.length;
  if (!hasHeader && (w < N_FLUX || w > N_FLUX + 2)) {
    throw new CatalogueInputError(
      path,
      `the first line has ${w} columns; without a header a catalogue has ${N_FLUX} (fluxes), ` +
        `${N_FLUX + 1} (z, fluxes) or ${N_FLUX + 2} (id, z, fluxes)`,
    );
  }
  const duplicate = columns.find((c, j) => columns.indexOf(c) !== j);
  if (duplicate !== undefined) {
    throw new CatalogueInputError(path, `column "${duplicate}" appears twice in the header`);
  }
  const pick = (flag: string, wanted: string | undefined, fallback: string): string | null => {
    if (wanted !== undefined && !columns.includes(wanted)) {
      throw new CatalogueInputError(
        path,
        `${flag} ${wanted}: no column of that name` +
          (hasHeader
            ? ""
            : ` (without a header the columns are ${columns.slice(0, 2).join(", ")}…)`),
      );
    }
    const name = wanted ?? fallback;
    return columns.includes(name) ? name : null;
  };
  const id = pick("--id-column", options.idColumn, "id");
  const z = pick("--z-column", options.zColumn, "z");
  if (id !== null && id === z) {
    throw new CatalogueInputError(path, `column "${id}" cannot be both the id and z`);
  }
  let flux: string[];
  if (FLUX_NAMES.every((c) => columns.includes(c))) {
    flux = FLUX_NAMES;
    for (const [flag, name] of [["--id-column", id], ["--z-column", z]] as const) {
      if (name !== null && flux.includes(name)) {
        throw new CatalogueInputError(
          path,
          `${flag} ${name}: that column is one of the ${N_FLUX} fluxes`,
        );
      }
    }
  } else {
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
  const ignored = columns.filter((c) => !used.has(c));
  const parts = [
    note,
    `z: ${z === null ? "none" : `"${z}" (column ${columns.indexOf(z) + 1})`}`,
    `id: ${id === null ? "row numbers" : `"${id}" (column ${columns.indexOf(id) + 1})`}`,
  ];
  return { format, hasHeader, note: parts.join("; "), columns, id, z, flux, ignored };
}

/**
 * Whether a CSV's first record is a header, decided by the names in it, never by whether its last
 * value happens to be a number: a header names at least one column the format knows (`z`, `id`,
 * `flux_0`…, or the names given for id and z), or consists of names only (no field empty or
 * numeric). Anything else is a data row, whose bad values are then reported like any other row's.
 */
function headerDecision(
  fields: string[],
  options: OpenCatalogueOptions,
): { hasHeader: boolean; note: string } {
  const known = new Set(["z", "id", ...FLUX_NAMES]);
  if (options.idColumn) known.add(options.idColumn);
  if (options.zColumn) known.add(options.zColumn);
  const names = fields.filter((f) => known.has(f));
  if (names.length > 0) {
    return {
      hasHeader: true,
      note: `header: the first line names the columns (${names.slice(0, 3).join(", ")}` +
        `${names.length > 3 ? ", …" : ""})`,
    };
  }
  if (fields.every((f) => f !== "" && !isNumberText(f))) {
    return { hasHeader: true, note: "header: every field of the first line is a name" };
  }
  const count = fields.length;
  const what = ["fluxes", "z, fluxes", "id, z, fluxes"][count - N_FLUX] ?? "unknown";
  return {
    hasHeader: false,
    note: `no header: the first line names no column, so it is data, ` +
      `read by its column count (${count}: ${what})`,
  };
}

function isNumberText(text: string): boolean {
  return DECIMAL.test(text) || /^[-+]?(nan|inf|infinity)$/i.test(text);
}

// ---------------------------------------------------------------------------
// CSV

const COMMA = 44, NEWLINE = 10, RETURN = 13, MINUS = 45, PLUS = 43, DOT = 46, QUOTE = 34;
const SPACE = 32, TAB = 9;
const ZERO = 48, NINE = 57, LOWER_E = 101, UPPER_E = 69;
const BLOCK = 4 << 20;
/** Longest record accepted: far beyond any spectrum, short of exhausting memory on a broken file. */
const MAX_RECORD = 64 << 20;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const decoder = new TextDecoder();

/** Destination of each field: an index into the flux row, or one of these. */
const TO_ID = -1, TO_Z = -2, TO_NOWHERE = -3;

async function openCsv(
  path: string,
  size: number,
  options: OpenCatalogueOptions,
): Promise<CatalogueReader> {
  const first = await readFirstRecord(path);
  const fields = first.map((f) => f.trim());
  const { hasHeader, note } = headerDecision(fields, options);
  const columns = hasHeader ? fields : unnamed(fields.length);
  const layout = layoutOf(path, "csv", hasHeader, note, columns, options);
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
  return [FLUX_NAMES, ["z", ...FLUX_NAMES], ["id", "z", ...FLUX_NAMES]][width - N_FLUX] ??
    Array.from({ length: width }, (_, j) => `column_${j + 1}`);
}

/** Most rows a chunk may hold: its flux buffer alone is then 1.5 GB. */
const MAX_CHUNK_ROWS = 1 << 21;

function checkChunkRows(chunkRows: number): number {
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > MAX_CHUNK_ROWS) {
    throw new RangeError(
      `chunkRows must be an integer from 1 to ${MAX_CHUNK_ROWS}, not ${chunkRows}`,
    );
  }
  return chunkRows;
}

/** The rows `keep` (ascending) of `a`, rows of `width` values; `a` itself when all are kept. */
export function pickRows<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
  a: T,
  keep: readonly number[],
  width = 1,
): T {
  if (keep.length * width === a.length) return a;
  const out = new (a.constructor as new (n: number) => T)(keep.length * width);
  keep.forEach((i, k) => out.set(a.subarray(i * width, (i + 1) * width), k * width));
  return out;
}

/** Bytes a UTF-8 byte-order mark takes at the start of `data`, 0 or 3. */
function bomLength(data: Uint8Array): number {
  return data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
}

/** The fields of the file's first record (a quoted field may span lines). */
async function readFirstRecord(path: string): Promise<string[]> {
  using file = await Deno.open(path);
  let data = new Uint8Array(0);
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const read = await file.read(buffer);
    if (read !== null) data = concat(data, buffer.subarray(0, read));
    const record = splitRecord(data, bomLength(data), data.length, read === null);
    if (record) return record.fields;
    if (data.length > MAX_RECORD) {
      throw new CatalogueInputError(path, `the first line is longer than ${MAX_RECORD >> 20} MiB`);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * Splits the record that starts at `start` by RFC 4180: a field that starts with a quote runs to
 * its closing quote (commas, line breaks and doubled quotes `""` inside are text). Returns the
 * fields and the index of the newline that ends the record (or `limit`; `unclosed` when a quote is
 * never closed), or `null` when the record does not end before `limit` and more data may follow.
 */
function splitRecord(
  data: Uint8Array,
  start: number,
  limit: number,
  eof: boolean,
): { fields: string[]; end: number; unclosed: boolean } | null {
  const fields: string[] = [];
  let i = start;
  for (;;) {
    // One field: skip blanks before an opening quote, then quoted text, then plain text.
    let j = i, quoted = "";
    while (j < limit && (data[j] === SPACE || data[j] === TAB)) j++;
    if (j < limit && data[j] === QUOTE) {
      for (i = j + 1;;) {
        const close = data.indexOf(QUOTE, i);
        if (close < 0 || close >= limit) {
          if (!eof) return null;
          fields.push(quoted + decoder.decode(data.subarray(i, limit)));
          return { fields, end: limit, unclosed: true };
        }
        quoted += decoder.decode(data.subarray(i, close));
        if (close + 1 < limit && data[close + 1] === QUOTE) {
          quoted += '"'; // "" is one quote
          i = close + 2;
          continue;
        }
        if (close + 1 >= limit && !eof) return null; // a quote may follow in the next block
        i = close + 1;
        break;
      }
    }
    // Blanks around plain text are no part of it (a CR before the newline included).
    let m = i;
    while (m < limit && data[m] !== COMMA && data[m] !== NEWLINE) m++;
    fields.push(quoted + decoder.decode(data.subarray(i, m)).trim());
    i = m;
    if (i >= limit) return eof ? { fields, end: limit, unclosed: false } : null;
    if (data[i] === NEWLINE) return { fields, end: i, unclosed: false };
    i++; // the comma
  }
}

/** A chunk being filled: preallocated arrays and a count of good rows. */
class ChunkBuilder {
  n = 0;
  rows: Float64Array;
  ids: string[] | null;
  z: Float32Array | null;
  flux: Float32Array;
  rejected: CatalogueReject[] = [];
  /** The file's column names, and where each column's values go (`TO_*` or a flux index; CSV). */
  readonly columns: readonly string[];
  readonly dest: Int32Array;
  constructor(capacity: number, layout: CatalogueLayout, dest: Int32Array = new Int32Array(0)) {
    this.columns = layout.columns;
    this.dest = dest;
    this.rows = new Float64Array(capacity);
    this.ids = layout.id ? [] : null;
    this.z = layout.z ? new Float32Array(capacity) : null;
    this.flux = new Float32Array(capacity * N_FLUX);
  }
  /** Keeps the row whose fluxes were just written into slot `n`. */
  keep(row: number, id: string | null, z: number): void {
    const k = this.n;
    this.rows[k] = row;
    if (this.z) this.z[k] = z;
    if (this.ids) this.ids.push(id ?? "");
    this.n = k + 1;
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
  const fail = (e: unknown): never => {
    throw asInputError(path, e);
  };
  using file = await Deno.open(path).catch(fail);
  const block = new Uint8Array(BLOCK);
  let carry = new Uint8Array(0);
  let consumed = 0; // bytes of the file handed to the parser
  let row = layout.hasHeader ? -1 : 0; // data rows seen; the header is row 0
  let chunk = new ChunkBuilder(chunkRows, layout, dest);
  let rowsInChunk = 0;
  let first = true;
  for (let eof = false; !eof;) {
    const read = await file.read(block).catch(fail);
    eof = read === null;
    const data = read === null ? carry : concat(carry, block.subarray(0, read));
    let start = first ? bomLength(data) : 0;
    first = false;
    let nextQuote = -1; // position of the next quote at or after `start`, cached
    while (start < data.length) {
      let end = data.indexOf(NEWLINE, start);
      if (end < 0) {
        if (!eof) break;
        end = data.length; // a last line without a final newline
      }
      if (nextQuote !== Infinity && nextQuote < start) {
        nextQuote = data.indexOf(QUOTE, start);
        if (nextQuote < 0) nextQuote = Infinity;
      }
      if (nextQuote < end) {
        const record = splitRecord(data, start, data.length, eof);
        if (record === null) break; // the record goes on in the next block
        end = record.end;
        if (++row > 0) {
          if (record.unclosed) {
            chunk.rejected.push({
              row,
              id: null,
              column: null,
              reason: "a quoted field is never closed (it runs to the end of the file)",
            });
          } else parseFields(record.fields, row, chunk);
        }
      } else if (++row > 0) {
        parseLine(data, start, end, row, chunk);
      }
      if (row > 0 && ++rowsInChunk === chunkRows) {
        yield chunk.finish(row, Math.min(1, (consumed + end + 1) / size));
        chunk = new ChunkBuilder(chunkRows, layout, dest);
        rowsInChunk = 0;
      }
      start = end + 1;
    }
    consumed += Math.min(start, data.length);
    carry = start < data.length ? data.slice(start) : new Uint8Array(0);
    if (carry.length > MAX_RECORD) {
      throw new CatalogueInputError(
        path,
        `row ${row + 1} is longer than ${MAX_RECORD >> 20} MiB (an unclosed quote?)`,
      );
    }
  }
  if (row < 1) throw new CatalogueInputError(path, "no data rows (the file holds only a header)");
  if (rowsInChunk > 0) yield chunk.finish(row, 1);
}

/** Parses one line without quotes into `chunk` (as a good row, or as a rejected one). */
function parseLine(
  data: Uint8Array,
  start: number,
  end: number,
  row: number,
  chunk: ChunkBuilder,
): void {
  const { columns, dest } = chunk;
  const width = columns.length;
  if (end > start && data[end - 1] === RETURN) end--;
  const base = chunk.n * N_FLUX;
  let id: string | null = null, z = NaN;
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
      if (plausible(v, to)) {
        if (to === TO_Z) z = v;
        else chunk.flux[base + to] = v;
      } else {
        const text = decoder.decode(data.subarray(i, fieldEnd)).trim();
        problem = { column: f, reason: describeBad(text, v, to) };
      }
    }
    i = fieldEnd + 1;
  }
  if (problem !== null) {
    chunk.rejected.push({ row, id, column: columns[problem.column], reason: problem.reason });
  } else chunk.keep(row, id, z);
}

/** Parses the fields of a record split by {@link splitRecord} into `chunk`. */
function parseFields(
  fields: string[],
  row: number,
  chunk: ChunkBuilder,
): void {
  const { columns, dest } = chunk;
  const width = columns.length;
  const idAt = dest.indexOf(TO_ID);
  const id = idAt >= 0 && idAt < fields.length ? fields[idAt] : null;
  if (fields.length !== width) {
    chunk.rejected.push({
      row,
      id,
      column: null,
      reason: `${fields.length} columns instead of ${width}`,
    });
    return;
  }
  const base = chunk.n * N_FLUX;
  let z = NaN;
  for (let f = 0; f < width; f++) {
    const to = dest[f];
    if (to === TO_ID || to === TO_NOWHERE) continue;
    const text = fields[f].trim();
    const v = numberFromText(text);
    if (!plausible(v, to)) {
      chunk.rejected.push({ row, id, column: columns[f], reason: describeBad(text, v, to) });
      return;
    }
    if (to === TO_Z) z = v;
    else chunk.flux[base + to] = v;
  }
  chunk.keep(row, id, z);
}

/** True for a value that fits a float32 and, for z, is a redshift (see {@link Z_LIMITS}). */
function plausible(v: number, to: number): boolean {
  if (!(v >= -FLOAT32_MAX && v <= FLOAT32_MAX)) return false; // NaN fails too
  return to !== TO_Z || (v > Z_LIMITS[0] && v < Z_LIMITS[1]);
}

/** Why `text` (read as `v`) was refused for the column `to`. */
function describeBad(text: string, v: number, to: number): string {
  if (text === "") return "missing value";
  const shown = text.length > 40 ? text.slice(0, 40) + "…" : text;
  if (Number.isNaN(v) && !/^[-+]?nan$/i.test(text)) return `"${shown}" is not a number`;
  if (!Number.isFinite(v)) return `${shown} is not a finite number`;
  if (Math.abs(v) > FLOAT32_MAX) {
    return `${shown} is beyond the float32 range (±3.4e38) and would become ${
      v > 0 ? "" : "-"
    }Infinity`;
  }
  if (to === TO_Z) {
    return `z = ${shown} is outside (${Z_LIMITS[0]}, ${Z_LIMITS[1]}): not a redshift`;
  }
  return `${shown} cannot be used`;
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
  const bytes = data.subarray(start, end);
  // A short ASCII id is quicker built by hand than through the decoder.
  const ascii = bytes.length < 64 && bytes.every((c) => c < 128);
  return (ascii ? String.fromCharCode(...bytes) : decoder.decode(bytes)).trim();
}

/**
 * The number in `data[start, end)`, or NaN when the text is not a number.
 *
 * Plain decimals of up to 15 significant digits and exponents within ±22 are converted exactly
 * (Clinger's fast path: both the digits and the power of ten are exact doubles, so one division or
 * multiplication rounds correctly); anything else goes through `Number()` on the text.
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
  return numberFromText(decoder.decode(data.subarray(start, end)).trim());
}

/** A field's text as a number: decimals as `Number()` reads them, `inf`/`nan` in any case; else NaN. */
function numberFromText(text: string): number {
  if (DECIMAL.test(text)) return Number(text);
  if (/^[-+]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return NaN;
}

// ---------------------------------------------------------------------------
// Parquet

async function polars() {
  return (await import("nodejs-polars")).default;
}

/** Types an id column may have: text or whole numbers (not lists, structs or binary). */
const ID_TYPES = /^(Utf8|String|Categorical|Enum|Int\d+|UInt\d+)$/;

async function openParquet(path: string, options: OpenCatalogueOptions): Promise<CatalogueReader> {
  const pl = await polars();
  let columns: string[], totalRows: number, dtypes: Record<string, string>;
  try {
    const empty = await pl.scanParquet(path).slice(0, 0).collect();
    columns = empty.columns;
    dtypes = Object.fromEntries(columns.map((c, j) => [c, String(empty.dtypes[j].variant)]));
    const count = await pl.scanParquet(path).select(pl.len().alias("n")).collect();
    totalRows = Number(count.getColumn("n").get(0));
  } catch (e) {
    throw new CatalogueInputError(path, `not a readable Parquet file (${(e as Error).message})`);
  }
  if (totalRows === 0) throw new CatalogueInputError(path, "no data rows");
  const layout = layoutOf(path, "parquet", true, "Parquet: columns by name", columns, options);
  for (const c of [...layout.flux, ...(layout.z ? [layout.z] : [])]) {
    if (!/^(Float|Int|UInt)\d+$/.test(dtypes[c])) {
      throw new CatalogueInputError(path, `column "${c}" has type ${dtypes[c]}, not numeric`);
    }
  }
  if (layout.id && !ID_TYPES.test(dtypes[layout.id])) {
    throw new CatalogueInputError(
      path,
      `id column "${layout.id}" has type ${dtypes[layout.id]}; ids must be text or integers`,
    );
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
  const wanted = [layout.id, layout.z, ...layout.flux].filter((c) => c !== null);
  for (let offset = 0; offset < totalRows; offset += chunkRows) {
    let chunk: CatalogueChunk;
    try {
      const frame = await pl.scanParquet(path).select(...wanted).slice(offset, chunkRows)
        .collect();
      const done = offset + frame.height;
      chunk = parquetChunk(pl, frame, layout, offset).finish(done, done / totalRows);
    } catch (e) {
      const rows = `rows ${offset + 1}…${Math.min(totalRows, offset + chunkRows)}`;
      throw new CatalogueInputError(path, `cannot read ${rows}: ${(e as Error).message}`);
    }
    yield chunk;
  }
}

function parquetChunk(
  pl: Awaited<ReturnType<typeof polars>>,
  frame: import("nodejs-polars").DataFrame,
  layout: CatalogueLayout,
  offset: number,
): ChunkBuilder {
  const n = frame.height;
  const chunk = new ChunkBuilder(n, layout);
  const bad = new Map<number, CatalogueReject>();
  const ids = layout.id
    ? (frame.getColumn(layout.id).cast(pl.Utf8).toArray() as (string | null)[])
    : null;
  const numeric = (name: string, to: number): Float64Array => {
    const series = frame.getColumn(name).cast(pl.Float64);
    const nullCount = series.nullCount();
    const values = nullCount > 0
      ? Float64Array.from(series.toArray() as (number | null)[], (v) => v ?? NaN)
      : series.toTypedArray() as Float64Array;
    const nulls = nullCount > 0 ? series.isNull().toArray() as boolean[] : null;
    for (let i = 0; i < n; i++) {
      if (!plausible(values[i], to) && !bad.has(i)) {
        bad.set(i, {
          row: offset + i + 1,
          id: ids?.[i] ?? null,
          column: name,
          reason: nulls?.[i] ? "missing value" : describeBad(String(values[i]), values[i], to),
        });
      }
    }
    return values;
  };
  const z = layout.z ? numeric(layout.z, TO_Z) : null;
  layout.flux.forEach((name, j) => {
    const values = numeric(name, j);
    for (let i = 0; i < n; i++) chunk.flux[i * N_FLUX + j] = values[i];
  });
  for (let i = 0; i < n; i++) {
    if (bad.has(i)) continue;
    // Good rows move up over the bad ones.
    if (bad.size > 0) chunk.flux.copyWithin(chunk.n * N_FLUX, i * N_FLUX, (i + 1) * N_FLUX);
    chunk.keep(offset + i + 1, ids?.[i] ?? null, z ? z[i] : NaN);
  }
  chunk.rejected = [...bad.values()].sort((a, b) => a.row - b.row);
  return chunk;
}
