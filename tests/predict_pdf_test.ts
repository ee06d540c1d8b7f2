// `task predict` on a model folder with a PDF head (issue 38): the PDF's summaries per galaxy, the
// α knob read from the folder's training prior, and the refusals, through the library and the
// command line.
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel, pdfBinsOf, resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { predictPdf, train } from "../lib/train.ts";
import { pdfSummaries, trainingPrior } from "../lib/bias/mod.ts";
import { redshiftBins } from "../lib/redshift_bins.ts";
import { loadModel, ModelFolderError, saveModel } from "../lib/runs/model_folder.ts";
import {
  readTrainingPrior,
  TRAINING_PRIOR_KEY,
  trainingPriorRecord,
} from "../lib/runs/training_prior.ts";
import { writeSpectra } from "../lib/data/write_spectra.ts";
import { ENSEMBLE_FILE } from "../lib/uncertainty/ensemble.ts";
import { N_FLUX } from "../lib/spectra.ts";
import {
  CatalogueOptionError,
  checkAlphaFits,
  formatCatalogueSummary,
  PDF_COLUMNS,
  predictCatalogue,
} from "../lib/catalogue/mod.ts";
import { bumpData, NARROW, savedToyModel } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const PDF_BINS = { count: 40, zMin: 0, zMax: 0.65 };
const dir = await Deno.makeTempDir();
const trainSet = bumpData(128, 1);
const scaler = fitMinMax(trainSet.x, "all", { fittedOn: "test rows" });
const modelConfig = resolveModelConfig({ ...NARROW, seed: 6, pdfBins: PDF_BINS });
const model = buildModel(modelConfig);
const bins = pdfBinsOf(model)!;
await train(model, { train: { x: scaler.transform(trainSet.x), y: trainSet.y } }, {
  epochs: 2,
  batchSize: 32,
  seed: 1,
  learningRate: 0.005,
  softLabelWidth: 0.02,
});
const record = trainingPriorRecord(trainSet.y, bins);
// One folder keeps the training prior; one does not (a head trained before the prior was kept).
await saveModel(`${dir}/pdf`, model, {
  modelConfig,
  scaler,
  history: [],
  run: { [TRAINING_PRIOR_KEY]: record },
});
await saveModel(`${dir}/no-prior`, model, { modelConfig, scaler, history: [], run: {} });
const regression = await savedToyModel({ seed: 4, rows: 64, epochs: 0 });

const data = (() => {
  const { x, y } = bumpData(150, 7);
  return { n: 150, z: y, flux: x, ids: Float64Array.from({ length: 150 }, (_, i) => i + 1) };
})();
await writeSpectra(data, `${dir}/in.csv`);
await writeSpectra(data, `${dir}/in.parquet`);
// The reference output: the whole file at the default sizes, α not given.
await predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, `${dir}/whole.csv`);

/** The library's summaries of the PDFs of `data`, rounded to float32 as the output writes them. */
async function expected(alpha = 0) {
  const probs = await predictPdf(model, scaler.transform(data.flux));
  const s = pdfSummaries(probs, bins, {
    prior: alpha ? Float64Array.from(record.shares) : undefined,
    alpha,
  });
  const f32 = (a: Float64Array) => Float32Array.from(a);
  return {
    z_pred: f32(s.mean),
    z_mean: f32(s.mean),
    z_median: f32(s.median),
    z_mode: f32(s.mode),
    z_lo68: f32(s.lower),
    z_hi68: f32(s.upper),
  };
}

async function readCsv(path: string): Promise<Record<string, string[]>> {
  const [header, ...rows] = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) =>
    l.split(",")
  );
  return Object.fromEntries(header.map((name, j) => [name, rows.map((r) => r[j])]));
}

Deno.test("a PDF head writes z_pred (the PDF's mean), z_mean, z_median, z_mode, z_lo68 and z_hi68: pdfSummaries of predictPdf", async () => {
  const summary = await predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, `${dir}/out.csv`);
  const text = await Deno.readTextFile(`${dir}/out.csv`);
  assert.equal(
    text.slice(0, text.indexOf("\n")),
    "id,z_pred,z_mean,z_median,z_mode,z_lo68,z_hi68,z_true,error,dz_norm,ood,n_outside",
  );
  const columns = await readCsv(`${dir}/out.csv`);
  const want = await expected();
  for (const [name, values] of Object.entries(want)) {
    assert.deepEqual(Float32Array.from(columns[name].map(Number)), values, name);
  }
  // The summaries are not all alike: the head learned something, and the interval holds the median.
  assert.ok(new Set(columns.z_median).size > 10);
  for (let i = 0; i < data.n; i++) {
    assert.ok(want.z_lo68[i] < want.z_median[i] && want.z_median[i] < want.z_hi68[i], `row ${i}`);
  }
  assert.equal(summary.rowsPredicted, 150);
  assert.deepEqual(summary.pdf, { ...PDF_BINS, alpha: 0 });
  assert.ok(Math.abs(summary.metrics!.mae - maeOf(want.z_mean)) < 1e-6);
  assert.match(formatCatalogueSummary(summary), /PDF head: 40 bins over \[0, 0\.65\], α = 0/);
});

function maeOf(zPred: Float32Array): number {
  return zPred.reduce((s, z, i) => s + Math.abs(z - data.z[i]), 0) / data.n;
}

Deno.test("a PDF head's output is byte-identical whatever the chunk and batch sizes, and in Parquet", async () => {
  await predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, `${dir}/chunked.csv`, {
    chunkRows: 37,
    batchSize: 8,
  });
  assert.equal(
    await Deno.readTextFile(`${dir}/chunked.csv`),
    await Deno.readTextFile(`${dir}/whole.csv`),
  );
  await predictCatalogue(`${dir}/pdf`, `${dir}/in.parquet`, `${dir}/out.parquet`, {
    chunkRows: 64,
  });
  const frame = pl.readParquet(`${dir}/out.parquet`);
  assert.deepEqual(frame.columns, [
    "id",
    "z_pred",
    ...PDF_COLUMNS,
    "z_true",
    "error",
    "dz_norm",
    "ood",
    "n_outside",
  ]);
  const want = await expected();
  for (const [name, values] of Object.entries(want)) {
    assert.equal(String(frame.getColumn(name).dtype), String(pl.Float32), name);
    assert.deepEqual(Float32Array.from(frame.getColumn(name).toArray() as number[]), values, name);
  }
});

Deno.test("--alpha divides each PDF by the folder's training prior raised to α before summarising it", async () => {
  const loaded = await loadModel(`${dir}/pdf`);
  const prior = readTrainingPrior(loaded.run, pdfBinsOf(loaded.model)!)!;
  assert.deepEqual(prior, trainingPrior(trainSet.y, bins));
  loaded.model.dispose();
  let previous: Float32Array | null = null;
  for (const alpha of [0, 0.5, 1]) {
    const out = `${dir}/alpha-${alpha}.parquet`;
    const summary = await predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, out, { alpha });
    assert.equal(summary.pdf!.alpha, alpha);
    const frame = pl.readParquet(out);
    const want = await expected(alpha);
    for (const [name, values] of Object.entries(want)) {
      assert.deepEqual(Float32Array.from(frame.getColumn(name).toArray() as number[]), values);
    }
    // each α moves the means
    if (previous) assert.notDeepEqual(want.z_mean, previous);
    previous = want.z_mean;
  }
  // α = 0 is the same as no α at all
  await predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, `${dir}/alpha-0.csv`, { alpha: 0 });
  assert.equal(
    await Deno.readTextFile(`${dir}/alpha-0.csv`),
    await Deno.readTextFile(`${dir}/whole.csv`),
  );
  // a loaded model passed in memory takes its prior from its run record
  const again = await loadModel(`${dir}/pdf`);
  await predictCatalogue(again, `${dir}/in.parquet`, `${dir}/in-memory.parquet`, { alpha: 0.5 });
  assert.ok(
    pl.readParquet(`${dir}/in-memory.parquet`).frameEqual(
      pl.readParquet(`${dir}/alpha-0.5.parquet`),
    ),
  );
  again.model.dispose();
});

Deno.test("α outside [0, 1], α for a model without a PDF head, or α > 0 without a prior is refused before any output", async () => {
  const out = `${dir}/refused.csv`;
  for (const alpha of [1.5, -0.1, NaN]) {
    await assert.rejects(
      predictCatalogue(`${dir}/pdf`, `${dir}/in.csv`, out, { alpha }),
      RangeError,
      `α ${alpha}`,
    );
  }
  await assert.rejects(
    predictCatalogue(regression.modelDir, `${dir}/in.csv`, out, { alpha: 0 }),
    (e) => e instanceof CatalogueOptionError && /has no PDF head/.test(e.message),
  );
  await assert.rejects(
    predictCatalogue(`${dir}/no-prior`, `${dir}/in.csv`, out, { alpha: 0.5 }),
    (e) => e instanceof CatalogueOptionError && /keeps no training distribution/.test(e.message),
  );
  // without α, or with α = 0, a folder without a prior predicts
  await predictCatalogue(`${dir}/no-prior`, `${dir}/in.csv`, `${dir}/no-prior.csv`, { alpha: 0 });
  assert.equal(
    await Deno.readTextFile(`${dir}/no-prior.csv`),
    await Deno.readTextFile(`${dir}/whole.csv`),
  );
  const names = await Array.fromAsync(Deno.readDir(dir), (e) => e.name);
  assert.ok(!names.some((n) => n.startsWith("refused")), names.join(", "));
});

Deno.test("checkAlphaFits() refuses from config.json alone, before any weights load", async () => {
  await checkAlphaFits(`${dir}/pdf`, 1);
  await checkAlphaFits(`${dir}/no-prior`, 0);
  await assert.rejects(checkAlphaFits(`${dir}/no-prior`, 0.2), /keeps no training distribution/);
  await assert.rejects(checkAlphaFits(regression.modelDir, 0), /this model has no PDF head/);
  await assert.rejects(checkAlphaFits(`${dir}/pdf`, 2), RangeError);
  const ensemble = `${dir}/ensemble`;
  await Deno.mkdir(ensemble);
  await Deno.writeTextFile(`${ensemble}/${ENSEMBLE_FILE}`, "{}");
  await assert.rejects(checkAlphaFits(ensemble, 0.5), /an ensemble has no PDF head/);
  // a folder it cannot read is left for the load to report (exit 3)
  await checkAlphaFits(`${dir}/missing`, 0.5);
});

Deno.test("readTrainingPrior() reads the record trainingPriorRecord() writes, and refuses one that does not fit the head", async () => {
  assert.equal(readTrainingPrior({}, bins), null);
  assert.deepEqual(
    readTrainingPrior({ trainingPrior: record }, bins),
    trainingPrior(trainSet.y, bins),
  );
  assert.equal(record.galaxies, 128);
  assert.deepEqual(record.bins, PDF_BINS);
  assert.deepEqual([record.smoothing, record.floor], [0.02, 0.001]);
  const bad = (change: Record<string, unknown>) => ({ trainingPrior: { ...record, ...change } });
  assert.throws(() => readTrainingPrior(bad({}), redshiftBins({ count: 41 })), /over 40 bins/);
  assert.throws(() => readTrainingPrior(bad({ shares: [1] }), bins), /list of 40 numbers/);
  const zero = [...record.shares];
  zero[3] = 0;
  assert.throws(() => readTrainingPrior(bad({ shares: zero }), bins), /shares\[3\] is 0/);
  const doubled = record.shares.map((s) => 2 * s);
  assert.throws(() => readTrainingPrior(bad({ shares: doubled }), bins), /sum to 2/);
  assert.throws(() => readTrainingPrior({ trainingPrior: [1, 2] }, bins), /not an object/);
  // A damaged record in a folder is a model-folder error, found when α > 0 needs it.
  await saveModel(`${dir}/bad-prior`, model, {
    modelConfig,
    scaler,
    history: [],
    run: bad({ shares: zero }),
  });
  await assert.rejects(
    predictCatalogue(`${dir}/bad-prior`, `${dir}/in.csv`, `${dir}/bad.csv`, { alpha: 1 }),
    (e) => e instanceof ModelFolderError && /config\.json: run\.trainingPrior/.test(e.message),
  );
});

Deno.test("a PDF that is not finite is set aside as a bad row, never summarised", async () => {
  const { x, y } = bumpData(4, 5);
  // Fluxes that fit a float32 but overflow the network's sums.
  for (let j = 0; j < N_FLUX; j++) x[2 * N_FLUX + j] = j % 2 ? 3e38 : -3e38;
  await writeSpectra({ n: 4, z: y, flux: x, ids: Float64Array.of(1, 2, 3, 4) }, `${dir}/huge.csv`);
  const summary = await predictCatalogue(`${dir}/pdf`, `${dir}/huge.csv`, `${dir}/huge-out.csv`);
  assert.deepEqual(summary.firstRejected.map((r) => r.row), [3]);
  assert.match(summary.firstRejected[0].reason, /not a finite number/);
  assert.equal(summary.rowsPredicted, 3);
  assert.doesNotMatch(await Deno.readTextFile(`${dir}/huge-out.csv`), /NaN|Infinity/);
});

// ---------------------------------------------------------------------------
// The command line

const PREDICT = new URL("../tools/predict.ts", import.meta.url).pathname;

async function run(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PREDICT, ...args],
    env: { REDSHIFT_BACKEND: "cpu" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

Deno.test("predict --alpha: a bad α, or one the model cannot take, is exit 2 in one line before any output; a good one writes the summaries", async () => {
  const base = (
    model: string,
  ) => ["--model", model, "--in", `${dir}/in.csv`, "--out", `${dir}/cli.csv`];
  const cases: [string[], RegExp][] = [
    [[...base(`${dir}/pdf`), "--alpha", "1.5"], /--alpha 1\.5: expected a number from 0 to 1/],
    [[...base(`${dir}/pdf`), "--alpha=-0.1"], /--alpha -0\.1: expected a number from 0 to 1/],
    [[...base(`${dir}/pdf`), "--alpha", "NaN"], /--alpha NaN: expected a number from 0 to 1/],
    [[...base(`${dir}/pdf`), "--alpha", "half"], /--alpha half: expected a number from 0 to 1/],
    [[...base(`${dir}/pdf`), "--alpha", "1e-1"], /--alpha 1e-1: expected a number/],
    [[...base(`${dir}/pdf`), "--alpha", ""], /--alpha : expected a number/],
    [[...base(regression.modelDir), "--alpha", "0"], /--alpha 0: this model has no PDF head/],
    [
      [...base(`${dir}/no-prior`), "--alpha", "0.5"],
      /--alpha 0\.5: the model folder .*no-prior keeps no training distribution of z/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    const what = args.slice(6).join(" ");
    assert.equal(r.code, 2, `${what}: ${r.err}`);
    assert.match(r.err, message, what);
    assert.equal(r.err.trim().split("\n").length, 1, `${what}: one line, got\n${r.err}`);
    assert.doesNotMatch(r.err, /^\s+at /m, what);
  }
  const names = await Array.fromAsync(Deno.readDir(dir), (e) => e.name);
  assert.ok(!names.some((n) => n.startsWith("cli.csv")), names.join(", "));

  const ok = await run([...base(`${dir}/pdf`), "--alpha", "0.5"]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /PDF head: 40 bins over \[0, 0\.65\], α = 0\.5 \(divided by the training/);
  const columns = await readCsv(`${dir}/cli.csv`);
  const want = await expected(0.5);
  for (const [name, values] of Object.entries(want)) {
    assert.deepEqual(Float32Array.from(columns[name].map(Number)), values, name);
  }
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  for (const word of ["--alpha A", "z_median", "z_lo68", "run.trainingPrior"]) {
    assert.ok(help.out.includes(word), word);
  }
});

Deno.test("cleanup", async () => {
  model.dispose();
  regression.model.dispose();
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(regression.dir, { recursive: true });
});
