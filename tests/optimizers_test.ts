import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend.ts";
import { buildModel } from "../lib/model.ts";
import { createOptimizer, type OptimizerName, OPTIMIZERS } from "../lib/optimizers.ts";
import { evaluate, train } from "../lib/train.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

/** Weights after `steps` updates from a fixed gradient sequence, by our optimiser or tfjs's. */
async function descend(
  update: (variables: tf.Variable[], grads: tf.Tensor[], step: number) => void,
  steps = 5,
): Promise<Float32Array[]> {
  const variables = [tf.variable(tf.tensor2d([[0.5, -1], [2, 0.1]])), tf.variable(tf.zeros([3]))];
  for (let step = 0; step < steps; step++) {
    const grads = [
      tf.mul(tf.tensor2d([[0.3, -0.2], [0.05, 1]]), Math.cos(step)),
      tf.mul(tf.tensor1d([1, -2, 0.5]), step + 1),
    ];
    update(variables, grads, step);
    tf.dispose(grads);
  }
  const out = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
  tf.dispose(variables);
  return out;
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.flatMap((x, i) => [...x].map((v, j) => Math.abs(v - b[i][j]))));
}

Deno.test("Adam and SGD with momentum take the same steps as tfjs's own", async () => {
  const lr = 0.01;
  const ours = (name: OptimizerName) => {
    let optimizer: ReturnType<typeof createOptimizer> | undefined;
    return descend((variables, grads) => {
      optimizer ??= createOptimizer(name, variables, { learningRate: lr });
      optimizer.apply(grads);
    });
  };
  const theirs = (make: () => tf.Optimizer) => {
    const optimizer = make();
    return descend((variables, grads) =>
      optimizer.applyGradients(
        Object.fromEntries(variables.map((v, i) => [v.name, grads[i]])),
      )
    );
  };
  const adam = await ours("adam");
  // tfjs adds ε after the bias correction, Keras (and we) before it: 1e-6 apart here
  assert.ok(maxDifference(adam, await theirs(() => tf.train.adam(lr, 0.9, 0.999, 1e-7))) < 1e-5);
  const sgd = await ours("sgd");
  assert.ok(maxDifference(sgd, await theirs(() => tf.train.momentum(lr, 0.9))) < 1e-6);
  // and they are different rules
  assert.ok(maxDifference(adam, sgd) > 1e-3);
});

Deno.test("an optimiser's state round-trips, and a state of the wrong shape is refused", async () => {
  for (const name of OPTIMIZERS) {
    const variables = [tf.variable(tf.ones([2, 3])), tf.variable(tf.ones([4]))];
    const grads = [tf.fill([2, 3], 0.5), tf.fill([4], -1)];
    const optimizer = createOptimizer(name, variables);
    optimizer.apply(grads);
    const saved = await optimizer.getState();
    optimizer.apply(grads);
    assert.notDeepEqual(await optimizer.getState(), saved, name);
    optimizer.setState(saved);
    assert.deepEqual(await optimizer.getState(), saved, name);
    assert.throws(
      () => optimizer.setState({ ...saved, slots: saved.slots.slice(1) }),
      /slots, expected/,
    );
    assert.throws(
      () =>
        optimizer.setState({
          ...saved,
          slots: saved.slots.map((s) => [s[0], new Float32Array(5)]),
        }),
      new RegExp(`${name} state, slot 0, weight 1: 5 values for 4`),
    );
    optimizer.dispose();
    tf.dispose([...variables, ...grads]);
  }
  assert.throws(() => createOptimizer("rmsprop" as "adam", []), /unknown optimizer "rmsprop"/);
});

const trainSet = bumpData(240, 1);
const validation = bumpData(80, 2);

// Keras's default rates: Adam 0.001, SGD 0.01
for (const [optimizer, learningRate] of [["adam", 0.001], ["sgd", 0.01]] as const) {
  Deno.test(`train() with ${optimizer} learns, and resumes from its checkpoint exactly`, async () => {
    const dir = await Deno.makeTempDir();
    const options = { epochs: 3, batchSize: 16, seed: 8, optimizer, learningRate };
    const whole = buildModel({ ...NARROW, seed: 4 });
    const before = await evaluate(whole, validation);
    const { history } = await train(whole, { train: trainSet, validation }, options);
    assert.ok(
      history[2].valLoss < before.loss / 2,
      `validation loss ${history[2].valLoss} is not well below its start ${before.loss}`,
    );

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
    const resumed = buildModel({ ...NARROW, seed: 4 });
    const result = await train(resumed, { train: trainSet, validation }, {
      ...options,
      checkpointPath,
    });
    assert.equal(result.resumedEpochs, 2);
    assert.deepEqual(
      resumed.getWeights().map((t) => [...t.dataSync()]),
      whole.getWeights().map((t) => [...t.dataSync()]),
    );
    // the checkpoint belongs to this optimiser: another one refuses it
    await assert.rejects(
      train(resumed, { train: trainSet, validation }, {
        ...options,
        optimizer: optimizer === "adam" ? "sgd" : "adam",
        checkpointPath,
      }),
      /written by a different run/,
    );
    whole.dispose();
    resumed.dispose();
  });
}
