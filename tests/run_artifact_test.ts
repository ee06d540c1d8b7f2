import assert from "node:assert/strict";
import {
  ALPHA_GRID,
  isRunFolder,
  loadAlphaMeans,
  loadRunArtifact,
  runRecordTable,
  saveRunArtifact,
  trainRunFolder,
} from "../lib/runs/run_folder.ts";
import { loadModel } from "../lib/runs/model_folder.ts";
import { buildModel, resolveModelConfig } from "../lib/model.ts";
import { prepareData } from "../lib/prepare.ts";
import { simulateSpectra } from "../lib/mock/simulate.ts";
import { predict, predictPdf } from "../lib/train.ts";
import { pdfBinsOf } from "../lib/model.ts";
import { pdfSummaries } from "../lib/bias/pdf_summary.ts";
import { readTrainingPrior } from "../lib/runs/training_prior.ts";
import { NARROW } from "./_toy_data.ts";
import { redshiftMetrics } from "../lib/metrics.ts";
import { fixed } from "../lib/tables.ts";

const COMPARE_RUNS = new URL("../tools/compare_runs.ts", import.meta.url).pathname;

const run = {
  profile: "smoke",
  command: "deno task main --profile smoke",
  commit: "abc123",
  device: "cpu, requested by option",
  data: "300 mock galaxies",
  galaxies: 300,
  evaluatedEpoch: 2,
  trainingSeconds: 3.5,
  wallSeconds: 5,
  finishedAt: "2026-11-22T00:00:00.000Z",
};
const history = [1, 2, 3].map((epoch) => ({
  epoch,
  loss: 0.01 / epoch,
  mae: 0.05,
  valLoss: 0.01,
  valMae: 0.05,
  learningRate: 0.001,
  seconds: 1,
}));
const test = {
  ids: Float64Array.from([3, 7, 11]),
  zTrue: Float32Array.from([0.1, 0.25, 0.6]),
  zPred: Float32Array.from([0.12, 0.2, 0.41]),
};

Deno.test("saveRunArtifact() and loadRunArtifact() round-trip history, record and predictions", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  assert.equal(await isRunFolder(dir), false);
  await saveRunArtifact(dir, { history, run, test });
  assert.equal(await isRunFolder(dir), true);
  const loaded = await loadRunArtifact(dir);
  assert.deepEqual(loaded.run, run);
  assert.deepEqual(loaded.history, history);
  assert.deepEqual(loaded.test, test);
});

Deno.test("loadRunArtifact() names a missing or damaged file", async () => {
  const dir = await Deno.makeTempDir();
  await saveRunArtifact(dir, { history, run, test });
  const csv = await Deno.readTextFile(`${dir}/predictions.csv`);
  await Deno.writeTextFile(`${dir}/predictions.csv`, csv.replace("0.25", "x"));
  await assert.rejects(loadRunArtifact(dir), /predictions\.csv, row 2: expected three numbers/);
  await Deno.remove(`${dir}/run.json`);
  await assert.rejects(loadRunArtifact(dir), /run\.json is missing/);
  await assert.rejects(
    saveRunArtifact(dir, { history, run, test: { ...test, ids: new Float64Array(2) } }),
    RangeError,
  );
});

Deno.test("trainRunFolder() trains past the evaluated epoch and keeps that epoch's model, also across a resume", async () => {
  const prepared = prepareData(simulateSpectra({ n: 300, seed: 5 }), { seed: 5 });
  const options = {
    profile: "smoke",
    evaluatedEpoch: 1,
    epochs: 3,
    batchSize: 32,
    seed: 5,
    learningRate: 0.001,
    huberDelta: 1,
    modelConfig: resolveModelConfig({ ...NARROW, seed: 4 }),
    data: "300 mock galaxies",
    device: "cpu",
    command: "test",
  };
  const whole = await trainRunFolder(
    await Deno.makeTempDir(),
    buildModel(options.modelConfig),
    prepared,
    options,
  );
  assert.equal(whole.history.length, 3);
  assert.equal(whole.run.evaluatedEpoch, 1);
  assert.equal(whole.run.trainedEpochs, 3);
  const saved = await loadModel(`${whole.dir}/model`);
  assert.equal(saved.history.length, 1);
  assert.deepEqual(whole.test.zPred, await predict(saved.model, prepared.test.x));
  assert.notDeepEqual(
    whole.test.zPred,
    await predict(buildModel(options.modelConfig), prepared.test.x),
  );
  assert.equal(await Deno.stat(`${whole.dir}/training.ckpt`).catch(() => null), null);

  // A sitting cut during epoch 3's end (its checkpoint holds epochs 1–2): the next sitting
  // starts past the evaluated epoch 1.
  const cutAfterEpoch2 = (dir: string) =>
    assert.rejects(
      trainRunFolder(dir, buildModel(options.modelConfig), prepared, {
        ...options,
        onEpochEnd: (log) => {
          if (log.epoch === 3) throw new Error("power cut");
        },
      }),
      /power cut/,
    );
  const dir = await Deno.makeTempDir();
  await cutAfterEpoch2(dir);
  const resumed = await trainRunFolder(dir, buildModel(options.modelConfig), prepared, options);
  assert.equal(resumed.resumedEpochs, 2);
  assert.equal(resumed.run.sittings, 2);
  assert.deepEqual(resumed.history.map((h) => h.valLoss), whole.history.map((h) => h.valLoss));
  assert.deepEqual(resumed.test.zPred, whole.test.zPred);

  // The evaluated model gone before the last sitting: refused, naming the folder.
  const lost = await Deno.makeTempDir();
  await cutAfterEpoch2(lost);
  await Deno.remove(`${lost}/model`, { recursive: true });
  await assert.rejects(
    trainRunFolder(lost, buildModel(options.modelConfig), prepared, options),
    /model/,
  );
});

Deno.test("trainRunFolder() writes a PDF head's test means over the α grid, as predict --alpha gives them", async () => {
  const prepared = prepareData(simulateSpectra({ n: 300, seed: 6 }), { seed: 6 });
  const modelConfig = resolveModelConfig({
    ...NARROW,
    seed: 4,
    pdfBins: { count: 20, zMin: 0, zMax: 0.65 },
  });
  const options = {
    profile: "smoke",
    evaluatedEpoch: 1,
    epochs: 2,
    batchSize: 32,
    seed: 5,
    learningRate: 0.001,
    huberDelta: 1,
    modelConfig,
    data: "300 mock galaxies",
    device: "cpu",
    command: "test",
  };
  const run = await trainRunFolder(
    await Deno.makeTempDir(),
    buildModel(modelConfig),
    prepared,
    options,
  );
  const means = await loadAlphaMeans(run.dir);
  assert.ok(means);
  assert.deepEqual(means.alphas, [...ALPHA_GRID]);
  assert.deepEqual(means.ids, run.test.ids);
  // α = 0 is the mean that predict() returns; each α is what the saved folder's prior gives
  const saved = await loadModel(`${run.dir}/model`);
  const bins = pdfBinsOf(saved.model)!;
  const prior = readTrainingPrior(saved.run, bins)!;
  const probs = await predictPdf(saved.model, prepared.test.x);
  for (const [a, alpha] of ALPHA_GRID.entries()) {
    const expected = pdfSummaries(probs, bins, { prior, alpha }).mean;
    assert.ok(means.means[a].every((m, i) => Math.abs(m - expected[i]) <= 5e-7), `α = ${alpha}`);
  }
  assert.ok(means.means[0].every((m, i) => Math.abs(m - run.test.zPred[i]) < 1e-6));
  assert.ok(means.means[10].some((m, i) => Math.abs(m - means.means[0][i]) > 1e-4));

  // a one-redshift run has none; a damaged file names its row and column
  const plain = await Deno.makeTempDir();
  await saveRunArtifact(plain, { history, run: { ...run.run }, test });
  assert.equal(await loadAlphaMeans(plain), null);

  // compare_runs scores DIR@α by those means; an α off the grid is a usage error, a run without
  // alpha_means.csv an input error
  const compare = async (...runs: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", COMPARE_RUNS, ...runs.flatMap((r) => ["--run", r])],
    }).output();
    return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
  };
  const half = await compare(`half=${run.dir}@0.5`, `zero=${run.dir}`);
  assert.equal(half.code, 0, half.err);
  const mae = (z: ArrayLike<number>) => fixed(redshiftMetrics(run.test.zTrue, z).mae);
  assert.notEqual(mae(means.means[5]), mae(run.test.zPred)); // else the check below cannot fail
  assert.match(half.out, new RegExp(`\\| half +\\|.*\\| ${mae(means.means[5])} \\|`));
  assert.match(half.out, new RegExp(`\\| zero +\\|.*\\| ${mae(run.test.zPred)} \\|`));
  assert.equal((await compare(`x=${run.dir}@0.25`)).code, 2);
  const none = await compare(`x=${plain}@0.5`);
  assert.equal(none.code, 4);
  assert.match(none.err, /no alpha_means\.csv/);
  const csv = await Deno.readTextFile(`${run.dir}/alpha_means.csv`);
  const lines = csv.split("\n");
  lines[2] = lines[2].replace(/,[^,]*$/, ",nan?");
  await Deno.writeTextFile(`${run.dir}/alpha_means.csv`, lines.join("\n"));
  await assert.rejects(loadAlphaMeans(run.dir), /alpha_means\.csv, row 2, column 12: "nan\?"/);
});

Deno.test("runRecordTable() says that a resumed run's commit, device, machine and wall time are its last sitting's", () => {
  const record = {
    profile: "full",
    command: "deno task main --profile full",
    commit: "4bc9305",
    device: "cpu-blas",
    machine: "AMD EPYC",
    data: "mock",
    galaxies: 100,
    evaluatedEpoch: 2,
    trainingSeconds: 60,
    wallSeconds: 30,
    finishedAt: "2026-12-08T00:00:00Z",
  };
  const labels = (sittings: number) =>
    runRecordTable({ ...record, sittings }).split("\n").slice(2).map((row) =>
      row.split("|")[1].trim()
    );
  for (const label of ["commit", "device", "machine", "wall time of the run"]) {
    assert.ok(labels(1).includes(label), label);
  }
  for (const what of ["commit", "device", "machine", "wall time"]) {
    assert.ok(labels(6).includes(`${what} of the last sitting`), what);
  }
});
