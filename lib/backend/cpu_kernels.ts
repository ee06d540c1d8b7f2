// Faster CPU kernels for the two gradients that dominate training on the CPU.
// tfjs-backend-cpu's versions read every element through TensorBuffer.get()
// in their innermost loops: Conv2DBackpropFilter took 1.27 s and MaxPoolGrad
// 0.11 s of a 1.71 s training step of the smoke-profile network (tf.profile,
// batch 32). These walk the flat arrays in memory order. Results match the
// originals (the filter gradient to float32 rounding: it also sums in float64;
// max-pool ties go to the first maximum, as in the original).
import * as tf from "@tensorflow/tfjs-core";

const { backend_util } = tf;
type Shape4 = [number, number, number, number];

type CpuBackend = {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
};

type KernelArgs = Parameters<tf.KernelFunc>[0];

let registered = false;

/** Replaces the CPU backend's Conv2DBackpropFilter and MaxPoolGrad with fast ones (once). */
export function registerFastCpuKernels(): void {
  if (registered) return;
  replaceCpuKernel("Conv2DBackpropFilter", (args, original) => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    // Channels-first layouts are rare here; leave them to the original kernel.
    if (attrs.dataFormat === "NCHW") return original(args);
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    return conv2dFilterGradient(args.backend as unknown as CpuBackend, x, dy, attrs);
  });
  replaceCpuKernel("MaxPoolGrad", (args) => {
    const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    return maxPoolGradient(args.backend as unknown as CpuBackend, dy, input, attrs);
  });
  registered = true;
}

function replaceCpuKernel(
  name: string,
  kernelFunc: (args: KernelArgs, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[],
): void {
  const original = tf.getKernel(name, "cpu");
  if (!original) return;
  tf.unregisterKernel(name, "cpu");
  tf.registerKernel({
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => kernelFunc(args, original.kernelFunc),
  });
}

function maxPoolGradient(
  backend: CpuBackend,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  attrs: tf.MaxPoolGradAttrs,
): tf.TensorInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const shape = x.shape as Shape4;
  const info = backend_util.computePool2DInfo(shape, filterSize, strides, 1, pad, dimRoundingMode);
  const xs = backend.data.get(x.dataId).values;
  const dys = backend.data.get(dy.dataId).values;
  const dx = new Float32Array(xs.length);
  windowPool(xs, info, null, dys, dx);
  return backend.makeTensorInfo(x.shape, "float32", dx);
}

function conv2dFilterGradient(
  backend: CpuBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const xs = backend.data.get(x.dataId).values;
  const dys = backend.data.get(dy.dataId).values;
  const dw = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * strideHeight + fh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth + fw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOffset = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wOffset = (fh * filterWidth + fw) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xv = xs[xOffset + ci];
              if (xv === 0) continue;
              const row = wOffset + ci * outChannels;
              for (let co = 0; co < outChannels; co++) dw[row + co] += xv * dys[dyOffset + co];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, "float32", Float32Array.from(dw));
}

/**
 * Max pooling over general NHWC windows, for the CPU rungs: with `dy` null it writes each window's
 * maximum to `y`; otherwise it adds `dy` of each window to `dx` at that window's first maximum
 * (tfjs's rule for ties). `dx` may be float64, to sum overlapping windows without rounding.
 */
export function windowPool(
  xs: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  y: Float32Array | null,
  dy: Float32Array | null,
  dx: Float32Array | Float64Array | null,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * strideHeight - top);
      const h1 = Math.min(inHeight, oh * strideHeight - top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * strideWidth - left);
        const w1 = Math.min(inWidth, ow * strideWidth - left + filterWidth);
        const o = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity, at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const i = ((b * inHeight + h) * inWidth + w) * c + ch;
              if (xs[i] > best) {
                best = xs[i];
                at = i;
              }
            }
          }
          if (dy) {
            if (at >= 0) dx![at] += dy[o + ch];
          } else y![o + ch] = best;
        }
      }
    }
  }
}
