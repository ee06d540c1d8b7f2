import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel } from "../lib/model.ts";
import { type OptimizerName, OPTIMIZERS } from "../lib/optimizers/optimizers.ts";
import { namedSchedule } from "../lib/optimizers/schedules.ts";
import { evaluate, predict, train, type TrainingProgress } from "../lib/train.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const trainSet = bumpData(240, 1);
const validation = bumpData(80, 2);
const weightsOf = (m: ReturnType<typeof buildModel>) =>
  m.getWeights().map((t) => [...t.dataSync()]);

Deno.test("train() lowers validation loss well below its start, identically for equal seeds", async () => {
  const run = async () => {
    const model = buildModel({ ...NARROW, seed: 11 });
    const before = await evaluate(model, validation);
    const result = await train(model, { train: trainSet, validation }, {
      epochs: 4,
      batchSize: 16,
      seed: 5,
    });
    const weights = weightsOf(model);
    model.dispose();
    return { before, result, weights };
  };
  const first = await run();
  const last = first.result.history.at(-1)!;
  assert.equal(first.result.history.length, 4);
  assert.ok(
    last.valLoss < first.before.loss / 4,
    `validation loss ${last.valLoss} is not well below its start ${first.before.loss}`,
  );
  const second = await run();
  const strip = (h: typeof first.result.history) => h.map(({ seconds: _, ...rest }) => rest);
  assert.deepEqual(strip(second.result.history), strip(first.result.history));
  assert.deepEqual(second.weights, first.weights);
});

// Each optimiser at Keras's default rate.
const RATES: Record<OptimizerName, number> = { adamax: 0.001, adam: 0.001, sgd: 0.01 };
for (const optimizer of OPTIMIZERS) {
  Deno.test(`train() with ${optimizer}, resumed from its checkpoint, ends where an uninterrupted run ends`, async () => {
    const dir = await Deno.makeTempDir();
    const options = {
      epochs: 3,
      batchSize: 32,
      seed: 8,
      optimizer,
      learningRate: RATES[optimizer],
    };
    const whole = buildModel({ ...NARROW, seed: 4 });
    const wholeResult = await train(whole, { train: trainSet, validation }, options);

    const checkpointPath = `${dir}/run.ckpt`;
    const interrupted = buildModel({ ...NARROW, seed: 4 });
    await assert.rejects(
      train(interrupted, { train: trainSet, validation }, {
        ...options,
        checkpointPath,
        onEpochEnd: (log) => {
          if (log.epoch === 2) throw new Error("power cut");
        },
      }),
      /power cut/,
    );
    interrupted.dispose();

    const resumed = buildModel({ ...NARROW, seed: 4 }); // fresh weights, as after a restart
    const resumedResult = await train(resumed, { train: trainSet, validation }, {
      ...options,
      checkpointPath,
    });
    // onEpochEnd runs before the epoch's checkpoint: the cut at epoch 2 leaves epoch 1's
    assert.equal(resumedResult.resumedEpochs, 1);
    assert.deepEqual(weightsOf(resumed), weightsOf(whole));
    assert.deepEqual(
      resumedResult.history.map((h) => h.valLoss),
      wholeResult.history.map((h) => h.valLoss),
    );
    // the checkpoint belongs to this optimiser: another one refuses it
    const another = OPTIMIZERS.find((o) => o !== optimizer)!;
    await assert.rejects(
      train(resumed, { train: trainSet, validation }, {
        ...options,
        optimizer: another,
        checkpointPath,
      }),
      /written by a different run/,
    );
    whole.dispose();
    resumed.dispose();
  });
}

Deno.test("train() stopped twice within epochs resumes at the next step and ends bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const options = { epochs: 3, batchSize: 32, seed: 8 }; // 8 steps an epoch
  const whole = buildModel({ ...NARROW, seed: 4 });
  const wholeResult = await train(whole, { train: trainSet, validation }, options);
  assert.equal(wholeResult.sittings, 1);

  const checkpointPath = `${dir}/run.ckpt`;
  // A power cut after step 3 of epoch 2, then after step 5 of epoch 3; a checkpoint after every step.
  for (const [epoch, step] of [[2, 3], [3, 5]]) {
    const model = buildModel({ ...NARROW, seed: 4 }); // fresh weights, as after a restart
    await assert.rejects(
      train(model, { train: trainSet, validation }, {
        ...options,
        checkpointPath,
        checkpointEverySeconds: 0,
        progressEvery: 1,
        onProgress: (p) => {
          if (p.epoch === epoch && p.step === step) throw new Error("power cut");
        },
      }),
      /power cut/,
    );
    model.dispose();
  }
  const resumed = buildModel({ ...NARROW, seed: 4 });
  const resumedResult = await train(resumed, { train: trainSet, validation }, {
    ...options,
    checkpointPath,
    checkpointEverySeconds: 0,
  });
  assert.equal(resumedResult.sittings, 3);
  assert.equal(resumedResult.resumedEpochs, 2);
  assert.deepEqual(weightsOf(resumed), weightsOf(whole));
  const strip = (h: typeof wholeResult.history) => h.map(({ seconds: _, ...rest }) => rest);
  assert.deepEqual(strip(resumedResult.history), strip(wholeResult.history));
  whole.dispose();
  resumed.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train() refuses a checkpoint from another run and a damaged one", async () => {
  const dir = await Deno.makeTempDir();
  const checkpointPath = `${dir}/run.ckpt`;
  const model = buildModel({ ...NARROW, seed: 4 });
  const small = { train: bumpData(40, 3), validation: bumpData(20, 4) };
  await train(model, small, { epochs: 1, batchSize: 20, seed: 1, checkpointPath });
  await assert.rejects(
    train(model, small, { epochs: 2, batchSize: 10, seed: 1, checkpointPath }),
    /written by a different run/,
  );
  const bytes = await Deno.readFile(checkpointPath);
  await Deno.writeFile(checkpointPath, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(
    train(model, small, { epochs: 2, batchSize: 20, seed: 1, checkpointPath }),
    /truncated checkpoint/,
  );
  model.dispose();
});

Deno.test("train() stops early when validation loss stalls and restores the best weights", async () => {
  const model = buildModel({ ...NARROW, seed: 2 });
  let bestWeights: number[][] = [];
  // A learning rate of zero after epoch 1 freezes the model, so the loss stalls.
  const result = await train(model, { train: bumpData(64, 5), validation: bumpData(32, 6) }, {
    epochs: 10,
    batchSize: 16,
    seed: 3,
    learningRate: namedSchedule("0.001, then 0", (epoch) => (epoch === 1 ? 0.001 : 0)),
    earlyStopping: { patience: 2 },
    onEpochEnd: (log) => {
      if (log.epoch === 1) bestWeights = weightsOf(model);
    },
  });
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.history.length, 3);
  assert.equal(result.bestEpoch, 1);
  assert.deepEqual(weightsOf(model), bestWeights);
  model.dispose();
});

Deno.test("train() reports progress with throughput and time left", async () => {
  const model = buildModel({ ...NARROW, seed: 2 });
  const reports: TrainingProgress[] = [];
  await train(model, { train: bumpData(64, 5) }, {
    epochs: 2,
    batchSize: 16,
    seed: 3,
    progressEvery: 2,
    onProgress: (p) => {
      reports.push(p);
    },
  });
  assert.deepEqual(reports.map((r) => [r.epoch, r.step]), [[1, 2], [1, 4], [2, 2], [2, 4]]);
  assert.ok(reports.every((r) => r.samplesPerSecond > 0 && Number.isFinite(r.loss)));
  assert.equal(reports.at(-1)!.secondsLeft, 0);
  assert.ok(reports.every((r) => Number.isFinite(r.secondsLeft) && r.secondsLeft >= 0));
  model.dispose();
});

Deno.test("predict() returns one redshift per row, the same in any batch size", async () => {
  const model = buildModel({ ...NARROW, seed: 2 });
  const { x } = bumpData(10, 9);
  const a = await predict(model, x, { batchSize: 3 });
  const b = await predict(model, x, { batchSize: 10 });
  assert.equal(a.length, 10);
  assert.deepEqual(a, b);
  await assert.rejects(predict(model, x.subarray(1)), /not rows of 186/);
  model.dispose();
});

Deno.test("train() refuses inputs whose size does not match the targets", async () => {
  const model = buildModel({ ...NARROW, seed: 2 });
  const bad = { x: new Float32Array(186 * 3), y: new Float32Array(4) };
  await assert.rejects(
    train(model, { train: bad }, { epochs: 1, batchSize: 2, seed: 1 }),
    /4 targets × 186/,
  );
  await assert.rejects(
    train(model, { train: bumpData(8, 1) }, {
      epochs: 1,
      batchSize: 2,
      seed: 1,
      earlyStopping: { patience: 1 },
    }),
    /early stopping needs validation data/,
  );
  model.dispose();
});

Deno.test("train() minimises the loss it is given: MSE and MAE as well as Huber", async () => {
  const small = { train: bumpData(64, 5), validation: bumpData(32, 6) };
  const logs = [];
  for (const loss of ["huber", "mse", "mae"] as const) {
    const model = buildModel({ ...NARROW, seed: 2 });
    const { history } = await train(model, small, { epochs: 1, batchSize: 16, seed: 3, loss });
    const check = await evaluate(model, small.validation, { loss });
    assert.ok(Math.abs(check.loss - history[0].valLoss) < 1e-6, `${loss}: ${check.loss}`);
    logs.push(history[0]);
    model.dispose();
  }
  // MSE is twice Huber (δ = 1) for errors below 1, and MAE is the MAE.
  assert.ok(Math.abs(logs[1].valLoss - 2 * logs[0].valLoss) / logs[1].valLoss < 0.5);
  assert.ok(Math.abs(logs[2].valLoss - logs[2].valMae) < 1e-6);
  await assert.rejects(
    train(buildModel(NARROW), small, { epochs: 1, batchSize: 16, seed: 3, loss: "l3" as "mae" }),
    /unknown loss "l3"/,
  );
});

Deno.test("train() sums a batch's gradient chunk by chunk: the whole batch's steps within float noise", async () => {
  // SGD, whose step scales with the gradient (Adamax's would hide a wrongly scaled sum); batches
  // of 60 split unevenly (7 × 8 + 4, 16 × 3 + 12), and one chunk as large as the batch.
  const run = async (gradientChunk: number) => {
    const model = buildModel({ ...NARROW, seed: 6 });
    const { history } = await train(model, { train: trainSet }, {
      epochs: 2,
      batchSize: 60,
      seed: 3,
      optimizer: "sgd",
      learningRate: 0.01,
    }, { gradientChunk });
    const weights = weightsOf(model).flat();
    model.dispose();
    return { losses: history.flatMap((e) => [e.loss, e.mae]), weights };
  };
  const whole = await run(Infinity);
  assert.deepEqual(await run(60), whole, "a chunk as large as the batch is the whole batch");
  for (const chunk of [7, 16]) {
    const chunked = await run(chunk);
    chunked.losses.forEach((v, i) => {
      assert.ok(Math.abs(v - whole.losses[i]) <= 1e-6, `chunk ${chunk}: ${v} ≠ ${whole.losses[i]}`);
    });
    const worst = Math.max(...chunked.weights.map((w, i) => Math.abs(w - whole.weights[i])));
    assert.ok(worst <= 1e-6, `chunk ${chunk}: weights differ by ${worst}`);
    assert.notDeepEqual(chunked.weights, whole.weights, "the sums ran in another order");
  }
  for (const gradientChunk of [0, 2.5, NaN]) {
    await assert.rejects(
      train(buildModel({ ...NARROW, seed: 6 }), { train: trainSet }, {
        epochs: 1,
        batchSize: 60,
        seed: 3,
      }, { gradientChunk }),
      new RegExp(`gradientChunk must be a whole number at least 1, got ${gradientChunk}`),
    );
  }
});
