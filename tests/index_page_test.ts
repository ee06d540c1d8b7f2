// The report's index states what its run trained and evaluated, from the run's record.
import assert from "node:assert/strict";
import { writeIndexPage } from "../tools/_index_page.ts";
import { saveRunArtifact } from "../lib/runs/run_folder.ts";

const epochs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    mae: 0.03,
    valLoss: 1 / (i + 1),
    valMae: 0.03,
    learningRate: 0.001,
    seconds: 10,
  }));

async function indexFor(record: { trainedEpochs?: number }, historyLength: number) {
  const dir = await Deno.makeTempDir();
  await saveRunArtifact(`${dir}/runs/default`, {
    history: epochs(historyLength),
    run: {
      profile: "default",
      command: "deno task main --profile default",
      commit: "abc",
      device: "cpu-blas",
      data: "50000 mock galaxies simulated (seed 2023, simulator 3.0.0)",
      galaxies: 50_000,
      evaluatedEpoch: 20,
      trainingSeconds: 200,
      wallSeconds: 300,
      finishedAt: "2026-12-07T00:00:00.000Z",
      ...record,
    },
    test: {
      ids: Float64Array.from([1, 2]),
      zTrue: Float32Array.from([0.1, 0.2]),
      zPred: Float32Array.from([0.12, 0.18]),
    },
  });
  Deno.env.set("REDSHIFT_PROFILE", "default");
  await writeIndexPage(dir, []);
  return Deno.readTextFile(`${dir}/index.html`);
}

Deno.test("the index quotes the epochs its run trained and evaluated, from the record", async () => {
  const extended = await indexFor({ trainedEpochs: 30 }, 30);
  assert.match(extended, /the model of epoch 20 evaluated \(30 epochs trained\)/);
  // a run trained only to its evaluated epoch: no "30 trained", whatever the profile says
  const plain = await indexFor({}, 20);
  assert.match(plain, /20 epochs trained and evaluated/);
  assert.doesNotMatch(plain, /30 (epochs )?trained/);
});

Deno.test("the index's headline names the mock in the sentence of the test MAE", async () => {
  const html = await indexFor({ trainedEpochs: 30 }, 30);
  const sentence = /Test MAE <b>[^]*?real galaxies\./.exec(html)?.[0] ?? "";
  assert.match(sentence, /mock/);
  assert.match(html, /calibrated/);
});
