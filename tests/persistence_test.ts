import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel, resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { loadModel, saveModel } from "../lib/runs/model_folder.ts";
import { predict } from "../lib/train.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

async function savedModel() {
  const dir = `${await Deno.makeTempDir()}/model`;
  const modelConfig = resolveModelConfig({ ...NARROW, seed: 6 });
  const model = buildModel(modelConfig);
  const { x } = bumpData(12, 3);
  const scaler = fitMinMax(x, "all", { fittedOn: "test rows" });
  const history = [{
    epoch: 1,
    loss: 0.1,
    mae: 0.2,
    valLoss: 0.1,
    valMae: 0.2,
    learningRate: 0.001,
    seconds: 1,
  }];
  await saveModel(dir, model, { modelConfig, scaler, history, run: { seed: 6 } });
  return { dir, model, x, scaler, modelConfig, history };
}

Deno.test("saveModel() and loadModel() round-trip weights, scaler, config and history", async () => {
  const saved = await savedModel();
  const loaded = await loadModel(saved.dir);
  assert.deepEqual(await predict(loaded.model, saved.x), await predict(saved.model, saved.x));
  assert.deepEqual(loaded.scaler.toJSON(), saved.scaler.toJSON());
  assert.deepEqual(loaded.modelConfig, saved.modelConfig);
  assert.deepEqual(loaded.history, saved.history);
  assert.deepEqual(loaded.run, { seed: 6 });
  assert.equal(loaded.model.countParams(), saved.model.countParams());
  const files = [...Deno.readDirSync(saved.dir)].map((e) => e.name).sort();
  assert.deepEqual(files, [
    "config.json",
    "history.json",
    "model.json",
    "scaler.json",
    "weights.bin",
  ]);
});

Deno.test("loadModel() reads a folder saved when ModelConfig still held the recipe", async () => {
  const saved = await savedModel();
  const path = `${saved.dir}/config.json`;
  const config = JSON.parse(await Deno.readTextFile(path));
  config.modelConfig = { ...config.modelConfig, learningRate: 0.002, huberDelta: 0.5 };
  await Deno.writeTextFile(path, JSON.stringify(config));
  const loaded = await loadModel(saved.dir);
  assert.deepEqual(loaded.modelConfig, saved.modelConfig);
  assert.deepEqual(await predict(loaded.model, saved.x), await predict(saved.model, saved.x));
});

Deno.test("saveModel() replaces an existing folder and leaves no temporary files", async () => {
  const saved = await savedModel();
  const other = buildModel({ ...NARROW, seed: 99 });
  await saveModel(saved.dir, other, { ...saved, run: { seed: 99 } });
  const loaded = await loadModel(saved.dir);
  assert.deepEqual(loaded.run, { seed: 99 });
  assert.deepEqual(await predict(loaded.model, saved.x), await predict(other, saved.x));
  const parent = saved.dir.replace(/\/model$/, "");
  assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["model"]);
});

Deno.test("loadModel() names what is wrong with an old, incomplete or damaged folder", async () => {
  await assert.rejects(loadModel("/nonexistent/model"), /no such model folder/);

  const old = await savedModel();
  const config = JSON.parse(await Deno.readTextFile(`${old.dir}/config.json`));
  await Deno.writeTextFile(
    `${old.dir}/config.json`,
    JSON.stringify({ ...config, formatVersion: 0 }),
  );
  await assert.rejects(loadModel(old.dir), /format version 0; this library reads version 2/);

  const missing = await savedModel();
  await Deno.remove(`${missing.dir}/scaler.json`);
  await assert.rejects(loadModel(missing.dir), /scaler\.json is missing/);

  const truncated = await savedModel();
  const weights = await Deno.readFile(`${truncated.dir}/weights.bin`);
  await Deno.writeFile(`${truncated.dir}/weights.bin`, weights.subarray(0, 1000));
  await assert.rejects(
    loadModel(truncated.dir),
    /weights\.bin has 1000 bytes but model\.json describes \d+/,
  );

  const garbled = await savedModel();
  await Deno.writeTextFile(`${garbled.dir}/model.json`, '{"modelTopology": {');
  await assert.rejects(loadModel(garbled.dir), /model\.json does not match its checksum/);
});
