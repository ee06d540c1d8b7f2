/**
 * The `cpu-blas` backend's convolutions: Conv2D, FusedConv2D, Conv2DBackpropInput and
 * Conv2DBackpropFilter along W (the 1-D convolution arrives as a conv2d of height 1, NHWC).
 *
 * They run as a sum over the filter's taps of GEMMs whose A matrix is a strided view of the
 * (padded) input, so no im2col copy is made for wide inputs; inputs with few channels (the first
 * layer's one) use an im2col matrix and one GEMM. The batch is folded into the GEMM's rows.
 * Geometries the plan does not take go to tfjs's own kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type CpuBackend,
  f32,
  type KernelArgs,
  recycle,
  type Result,
  sgemm,
  take,
  takeZeroed,
} from "./_blas_arrays.ts";
import { biasActivate, canBiasActivate } from "./_blas_matmul.ts";

/** Inputs with at most this many channels are convolved through an im2col matrix. */
const IM2COL_MAX_CHANNELS = 32;

/** A convolution along W of rows (batch × height folded), as the kernels here run it. */
interface Conv1DPlan {
  info: tf.backend_util.Conv2DInfo;
  /** Rows: batch × height. */
  rows: number;
  /** Padded width rounded up to a multiple of the stride, and its slots per row (÷ stride). */
  paddedWidth: number;
  slots: number;
  /** GEMM rows: every slot up to the last row's last output. */
  m: number;
}

function planConv(info: tf.backend_util.Conv2DInfo): Conv1DPlan | null {
  const { filterHeight, strideHeight, dilationHeight, padInfo } = info;
  if (filterHeight !== 1 || strideHeight !== 1 || dilationHeight !== 1) return null;
  if (padInfo.top !== 0 || padInfo.bottom !== 0 || info.outHeight !== info.inHeight) return null;
  if (padInfo.left < 0 || padInfo.right < 0) return null;
  const s = info.strideWidth;
  const padded = padInfo.left + info.inWidth + padInfo.right;
  const slots = Math.ceil(padded / s);
  if (info.outWidth < 1 || slots < info.outWidth) return null;
  const rows = info.batchSize * info.inHeight;
  return { info, rows, paddedWidth: slots * s, slots, m: (rows - 1) * slots + info.outWidth };
}

/** The input padded (left, right, up to a multiple of the stride); the input itself if none. */
function padInput(x: Float32Array, plan: Conv1DPlan): Float32Array {
  const { info, rows, paddedWidth } = plan;
  const c = info.inChannels, w = info.inWidth, left = info.padInfo.left;
  if (left === 0 && paddedWidth === w) return x;
  const out = takeZeroed(rows * paddedWidth * c);
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * w * c, (r + 1) * w * c), (r * paddedWidth + left) * c);
  }
  return out;
}

/** dy [rows, outWidth, C] spread to the plan's slots (zeros between rows); dy itself if equal. */
function spreadRows(dy: Float32Array, plan: Conv1DPlan, channels: number): Float32Array {
  const { rows, slots, m } = plan;
  const ow = plan.info.outWidth;
  if (slots === ow) return dy;
  const out = take(m * channels);
  for (let r = 0; r < rows - 1; r++) {
    out.fill(0, (r * slots + ow) * channels, (r + 1) * slots * channels);
  }
  for (let r = 0; r < rows; r++) {
    out.set(dy.subarray(r * ow * channels, (r + 1) * ow * channels), r * slots * channels);
  }
  return out;
}

/** im2col of the padded input: row p holds the filter window of slot p, [m, fw × C]. */
function im2col(xp: Float32Array, plan: Conv1DPlan): Float32Array {
  const { info, m } = plan;
  const c = info.inChannels, fw = info.filterWidth;
  const s = info.strideWidth, d = info.dilationWidth;
  const width = fw * c;
  const cols = take(m * width);
  for (let p = 0; p < m; p++) {
    const at = p * width, from = p * s * c;
    if (d === 1) {
      if (width <= 16) { for (let i = 0; i < width; i++) cols[at + i] = xp[from + i]; }
      else cols.set(xp.subarray(from, from + width), at);
    } else {
      for (let t = 0; t < fw; t++) {
        const src = from + t * d * c, dst = at + t * c;
        for (let i = 0; i < c; i++) cols[dst + i] = xp[src + i];
      }
    }
  }
  return cols;
}

/** y[rows, outWidth, Co] = conv(x, w), or null when the geometry is not one this handles. */
function convForward(
  xs: Float32Array,
  ws: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array | null {
  const plan = planConv(info);
  if (!plan) return null;
  const { m, slots, rows } = plan;
  const ci = info.inChannels, co = info.outChannels, fw = info.filterWidth;
  const s = info.strideWidth, d = info.dilationWidth, ow = info.outWidth;
  const xp = padInput(xs, plan);
  const direct = slots === ow;
  const y = take(direct ? rows * ow * co : m * co);
  if (ci <= IM2COL_MAX_CHANNELS) {
    const cols = im2col(xp, plan);
    sgemm({ m, n: co, k: fw * ci, a: cols, b: ws, c: y });
    recycle(cols);
  } else {
    for (let t = 0; t < fw; t++) {
      const a = xp.subarray(t * d * ci);
      sgemm({
        m,
        n: co,
        k: ci,
        a,
        b: ws.subarray(t * ci * co),
        c: y,
        lda: s * ci,
        beta: t ? 1 : 0,
      });
    }
  }
  if (xp !== xs) recycle(xp);
  if (direct) return y;
  const out = take(rows * ow * co);
  for (let r = 0; r < rows; r++) {
    out.set(y.subarray(r * slots * co, (r * slots + ow) * co), r * ow * co);
  }
  recycle(y);
  return out;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown },
  dilations: number | [number, number],
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

export function conv2dKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  if (attrs.dataFormat === "NCHW" || x.dtype !== "float32" || filter.dtype !== "float32") {
    return original(args);
  }
  const backend = args.backend as unknown as CpuBackend;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
  const y = convForward(f32(backend, x), f32(backend, filter), info);
  if (!y) return original(args);
  return backend.makeTensorInfo(info.outShape, "float32", y);
}

export function fusedConv2dKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const { x, filter, bias } = args.inputs as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo;
  };
  const co = filter.shape[3];
  if (
    attrs.dataFormat === "NCHW" || x.dtype !== "float32" || filter.dtype !== "float32" ||
    !canBiasActivate(bias, co, attrs.activation)
  ) {
    return original(args);
  }
  const backend = args.backend as unknown as CpuBackend;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
  const y = convForward(f32(backend, x), f32(backend, filter), info);
  if (!y) return original(args);
  biasActivate(y, co, bias ? f32(backend, bias) : null, attrs.activation, attrs.leakyreluAlpha);
  return backend.makeTensorInfo(info.outShape, "float32", y);
}

/** A convolution gradient's backend, geometry and GEMM plan, with the sizes its loops use. */
interface GradientSetup {
  backend: CpuBackend;
  info: tf.backend_util.Conv2DInfo;
  plan: Conv1DPlan;
  /** In and out channels, filter width, stride and dilation along W. */
  ci: number;
  co: number;
  fw: number;
  s: number;
  d: number;
}

/**
 * What both convolution gradients start with: the geometry and the GEMM plan, or null where
 * tfjs's own kernel should run (channels-first data, another dtype, a shape the plan cannot take).
 */
function gradientSetup(
  args: KernelArgs,
  attrs: { dataFormat: "NHWC" | "NCHW" } & Parameters<typeof convInfo>[2],
  inputShape: number[],
  filterShape: number[],
  dy: tf.TensorInfo,
  other: tf.TensorInfo,
): GradientSetup | null {
  if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || other.dtype !== "float32") {
    return null;
  }
  const info = convInfo(inputShape, filterShape, attrs, 1);
  const plan = planConv(info);
  if (!plan || !tf.util.arraysEqual(info.outShape, dy.shape)) return null;
  return {
    backend: args.backend as unknown as CpuBackend,
    info,
    plan,
    ci: info.inChannels,
    co: info.outChannels,
    fw: info.filterWidth,
    s: info.strideWidth,
    d: info.dilationWidth,
  };
}

export function conv2dBackpropInputKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const setup = gradientSetup(args, attrs, attrs.inputShape, filter.shape, dy, filter);
  if (!setup) return original(args);
  const { backend, info, plan, ci, co, fw, s, d } = setup;
  const { rows, paddedWidth, m } = plan;
  const w = info.inWidth, left = info.padInfo.left;
  const ws = f32(backend, filter);
  const dyValues = f32(backend, dy);
  const dys = spreadRows(dyValues, plan, co);
  const dxp = takeZeroed(rows * paddedWidth * ci);
  // dx_padded[p·s + t·d] += dy[p] · W_t^T for each tap t.
  for (let t = 0; t < fw; t++) {
    const c = dxp.subarray(t * d * ci);
    sgemm({
      m,
      n: ci,
      k: co,
      a: dys,
      b: ws.subarray(t * ci * co),
      c,
      transposeB: true,
      ldc: s * ci,
      beta: 1,
    });
  }
  if (dys !== dyValues) recycle(dys);
  if (left === 0 && paddedWidth === w) {
    return backend.makeTensorInfo(attrs.inputShape, "float32", dxp);
  }
  const dx = take(rows * w * ci);
  for (let r = 0; r < rows; r++) {
    const from = (r * paddedWidth + left) * ci;
    dx.set(dxp.subarray(from, from + w * ci), r * w * ci);
  }
  recycle(dxp);
  return backend.makeTensorInfo(attrs.inputShape, "float32", dx);
}

export function conv2dBackpropFilterKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const setup = gradientSetup(args, attrs, x.shape, attrs.filterShape, dy, x);
  if (!setup) return original(args);
  const { backend, plan, ci, co, fw, s, d } = setup;
  const { m } = plan;
  const xValues = f32(backend, x), dyValues = f32(backend, dy);
  const xp = padInput(xValues, plan);
  const dys = spreadRows(dyValues, plan, co);
  const dw = take(fw * ci * co);
  if (ci <= IM2COL_MAX_CHANNELS) {
    const cols = im2col(xp, plan);
    sgemm({ m: fw * ci, n: co, k: m, a: cols, b: dys, c: dw, transposeA: true });
    recycle(cols);
  } else {
    // dW_t = X_t^T · dy, X_t the input's rows p·s + t·d.
    for (let t = 0; t < fw; t++) {
      const a = xp.subarray(t * d * ci);
      sgemm({
        m: ci,
        n: co,
        k: m,
        a,
        b: dys,
        c: dw.subarray(t * ci * co),
        transposeA: true,
        lda: s * ci,
      });
    }
  }
  if (xp !== xValues) recycle(xp);
  if (dys !== dyValues) recycle(dys);
  return backend.makeTensorInfo(attrs.filterShape, "float32", dw);
}
