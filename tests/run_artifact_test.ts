import assert from "node:assert/strict";
import { isRunFolder, loadRunArtifact, saveRunArtifact } from "../lib/runs/run_folder.ts";

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
