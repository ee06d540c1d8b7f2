import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { registerFastCpuKernels } from "../lib/backend/cpu_kernels.ts";

// The reference: tfjs-backend-cpu's own kernels, captured before replacement.
const reference = {
  filter: tf.getKernel("Conv2DBackpropFilter", "cpu")!.kernelFunc,
  maxPool: tf.getKernel("MaxPoolGrad", "cpu")!.kernelFunc,
};
await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner

function run(
  kernel: tf.KernelFunc,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): Float32Array {
  const out = kernel(
    { inputs, backend: tf.backend(), attrs } as Parameters<tf.KernelFunc>[0],
  ) as tf.TensorInfo;
  const tensor = tf.engine().makeTensorFromTensorInfo(out);
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
}

const cases = [
  { x: [3, 1, 40, 4], filter: [1, 5, 4, 6], strides: 1, pad: "valid" },
  { x: [2, 1, 17, 3], filter: [1, 2, 3, 5], strides: 1, pad: "same" },
  { x: [2, 9, 11, 2], filter: [3, 3, 2, 4], strides: 2, pad: "same" },
] as const;

Deno.test("the fast Conv2DBackpropFilter agrees with tfjs's own kernel", () => {
  registerFastCpuKernels();
  const fast = tf.getKernel("Conv2DBackpropFilter", "cpu")!.kernelFunc;
  for (const c of cases) {
    const x = tf.relu(tf.randomNormal([...c.x], 0, 1, "float32", 1)); // zeros, as after ReLU
    const y = tf.conv2d(x as tf.Tensor4D, tf.zeros([...c.filter]) as tf.Tensor4D, c.strides, c.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", 2);
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape: [...c.filter],
    };
    const want = run(reference.filter, { x, dy }, attrs);
    const got = run(fast, { x, dy }, attrs);
    assert.notEqual(fast, reference.filter);
    assert.ok(
      want.every((v, i) => Math.abs(v - got[i]) <= 1e-5 * (1 + Math.abs(v))),
      JSON.stringify(c),
    );
    tf.dispose([x, y, dy]);
  }
});

Deno.test("the fast MaxPoolGrad agrees with tfjs's own kernel, ties included", () => {
  registerFastCpuKernels();
  const fast = tf.getKernel("MaxPoolGrad", "cpu")!.kernelFunc;
  for (
    const [shape, size, stride, pad] of [[[2, 1, 19, 3], [1, 2], [1, 2], "valid"], [
      [1, 7, 7, 2],
      3,
      2,
      "same",
    ]] as const
  ) {
    // Rounded values make ties common, as zeros after ReLU do.
    const input = tf.round(tf.randomUniform([...shape], 0, 3, "float32", 3));
    const output = tf.maxPool(
      input as tf.Tensor4D,
      size as [number, number],
      stride as [number, number],
      pad,
    );
    const dy = tf.randomNormal(output.shape, 0, 1, "float32", 4);
    const attrs = { filterSize: size, strides: stride, pad };
    const want = run(reference.maxPool, { dy, input, output }, attrs);
    assert.deepEqual(run(fast, { dy, input, output }, attrs), want);
    tf.dispose([input, output, dy]);
  }
});
