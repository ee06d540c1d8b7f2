import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../lib/backend/select.ts";
import {
  MATMUL_FILTER_GRAD_FLAG,
  registerFastWebGPUKernels,
} from "../lib/backend/webgpu_kernels.ts";

// Only where a WebGPU adapter exists (llvmpipe counts); elsewhere these tests are skipped.
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
if (adapter) {
  await selectBackend({ backend: "webgpu" });
  registerFastWebGPUKernels();
}

Deno.test({
  name: "the WebGPU matmul filter gradient matches tfjs's own on 1-D convolutions",
  ignore: !adapter,
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
});
