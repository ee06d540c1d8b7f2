/**
 * The `cpu-blas` backend's max pooling, forward (MaxPool) and gradient (MaxPoolGrad).
 *
 * NHWC; ties go to the first maximum in window order, NaN never wins, as in tfjs. Windows along
 * one axis of rows (`rowPool`) run here, the network's two-tap pool without a branch on which tap
 * wins; other windows go to `windowPool` of `cpu_kernels.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type CpuBackend,
  f32,
  int32View,
  type KernelArgs,
  type Result,
  take,
  takeZeroed,
} from "./_blas_arrays.ts";
import { windowPool } from "./cpu_kernels.ts";

function poolInfo(xShape: number[], attrs: tf.MaxPoolAttrs | tf.MaxPoolGradAttrs) {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/** A max pool along one axis of rows: windows of `filterWidth`, `strideWidth` apart. */
interface RowPool {
  rows: number;
  inWidth: number;
  outWidth: number;
  inChannels: number;
  filterWidth: number;
  strideWidth: number;
  left: number;
}

/**
 * The pool as windows along one axis of rows, or null: windows along W (height 1; rows = batch ×
 * height), or along H of a width-1 input (rows = batch), the layout tf.layers' maxPooling1d uses.
 */
function rowPool(info: tf.backend_util.Conv2DInfo): RowPool | null {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
  if (
    info.filterHeight === 1 && info.strideHeight === 1 && padInfo.top === 0 &&
    outHeight === inHeight
  ) {
    const { filterWidth, strideWidth } = info;
    const rows = batchSize * inHeight;
    return { rows, inWidth, outWidth, inChannels, filterWidth, strideWidth, left: padInfo.left };
  }
  if (
    inWidth === 1 && outWidth === 1 && info.filterWidth === 1 && info.strideWidth === 1 &&
    padInfo.left === 0
  ) {
    return {
      rows: batchSize,
      inWidth: inHeight,
      outWidth: outHeight,
      inChannels,
      filterWidth: info.filterHeight,
      strideWidth: info.strideHeight,
      left: padInfo.top,
    };
  }
  return null;
}

/**
 * Calls `visit` for each pooling window of `info`: `o` is the window's output offset, and its taps
 * are the inputs at (`rowStart` + w) × channels for w in [`w0`, `w1`).
 */
function eachWindow(
  info: RowPool,
  visit: (o: number, rowStart: number, w0: number, w1: number) => void,
) {
  const { rows, inWidth, inChannels: c, outWidth, filterWidth, strideWidth, left } = info;
  for (let r = 0; r < rows; r++) {
    for (let ow = 0; ow < outWidth; ow++) {
      const start = ow * strideWidth - left;
      visit(
        (r * outWidth + ow) * c,
        r * inWidth,
        Math.max(0, start),
        Math.min(inWidth, start + filterWidth),
      );
    }
  }
}

/** True for the network's pool: two taps, stride two, no padding (each window inside its row). */
function isPairPool({ filterWidth, strideWidth, left }: RowPool): boolean {
  return filterWidth === 2 && strideWidth === 2 && left === 0;
}

/**
 * Max pooling along W of rows (batch × height folded): y = the windows' maxima. The window's taps
 * are the outer loop and the channels the inner one, so every pass reads contiguous memory.
 */
function rowPoolForward(xs: Float32Array, info: RowPool, y: Float32Array) {
  const c = info.inChannels;
  if (isPairPool(info)) {
    // Which tap wins is a coin toss, so finite pairs select the winner's bits with a mask made
    // from the comparison instead of a branch (V8 branches on `a > b ? a : b`); the rare pair with
    // a NaN or an infinity takes the branches that give tfjs's answer.
    const xi = int32View(xs), yi = int32View(y);
    eachWindow(info, (o, rowStart, w0) => {
      const i = (rowStart + w0) * c;
      for (let ch = 0; ch < c; ch++) {
        const a = xs[i + ch], b = xs[i + c + ch];
        if (a - a === 0 && b - b === 0) {
          const second = -(b > a);
          yi[o + ch] = xi[i + ch] ^ ((xi[i + ch] ^ xi[i + c + ch]) & second);
        } else {
          const best = a > -Infinity ? a : -Infinity;
          y[o + ch] = b > best ? b : best;
        }
      }
    });
    return;
  }
  y.fill(-Infinity);
  eachWindow(info, (o, rowStart, w0, w1) => {
    for (let w = w0; w < w1; w++) {
      const i = (rowStart + w) * c;
      for (let ch = 0; ch < c; ch++) {
        const v = xs[i + ch];
        if (v > y[o + ch]) y[o + ch] = v;
      }
    }
  });
}

/** The gradient of {@link rowPoolForward} for windows that do not overlap. */
function rowPoolGradient(xs: Float32Array, info: RowPool, dy: Float32Array, dx: Float32Array) {
  const { rows, inWidth, inChannels: c, outWidth } = info;
  if (isPairPool(info)) {
    // Each window's gradient goes to its first maximum, if any (NaN never wins); every element
    // of dx is written, the ones no window covers 0. As in the forward pass, finite pairs route
    // dy's bits with a mask (no branch on which tap wins: a coin toss).
    const dyi = int32View(dy), dxi = int32View(dx);
    eachWindow(info, (o, rowStart, w0) => {
      const i = (rowStart + w0) * c;
      for (let ch = 0; ch < c; ch++) {
        const a = xs[i + ch], b = xs[i + c + ch];
        if (a - a === 0 && b - b === 0) {
          const second = -(b > a), d = dyi[o + ch];
          dxi[i + c + ch] = d & second;
          dxi[i + ch] = d & ~second;
        } else {
          const d = dy[o + ch];
          const second = b > a || (a !== a && b > -Infinity);
          dx[i + c + ch] = second ? d : 0;
          dx[i + ch] = !second && a > -Infinity ? d : 0;
        }
      }
    });
    for (let r = 0; r < rows; r++) {
      dx.fill(0, (r * inWidth + 2 * outWidth) * c, (r + 1) * inWidth * c);
    }
    return;
  }
  const best = new Float32Array(c), at = new Int32Array(c);
  eachWindow(info, (o, rowStart, w0, w1) => {
    best.fill(-Infinity);
    at.fill(-1);
    for (let w = w0; w < w1; w++) {
      const i = (rowStart + w) * c;
      for (let ch = 0; ch < c; ch++) {
        const v = xs[i + ch];
        if (v > best[ch]) {
          best[ch] = v;
          at[ch] = i + ch;
        }
      }
    }
    for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] = dy[o + ch];
  });
}

export function maxPoolKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolAttrs;
  if (x.dtype !== "float32" || x.shape.length !== 4) return original(args);
  const info = poolInfo(x.shape, attrs);
  if (info.filterWidth === 1 && info.filterHeight === 1) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const y = take(tf.util.sizeFromShape(info.outShape));
  const row = rowPool(info);
  if (row) rowPoolForward(f32(backend, x), row, y);
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
  const size = tf.util.sizeFromShape(input.shape);
  const row = rowPool(info);
  if (row && row.strideWidth >= row.filterWidth) {
    // Windows do not overlap: each input gets at most one gradient, no sum to round.
    const fast = row.filterWidth === 2 && row.strideWidth === 2 && row.left === 0;
    const dx = fast ? take(size) : takeZeroed(size);
    rowPoolGradient(f32(backend, input), row, f32(backend, dy), dx);
    return backend.makeTensorInfo(input.shape, "float32", dx);
  }
  // Overlapping windows: sum in float64 in window order, then round, as the cpu kernel does.
  const dx = new Float64Array(size);
  windowPool(f32(backend, input), info, null, f32(backend, dy), dx);
  return backend.makeTensorInfo(input.shape, "float32", Float32Array.from(dx));
}
