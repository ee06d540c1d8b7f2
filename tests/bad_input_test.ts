// Bad input, collisions and corruption (issue 15), class by class: predict, loadSpectra and the
// model and checkpoint files, through the library. The command-line side is in tools_exit_test.ts.
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { loadModel } from "../lib/runs/model_folder.ts";
import { CheckpointError, train } from "../lib/train.ts";
import { LoadError, loadSpectra } from "../lib/data/load.ts";
import { writeSpectra } from "../lib/data/write_spectra.ts";
import { FLUX_COLUMNS, N_FLUX } from "../lib/spectra.ts";
import {
  CatalogueInputError,
  CatalogueInterrupted,
  CatalogueOutputError,
  predictCatalogue,
} from "../lib/catalogue/predict.ts";
import { checkToolPaths, commitTogether, PathCollisionError } from "../lib/_atomic.ts";
import { bumpData, NARROW, savedToyModel } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

/** A folder with a model folder (untrained: its predictions are finite, which is all we need). */
async function fixture() {
  const { model, ...saved } = await savedToyModel({ seed: 3, rows: 64, epochs: 0 });
  model.dispose();
  return saved;
}

const shared = await fixture();

/** `n` rows of bump spectra: z and 186 fluxes as CSV fields. */
function rows(n: number, seed = 5): string[][] {
  const { x, y } = bumpData(n, seed);
  return Array.from({ length: n }, (_, i) => [
    String(y[i]),
    ...Array.from(x.subarray(i * N_FLUX, (i + 1) * N_FLUX), String),
  ]);
}

const HEADER = ["z", ...FLUX_COLUMNS];

async function writeCsv(path: string, lines: string[][], header: string[] | null = HEADER) {
  const text = [...(header ? [header] : []), ...lines].map((r) => r.join(",")).join("\n");
  await Deno.writeTextFile(path, text + "\n");
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      for (const [k, v] of await snapshot(path)) files.set(`${e.name}/${k}`, v);
    } else if (e.isFile) {
      const bytes = await Deno.readFile(path);
      files.set(
        e.name,
        Array.from(new Uint8Array(await crypto.subtle.digest("SHA-1", bytes))).join(),
      );
    } else files.set(e.name, "link");
  }
  return files;
}

// ---------------------------------------------------------------------------
// 1. Output paths collide

Deno.test("predict refuses, before any work, every output that is an input, another output or inside the model folder", async () => {
  const { dir, modelDir } = await fixture();
  await writeCsv(`${dir}/in.csv`, rows(5));
  await writeCsv(`${dir}/o.csv.rejects.csv`, rows(5));
  await Deno.symlink(`${dir}/in.csv`, `${dir}/link.csv`);
  await Deno.link(`${dir}/in.csv`, `${dir}/hard.csv`);
  await Deno.mkdir(`${dir}/sub`);
  await Deno.symlink(modelDir, `${dir}/model-link`);
  const before = await snapshot(dir);
  const cases: [string, string, string | undefined][] = [
    // [in, out, rejects]
    [`${dir}/in.csv`, `${dir}/o.csv`, `${dir}/in.csv`], // --rejects is the input
    [`${dir}/o.csv.rejects.csv`, `${dir}/o.csv`, undefined], // the default rejects path is the input
    [`${dir}/in.csv`, `${dir}/o.csv`, `${modelDir}/weights.bin`], // inside the model folder
    [`${dir}/in.csv`, `${dir}/o.csv`, `${modelDir}/new.csv`], // a new file in the model folder
    [`${dir}/in.csv`, `${dir}/o.csv`, `${dir}/model-link/x.csv`], // the model folder through a link
    [`${dir}/in.csv`, `${dir}/o.csv`, `${dir}/o.csv`], // --rejects is --out
    [`${dir}/in.csv`, `${dir}/sub/../o.csv`, `${dir}/o.csv`], // the same, spelled differently
    [`${dir}/in.csv`, `${dir}/link.csv`, undefined], // --out is a link to the input
    [`${dir}/in.csv`, `${dir}/hard.csv`, undefined], // --out is a hard link to the input
    [`${dir}/in.csv`, `${dir}/sub/../in.csv`, undefined],
    [`${dir}/in.csv`, `${modelDir}/model.json.csv`, undefined], // --out inside the model folder
  ];
  for (const [input, out, rejectsPath] of cases) {
    let progressed = false;
    await assert.rejects(
      predictCatalogue(modelDir, input, out, { rejectsPath, onProgress: () => progressed = true }),
      (e: Error) => e instanceof CatalogueOutputError && /refused/.test(e.message),
      `${input} → ${out}, rejects ${rejectsPath}`,
    );
    assert.equal(progressed, false, "refused before any work");
  }
  assert.deepEqual(await snapshot(dir), before, "nothing changed, nothing left behind");
  await loadModel(modelDir); // still intact
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkToolPaths() compares real paths, and folders with what lies inside them", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/data.csv`, "x");
  await Deno.mkdir(`${dir}/run`);
  await Deno.symlink(`${dir}/run`, `${dir}/run-link`);
  const refused = (paths: Parameters<typeof checkToolPaths>[0]) =>
    assert.rejects(checkToolPaths(paths), PathCollisionError);
  await refused([
    { role: "--data", path: `${dir}/run-link/model/x.csv`, use: "read" },
    { role: "--out", path: `${dir}/run/model`, use: "write", folder: true },
  ]);
  await refused([
    { role: "a", path: `${dir}/new/../data.csv`, use: "write" },
    { role: "b", path: `${dir}/data.csv`, use: "read" },
  ]);
  // Distinct paths pass, and two inputs may be the same file.
  await checkToolPaths([
    { role: "a", path: `${dir}/data.csv`, use: "read" },
    { role: "b", path: `${dir}/run-link/../data.csv`, use: "read" },
    { role: "c", path: `${dir}/run/out.csv`, use: "write" },
    { role: "d", path: `${dir}/run/model`, use: "write", folder: true },
  ]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 2. Outputs commit together, writability is checked up front

Deno.test("a failed run keeps the old output and the old rejects file; an unwritable path fails before any work", async () => {
  const { dir, modelDir } = await fixture();
  const lines = rows(30);
  lines[20][7] = "abc";
  await writeCsv(`${dir}/in.csv`, lines);
  await Deno.writeTextFile(`${dir}/out.csv`, "old output\n");
  await Deno.writeTextFile(`${dir}/rej.csv`, "old rejects\n");
  await assert.rejects(
    predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/out.csv`, {
      rejectsPath: `${dir}/rej.csv`,
      strict: true,
      chunkRows: 5,
    }),
    CatalogueInputError,
  );
  assert.equal(await Deno.readTextFile(`${dir}/out.csv`), "old output\n");
  assert.equal(await Deno.readTextFile(`${dir}/rej.csv`), "old rejects\n");

  const before = await snapshot(dir);
  await Deno.mkdir(`${dir}/adir`);
  await Deno.writeTextFile(`${dir}/afile`, "");
  for (
    const [out, rejectsPath, why] of [
      [`${dir}/adir`, undefined, /is a folder/], // --out names a folder (no extension check here)
      [`${dir}/o.csv`, `${dir}/adir`, /is a folder/],
      [`${dir}/o.csv`, `${dir}/missing/r.csv`, /does not exist/],
      [`${dir}/o.csv`, `${dir}/afile/r.csv`, /not a folder/],
      [`${dir}/missing/o.csv`, undefined, /does not exist/],
    ] as const
  ) {
    let progressed = false;
    const target = out.endsWith("adir") ? `${dir}/adir.csv` : out;
    if (out.endsWith("adir")) await Deno.mkdir(target);
    await assert.rejects(
      predictCatalogue(modelDir, `${dir}/in.csv`, target, {
        rejectsPath,
        onProgress: () => progressed = true,
      }),
      (e: Error) => e instanceof CatalogueOutputError && why.test(e.message),
      `${target} ${rejectsPath}`,
    );
    assert.equal(progressed, false);
    if (out.endsWith("adir")) await Deno.remove(target);
  }
  await Deno.remove(`${dir}/adir`);
  await Deno.remove(`${dir}/afile`);
  assert.deepEqual(await snapshot(dir), before, "no temporary file left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("commitTogether() puts every file in place, or (when one rename fails) none", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a`, "old a");
  await Deno.writeTextFile(`${dir}/a.new`, "new a");
  await Deno.writeTextFile(`${dir}/b.new`, "new b");
  await Deno.mkdir(`${dir}/b`); // a folder with a file: a rename onto it fails
  await Deno.writeTextFile(`${dir}/b/x`, "");
  await assert.rejects(commitTogether([
    { temp: `${dir}/a.new`, path: `${dir}/a` },
    { temp: `${dir}/b.new`, path: `${dir}/b` },
  ]));
  assert.equal(await Deno.readTextFile(`${dir}/a`), "old a");
  await Deno.remove(`${dir}/b`, { recursive: true });
  await Deno.writeTextFile(`${dir}/a.new`, "new a");
  await commitTogether([
    { temp: `${dir}/a.new`, path: `${dir}/a` },
    { temp: `${dir}/b.new`, path: `${dir}/b` },
  ]);
  assert.equal(await Deno.readTextFile(`${dir}/a`), "new a");
  assert.equal(await Deno.readTextFile(`${dir}/b`), "new b");
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort(), ["a", "b"]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 3. The header is decided by names: a first row of data is never dropped

Deno.test("a headerless first row with text in it is data: rejected and listed, never taken for a header", async () => {
  const { dir, modelDir } = await fixture();
  for (const [column, text] of [[N_FLUX, "abc"], [N_FLUX, ""], [0, "zz"], [90, "n/a"]] as const) {
    const lines = rows(6);
    lines[0][column] = text;
    await writeCsv(`${dir}/in.csv`, lines, null);
    const summary = await predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
    assert.equal(summary.layout.hasHeader, false, summary.layout.note);
    assert.equal(summary.rowsRead, 6);
    assert.deepEqual(summary.firstRejected.map((r) => r.row), [1]);
    const ids = (await Deno.readTextFile(`${dir}/out.csv`)).trim().split("\n").slice(1)
      .map((l) => l.split(",")[0]);
    assert.deepEqual(ids, ["2", "3", "4", "5", "6"], "ids keep their row numbers");
    const rejects = await Deno.readTextFile(`${dir}/out.csv.rejects.csv`);
    assert.match(rejects, /^row,id,column,reason\n1,,/);

    const loaded = await loadSpectra(`${dir}/in.csv`, { invalidRows: "reject" });
    assert.equal(loaded.report.hasHeader, false);
    assert.deepEqual(loaded.report.rejected.map((r) => r.row), [1]);
    assert.equal(loaded.report.rowsRead, 6);
    assert.match(loaded.report.layout, /no header/);
    await assert.rejects(
      loadSpectra(`${dir}/in.csv`),
      (e: Error) => e instanceof LoadError && e.row === 1,
    );
  }
  // A line of names only is a header, whatever the names.
  const names = Array.from({ length: N_FLUX }, (_, j) => `f${j}`);
  await writeCsv(`${dir}/named.csv`, rows(3).map((r) => r.slice(1)), names);
  const s = await predictCatalogue(modelDir, `${dir}/named.csv`, `${dir}/out.csv`);
  assert.equal(s.layout.hasHeader, true);
  assert.equal(s.rowsRead, 3);
  assert.equal(s.rowsPredicted, 3);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 4. Range: float32 and z

Deno.test("values beyond float32 and z outside (-1, 3) are rejected with their reason, also under strict", async () => {
  const { dir, modelDir } = await fixture();
  const lines = rows(10);
  lines[1][5] = "1e39";
  lines[2][9] = "-1e300";
  lines[3][0] = "1e39"; // z
  lines[4][0] = "-1"; // z = -1: 1 + z = 0
  lines[5][0] = "3";
  lines[6][0] = "7.5";
  lines[7][0] = "-0.5"; // a blueshift: kept
  lines[8][N_FLUX] = "3.5e38";
  await writeCsv(`${dir}/in.csv`, lines);
  const summary = await predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  const reasons = new Map(summary.firstRejected.map((r) => [r.row, r.reason]));
  assert.deepEqual([...reasons.keys()], [2, 3, 4, 5, 6, 7, 9]);
  for (const row of [2, 3, 4, 9]) assert.match(reasons.get(row)!, /beyond the float32 range/);
  for (const row of [5, 6, 7]) assert.match(reasons.get(row)!, /outside \(-1, 3\)/);
  assert.equal(summary.rowsPredicted, 3);
  assert.ok(Number.isFinite(summary.metrics!.bias), "no infinite dz_norm in the metrics");
  const out = await Deno.readTextFile(`${dir}/out.csv`);
  assert.doesNotMatch(out, /Infinity|NaN/);
  await assert.rejects(
    predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/strict.csv`, { strict: true }),
    (e: Error) => e instanceof CatalogueInputError && /row 2: .*float32/.test(e.message),
  );

  // loadSpectra: the same checks, whatever zRange and outOfRange say.
  await assert.rejects(
    loadSpectra(`${dir}/in.csv`),
    (e: Error) => e instanceof LoadError && e.row === 2 && e.column === 6,
  );
  const lax = await loadSpectra(`${dir}/in.csv`, {
    invalidRows: "reject",
    outOfRange: "keep",
    zRange: [-5, 10],
  });
  assert.deepEqual(lax.report.rejected.map((r) => r.row), [2, 3, 4, 5, 6, 7, 9]);
  assert.ok(lax.data.z.every(Number.isFinite) && lax.data.flux.every(Number.isFinite));

  // Parquet: float64 values beyond float32 are caught the same way.
  const frame = pl.readCSV(`${dir}/in.csv`, { inferSchemaLength: 0 }).select(
    ...HEADER.map((c) => pl.col(c).cast(pl.Float64)),
  );
  frame.writeParquet(`${dir}/in.parquet`);
  const fromParquet = await loadSpectra(`${dir}/in.parquet`, {
    invalidRows: "reject",
    outOfRange: "keep",
    zRange: [-5, 10],
  });
  assert.deepEqual(fromParquet.report.rejected.map((r) => r.row), [2, 3, 4, 5, 6, 7, 9]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 5. Names and quoting

Deno.test("loadSpectra() finds z and the fluxes by name, in any order, in CSV and Parquet", async () => {
  const dir = await Deno.makeTempDir();
  const lines = rows(8);
  await writeCsv(`${dir}/plain.csv`, lines);
  // z last, the fluxes reversed, an id column in the middle.
  const order = [...Array.from({ length: N_FLUX }, (_, j) => N_FLUX - j), 0];
  const header = order.map((j) => HEADER[j]);
  header.splice(50, 0, "id");
  const reordered = lines.map((r, i) => {
    const fields = order.map((j) => r[j]);
    fields.splice(50, 0, `"galaxy ${i}, north"`);
    return fields;
  });
  await writeCsv(`${dir}/reordered.csv`, reordered, header);
  const plain = await loadSpectra(`${dir}/plain.csv`);
  const moved = await loadSpectra(`${dir}/reordered.csv`);
  assert.deepEqual(moved.data.z, plain.data.z);
  assert.deepEqual(moved.data.flux, plain.data.flux);
  assert.deepEqual(moved.report.ignoredColumns, []);
  assert.match(moved.report.layout, /z: "z" \(column 188\)/);
  pl.readCSV(`${dir}/reordered.csv`).writeParquet(`${dir}/reordered.parquet`);
  const parquet = await loadSpectra(`${dir}/reordered.parquet`);
  assert.deepEqual(parquet.data.z, plain.data.z);
  assert.deepEqual(parquet.data.flux, plain.data.flux);

  // A bad value is named by its real column.
  reordered[2][3] = "oops"; // the 4th column: flux_182
  await writeCsv(`${dir}/bad.csv`, reordered, header);
  await assert.rejects(
    loadSpectra(`${dir}/bad.csv`),
    (e: Error) =>
      e instanceof LoadError && e.row === 3 && e.column === 4 &&
      /column 4 \(flux_182\): "oops" is not a number/.test(e.message),
  );
  // Duplicate names, and a file without z, are refused.
  await writeCsv(`${dir}/dup.csv`, lines, ["z", ...FLUX_COLUMNS.slice(0, -1), "flux_0"]);
  await assert.rejects(loadSpectra(`${dir}/dup.csv`), /column "flux_0" appears twice/);
  await writeCsv(`${dir}/noz.csv`, lines.map((r) => r.slice(1)), [...FLUX_COLUMNS]);
  await assert.rejects(loadSpectra(`${dir}/noz.csv`), /no z column/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--z-column or --id-column naming a flux column is refused; quoted ids are read by RFC 4180", async () => {
  const { dir, modelDir } = await fixture();
  const lines = rows(4).map((r, i) => [
    ['"a,b"', '"say ""hi"""', '"two\nlines"', "plain"][i],
    ...r,
  ]);
  await writeCsv(`${dir}/in.csv`, lines, ["id", ...HEADER]);
  for (const options of [{ zColumn: "flux_3" }, { idColumn: "flux_0" }, { idColumn: "z" }]) {
    await assert.rejects(
      predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/out.csv`, options),
      (e: Error) => e instanceof CatalogueInputError && /flux|both/.test(e.message),
      JSON.stringify(options),
    );
  }
  const summary = await predictCatalogue(modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  assert.equal(summary.rowsRead, 4);
  assert.equal(summary.rowsPredicted, 4);
  const out = pl.readCSV(`${dir}/out.csv`, { inferSchemaLength: 0 });
  assert.deepEqual(out.getColumn("id").toArray(), ["a,b", 'say "hi"', "two\nlines", "plain"]);
  await assert.rejects(
    loadSpectra(`${dir}/in.csv`, { zColumn: "flux_9" }),
    /--z-column flux_9: that column is one of the 186 fluxes/,
  );
  // Quoted numbers are numbers; an unclosed quote is a bad row, not a lost file.
  lines[1][5] = '"0.25"';
  lines[3][0] = '"never closed';
  await writeCsv(`${dir}/q.csv`, lines, ["id", ...HEADER]);
  const q = await predictCatalogue(modelDir, `${dir}/q.csv`, `${dir}/out.csv`);
  assert.equal(q.rowsPredicted, 3);
  assert.match(q.firstRejected[0].reason, /never closed/);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 6. Integrity

Deno.test("a model folder whose weights are garbage, NaN or edited is refused, naming the file", async () => {
  const garbage = await fixture();
  const weights = await Deno.readFile(`${garbage.modelDir}/weights.bin`);
  await Deno.writeFile(`${garbage.modelDir}/weights.bin`, crypto.getRandomValues(weights.slice()));
  await assert.rejects(loadModel(garbage.modelDir), /weights\.bin does not match its checksum/);

  // NaN weights with a matching checksum (a run that diverged) are refused too.
  const nan = await fixture();
  const bytes = await Deno.readFile(`${nan.modelDir}/weights.bin`);
  new Float32Array(bytes.buffer).fill(NaN, 10, 20);
  await Deno.writeFile(`${nan.modelDir}/weights.bin`, bytes);
  const config = JSON.parse(await Deno.readTextFile(`${nan.modelDir}/config.json`));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  config.checksums["weights.bin"] = "sha256:" +
    Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(`${nan.modelDir}/config.json`, JSON.stringify(config));
  await assert.rejects(loadModel(nan.modelDir), /weights\.bin holds NaN/);
  // ... and so are they in a folder of the version before checksums.
  delete config.checksums;
  await Deno.writeTextFile(
    `${nan.modelDir}/config.json`,
    JSON.stringify({ ...config, formatVersion: 1 }),
  );
  await assert.rejects(loadModel(nan.modelDir), /weights\.bin holds NaN/);

  const edited = await fixture();
  const scaler = JSON.parse(await Deno.readTextFile(`${edited.modelDir}/scaler.json`));
  scaler.max[0] += 1;
  await Deno.writeTextFile(`${edited.modelDir}/scaler.json`, JSON.stringify(scaler));
  await assert.rejects(loadModel(edited.modelDir), /scaler\.json does not match its checksum/);
  for (const f of [garbage, nan, edited]) await Deno.remove(f.dir, { recursive: true });
});

Deno.test("a scaler of the wrong width is a model-folder error", async () => {
  const { dir, modelDir } = await fixture();
  const config = JSON.parse(await Deno.readTextFile(`${modelDir}/config.json`));
  const scaler = { kind: "min-max", min: [0, 0], max: [1, 1], fittedOn: "x" };
  const text = JSON.stringify(scaler);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  config.checksums["scaler.json"] = "sha256:" +
    Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(`${modelDir}/scaler.json`, text);
  await Deno.writeTextFile(`${modelDir}/config.json`, JSON.stringify(config));
  await assert.rejects(loadModel(modelDir), /scales 2 columns but the network takes 186/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a checkpoint with one flipped byte is refused, not resumed from", async () => {
  const dir = await Deno.makeTempDir();
  const checkpointPath = `${dir}/run.ckpt`;
  const model = buildModel({ ...NARROW, seed: 4 });
  const small = { train: bumpData(40, 3), validation: bumpData(20, 4) };
  const options = { epochs: 1, batchSize: 20, seed: 1, checkpointPath };
  await train(model, small, options);
  const bytes = await Deno.readFile(checkpointPath);
  for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const flipped = bytes.slice();
    flipped[at] ^= 0x10;
    await Deno.writeFile(checkpointPath, flipped);
    await assert.rejects(
      train(model, small, { ...options, epochs: 2 }),
      (e: Error) => e instanceof CheckpointError && /damaged checkpoint|header/.test(e.message),
      `byte ${at}`,
    );
  }
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a prediction that is not a finite number is set aside as a bad row, never written as a result", async () => {
  const dir = await Deno.makeTempDir();
  const model = buildModel({ ...NARROW, seed: 9 });
  const scaler = fitMinMax(bumpData(32, 2).x, "all");
  const lines = rows(4);
  // Fluxes that fit a float32 but overflow the network's sums.
  for (let j = 1; j <= N_FLUX; j++) lines[2][j] = String(j % 2 ? 3e38 : -3e38);
  await writeCsv(`${dir}/in.csv`, lines);
  const summary = await predictCatalogue({ model, scaler }, `${dir}/in.csv`, `${dir}/out.csv`);
  assert.deepEqual(summary.firstRejected.map((r) => r.row), [3]);
  assert.match(summary.firstRejected[0].reason, /prediction is .*not a finite number/);
  assert.equal(summary.rowsPredicted, 3);
  const out = await Deno.readTextFile(`${dir}/out.csv`);
  assert.doesNotMatch(out, /NaN|Infinity/);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 7. Errors of the input are input errors

Deno.test("unreadable, corrupt or oddly typed inputs are input errors, in loadSpectra in every mode too", async () => {
  const { dir, modelDir } = await fixture();
  await Deno.mkdir(`${dir}/folder.csv`);
  await Deno.writeFile(`${dir}/garbage.csv`, crypto.getRandomValues(new Uint8Array(5000)));
  await Deno.writeTextFile(`${dir}/words.csv`, "hello world\nthis is not,a catalogue\n");
  const bad = [`${dir}/folder.csv`, `${dir}/garbage.csv`, `${dir}/words.csv`];
  for (const path of bad) {
    await assert.rejects(predictCatalogue(modelDir, path, `${dir}/o.csv`), CatalogueInputError);
    for (const invalidRows of ["error", "reject"] as const) {
      await assert.rejects(loadSpectra(path, { invalidRows }), LoadError, path);
    }
  }
  // A list-typed id column, and a Parquet file with a damaged page.
  const lines = rows(50);
  const columns: Record<string, unknown> = { id: lines.map((_, i) => [i, i + 1]) };
  HEADER.forEach((c, j) => columns[c] = lines.map((r) => Number(r[j])));
  pl.DataFrame(columns).writeParquet(`${dir}/list.parquet`);
  await assert.rejects(
    predictCatalogue(modelDir, `${dir}/list.parquet`, `${dir}/o.csv`),
    (e: Error) =>
      e instanceof CatalogueInputError && /ids must be text or integers/.test(e.message),
  );
  delete columns.id;
  pl.DataFrame(columns).writeParquet(`${dir}/ok.parquet`, { compression: "uncompressed" });
  const bytes = await Deno.readFile(`${dir}/ok.parquet`);
  bytes.fill(0xff, 200, bytes.length / 2); // the data pages, not the footer
  await Deno.writeFile(`${dir}/broken.parquet`, bytes);
  await assert.rejects(
    predictCatalogue(modelDir, `${dir}/broken.parquet`, `${dir}/o.csv`),
    CatalogueInputError,
  );
  await assert.rejects(loadSpectra(`${dir}/broken.parquet`, { invalidRows: "reject" }), LoadError);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 8. CSV injection

Deno.test("ids that a spreadsheet would run as formulas are neutralised in CSV outputs, kept in Parquet", async () => {
  const dir = await Deno.makeTempDir();
  const ids = ["=1+2", "+cmd", "-x", "@SUM(A1)", "\tx", "-12", "plain"];
  const quoted = (id: string) => `"${id.replace(/"/g, '""')}"`; // quoted: the tab is kept
  const lines = rows(ids.length).map((r, i) => [quoted(ids[i]), ...r]);
  lines[6][3] = "bad"; // a rejected row, to check the rejects file too
  lines[0][3] = "bad";
  await writeCsv(`${dir}/in.csv`, lines, ["id", ...HEADER]);
  await predictCatalogue(shared.modelDir, `${dir}/in.csv`, `${dir}/out.csv`);
  const out = pl.readCSV(`${dir}/out.csv`, { inferSchemaLength: 0 });
  assert.deepEqual(out.getColumn("id").toArray(), ["'+cmd", "'-x", "'@SUM(A1)", "'\tx", "-12"]);
  const rejects = pl.readCSV(`${dir}/out.csv.rejects.csv`, { inferSchemaLength: 0 });
  assert.deepEqual(rejects.getColumn("id").toArray(), ["'=1+2", "plain"]);
  await predictCatalogue(shared.modelDir, `${dir}/in.csv`, `${dir}/out.parquet`);
  const parquet = pl.readParquet(`${dir}/out.parquet`);
  assert.deepEqual(parquet.getColumn("id").toArray(), ["+cmd", "-x", "@SUM(A1)", "\tx", "-12"]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// 9. A signal near the end, during the Parquet conversion, is honoured

Deno.test("an abort that arrives while the last chunk and the Parquet file are finished leaves no output", async () => {
  const dir = await Deno.makeTempDir();
  const { x, y } = bumpData(40, 8);
  await writeSpectra({ n: 40, z: y, flux: x, ids: new Float64Array(40) }, `${dir}/in.csv`);
  await Deno.writeTextFile(`${dir}/out.parquet`, "older output");
  const controller = new AbortController();
  await assert.rejects(
    predictCatalogue(shared.modelDir, `${dir}/in.csv`, `${dir}/out.parquet`, {
      chunkRows: 10,
      signal: controller.signal,
      // After the last chunk is read: the abort lands while predictions and files are finished.
      onProgress: (p) => p.fraction === 1 && setTimeout(() => controller.abort(), 0),
    }),
    CatalogueInterrupted,
  );
  assert.equal(await Deno.readTextFile(`${dir}/out.parquet`), "older output");
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort(),
    ["in.csv", "out.parquet"],
  );
  await Deno.remove(dir, { recursive: true });
});
