// A streaming pass over a CSV file that counts the fields of every line.
//
// polars pads short lines with nulls and cuts long ones without a word, so
// the loader checks line lengths itself before handing the file to polars.

const COMMA = 44, NEWLINE = 10, RETURN = 13;

/** A line whose field count differs from the expected one. */
export interface BadLine {
  /** 1-based line number in the file. */
  line: number;
  fields: number;
}

/** Shape of a CSV file: line count, header, and lines of the wrong width. */
export interface CsvShape {
  /** Non-final lines plus a last line that is not empty. */
  lineCount: number;
  hasHeader: boolean;
  badLines: BadLine[];
  /** Text of field `index` (0-based) on 1-based `line`. */
  field(line: number, index: number): Promise<string>;
}

/** Scans `path` once, in chunks, checking that each line has `expectedFields` fields. */
export async function scanCsvShape(path: string, expectedFields: number): Promise<CsvShape> {
  const badLines: BadLine[] = [];
  let line = 1, fields = 1, lineBytes = 0;
  let firstLine = "";
  const firstLineBytes: number[] = [];
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const read = await file.read(buffer);
    if (read === null) break;
    for (let i = 0; i < read; i++) {
      const b = buffer[i];
      if (line === 1 && b !== NEWLINE && firstLineBytes.length < 65536) firstLineBytes.push(b);
      if (b === COMMA) {
        fields++;
        lineBytes++;
      } else if (b === NEWLINE) {
        if (fields !== expectedFields) {
          badLines.push({ line, fields: lineBytes === 0 ? 0 : fields });
        }
        line++;
        fields = 1;
        lineBytes = 0;
      } else if (b !== RETURN) lineBytes++;
    }
  }
  // A final newline ends the last line rather than starting an empty one.
  const lineCount = lineBytes === 0 && fields === 1 ? line - 1 : line;
  if (lineCount === line && fields !== expectedFields) badLines.push({ line, fields });
  firstLine = new TextDecoder().decode(new Uint8Array(firstLineBytes)).replace(/\r$/, "");
  const hasHeader = !looksNumeric(firstLine.split(",")[0]);
  return {
    lineCount,
    hasHeader,
    badLines: hasHeader ? badLines.filter((b) => b.line !== 1) : badLines,
    field: (target, index) => readField(path, target, index),
  };
}

function looksNumeric(text: string): boolean {
  return /^\s*[-+]?(\d|\.\d|nan\b|inf)/i.test(text);
}

async function readField(path: string, target: number, index: number): Promise<string> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  let line = 1;
  const bytes: number[] = [];
  for (;;) {
    const read = await file.read(buffer);
    if (read === null) break;
    for (let i = 0; i < read; i++) {
      if (line === target) {
        if (buffer[i] === NEWLINE) return fieldOf(bytes, index);
        bytes.push(buffer[i]);
      } else if (buffer[i] === NEWLINE) line++;
    }
  }
  return fieldOf(bytes, index);
}

function fieldOf(bytes: number[], index: number): string {
  const text = new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
  return (text.split(",")[index] ?? "").trim();
}
