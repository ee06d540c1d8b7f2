// The WebGPU checks. tests/webgpu_test.ts runs them in a process of their own, in its main
// isolate (`deno run`), and asserts on what this prints; that file says why.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { formatBackendReport, selectBackend } from "../lib/backend/select.ts";
import { openBlas } from "../lib/backend/blas.ts";
import {
  MATMUL_FILTER_GRAD_FLAG,
  registerFastWebGPUKernels,
} from "../lib/backend/webgpu_kernels.ts";
import { Adamax } from "../lib/optimizers/optimizers.ts";
import { adamaxConstants, adamaxReference } from "../lib/backend/adamax.ts";
import { buildModel } from "../lib/model.ts";
import { train } from "../lib/train.ts";
import { Random } from "../lib/random.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

/** One check: its test name, whether it needs an adapter, and its body. */
export interface WebGPUCheck {
  name: string;
  needsAdapter: boolean;
  fn: () => Promise<void>;
}

/** What a run of the checks prints, as one line of JSON. */
export interface WebGPUReport {
  /** The adapter's description, or null where none exists. */
  adapter: string | null;
  /** Per check: "ok", "skipped: no adapter", or the failure with its stack. */
  results: Record<string, string>;
}

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

/** In the order they run: the ladder first, while no backend has been chosen. */
export const WEBGPU_CHECKS: WebGPUCheck[] = [
  {
    name: "selectBackend() climbs the ladder: hardware WebGPU, else cpu-blas, else cpu",
    needsAdapter: false,
    fn: async () => {
      const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
      const software = Boolean(
        (adapter?.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
      );
      const report = await selectBackend();
      if (adapter && !software) {
        assert.equal(report.backend, "webgpu");
        assert.ok(report.adapter && report.adapter.length > 0);
      } else {
        const blas = openBlas();
        assert.equal(report.backend, blas.available ? "cpu-blas" : "cpu");
        assert.match(report.reason, adapter ? /software GPU adapter/ : /no GPU adapter/);
        if (blas.available) {
          assert.match(formatBackendReport(report), /^cpu-blas \(.+\), detected: /);
        } else assert.match(report.reason, /BLAS not available: /);
        if (adapter) {
          // A software adapter only when asked for.
          assert.equal((await selectBackend({ backend: "webgpu" })).backend, "webgpu");
        } else {
          await assert.rejects(selectBackend({ backend: "webgpu" }), /no adapter is available/);
        }
      }
      await selectBackend({ backend: "cpu" });
    },
  },
  {
    name: "the WebGPU matmul filter gradient matches tfjs's own on 1-D convolutions",
    needsAdapter: true,
    fn: async () => {
      for (const [b, w, ci, k, co] of [[3, 21, 16, 5, 8], [2, 10, 8, 2, 4], [4, 12, 1, 3, 5]]) {
        const x = tf.randomUniform([b, 1, w, ci], -1, 1, "float32", 1) as tf.Tensor4D;
        const dy = tf.randomUniform([b, 1, w - k + 1, co], -1, 1, "float32", 2) as tf.Tensor4D;
        const run = async (minChannels: number) => {
          tf.env().set(MATMUL_FILTER_GRAD_FLAG, minChannels);
          const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
            strides: 1,
            pad: "valid",
            dataFormat: "NHWC",
            filterShape: [1, k, ci, co],
          }) as tf.Tensor;
          const values = await dw.data();
          dw.dispose();
          return values;
        };
        const before = tf.memory().numTensors;
        const ours = await run(1);
        const theirs = await run(0);
        tf.env().set(MATMUL_FILTER_GRAD_FLAG, 64);
        assert.equal(ours.length, k * ci * co);
        ours.forEach((v, i) =>
          assert.ok(Math.abs(v - theirs[i]) < 1e-5, `${i}: ${v} vs ${theirs[i]}`)
        );
        assert.ok(tf.memory().numTensors <= before + 1); // the cached window index at most
        assert.ok((await x.data()).length > 0); // inputs still alive
        tf.dispose([x, dy]);
      }
    },
  },
  {
    name: "Adamax's WebGPU update matches the JavaScript reference over several steps",
    needsAdapter: true,
    fn: async () => {
      const variables = randomTensors(1, 1).map((t) => tf.variable(t));
      const optimizer = new Adamax(variables);
      const { beta1, beta2, epsilon } = optimizer.config;
      const host = await Promise.all(variables.map(async (v) => ({
        weight: (await v.data() as Float32Array).slice(),
        firstMoment: new Float32Array(v.size),
        infNorm: new Float32Array(v.size),
      })));
      for (let step = 1; step <= 4; step++) {
        const grads = randomTensors(10 + step, step === 3 ? 0 : 0.5); // a zero gradient too
        const rate = 0.001 * step;
        optimizer.apply(grads, rate);
        const stepSize = rate / (1 - Math.pow(beta1, step));
        const constants = adamaxConstants({ stepSize, beta1, beta2, epsilon });
        const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
        host.forEach((h, i) => adamaxReference(h, values[i], h, constants));
        tf.dispose(grads);
        // reading caches a host copy, which the next in-place update must not leave stale
        await Promise.all(variables.map((v) => v.data()));
      }
      const weights = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
      const state = await optimizer.getState();
      assert.equal(state.step, 4);
      assert.ok(maxDifference(weights, host.map((h) => h.weight)) < 1e-6);
      assert.ok(maxDifference(state.slots[0], host.map((h) => h.firstMoment)) < 1e-6);
      assert.ok(maxDifference(state.slots[1], host.map((h) => h.infNorm)) < 1e-6);
      // the weights really moved
      const initial = await Promise.all(
        randomTensors(1, 1).map((t) => t.data() as Promise<Float32Array>),
      );
      assert.ok(maxDifference(weights, initial) > 1e-3);
      optimizer.dispose();
      tf.dispose(variables);
    },
  },
  {
    name: "Adamax's WebGPU update takes one dispatch per weight tensor and resumes from setState",
    needsAdapter: true,
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
  },
  {
    name: "train() on WebGPU ends within float noise of train() on the CPU",
    needsAdapter: true,
    fn: async () => {
      const data = bumpData(96, 1);
      const run = async (backend: "webgpu" | "cpu") => {
        await tf.setBackend(backend);
        const model = buildModel({ ...NARROW, seed: 3 });
        const result = await train(model, { train: data }, { epochs: 2, batchSize: 32, seed: 4 });
        const weights = await Promise.all(
          model.getWeights().map((w) => w.data() as Promise<Float32Array>),
        );
        model.dispose();
        return { weights, loss: result.history.at(-1)!.loss };
      };
      const cpu = await run("cpu");
      const gpu = await run("webgpu");
      assert.ok(maxDifference(gpu.weights, cpu.weights) < 1e-5);
      assert.ok(Math.abs(gpu.loss - cpu.loss) < 1e-5 * Math.max(1, cpu.loss));
    },
  },
];

if (import.meta.main) {
  const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
  const results: Record<string, string> = {};
  for (const check of WEBGPU_CHECKS) {
    if (check.needsAdapter && !adapter) {
      results[check.name] = "skipped: no adapter";
      continue;
    }
    if (check.needsAdapter && tf.getBackend() !== "webgpu") {
      await selectBackend({ backend: "webgpu" });
      registerFastWebGPUKernels();
    }
    try {
      await check.fn();
      results[check.name] = "ok";
    } catch (error) {
      results[check.name] = (error as Error).stack ?? String(error);
    }
  }
  const report: WebGPUReport = { adapter: adapter?.info.description ?? null, results };
  console.log(JSON.stringify(report));
}
