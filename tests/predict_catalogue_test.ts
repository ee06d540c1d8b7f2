import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { selectBackend } from "../lib/backend/select.ts";
import { resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { predict } from "../lib/train.ts";
import { redshiftMetrics } from "../lib/metrics.ts";
import { writeSpectra } from "../lib/data/write_spectra.ts";
import { FLUX_COLUMNS, N_FLUX } from "../lib/spectra.ts";
import {
  CatalogueInputError,
  CatalogueInterrupted,
  CatalogueOutputError,
  predictCatalogue,
} from "../lib/catalogue/predict.ts";
import { bumpData, NARROW, savedToyModel } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

// A narrow model trained for one epoch on bump spectra, saved to a folder.
const saved = await savedToyModel({ seed: 4, rows: 256, epochs: 1 });

/** Bump spectra as the library's Spectra, rows numbered from 1. */
function spectra(n: number, seed: number) {
  const { x, y } = bumpData(n, seed);
  return { n, z: y, flux: x, ids: Float64Array.from({ length: n }, (_, i) => i + 1) };
}

async function readCsv(path: string): Promise<string[][]> {
  const text = await Deno.readTextFile(path);
  return text.trimEnd().split("\n").map((line) => line.split(","));
}

function column(rows: string[][], name: string): string[] {
  const j = rows[0].indexOf(name);
  assert.ok(j >= 0, `no column ${name}`);
  return rows.slice(1).map((r) => r[j]);
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
}

Deno.test("a saved model predicts a CSV file exactly as it predicts the same rows in memory", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(300, 7);
  await writeSpectra(data, `${dir}/in.csv`);
  const summary = await predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  const expected = await predict(saved.model, saved.scaler.transform(data.flux));
  const rows = await readCsv(`${dir}/out.csv`);
  assert.deepEqual(rows[0], ["id", "z_pred", "z_true", "error", "dz_norm", "ood", "n_outside"]);
  assert.deepEqual(Float32Array.from(column(rows, "z_pred").map(Number)), expected);
  assert.deepEqual(Float32Array.from(column(rows, "z_true").map(Number)), data.z);
  assert.deepEqual(column(rows, "id"), Array.from({ length: 300 }, (_, i) => String(i + 1)));
  const error = column(rows, "error").map(Number);
  error.forEach((e, i) => assert.ok(Math.abs(e - (expected[i] - data.z[i])) < 1e-6));
  assert.equal(summary.rowsRead, 300);
  assert.equal(summary.rowsPredicted, 300);
  assert.equal(summary.rowsRejected, 0);
  assert.deepEqual(summary.metrics, redshiftMetrics(data.z, expected));
  assert.equal(summary.bins!.reduce((s, b) => s + b.n, 0), 300);
  assert.deepEqual(await names(dir), ["in.csv", "out.csv", "out.csv.rejects.csv"]);
  assert.equal(await Deno.readTextFile(`${dir}/out.csv.rejects.csv`), "row,id,column,reason\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Parquet in and Parquet out give the same predictions as CSV", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(200, 8);
  await writeSpectra(data, `${dir}/in.parquet`);
  await writeSpectra(data, `${dir}/in.csv`);
  await predictCatalogue(saved.modelDir, `${dir}/in.parquet`, `${dir}/out.parquet`);
  await predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  const frame = pl.readParquet(`${dir}/out.parquet`);
  assert.deepEqual(frame.columns, [
    "id",
    "z_pred",
    "z_true",
    "error",
    "dz_norm",
    "ood",
    "n_outside",
  ]);
  const csv = await readCsv(`${dir}/out.csv`);
  assert.deepEqual(
    frame.getColumn("z_pred").toTypedArray(),
    Float32Array.from(column(csv, "z_pred").map(Number)),
  );
  assert.deepEqual([...frame.getColumn("id").toArray()].map(Number), column(csv, "id").map(Number));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the output is byte-identical whatever the chunk and batch sizes", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(150, 9);
  for (const ext of ["csv", "parquet"]) {
    await writeSpectra(data, `${dir}/in.${ext}`);
    await predictCatalogue(saved.modelDir, `${dir}/in.${ext}`, `${dir}/whole.${ext}`, {
      chunkRows: 1000,
    });
    await predictCatalogue(saved.modelDir, `${dir}/in.${ext}`, `${dir}/chunked.${ext}`, {
      chunkRows: 7,
      batchSize: 5,
    });
    assert.deepEqual(
      await Deno.readFile(`${dir}/chunked.${ext}`),
      await Deno.readFile(`${dir}/whole.${ext}`),
    );
  }
  await Deno.remove(dir, { recursive: true });
});

/** A CSV line: id, z, fluxes. */
function line(id: string, z: number, flux: ArrayLike<number>): string {
  return [id, z, ...Array.from(flux)].join(",");
}

Deno.test("bad rows are listed with row, id, column and reason, counted, and never predicted", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(12, 10);
  const good = (i: number) =>
    line(`g${i}`, data.z[i], data.flux.subarray(i * N_FLUX, (i + 1) * N_FLUX));
  const fields = (i: number) => good(i).split(",");
  const withField = (i: number, j: number, text: string) => {
    const f = fields(i);
    f[j] = text;
    return f.join(",");
  };
  const lines = [
    ["id", "z", ...FLUX_COLUMNS].join(","),
    good(0),
    fields(1).slice(0, -1).join(","), // row 2: short
    good(2) + ",0.5", // row 3: long
    withField(3, 10, "abc"), // row 4: text in flux_8
    withField(4, 2, ""), // row 5: missing flux_0
    withField(5, 50, "NaN"), // row 6
    withField(6, 60, "inf"), // row 7
    withField(7, 1, "-Infinity"), // row 8: z
    "", // row 9: empty line
    good(8),
    good(9) + "\r", // row 11: CRLF is fine
  ];
  await Deno.writeTextFile(`${dir}/in.csv`, lines.join("\n") + "\n");
  const reported: number[] = [];
  const summary = await predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`, {
    onReject: (r) => reported.push(r.row),
  });
  assert.deepEqual(reported, [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(summary.rowsRead, 11);
  assert.equal(summary.rowsRejected, 8);
  assert.equal(summary.rowsPredicted, 3);
  const out = await readCsv(`${dir}/out.csv`);
  assert.deepEqual(column(out, "id"), ["g0", "g8", "g9"]);
  assert.equal(
    await Deno.readTextFile(`${dir}/out.csv.rejects.csv`),
    [
      "row,id,column,reason",
      "2,,,187 columns instead of 188",
      "3,,,189 columns instead of 188",
      '4,g3,flux_8,"""abc"" is not a number"',
      "5,g4,flux_0,missing value",
      "6,g5,flux_48,NaN is not a finite number",
      "7,g6,flux_58,inf is not a finite number",
      "8,g7,z,'-Infinity is not a finite number", // a leading - is neutralised
      "9,,,empty line instead of 188 columns",
      "",
    ].join("\n"),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("strict mode stops at the first bad row, names it, and leaves no output", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(5, 11);
  const lines = Array.from(
    { length: 5 },
    (_, i) => [data.z[i], ...data.flux.subarray(i * N_FLUX, (i + 1) * N_FLUX)].join(","),
  );
  lines[3] = lines[3].replace(/,[^,]*$/, ",oops");
  await Deno.writeTextFile(`${dir}/in.csv`, lines.join("\n"));
  await assert.rejects(
    predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`, { strict: true }),
    (e: Error) =>
      e instanceof CatalogueInputError && e.row === 4 && /row 4.*flux_185.*"oops"/.test(e.message),
  );
  assert.deepEqual(await names(dir), ["in.csv"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("null, NaN and infinite values in a Parquet file are rejected by row and column", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(6, 12);
  const columns: pl.Series[] = [pl.Series("z", Array.from(data.z), pl.Float64)];
  for (let j = 0; j < N_FLUX; j++) {
    const values: (number | null)[] = Array.from(
      { length: 6 },
      (_, i) => data.flux[i * N_FLUX + j],
    );
    if (j === 3) values[1] = null;
    if (j === 4) values[2] = NaN;
    if (j === 5) values[4] = Infinity;
    columns.push(pl.Series(`flux_${j}`, values, pl.Float64));
  }
  pl.DataFrame(columns).writeParquet(`${dir}/in.parquet`);
  const summary = await predictCatalogue(saved.modelDir, `${dir}/in.parquet`, `${dir}/out.csv`, {
    chunkRows: 4,
  });
  assert.deepEqual(
    summary.firstRejected.map((r) => [r.row, r.column, r.reason]),
    [[2, "flux_3", "missing value"], [3, "flux_4", "NaN is not a finite number"], [
      5,
      "flux_5",
      "Infinity is not a finite number",
    ]],
  );
  assert.deepEqual(column(await readCsv(`${dir}/out.csv`), "id"), ["1", "4", "6"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spectra far outside the training range are flagged, the others are not", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(4, 13);
  data.flux.subarray(1 * N_FLUX, 2 * N_FLUX).forEach((v, j, a) => a[j] = v * 3 + 2); // all fluxes off
  data.flux[2 * N_FLUX + 100] = 1e6; // one flux absurdly far
  await writeSpectra(data, `${dir}/in.csv`);
  const summary = await predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  const out = await readCsv(`${dir}/out.csv`);
  assert.deepEqual(column(out, "ood"), ["false", "true", "true", "false"]);
  assert.ok(Number(column(out, "n_outside")[1]) > 100);
  assert.equal(column(out, "n_outside")[2], "1");
  assert.equal(summary.rowsFlagged, 2);
  assert.ok(summary.metricsUnflagged);
  assert.equal(summary.metricsUnflagged.n, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("headers name the id and z columns; without one, the column count decides", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(3, 14);
  const flux = (i: number) => Array.from(data.flux.subarray(i * N_FLUX, (i + 1) * N_FLUX));
  // Named fluxes: other columns are ignored; ids that need quoting are quoted in the output.
  const header = ["source_id", "ra", ...FLUX_COLUMNS].join(",");
  await Deno.writeTextFile(
    `${dir}/named.csv`,
    [header, ...[0, 1, 2].map((i) => [`"a${i}"`, 10, ...flux(i)].join(","))]
      .join("\n"),
  );
  const s1 = await predictCatalogue(saved.modelDir, `${dir}/named.csv`, `${dir}/o1.csv`, {
    idColumn: "source_id",
  });
  assert.equal(s1.rowsPredicted, 3);
  assert.deepEqual(s1.layout.ignored, ["ra"]);
  assert.deepEqual(column(await readCsv(`${dir}/o1.csv`), "id"), ["a0", "a1", "a2"]);
  // Other flux names: every column besides id and z is a flux, in file order.
  await Deno.writeTextFile(
    `${dir}/other.csv`,
    [["z", ...FLUX_COLUMNS.map((c) => c.toUpperCase())].join(","), `0.1,${flux(0).join(",")}`]
      .join("\n"),
  );
  const s2 = await predictCatalogue(saved.modelDir, `${dir}/other.csv`, `${dir}/o2.csv`);
  assert.equal(s2.layout.z, "z");
  assert.equal(s2.layout.flux[0], "FLUX_0");
  const layouts: [number, string | null, string | null][] = [
    [186, null, null],
    [187, null, "z"],
    [188, "id", "z"],
  ];
  for (const [width, id, z] of layouts) {
    const rows = [0, 1, 2].map((i) =>
      [...(width === 188 ? [`id${i}`] : []), ...(width >= 187 ? [data.z[i]] : []), ...flux(i)].join(
        ",",
      )
    );
    await Deno.writeTextFile(`${dir}/w${width}.csv`, rows.join("\n") + "\n");
    const s = await predictCatalogue(
      saved.modelDir,
      `${dir}/w${width}.csv`,
      `${dir}/o${width}.csv`,
    );
    assert.equal(s.layout.hasHeader, false);
    assert.equal(s.layout.id, id);
    assert.equal(s.layout.z, z);
    assert.equal(s.rowsPredicted, 3);
    assert.equal(s.metrics === null, width === 186);
  }
  const o188 = await readCsv(`${dir}/o188.csv`);
  assert.deepEqual(column(o188, "id"), ["id0", "id1", "id2"]);
  await Deno.writeTextFile(`${dir}/bad.csv`, "1,2,3\n");
  await assert.rejects(
    predictCatalogue(saved.modelDir, `${dir}/bad.csv`, `${dir}/o.csv`),
    (e: Error) => e instanceof CatalogueInputError && /3 columns/.test(e.message),
  );
  await assert.rejects(
    predictCatalogue(saved.modelDir, `${dir}/w186.csv`, `${dir}/w186.csv`),
    CatalogueOutputError,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an interrupted run leaves no output and keeps an older one untouched", async () => {
  const dir = await Deno.makeTempDir();
  await writeSpectra(spectra(100, 15), `${dir}/in.csv`);
  await Deno.writeTextFile(`${dir}/out.csv`, "an older, complete output\n");
  const controller = new AbortController();
  await assert.rejects(
    predictCatalogue(saved.modelDir, `${dir}/in.csv`, `${dir}/out.csv`, {
      chunkRows: 10,
      signal: controller.signal,
      onProgress: (p) => p.rowsDone >= 30 && controller.abort(),
    }),
    CatalogueInterrupted,
  );
  assert.deepEqual(await names(dir), ["in.csv", "out.csv"]);
  assert.equal(await Deno.readTextFile(`${dir}/out.csv`), "an older, complete output\n");
  await Deno.remove(dir, { recursive: true });
});

const TOOL = new URL("../tools/predict.ts", import.meta.url).pathname;

function cli(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL, "--backend", "cpu", ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("a killed command leaves only a hidden temporary file, never a complete-looking output", async () => {
  const dir = await Deno.makeTempDir();
  await writeSpectra(spectra(3000, 16), `${dir}/in.csv`);
  const child = cli([
    "--model",
    saved.modelDir,
    "--in",
    `${dir}/in.csv`,
    "--out",
    `${dir}/out.csv`,
    "--chunk",
    "50",
  ])
    .spawn();
  // Wait until the run is writing, then kill it without warning.
  for (let i = 0; i < 600; i++) {
    if ((await names(dir)).some((n) => n.startsWith(".out.csv.part"))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await child.output();
  const left = await names(dir);
  assert.ok(!left.includes("out.csv"), `found ${left}`);
  assert.ok(left.some((n) => n.startsWith(".out.csv.part")), "the run was killed mid-way");
  assert.ok(
    left.filter((n) => n !== "in.csv").every((n) => n.startsWith(".") && n.endsWith(".tmp")),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the command's exit codes tell success, usage, model, input and output problems apart", async () => {
  const dir = await Deno.makeTempDir();
  const data = spectra(20, 17);
  await writeSpectra(data, `${dir}/in.csv`);
  const text = await Deno.readTextFile(`${dir}/in.csv`);
  await Deno.writeTextFile(`${dir}/bad.csv`, text.replace(/\n([^,\n]*),/, "\n$1,x"));
  const run = async (...args: string[]) => {
    const { code, stdout, stderr } = await cli(args).output();
    return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
  };
  const base = ["--model", saved.modelDir, "--in", `${dir}/in.csv`];
  const help = await run("--help");
  assert.equal(help.code, 0);
  for (const flag of ["--model", "--in", "--out", "--batch", "--backend", "--strict", "--chunk"]) {
    assert.ok(help.out.includes(flag), flag);
  }
  const ok = await run(...base, "--out", `${dir}/out.csv`);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /20 rows read, 20 predicted, 0 rejected/);
  assert.match(ok.out, /σ_NMAD/);
  assert.equal(ok.err.includes("rows/s,"), false); // no progress when not a terminal
  assert.equal((await run("--in", `${dir}/in.csv`, "--out", `${dir}/o.csv`)).code, 2);
  assert.equal((await run(...base, "--out", `${dir}/o.txt`)).code, 2);
  assert.equal((await run(...base, "--out", `${dir}/o.csv`, "--batch", "0")).code, 2);
  assert.equal(
    (await run("--model", `${dir}/none`, "--in", `${dir}/in.csv`, "--out", `${dir}/o.csv`)).code,
    3,
  );
  assert.equal(
    (await run(...base.slice(0, 3), `${dir}/none.csv`, "--out", `${dir}/o.csv`)).code,
    4,
  );
  const lax = await run(...base.slice(0, 3), `${dir}/bad.csv`, "--out", `${dir}/o.csv`);
  assert.equal(lax.code, 0);
  assert.match(lax.err, /bad row 1, column flux_0: "x.*" is not a number/);
  assert.match(lax.out, /1 rejected/);
  const strict = await run(
    ...base.slice(0, 3),
    `${dir}/bad.csv`,
    "--out",
    `${dir}/s.csv`,
    "--strict",
  );
  assert.equal(strict.code, 4);
  assert.match(strict.err, /row 1/);
  assert.equal((await run(...base, "--out", `${dir}/missing/o.csv`)).code, 5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("numbers in any decimal form read exactly as Number() reads them", async () => {
  const { openCatalogue } = await import("../lib/data/_chunked_reader.ts");
  const forms = [
    "1e-30",
    " 2.5 ",
    "+3",
    ".5",
    "1E5",
    "-0.000123456789012345678",
    "12345678901234567890",
  ];
  const texts = Array.from({ length: N_FLUX }, (_, j) => forms[j % forms.length]);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.csv`, texts.join(",") + "\r\n");
  const reader = await openCatalogue(`${dir}/in.csv`);
  const chunks = await Array.fromAsync(reader.chunks(10));
  assert.equal(chunks.length, 1);
  assert.deepEqual(chunks[0].flux, Float32Array.from(texts, Number));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an ensemble folder adds z_err, the members' calibrated spread, beside z_pred", async () => {
  const { trainEnsemble, saveEnsemble, loadEnsemble, predictWithUncertainty, disposeEnsemble } =
    await import("../lib/uncertainty/ensemble.ts");
  const dir = await Deno.makeTempDir();
  const data = bumpData(96, 3), validation = bumpData(48, 4);
  const scaler = fitMinMax(data.x, "all");
  const scaled = (d: typeof data) => ({ x: scaler.transform(d.x), y: d.y });
  const ensemble = await trainEnsemble({ train: scaled(data), validation: scaled(validation) }, {
    members: 2,
    modelConfig: resolveModelConfig(NARROW),
    epochs: 1,
    batchSize: 32,
    seed: 2,
    scaler,
  });
  await saveEnsemble(`${dir}/ensemble`, ensemble);
  disposeEnsemble(ensemble);
  await writeSpectra(spectra(20, 9), `${dir}/in.csv`);
  await predictCatalogue(`${dir}/ensemble`, `${dir}/in.csv`, `${dir}/out.csv`);
  const rows = await readCsv(`${dir}/out.csv`);
  assert.deepEqual(rows[0].slice(0, 3), ["id", "z_pred", "z_err"]);
  const loaded = await loadEnsemble(`${dir}/ensemble`);
  const expected = await predictWithUncertainty(loaded, scaler.transform(spectra(20, 9).flux));
  disposeEnsemble(loaded);
  column(rows, "z_err").forEach((v, i) => {
    assert.ok(Number(v) > 0);
    assert.ok(Math.abs(Number(v) - expected.std[i]) < 1e-6);
    assert.ok(Math.abs(Number(column(rows, "z_pred")[i]) - expected.mean[i]) < 1e-6);
  });
});
