import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { LoadError, loadSpectra } from "../lib/data/load.ts";
import { N_FLUX } from "../lib/spectra.ts";
import { csvRow, validLines, writeTempCsv } from "./_helpers.ts";

Deno.test("loadSpectra() reads a CSV with a header into row-major typed arrays", async () => {
  const path = await writeTempCsv(validLines(4), { header: true });
  const { data, report } = await loadSpectra(path);
  assert.equal(data.n, 4);
  assert.equal(data.flux.length, 4 * N_FLUX);
  assert.ok(Math.abs(data.z[1] - 0.15) < 1e-6);
  const expected = csvRow(0.15, 1).slice(1).map(Number);
  assert.ok(expected.every((v, j) => Math.abs(data.flux[N_FLUX + j] - v) < 1e-6));
  assert.deepEqual([...data.ids], [1, 2, 3, 4]);
  assert.equal(report.hasHeader, true);
  assert.deepEqual([report.rowsRead, report.rowsKept, report.rejected.length], [4, 4, 0]);
});

Deno.test("loadSpectra() reads a CSV without a header, with CRLF line ends", async () => {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(path, validLines(3).join("\r\n") + "\r\n");
  const { data, report } = await loadSpectra(path);
  assert.equal(report.hasHeader, false);
  assert.equal(data.n, 3);
});

Deno.test("loadSpectra() reads Parquet with the same columns", async () => {
  const csv = await writeTempCsv(validLines(5), { header: true });
  const parquet = csv.replace(/\.csv$/, ".parquet");
  pl.readCSV(csv).writeParquet(parquet);
  const fromCsv = await loadSpectra(csv);
  const fromParquet = await loadSpectra(parquet);
  assert.deepEqual(fromParquet.data.flux, fromCsv.data.flux);
  assert.deepEqual(fromParquet.data.z, fromCsv.data.z);
  assert.equal(fromParquet.report.format, "parquet");
});

async function loadError(lines: string[], header = true): Promise<LoadError> {
  const path = await writeTempCsv(lines, { header });
  const error = await loadSpectra(path).then(() => null, (e) => e);
  assert.ok(error instanceof LoadError, `expected a LoadError, got ${error}`);
  assert.ok(error.message.startsWith(path), "the message names the file");
  return error;
}

Deno.test("loadSpectra() names the row of a line with too few or too many columns", async () => {
  const short = validLines(3);
  short[1] = short[1].split(",").slice(0, 100).join(",");
  const e1 = await loadError(short);
  assert.equal(e1.row, 2);
  assert.match(e1.message, /row 2: 100 columns instead of 187/);

  const long = validLines(3);
  long[2] += ",1.0";
  const e2 = await loadError(long, false);
  assert.equal(e2.row, 3);
  assert.match(e2.message, /188 columns/);
});

Deno.test("loadSpectra() names the row and column of a non-numeric or missing value", async () => {
  const lines = validLines(4);
  const fields = lines[2].split(",");
  fields[10] = "abc";
  lines[2] = fields.join(",");
  const e = await loadError(lines);
  assert.deepEqual([e.row, e.column], [3, 11]);
  assert.match(e.message, /row 3, column 11 \(flux_9\): "abc" is not a number/);

  const missing = validLines(2);
  const f2 = missing[1].split(",");
  f2[0] = "";
  missing[1] = f2.join(",");
  const e2 = await loadError(missing);
  assert.deepEqual([e2.row, e2.column], [2, 1]);
  assert.match(e2.message, /column 1 \(z\): missing value/);
});

Deno.test("loadSpectra() rejects NaN and infinite values", async () => {
  for (const bad of ["NaN", "inf", "-Infinity"]) {
    const lines = validLines(2);
    const fields = lines[0].split(",");
    fields[50] = bad;
    lines[0] = fields.join(",");
    const e = await loadError(lines);
    assert.deepEqual([e.row, e.column], [1, 51]);
    assert.match(e.message, /not a finite number/);
  }
});

Deno.test("loadSpectra() rejects z outside [0, 0.6] unless asked to keep it", async () => {
  const lines = [...validLines(2), csvRow(0.75).join(","), csvRow(-0.01).join(",")];
  const e = await loadError(lines);
  assert.deepEqual([e.row, e.column], [3, 1]);
  assert.match(e.message, /z = 0\.75 is outside \[0, 0\.6\]/);

  const path = await writeTempCsv(lines);
  const kept = await loadSpectra(path, { outOfRange: "keep" });
  assert.equal(kept.data.n, 4);
  assert.equal(kept.report.outOfRangeKept, 2);

  const rejected = await loadSpectra(path, { outOfRange: "reject" });
  assert.equal(rejected.data.n, 2);
  assert.deepEqual(rejected.report.rejected.map((r) => r.row), [3, 4]);
});

Deno.test("loadSpectra() with invalidRows 'reject' keeps good rows and lists every bad one", async () => {
  const lines = validLines(6);
  lines[1] = lines[1].replace(/,[^,]*$/, ""); // 186 columns
  const f = lines[3].split(",");
  f[5] = "x";
  lines[3] = f.join(",");
  const g = lines[4].split(",");
  g[7] = "nan";
  lines[4] = g.join(",");
  const path = await writeTempCsv(lines, { header: true });
  const { data, report } = await loadSpectra(path, { invalidRows: "reject" });
  assert.deepEqual([...data.ids], [1, 3, 6]);
  assert.equal(report.rowsRead, 6);
  assert.equal(report.rowsKept, 3);
  assert.deepEqual(report.rejected.map((r) => [r.row, r.column]), [[2, null], [4, 6], [5, 8]]);
  assert.equal(report.rowsKept + report.rejected.length, report.rowsRead);
});

Deno.test("loadSpectra() explains a missing file, an empty file and a header-only file", async () => {
  await assert.rejects(loadSpectra("/nonexistent/galaxies.csv"), /galaxies\.csv: file not found/);
  const empty = await Deno.makeTempFile({ suffix: ".csv" });
  await assert.rejects(loadSpectra(empty), /the file is empty/);
  const headerOnly = await writeTempCsv([], { header: true });
  await assert.rejects(loadSpectra(headerOnly), /no data rows/);
  await assert.rejects(loadSpectra("spectra.txt"), /unknown format/);
});

Deno.test("loadSpectra() rejects a Parquet file with the wrong columns", async () => {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  pl.DataFrame({ z: [0.1], flux_0: [1] }).writeParquet(path);
  await assert.rejects(loadSpectra(path), /expected columns flux_0…flux_185.*found 1 other/);
  await Deno.writeTextFile(path, "not parquet");
  await assert.rejects(loadSpectra(path), /not a readable Parquet file/);
});
