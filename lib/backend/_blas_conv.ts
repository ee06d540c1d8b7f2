/**
 * tfjs's convolution kernels on `cpu-blas` (Conv2D, FusedConv2D, Conv2DBackpropInput,
 * Conv2DBackpropFilter) for convolutions along W, as the 1-D convolution arrives (a conv2d of
 * height 1, NHWC): the building blocks of `_conv.ts`, run on one row that holds the whole batch,
 * padded. Outputs whose windows straddle two of the batch's rows are computed and dropped (or, for
 * the gradients, given a zero gradient). Other geometries go to tfjs's own kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  convInfo,
  type CpuBackend,
  f32,
  type KernelArgs,
  recycle,
  type Result,
  take,
} from "./_blas_arrays.ts";
import {
  type Convolution,
  convolve,
  convolveFilterGradient,
  convolveInputGradient,
  copiesWindows,
  copyWindows,
  windowRowLength,
} from "./_conv.ts";
import { canBiasActivate } from "./_blas_matmul.ts";
import { biasActivate } from "./_pooling.ts";

/** A tfjs convolution as the building blocks run it: the batch's rows in one padded row. */
interface BatchConvolution {
  info: tf.backend_util.Conv2DInfo;
  /** One row of all `rows` rows (batch × height), each padded to `slots` × stride positions. */
  conv: Convolution;
  rows: number;
  slots: number;
}

function batchConvolution(info: tf.backend_util.Conv2DInfo): BatchConvolution | null {
  const { filterHeight, strideHeight, dilationHeight, padInfo } = info;
  if (filterHeight !== 1 || strideHeight !== 1 || dilationHeight !== 1) return null;
  if (padInfo.top !== 0 || padInfo.bottom !== 0 || info.outHeight !== info.inHeight) return null;
  if (padInfo.left < 0 || padInfo.right < 0) return null;
  const stride = info.strideWidth;
  const slots = Math.ceil((padInfo.left + info.inWidth + padInfo.right) / stride);
  if (info.outWidth < 1 || slots < info.outWidth) return null;
  const rows = info.batchSize * info.inHeight;
  const conv = {
    taps: info.filterWidth,
    inChannels: info.inChannels,
    channels: info.outChannels,
    inLength: rows * slots * stride,
    convLength: (rows - 1) * slots + info.outWidth,
    stride,
    dilation: info.dilationWidth,
  };
  return { info, conv, rows, slots };
}

/** Copies `rows` rows of `width` floats, `fromStride` apart in `from`, `toStride` apart to `to`. */
function copyRows(
  rows: number,
  width: number,
  from: Float32Array,
  fromStride: number,
  to: Float32Array,
  toStride: number,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    to.set(from.subarray(r * fromStride, r * fromStride + width), r * toStride);
  }
  return to;
}

/** The input padded (left, right, up to a multiple of the stride); the input itself if none. */
function padInput(x: Float32Array, { info, rows, slots, conv }: BatchConvolution): Float32Array {
  const c = info.inChannels, w = info.inWidth * c, padded = slots * conv.stride! * c;
  if (info.padInfo.left === 0 && padded === w) return x;
  const out = take(rows * padded).fill(0);
  copyRows(rows, w, x, w, out.subarray(info.padInfo.left * c), padded);
  return out;
}

/** The batch's rows of outputs [rows, outWidth, C] from `y` (rows `slots` apart), or `y` itself. */
function packRows(y: Float32Array, { info, rows, slots }: BatchConvolution): Float32Array {
  const ow = info.outWidth, co = info.outChannels;
  if (slots === ow) return y;
  const out = copyRows(rows, ow * co, y, slots * co, take(rows * ow * co), ow * co);
  recycle(y);
  return out;
}

/** dy [rows, outWidth, C] spread to rows `slots` apart, zeros between; dy itself if equal. */
function spreadRows(dy: Float32Array, { info, rows, slots, conv }: BatchConvolution): Float32Array {
  const ow = info.outWidth, co = info.outChannels;
  if (slots === ow) return dy;
  return copyRows(rows, ow * co, dy, ow * co, take(conv.convLength * co).fill(0), slots * co);
}

/** The window matrix of the padded input `xp`, where the convolution copies one. */
function windowsOf(xp: Float32Array, { conv }: BatchConvolution): Float32Array {
  if (!copiesWindows(conv)) return new Float32Array(0);
  const windows = take(windowRowLength(conv));
  copyWindows(conv, 1, xp, windows);
  return windows;
}

/**
 * FusedConv2D with a bias and activation that `biasActivate` takes, and Conv2D (neither): y =
 * conv(x, w), then (fused) its bias and activation; tfjs's kernel for a geometry left to it.
 */
export function fusedConv2dKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const { x, filter, bias } = args.inputs as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo;
  };
  const co = filter.shape[3];
  if (
    !canBiasActivate(bias, co, attrs.activation) || attrs.dataFormat === "NCHW" ||
    x.dtype !== "float32" || filter.dtype !== "float32"
  ) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const batch = batchConvolution(convInfo(x.shape, filter.shape, attrs, attrs.dilations));
  if (!batch) return original(args);
  // convolve fills the window matrix, where it copies one
  const xs = f32(backend, x), xp = padInput(xs, batch), windows = take(windowRowLength(batch.conv));
  const product = take(batch.conv.convLength * batch.conv.channels);
  convolve(batch.conv, 1, xp, f32(backend, filter), product, windows);
  if (xp !== xs) recycle(xp);
  recycle(windows);
  const y = packRows(product, batch);
  biasActivate(y, co, bias ? f32(backend, bias) : null, attrs.activation, attrs.leakyreluAlpha);
  return backend.makeTensorInfo(batch.info.outShape, "float32", y);
}

/**
 * What both gradients start with: the geometry, or null where tfjs's own kernel should run
 * (channels-first data, another dtype, a shape the building blocks do not take).
 */
function gradientSetup(
  attrs: { dataFormat: "NHWC" | "NCHW" } & Parameters<typeof convInfo>[2],
  inputShape: number[],
  filterShape: number[],
  dy: tf.TensorInfo,
  other: tf.TensorInfo,
): BatchConvolution | null {
  if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || other.dtype !== "float32") {
    return null;
  }
  const info = convInfo(inputShape, filterShape, attrs, 1);
  return tf.util.arraysEqual(info.outShape, dy.shape) ? batchConvolution(info) : null;
}

export function conv2dBackpropInputKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const batch = gradientSetup(attrs, attrs.inputShape, filter.shape, dy, filter);
  if (!batch) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const { info, rows, slots, conv } = batch;
  const ci = info.inChannels, w = info.inWidth, left = info.padInfo.left;
  const dyValues = f32(backend, dy), dys = spreadRows(dyValues, batch);
  const dxp = take(conv.inLength * ci);
  convolveInputGradient(conv, 1, dys, f32(backend, filter), dxp, null);
  if (dys !== dyValues) recycle(dys);
  const padded = slots * conv.stride! * ci;
  let dx = dxp;
  if (left !== 0 || padded !== w * ci) {
    dx = copyRows(rows, w * ci, dxp.subarray(left * ci), padded, take(rows * w * ci), w * ci);
    recycle(dxp);
  }
  return backend.makeTensorInfo(attrs.inputShape, "float32", dx);
}

export function conv2dBackpropFilterKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const batch = gradientSetup(attrs, x.shape, attrs.filterShape, dy, x);
  if (!batch) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const xValues = f32(backend, x), dyValues = f32(backend, dy);
  const xp = padInput(xValues, batch), dys = spreadRows(dyValues, batch);
  const windows = windowsOf(xp, batch);
  const dw = take(tf.util.sizeFromShape(attrs.filterShape));
  convolveFilterGradient(batch.conv, 1, xp, windows, dys, dw, false);
  for (const scratch of [xp, dys, windows]) {
    if (scratch !== xValues && scratch !== dyValues) recycle(scratch);
  }
  return backend.makeTensorInfo(attrs.filterShape, "float32", dw);
}
