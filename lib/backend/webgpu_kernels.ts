// A faster filter gradient for 1-D convolutions on the WebGPU backend: dW as one matrix product
// of the unrolled input (im2col, a single gather) with the output gradient, 4.5–5× faster on
// llvmpipe than tfjs-backend-webgpu 4.22's one thread per filter weight (docs/performance.md).
// Layers with fewer input channels than the flag below (default 64; 0 turns it off) keep tfjs's
// kernel, faster or no slower for them, as do layouts this does not cover and inputs whose
// unrolled copy would exceed a buffer binding. train() installs it on WebGPU.
import * as tf from "@tensorflow/tfjs-core";
import type { KernelArgs } from "./_blas_arrays.ts";
import { replaceKernel } from "./cpu_kernels.ts";

/** tfjs flag: input channels from which the matrix-product filter gradient is used (0: never). */
export const MATMUL_FILTER_GRAD_FLAG = "REDSHIFT_WEBGPU_MATMUL_FILTER_GRAD_MIN_CHANNELS";

tf.env().registerFlag(MATMUL_FILTER_GRAD_FLAG, () => 64);

let registered = false;
const windows = new Map<string, tf.Tensor2D>();

/** Replaces the WebGPU backend's Conv2DBackpropFilter with the im2col + matmul one (once). */
export function registerFastWebGPUKernels(): void {
  if (registered) return;
  registered = replaceKernel("Conv2DBackpropFilter", "webgpu", (args, original) => {
    return filterGradient(args) ?? original(args);
  });
}

function filterGradient(args: KernelArgs): tf.TensorInfo | null {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const [batch, height, width, inChannels] = x.shape;
  const [fh, kernel, , outChannels] = attrs.filterShape;
  const minChannels = tf.env().getNumber(MATMUL_FILTER_GRAD_FLAG);
  const strides = [attrs.strides].flat();
  const unrolledBytes = 4 * batch * (width - kernel + 1) * kernel * inChannels;
  const limit = (args.backend as unknown as { device: GPUDevice }).device.limits
    .maxStorageBufferBindingSize;
  if (
    minChannels <= 0 || inChannels < minChannels || height !== 1 || fh !== 1 ||
    attrs.dataFormat === "NCHW" || attrs.pad !== "valid" || strides.some((s) => s !== 1) ||
    x.dtype !== "float32" || unrolledBytes > limit
  ) {
    return null;
  }
  const wOut = width - kernel + 1;
  const backend = args.backend as unknown as { incRef(dataId: object): void };
  const engine = tf.engine();
  const dw = tf.tidy(() => {
    // Tensors over the inputs' buffers, with references of their own: the tidy drops them.
    backend.incRef(x.dataId);
    backend.incRef(dy.dataId);
    const xt = engine.makeTensorFromTensorInfo(x) as tf.Tensor4D;
    const dyt = engine.makeTensorFromTensorInfo(dy) as tf.Tensor4D;
    const cols = tf.gather(
      tf.reshape(xt, [batch, width, inChannels]),
      windowIndex(wOut, kernel),
      1,
    );
    const product = tf.matMul(
      tf.reshape(cols, [batch * wOut, kernel * inChannels]),
      tf.reshape(dyt, [batch * wOut, outChannels]),
      true,
    );
    return tf.reshape(product, attrs.filterShape);
  });
  // Hand the result's buffer to the engine, which wraps the returned info in a new tensor.
  backend.incRef(dw.dataId);
  const info = { dataId: dw.dataId, shape: dw.shape, dtype: dw.dtype };
  dw.dispose();
  return info;
}

/** Row t of the result lists the input positions t … t + kernel − 1 that output t sees. */
function windowIndex(wOut: number, kernel: number): tf.Tensor2D {
  const key = `${wOut}:${kernel}`;
  let index = windows.get(key);
  if (!index) {
    const values = Int32Array.from(
      { length: wOut * kernel },
      (_, i) => Math.floor(i / kernel) + i % kernel,
    );
    index = tf.keep(tf.tensor2d(values, [wOut, kernel], "int32"));
    windows.set(key, index);
  }
  return index;
}
