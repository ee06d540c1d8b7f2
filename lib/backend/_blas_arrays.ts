/**
 * The arrays of the `cpu-blas` backend's kernels: which float32 arrays the backend alone holds
 * (`privateArrays`), the pool of disposed tensors' arrays the kernels take their outputs and
 * scratch from (`take`, `recycle`), and what every kernel module shares (the BLAS, a tensor's
 * values, the backend's types, tfjs's convolution and pooling geometry), apart from
 * `blas_backend.ts` so that the kernel modules need not import it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Blas, Gemm } from "./blas.ts";

/** The backend's name in tfjs. */
export const BLAS_BACKEND = "cpu-blas";

export type Values = Float32Array | Int32Array | Uint8Array;
export type CpuBackend = {
  data: { get(id: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
};
export type KernelArgs = Parameters<tf.KernelFunc>[0];
export type Result = tf.TensorInfo | tf.TensorInfo[];

let blas: Blas | null = null;

/** Sets the BLAS that {@link sgemm} hands the kernels (`registerBlasBackend` opens it). */
export function setBlas(opened: Blas) {
  blas = opened;
}

/**
 * Float32 arrays handed out by {@link privateFloat32} that no one has read out since: the backend
 * alone holds them, so {@link inPlaceValues} may let an update rewrite them where they are.
 */
export const privateArrays = new WeakSet<Values>();

/**
 * Arrays of disposed tensors (and the kernels' scratch), by length, for the next kernel that
 * needs one of that length: a training step then reuses the same few dozen arrays instead of
 * allocating tens of megabytes, with the page faults and garbage collections that cost. Only
 * private arrays (see {@link privateArrays}) come here, at most {@link POOL_MAX_BYTES} in all.
 */
const pool = new Map<number, Float32Array[]>();
const pooled = new WeakSet<Float32Array>();
let pooledBytes = 0;

/** At most this many bytes wait in the pool; arrays beyond it are left to the garbage collector. */
const POOL_MAX_BYTES = 256 * 2 ** 20;

/** A private float32 array of `length` from the pool, or a new one; its contents are arbitrary. */
export function take(length: number): Float32Array {
  const values = pool.get(length)?.pop();
  if (!values) return privateFloat32(length);
  pooled.delete(values);
  pooledBytes -= values.byteLength;
  return values;
}

/** Returns a private array no tensor holds any more (a disposed one's, or scratch) to the pool. */
export function recycle(values: Values) {
  if (!(values instanceof Float32Array) || !privateArrays.has(values) || pooled.has(values)) {
    return;
  }
  if (values.length === 0 || pooledBytes + values.byteLength > POOL_MAX_BYTES) {
    privateArrays.delete(values);
    return;
  }
  let list = pool.get(values.length);
  if (!list) pool.set(values.length, list = []);
  list.push(values);
  pooled.add(values);
  pooledBytes += values.byteLength;
}

/**
 * After any kernel: an output that is a view of a private input's array (tfjs's cpu Slice returns
 * `subarray`s) makes that array no longer private, so it is never rewritten or pooled under the
 * view. Outputs that share an input's data id are counted by the backend's reference counts.
 */
export function unshareOutputs(args: KernelArgs, result: Result) {
  const backend = args.backend as unknown as CpuBackend;
  const outputs = Array.isArray(result) ? result : [result];
  for (const input of Object.values(args.inputs)) {
    if (!input) continue;
    const inValues = backend.data.get(input.dataId)?.values;
    if (!inValues || !privateArrays.has(inValues)) continue;
    for (const output of outputs) {
      if (output.dataId === input.dataId) continue;
      if (backend.data.get(output.dataId)?.values?.buffer === inValues.buffer) {
        privateArrays.delete(inValues);
      }
    }
  }
}

/**
 * A new float32 array that {@link inPlaceValues} will hand back, once a tensor holds it, for as
 * long as nothing reads the tensor's values out (`data()`, `dataSync()`, ...).
 */
export function privateFloat32(length: number): Float32Array {
  const values = new Float32Array(length);
  privateArrays.add(values);
  return values;
}

/**
 * On `cpu-blas`, the values of a float32 tensor whose array came from {@link privateFloat32} and
 * has not been read out since, to be rewritten in place; null otherwise (then write a new array).
 * Tensors that share the tensor's data (reshapes, clones) see the new values, as with WebGPU's
 * in-place Adamax update.
 */
export function inPlaceValues(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== "float32" || tf.getBackend() !== BLAS_BACKEND) return null;
  const entry = (tf.backend() as unknown as CpuBackend).data.get(t.dataId);
  return entry && privateArrays.has(entry.values) ? entry.values as Float32Array : null;
}

/** On `cpu-blas`, a float32 tensor over `values` (not copied). */
export function tensorOver(values: Float32Array, shape: number[]): tf.Tensor {
  const backend = tf.backend() as unknown as CpuBackend;
  const info = backend.makeTensorInfo(shape, "float32", values);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** On `cpu-blas`, the values of a float32 tensor (not copied; read only). */
export function valuesOf(t: tf.Tensor): Float32Array {
  return (tf.backend() as unknown as CpuBackend).data.get(t.dataId).values as Float32Array;
}

/** One product in the BLAS that `registerBlasBackend` opened (see {@link Gemm}). */
export function sgemm(product: Gemm): void {
  if (!blas) throw new Error("cpu-blas: BLAS not opened");
  blas.sgemm(product);
}

/** The same memory as `values`, as int32: a float's bits, to select or mask without a branch. */
export function int32View(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/** The float32 values of a tensor of `backend` (not copied). */
export function f32(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** tfjs's geometry of a channels-last 2-D convolution of an input of `xShape`. */
export function convInfo(
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

/** tfjs's geometry of a 2-D pooling of an input of `xShape`. */
export function poolInfo(xShape: number[], attrs: tf.MaxPoolAttrs | tf.MaxPoolGradAttrs) {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}
