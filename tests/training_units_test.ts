import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import {
  Checkpointer,
  EarlyStopping,
  EpochClock,
  resolveEngine,
  resolveOptions,
  type XY,
} from "../lib/training/mod.ts";

await selectBackend({ backend: "cpu" });

/** Data of the given sizes whose values are never read (resolveOptions checks sizes only). */
const sized = (rows: number, length: number) =>
  ({ x: { length: rows * length }, y: { length: rows } }) as unknown as XY;

const FULL_RUN_SHAPES = [
  [5, 1, 256],
  [256],
  [5, 256, 256],
  [256],
  [3, 256, 128],
  [128],
  [2, 128, 64],
  [64],
  [576, 256],
  [256],
  [256, 256],
  [256],
  [256, 128],
  [128],
  [128, 64],
  [64],
  [64, 1],
  [1],
];

Deno.test("resolveOptions() names a run as every checkpoint written so far does (the committed full run's)", () => {
  const o = resolveOptions(
    { epochs: 30, batchSize: 16, seed: 42 },
    { train: sized(327_848, 343), validation: sized(140_506, 343) },
    { length: 343, shapes: FULL_RUN_SHAPES, bins: null },
  );
  // The header of results/runs/full.ckpt (written at a6a1f95 and since): a change here orphans it.
  assert.equal(
    o.fingerprint,
    '{"shapes":[[5,1,256],[256],[5,256,256],[256],[3,256,128],[128],[2,128,64],[64],[576,256],' +
      '[256],[256,256],[256],[256,128],[128],[128,64],[64],[64,1],[1]],"nTrain":327848,' +
      '"nValidation":140506,"batchSize":16,"seed":42,"learningRate":0.001,"huberDelta":1,' +
      '"loss":"huber","optimizer":"adamax","earlyStopping":null}',
  );
  assert.deepEqual(
    [o.loss, o.optimizer, o.progressEvery, o.evaluation.batchSize, o.steps, o.rate(3, 7, 9)],
    [{ name: "huber", delta: 1, bins: null }, "adamax", 50, 1024, 20_491, 0.001],
  );
});

Deno.test("resolveOptions() refuses an unknown loss, early stopping without validation, and mis-sized data", () => {
  const data = { train: sized(10, 4) };
  const model4 = { length: 4, shapes: [], bins: null };
  const base = { epochs: 1, batchSize: 2, seed: 1 };
  // @ts-expect-error: not a loss
  assert.throws(() => resolveOptions({ ...base, loss: "l3" }, data, model4), /unknown loss "l3"/);
  assert.throws(
    () => resolveOptions({ ...base, earlyStopping: { patience: 1 } }, data, model4),
    /early stopping needs validation data/,
  );
  assert.throws(
    () => resolveOptions(base, data, { ...model4, length: 5 }),
    /40 values; 10 targets × 5 samples need 50/,
  );
});

Deno.test("resolveEngine() defaults to chunks of 64 on the CPU, one pass on a GPU, and checks the chunk", () => {
  assert.deepEqual(resolveEngine({}, "cpu-blas"), { gradientChunk: 64, trainingPlan: true });
  assert.equal(resolveEngine({}, "webgpu").gradientChunk, Infinity);
  assert.throws(() => resolveEngine({ gradientChunk: 0 }, "cpu"), /at least 1, got 0/);
});

Deno.test("EarlyStopping counts epochs without an improvement of minDelta, keeps and restores the best weights", async () => {
  const v = tf.variable(tf.tensor1d([1, 2]));
  const stopping = new EarlyStopping({ patience: 2, minDelta: 0.01 });
  await stopping.update(1, 0.5, [v]);
  v.assign(tf.tensor1d([3, 4]));
  await stopping.update(2, 0.495, [v]); // better, but by less than minDelta
  assert.equal(stopping.stopped, false);
  await stopping.update(3, 0.6, [v]);
  assert.equal(stopping.stopped, true);
  assert.equal(stopping.restoreBest([v], 3), 1);
  assert.deepEqual(Array.from(v.dataSync()), [1, 2]);
  const keep = new EarlyStopping({ patience: 1, restoreBestWeights: false });
  await keep.update(1, 0.5, [v]);
  assert.equal(keep.restoreBest([v], 1), 1);
  const none = new EarlyStopping();
  await none.update(1, 0.5, [v]);
  assert.deepEqual([none.stopped, none.state.bestEpoch, none.restoreBest([v], 4)], [false, 0, 4]);
  v.dispose();
});

Deno.test("EpochClock reports the samples done, the rate since this sitting began and the time left", () => {
  const run = { epochs: 3, rows: 100, batchSize: 16, steps: 7 };
  const clock = new EpochClock(run, 2, 3, 40);
  const p = clock.progress(7, 50);
  assert.equal(p.loss, 0.5); // 100 rows (the last batch is short), not 7 × 16
  assert.equal(p.step, 7);
  // the rate counts the 52 samples this sitting did; the time left is one more epoch's 100 rows
  assert.ok(Math.abs(p.secondsLeft - 100 / p.samplesPerSecond) < 1e-9);
  assert.ok(clock.seconds >= 40);
  const log = clock.log({ lossSum: 30, absErrorSum: 2 }, undefined, 0.001);
  assert.deepEqual([log.epoch, log.loss, log.mae, log.valLoss, log.valMae], [
    2,
    0.3,
    0.02,
    NaN,
    NaN,
  ]);
  assert.ok(log.seconds >= 40);
  assert.equal(clock.log({ lossSum: 0, absErrorSum: 0 }, { loss: 1, mae: 2 }, 0).valMae, 2);
});

Deno.test("Checkpointer without a path writes nothing and resumes from nothing", async () => {
  const v = tf.variable(tf.tensor1d([1]));
  const run = { checkpointPath: null, fingerprint: "{}", checkpointEverySeconds: 0 };
  // deno-lint-ignore no-explicit-any
  const saver = new Checkpointer(run, [v], {} as any, new EarlyStopping());
  assert.deepEqual(await saver.resume(), { history: [], partial: null });
  assert.equal(saver.dueWithin(1, 10), false);
  await saver.save([], null);
  v.dispose();
});
