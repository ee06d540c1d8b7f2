import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import { Adamax } from "../lib/optimizers/adamax.ts";
import { buildModel } from "../lib/model.ts";
import { train } from "../lib/train.ts";
import { Random } from "../lib/random.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

// Only where a WebGPU adapter exists (llvmpipe counts); elsewhere these tests are skipped.
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
if (adapter) await selectBackend({ backend: "webgpu" });
const ignore = !adapter;

const SHAPES = [[5, 1, 16], [16], [1], [300, 7], [100_003]];

function randomTensors(seed: number, scale: number): tf.Tensor[] {
  const random = new Random(seed);
  return SHAPES.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      Float32Array.from({ length: n }, () => scale * (2 * random.uniform() - 1)),
      shape,
    );
  });
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => x.forEach((v, j) => worst = Math.max(worst, Math.abs(v - b[i][j]))));
  return worst;
}

Deno.test({
  name: "Adamax's fused WebGPU update matches the element-wise update over several steps",
  ignore,
  fn: async () => {
    const run = async (fused: boolean) => {
      const variables = randomTensors(1, 1).map((t) => tf.variable(t));
      const optimizer = new Adamax(variables, { fused });
      for (let step = 0; step < 4; step++) {
        const grads = randomTensors(10 + step, step === 2 ? 0 : 0.5); // a zero gradient too
        optimizer.apply(grads, 0.001 * (step + 1));
        tf.dispose(grads);
        // reading caches a host copy, which the next in-place update must not leave stale
        await Promise.all(variables.map((v) => v.data()));
      }
      const weights = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
      const state = await optimizer.getState();
      optimizer.dispose();
      tf.dispose(variables);
      return { weights, state };
    };
    const reference = await run(false);
    const fused = await run(true);
    assert.equal(fused.state.step, 4);
    assert.ok(maxDifference(fused.weights, reference.weights) < 1e-6);
    assert.ok(maxDifference(fused.state.slots[0], reference.state.slots[0]) < 1e-6);
    assert.ok(maxDifference(fused.state.slots[1], reference.state.slots[1]) < 1e-6);
    // the weights really moved
    const initial = await Promise.all(
      randomTensors(1, 1).map((t) => t.data() as Promise<Float32Array>),
    );
    assert.ok(maxDifference(fused.weights, initial) > 1e-3);
  },
});

Deno.test({
  name:
    "Adamax's fused WebGPU update takes one dispatch per weight tensor and resumes from setState",
  ignore,
  fn: async () => {
    const variables = randomTensors(2, 1).map((t) => tf.variable(t));
    const grads = randomTensors(3, 0.5);
    const optimizer = new Adamax(variables);
    optimizer.apply(grads); // uploads and compiles
    const saved = await optimizer.getState();
    let dispatches = 0;
    const dispatch = GPUComputePassEncoder.prototype.dispatchWorkgroups;
    GPUComputePassEncoder.prototype.dispatchWorkgroups = function (
      this: GPUComputePassEncoder,
      ...a: Parameters<typeof dispatch>
    ) {
      dispatches++;
      return dispatch.apply(this, a);
    };
    try {
      optimizer.apply(grads);
      await variables[0].data();
    } finally {
      GPUComputePassEncoder.prototype.dispatchWorkgroups = dispatch;
    }
    assert.equal(dispatches, SHAPES.length);
    const after = await optimizer.getState();
    optimizer.setState(saved);
    const again = await optimizer.getState();
    assert.deepEqual(again.slots, saved.slots);
    assert.notDeepEqual(after.slots, saved.slots);
    optimizer.dispose();
    tf.dispose([...variables, ...grads]);
  },
});

Deno.test({
  name: "train() on WebGPU ends at the same weights with the fused update as without it",
  ignore,
  fn: async () => {
    const data = bumpData(96, 1);
    const run = async (fusedUpdate: boolean) => {
      const model = buildModel({ ...NARROW, seed: 3 });
      const result = await train(model, { train: data }, {
        epochs: 2,
        batchSize: 32,
        seed: 4,
        fusedUpdate,
      });
      const weights = await Promise.all(
        model.getWeights().map((w) => w.data() as Promise<Float32Array>),
      );
      model.dispose();
      return { weights, loss: result.history.at(-1)!.loss };
    };
    const reference = await run(false);
    const fused = await run(true);
    assert.ok(maxDifference(fused.weights, reference.weights) < 1e-5);
    assert.ok(Math.abs(fused.loss - reference.loss) < 1e-5 * Math.max(1, reference.loss));
  },
});
