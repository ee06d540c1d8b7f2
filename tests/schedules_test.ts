import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel } from "../lib/model.ts";
import { namedSchedule, warmupSchedule } from "../lib/optimizers/schedules.ts";
import { train } from "../lib/train.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const base = { baseRate: 0.001, baseBatchSize: 16, batchSize: 256, epochs: 10 };

Deno.test("warmupSchedule() ramps up linearly, peaks at the scaled rate and decays by a cosine", () => {
  const rate = warmupSchedule({ ...base, scaling: "linear", warmupEpochs: 2, floor: 0.1 });
  assert.equal(rate.peakRate, 0.016);
  const steps = 50;
  const curve = Array.from(
    { length: 10 * steps },
    (_, i) => rate(Math.floor(i / steps) + 1, i % steps, steps),
  );
  assert.ok(Math.abs(curve[0] - 0.001) < 1e-12);
  // warm-up: equal increments up to the peak at epoch 3's first step
  const increments = curve.slice(1, 2 * steps).map((r, i) => r - curve[i]);
  assert.ok(increments.every((d) => Math.abs(d - 0.015 / (2 * steps)) < 1e-12));
  assert.ok(Math.abs(curve[2 * steps] - 0.016) < 1e-12);
  // decay: never rising, half way down at the middle of the decay, 10 % at the end
  const decay = curve.slice(2 * steps);
  assert.ok(decay.every((r, i) => i === 0 || r <= decay[i - 1]));
  assert.ok(Math.abs(rate(7, 0, steps) - 0.016 * (0.1 + 0.9 * 0.5)) < 1e-12);
  assert.ok(Math.abs(rate(10, steps, steps) - 0.0016) < 1e-12);
});

Deno.test("warmupSchedule() scales linearly by default, by the square root on request, and can stay constant", () => {
  assert.equal(warmupSchedule(base).peakRate, 0.016);
  assert.equal(warmupSchedule({ ...base, scaling: "sqrt" }).peakRate, 0.004);
  assert.equal(warmupSchedule({ ...base, scaling: "none" }).peakRate, 0.001);
  const flat = warmupSchedule({ ...base, scaling: "sqrt", warmupEpochs: 0, decay: "none" });
  assert.deepEqual([flat(1, 0, 10), flat(5, 3, 10), flat(10, 9, 10)], [0.004, 0.004, 0.004]);
  assert.throws(() => warmupSchedule({ ...base, warmupEpochs: 10 }), /warmupEpochs 10/);
  assert.throws(() => warmupSchedule({ ...base, batchSize: 0 }), /batchSize must be positive/);
});

Deno.test("train() follows a schedule, and its checkpoint belongs to that schedule only", async () => {
  const dir = await Deno.makeTempDir();
  const data = { train: bumpData(64, 1), validation: bumpData(32, 2) };
  const schedule = warmupSchedule({ ...base, batchSize: 32, epochs: 3 });
  const model = buildModel({ ...NARROW, seed: 1 });
  const checkpointPath = `${dir}/run.ckpt`;
  const options = { epochs: 3, batchSize: 32, seed: 1, checkpointPath };
  const { history } = await train(model, data, { ...options, learningRate: schedule });
  // the rate at each epoch's last step (2 steps per epoch)
  assert.deepEqual(history.map((h) => h.learningRate), [1, 2, 3].map((e) => schedule(e, 1, 2)));
  // a schedule with other settings is another run, although its code is the same function
  const other = warmupSchedule({ ...base, batchSize: 32, epochs: 3, floor: 0.5 });
  await assert.rejects(
    train(model, data, { ...options, epochs: 4, learningRate: other }),
    /written by a different run/,
  );
  model.dispose();
});

Deno.test("a learning-rate function is named by its recipe: two closures of one code are two runs, a nameless one is refused", async () => {
  const dir = await Deno.makeTempDir();
  const data = { train: bumpData(64, 1) };
  const model = buildModel({ ...NARROW, seed: 1 });
  const options = { epochs: 1, batchSize: 32, seed: 1, checkpointPath: `${dir}/run.ckpt` };
  const constant = (rate: number) => (_epoch: number) => rate; // same code, other closures
  await train(model, data, { ...options, learningRate: namedSchedule("0.001", constant(0.001)) });
  await assert.rejects(
    train(model, data, {
      ...options,
      epochs: 2,
      learningRate: namedSchedule("0.002", constant(0.002)),
    }),
    /written by a different run/,
  );
  await assert.rejects(
    // @ts-expect-error: a plain function has no recipe
    train(model, data, { ...options, learningRate: constant(0.001) }),
    (e) => e instanceof TypeError && /needs a recipe naming it/.test(e.message),
  );
  assert.throws(() => namedSchedule("", constant(0.001)), /needs a recipe/);
  model.dispose();
});
