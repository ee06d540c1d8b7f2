/**
 * The `cpu-blas` backend's GatherV2 along the first axis: a training step's batch, row by row.
 *
 * tfjs's cpu kernel indexes every element through a generic buffer (about 300 ns an element on
 * the 2-core machine: 3.6 ms for a 64-row chunk of spectra); rows are contiguous, so this copies
 * them whole. Other axes, batch dimensions, dtypes and out-of-range indices (whose error is the
 * cpu kernel's) go to the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type CpuBackend, f32, type KernelArgs, type Result, take } from "./_blas_arrays.ts";

/** Rows narrower than this are copied element by element: cheaper than a view and a `set`. */
const LOOP_COPY_WIDTH = 64;

export function gatherV2Kernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  if (x.dtype !== "float32" || indices.dtype !== "int32" || (batchDims ?? 0) !== 0) {
    return original(args);
  }
  if (x.shape.length === 0 || tf.util.parseAxisParam(axis, x.shape)[0] !== 0) {
    return original(args);
  }
  const backend = args.backend as unknown as CpuBackend;
  const rows = backend.data.get(indices.dataId).values as Int32Array;
  const n = x.shape[0];
  for (let k = 0; k < rows.length; k++) {
    if (!(rows[k] >= 0 && rows[k] < n)) return original(args);
  }
  const width = tf.util.sizeFromShape(x.shape.slice(1));
  const xs = f32(backend, x);
  const out = take(rows.length * width);
  for (let k = 0; k < rows.length; k++) {
    const from = rows[k] * width, to = k * width;
    if (width < LOOP_COPY_WIDTH) { for (let i = 0; i < width; i++) out[to + i] = xs[from + i]; }
    else out.set(xs.subarray(from, from + width), to);
  }
  return backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], "float32", out);
}
