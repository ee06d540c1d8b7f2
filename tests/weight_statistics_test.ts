import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { importKerasModel } from "../lib/keras/import.ts";
import { buildModel } from "../lib/model.ts";
import { train } from "../lib/train.ts";
import { looksUntrained, weightStatistics } from "../lib/keras/weight_statistics.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const DISSERTATION_FILE = new URL(
  "../../shared/reference/dissertation/model.keras",
  import.meta.url,
);
const HAS_DISSERTATION_FILE = await Deno.stat(DISSERTATION_FILE).then(() => true, () => false);

Deno.test("weightStatistics() sees a fresh Glorot-uniform draw in a newly built network", () => {
  const model = buildModel({ seed: 3 }); // the full network: large kernels pin the ratios down
  const stats = weightStatistics(model);
  model.dispose();
  assert.deepEqual(stats.map((s) => s.layer), [
    "conv1d_1",
    "conv1d_2",
    "conv1d_3",
    "conv1d_4",
    "dense_1",
    "dense_2",
    "dense_3",
    "dense_4",
    "dense_5",
  ]);
  // conv1d_1: kernel [5, 1, 256], fan_in 5, fan_out 1,280.
  assert.ok(Math.abs(stats[0].glorotLimit - Math.sqrt(6 / 1285)) < 1e-12);
  for (const s of stats) {
    assert.equal(s.maxAbsBias, 0, s.layer);
    assert.ok(
      s.maxAbsOverLimit <= 1 && s.maxAbsOverLimit > 0.9,
      `${s.layer}: ${s.maxAbsOverLimit}`,
    );
  }
  assert.ok(Math.abs(stats[1].stdOverGlorot - 1) < 0.01, `conv1d_2: ${stats[1].stdOverGlorot}`);
  assert.ok(looksUntrained(stats));
});

Deno.test("looksUntrained() is false after one epoch of training, and for inflated kernels", async () => {
  const model = buildModel({ ...NARROW, seed: 4 });
  assert.ok(looksUntrained(weightStatistics(model)));
  await train(model, { train: bumpData(64, 1) }, { epochs: 1, batchSize: 16, seed: 1 });
  const trained = weightStatistics(model);
  model.dispose();
  assert.ok(trained.some((s) => s.maxAbsBias > 0));
  assert.equal(looksUntrained(trained), false);

  const fresh = buildModel({ seed: 5 });
  const stats = weightStatistics(fresh);
  fresh.dispose();
  const inflated = stats.map((s, i) =>
    i === 1 ? { ...s, stdOverGlorot: s.stdOverGlorot * 1.1 } : s
  );
  assert.equal(looksUntrained(inflated), false);
  assert.equal(looksUntrained([]), false);
});

Deno.test({
  name: "the dissertation's published model.keras holds its initial weights, not trained ones",
  ignore: !HAS_DISSERTATION_FILE,
  fn: async () => {
    const { model } = await importKerasModel(DISSERTATION_FILE);
    const stats = weightStatistics(model);
    model.dispose();
    assert.equal(stats.length, 9);
    // Every bias exactly zero, every kernel within its Glorot limit with a uniform's spread.
    assert.ok(stats.every((s) => s.maxAbsBias === 0));
    assert.ok(stats.every((s) => s.maxAbsOverLimit <= 1 + 1e-6));
    assert.ok(looksUntrained(stats));
  },
});
