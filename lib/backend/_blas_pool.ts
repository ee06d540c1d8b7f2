/**
 * tfjs's max pooling kernels on `cpu-blas` (MaxPool and MaxPoolGrad, NHWC): windows along one axis
 * of rows that neither overlap nor pass a row's end run in the pooling building blocks of
 * `_pooling.ts`, along W (height 1; rows = batch × height) or along H of a width-1 input (rows =
 * batch), the layout tf.layers' maxPooling1d uses. Other windows go to `windowPool` of
 * `cpu_kernels.ts`, the plain CPU's. Ties go to the first maximum, NaN never wins, as in tfjs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type CpuBackend,
  f32,
  type KernelArgs,
  poolInfo,
  type Result,
  take,
} from "./_blas_arrays.ts";
import { maxPoolRows, poolBiasActivateGradient } from "./_pooling.ts";
import { windowPool } from "./cpu_kernels.ts";

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
