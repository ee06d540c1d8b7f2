// Faster CPU kernels for the two gradients that dominate training on the CPU. tfjs-backend-cpu's
// versions read every element through TensorBuffer.get() in their innermost loops:
// Conv2DBackpropFilter took 1.27 s and MaxPoolGrad 0.11 s of a 1.71 s training step of the
// smoke-profile network (tf.profile, batch 32). These walk the flat arrays in memory order. Results
// match the originals (the filter gradient to float32 rounding: it also sums in float64; max-pool
// ties go to the first maximum, as in the original).
import * as tf from "@tensorflow/tfjs-core";
import {
  convInfo,
  type CpuBackend,
  f32,
  type KernelArgs,
  poolInfo,
  type Result,
} from "./_blas_arrays.ts";

let registered = false;

/** Replaces the CPU backend's Conv2DBackpropFilter and MaxPoolGrad with fast ones (once). */
export function registerFastCpuKernels(): void {
  if (registered) return;
  replaceKernel("Conv2DBackpropFilter", "cpu", conv2dFilterGradient);
  replaceKernel("MaxPoolGrad", "cpu", maxPoolGradient);
  registered = true;
}

/**
 * Replaces `backend`'s kernel `name` with `kernelFunc`, which may call the original; false (and
 * nothing replaced) where the backend has no such kernel.
 */
export function replaceKernel(
  name: string,
  backend: string,
  kernelFunc: (args: KernelArgs, original: tf.KernelFunc) => Result,
): boolean {
  const original = tf.getKernel(name, backend);
  if (!original) return false;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({
    kernelName: name,
    backendName: backend,
    kernelFunc: (args) => kernelFunc(args, original.kernelFunc),
  });
  return true;
}

function maxPoolGradient(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const { dy, input: x } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const backend = args.backend as unknown as CpuBackend;
  const info = poolInfo(x.shape, attrs);
  const xs = f32(backend, x), dys = f32(backend, dy);
  const dx = new Float32Array(xs.length);
  windowPool(xs, info, null, dys, dx);
  return backend.makeTensorInfo(x.shape, "float32", dx);
}

function conv2dFilterGradient(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  // Channels-first layouts are rare here; leave them to the original kernel.
  if (attrs.dataFormat === "NCHW") return original(args);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const backend = args.backend as unknown as CpuBackend;
  const info = convInfo(x.shape, attrs.filterShape, attrs, 1);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const xs = f32(backend, x), dys = f32(backend, dy);
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
