/**
 * tfjs's kernels of the heavy layers on `cpu-blas`, each running the engine's building blocks
 * where it can and tfjs's own kernel (`original`) for anything else:
 *
 * - Conv2D, FusedConv2D and both their gradients, for convolutions along W as the 1-D convolution
 *   arrives (a conv2d of height 1, NHWC): the blocks of `_conv.ts`, run on one row that holds the
 *   whole batch, padded. Outputs whose windows straddle two of the batch's rows are computed and
 *   dropped (or, for the gradients, given a zero gradient).
 * - BatchMatMul and _FusedMatMul as BLAS GEMMs, the batch stacked into one GEMM where B is shared.
 * - MaxPool and MaxPoolGrad (NHWC): windows along one axis of rows that neither overlap nor pass a
 *   row's end run in the pooling blocks of `_pooling.ts`, along W (height 1; rows = batch ×
 *   height) or along H of a width-1 input (rows = batch), the layout tf.layers' maxPooling1d uses;
 *   other windows in `windowPool` of `cpu_kernels.ts`, the plain CPU's.
 *
 * The fused kernels' bias and activation run in `biasActivate` of `_pooling.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  convInfo,
  type CpuBackend,
  f32,
  type KernelArgs,
  poolInfo,
  recycle,
  type Result,
  sgemm,
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
import { biasActivate, maxPoolRows, poolBiasActivateGradient } from "./_pooling.ts";
import { windowPool } from "./cpu_kernels.ts";

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

interface MatMulPlan {
  outShape: number[];
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

function planMatMul(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  if (k !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])) return null;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA), batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  if (tf.util.sizeFromShape(outer) !== Math.max(batchA, batchB)) return null;
  return { outShape: [...outer, m, n], batch: Math.max(batchA, batchB), batchA, batchB, m, n, k };
}

function matMul(
  av: Float32Array,
  bv: Float32Array,
  p: MatMulPlan,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const { batch, batchA, batchB, m, n, k } = p;
  const out = take(batch * m * n);
  if (batchB === 1 && !transposeA) {
    // A's matrices stacked are one (batch·m) × k matrix.
    sgemm({ m: batch * m, n, k, a: av, b: bv, c: out, transposeB });
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ai = av.subarray((batchA === 1 ? 0 : i) * m * k);
    const bi = bv.subarray((batchB === 1 ? 0 : i) * k * n);
    sgemm({ m, n, k, a: ai, b: bi, c: out.subarray(i * m * n), transposeA, transposeB });
  }
  return out;
}

/**
 * _FusedMatMul, and BatchMatMul (no bias, no activation): a GEMM, then the bias and activation
 * where `biasActivate` takes them; tfjs's kernel otherwise.
 */
export function fusedMatMulKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { a, b, bias } = args.inputs as {
    a: tf.TensorInfo;
    b: tf.TensorInfo;
    bias?: tf.TensorInfo;
  };
  const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
  const p = planMatMul(a, b, attrs.transposeA, attrs.transposeB);
  if (!p || !canBiasActivate(bias, p.n, attrs.activation)) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const out = matMul(f32(backend, a), f32(backend, b), p, attrs.transposeA, attrs.transposeB);
  biasActivate(out, p.n, bias ? f32(backend, bias) : null, attrs.activation, attrs.leakyreluAlpha);
  return backend.makeTensorInfo(p.outShape, "float32", out);
}

const ACTIVATIONS = new Set(["linear", "relu", "relu6", "leakyrelu", "elu", "sigmoid"]);

/** Whether {@link biasActivate} handles this bias (a vector of the last dim, or a scalar). */
function canBiasActivate(bias: tf.TensorInfo | undefined, n: number, activation?: string) {
  if (activation !== undefined && !ACTIVATIONS.has(activation)) return false;
  if (!bias) return true;
  if (bias.dtype !== "float32") return false;
  const size = tf.util.sizeFromShape(bias.shape);
  return (size === n && bias.shape.every((d, i) => i === bias.shape.length - 1 || d === 1)) ||
    size === 1;
}

/** The pool as the building blocks run it, with its rows and their stride, or null. */
function rowPooling(info: tf.backend_util.Conv2DInfo) {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, padInfo } = info;
  let rows, inLength, pool, stride, length, start;
  if (info.filterHeight === 1 && info.strideHeight === 1 && outHeight === inHeight) {
    [rows, inLength, length, start] = [batchSize * inHeight, inWidth, outWidth, padInfo.left];
    [pool, stride] = [info.filterWidth, info.strideWidth];
  } else if (inWidth === 1 && outWidth === 1 && info.filterWidth === 1) {
    [rows, inLength, length, start] = [batchSize, inHeight, outHeight, padInfo.top];
    [pool, stride] = [info.filterHeight, info.strideHeight];
  } else return null;
  if (pool !== stride || start !== 0 || length * pool > inLength) return null;
  return { rows, rowStride: inLength * channels, pooling: { pool, length, channels } };
}

export function maxPoolKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolAttrs;
  if (x.dtype !== "float32" || x.shape.length !== 4) return original(args);
  const info = poolInfo(x.shape, attrs);
  if (info.filterWidth === 1 && info.filterHeight === 1) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const y = take(tf.util.sizeFromShape(info.outShape));
  const row = rowPooling(info);
  if (row) maxPoolRows(f32(backend, x), row.rows, row.rowStride, row.pooling, y);
  else windowPool(f32(backend, x), info, y, null, null);
  return backend.makeTensorInfo(info.outShape, "float32", y);
}

export function maxPoolGradKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== "float32" || dy.dtype !== "float32" || input.shape.length !== 4) {
    return original(args);
  }
  const backend = args.backend as unknown as CpuBackend;
  const info = poolInfo(input.shape, attrs);
  const row = rowPooling(info);
  if (row) {
    const dx = take(tf.util.sizeFromShape(input.shape));
    const pooling = { ...row.pooling, activation: "linear" };
    const xs = f32(backend, input), dys = f32(backend, dy);
    poolBiasActivateGradient(xs, row.rows, row.rowStride, pooling, null, dys, dx, null);
    return backend.makeTensorInfo(input.shape, "float32", dx);
  }
  // Windows that overlap sum in float64 in window order, then round, as the cpu kernel does.
  const dx = new Float64Array(tf.util.sizeFromShape(input.shape));
  windowPool(f32(backend, input), info, null, f32(backend, dy), dx);
  return backend.makeTensorInfo(input.shape, "float32", Float32Array.from(dx));
}
