/**
 * Benchmark: our CSV reader (`lib/data/_chunked_reader.ts`) against csv-parse and papaparse, on the
 * committed sample scaled up to `--rows` rows (id, z and 186 fluxes: 188 columns), in rows/s to
 * float32 rows; then what each library reports for a bad row and an unclosed quote.
 *
 *   deno run -A tools/bench/csv_parsers.ts [--rows 100000] [--rounds 3]
 *
 * Each library's records are converted as the reader must: every field trimmed, refused unless it
 * is a decimal (`Number("")` is 0, `Number("0x10")` 16), within float32. "bare" is the library's
 * parse with a plain `Number()`, the least a switch would do. The parsers take turns in each round.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { parse as csvParse } from "csv-parse";
import Papa from "papaparse";
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";
import { openCatalogue } from "../../lib/data/_chunked_reader.ts";

const args = parseToolArgs("bench:csv", {
  rows: { type: "string" },
  rounds: { type: "string" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const rows = args.rows ? positiveInteger("--rows", args.rows) : 100_000;
const rounds = args.rounds ? positiveInteger("--rounds", args.rounds) : 3;

const [header, ...sample] = Deno.readTextFileSync(
  new URL("../../data/sample/mock_sample.csv", import.meta.url),
).trimEnd().split("\n");
const path = Deno.makeTempFileSync({ suffix: ".csv" });
const lines = Array.from({ length: rows }, (_, i) => `g${i},${sample[i % sample.length]}`);
Deno.writeTextFileSync(path, `id,${header}\n${lines.join("\n")}\n`);
const WIDTH = header.split(",").length + 1;

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const out = new Float32Array(WIDTH);
/** One record's values into `out`, as the reader checks them (or as `Number()` alone reads them). */
function convert(record: string[], checked: boolean): void {
  for (let f = 1; f < WIDTH; f++) {
    const text = checked ? record[f].trim() : record[f];
    const v = !checked ? Number(text) : DECIMAL.test(text) ? Number(text) : NaN;
    if (!(Math.abs(v) <= 3.4028234663852886e38)) throw new Error(`row ${record[0]}: ${text}`);
    out[f - 1] = v;
  }
}

async function viaCsvParse(checked: boolean): Promise<number> {
  let n = 0;
  for await (const record of createReadStream(path).pipe(csvParse({ from_line: 2 }))) {
    convert(record, checked);
    n++;
  }
  return n;
}

function viaPapaparse(checked: boolean): Promise<number> {
  let n = 0;
  return new Promise((resolve, reject) =>
    // deno-lint-ignore no-explicit-any
    Papa.parse(createReadStream(path) as any, {
      skipEmptyLines: true,
      chunk: ({ data }: { data: string[][] }) => {
        for (const record of data) if (record[0] !== "id") convert(record, checked), n++;
      },
      complete: () => resolve(n),
      error: reject,
    })
  );
}

const parsers: Record<string, () => Promise<number>> = {
  "ours (lib/data/_chunked_reader.ts)": async () => {
    let n = 0;
    for await (const chunk of (await openCatalogue(path)).chunks(16_384)) n += chunk.n;
    return n;
  },
  "papaparse 5.7.1": () => viaPapaparse(true),
  "papaparse 5.7.1, bare": () => viaPapaparse(false),
  "csv-parse 7.0.3": () => viaCsvParse(true),
  "csv-parse 7.0.3, bare": () => viaCsvParse(false),
};
const rates = new Map<string, number[]>(Object.keys(parsers).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(parsers)) {
    const started = performance.now();
    if (await run() !== rows) throw new Error(`${name} read the wrong number of rows`);
    rates.get(name)!.push(rows / ((performance.now() - started) / 1000));
  }
}
Deno.removeSync(path);
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median([...rates.values()][0]);
console.log(`${rows.toLocaleString("en")} rows × ${WIDTH} columns, median of ${rounds} rounds:`);
for (const [name, xs] of rates) {
  const m = median(xs);
  console.log(
    `  ${name.padEnd(36)} ${Math.round(m).toLocaleString("en").padStart(8)} rows/s  ` +
      `(${(m / ours).toFixed(2)} × ours; ${xs.map((x) => Math.round(x / 1000)).join(", ")}k)`,
  );
}

// What each library says of row 2 (a missing column) and row 3 (a quote never closed).
const bad = 'a,b,c\n1,2,3\n4,5\n6,"7,8\n';
const papa = Papa.parse(bad, { header: true });
for (const e of papa.errors as { row: number; message: string }[]) {
  console.log(`papaparse: record ${e.row + 1}: ${e.message}`);
}
await new Promise<void>((resolve) =>
  csvParse(bad, { columns: true }, (error) => {
    console.log("csv-parse:", error?.message);
    resolve();
  })
);
