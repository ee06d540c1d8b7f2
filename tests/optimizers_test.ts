import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel } from "../lib/model.ts";
import { createOptimizer, type OptimizerName, OPTIMIZERS } from "../lib/optimizers/optimizers.ts";
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

Deno.test("train() learns with Adam and with SGD at Keras's default rates", async () => {
  const data = { train: bumpData(240, 1), validation: bumpData(80, 2) };
  for (const [optimizer, learningRate] of [["adam", 0.001], ["sgd", 0.01]] as const) {
    const model = buildModel({ ...NARROW, seed: 4 });
    const before = await evaluate(model, data.validation);
    const { history } = await train(model, data, {
      epochs: 3,
      batchSize: 16,
      seed: 8,
      optimizer,
      learningRate,
    });
    assert.ok(
      history[2].valLoss < before.loss / 2,
      `${optimizer}: validation loss ${
        history[2].valLoss
      } is not well below its start ${before.loss}`,
    );
    model.dispose();
  }
});
