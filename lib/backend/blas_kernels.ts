/**
 * The `cpu-blas` tfjs backend: tfjs-backend-cpu's MathBackendCPU with every cpu kernel, and the
 * heavy ones replaced by versions that run their products in a native BLAS (see `blas.ts`).
 *
 * Replaced: Conv2D and FusedConv2D (the 1-D convolution arrives as a conv2d of height 1, NHWC),
 * Conv2DBackpropInput, Conv2DBackpropFilter, BatchMatMul, _FusedMatMul, MaxPool, MaxPoolGrad,
 * and the element-wise and reduction kernels that dominate a training step once the products are
 * fast: Add (the bias's broadcast), Sub, Multiply, RealDiv, Maximum (with scalars: the optimizer),
 * Sum over leading axes (bias gradients), Relu and Step; Relu's gradient runs as one kernel
 * (`fuseReluGradient`).
 * Anything a replacement does not handle (another layout, dtype, a 2-D window, a broadcast it does
 * not know) goes to the original cpu kernel.
 *
 * Convolutions run as a sum over the filter's taps of GEMMs whose A matrix is a strided view of
 * the (padded) input, so no im2col copy is made for wide inputs; inputs with few channels (the
 * first layer's one) use an im2col matrix and one GEMM. The batch is folded into the GEMM's rows.
 * Results are deterministic for a fixed BLAS thread count: OpenBLAS splits a GEMM's rows and
 * columns between threads, never its inner dimension.
 *
 * Kernel outputs and scratch come from a pool of disposed tensors' arrays (`take`, `recycle`),
 * which saves a training step the page faults and garbage collections of tens of megabytes of new
 * arrays. Only arrays the backend alone holds go there: reading a tensor's values out, or a view
 * of them in another tensor, makes its array public for good (`privateArrays`). The same rule lets
 * the `cpu-blas` Adamax update (`lib/optimizers/cpu_adamax.ts`) rewrite weights in place.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { type Blas, type BlasUnavailable, openBlas } from "./blas.ts";
import { windowPool } from "./cpu_kernels.ts";

/** The backend's name in tfjs. */
export const BLAS_BACKEND = "cpu-blas";

/** Environment variable that sets the BLAS thread count (default {@link DEFAULT_BLAS_THREADS}). */
export const BLAS_THREADS_ENV = "REDSHIFT_BLAS_THREADS";

/**
 * Default BLAS threads: at most this many, and no more than the machine's cores. On the 2-core
 * machine two threads run the network's GEMMs about 1.9x as fast as one (tools/bench/gemm.ts).
 */
export const DEFAULT_BLAS_THREADS = 2;

type Values = Float32Array | Int32Array | Uint8Array;
type CpuBackend = {
  data: { get(id: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
};
type KernelArgs = Parameters<tf.KernelFunc>[0];
type Result = tf.TensorInfo | tf.TensorInfo[];

/** Inputs with at most this many channels are convolved through an im2col matrix. */
const IM2COL_MAX_CHANNELS = 32;

let blas: Blas | null = null;
let registered = false;

/**
 * Opens the BLAS, sets its threads, and registers the `cpu-blas` backend with its kernels (once).
 * Returns the BLAS, or why it is not available (then nothing is registered).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { BLAS_BACKEND, registerBlasBackend } from "./blas_kernels.ts";
 * const blas = registerBlasBackend();
 * if (blas.available) {
 *   await tf.setBackend(BLAS_BACKEND);
 *   const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
 *   assert.deepEqual(await y.data(), Float32Array.of(11));
 * }
 * ```
 */
export function registerBlasBackend(options: { threads?: number } = {}): Blas | BlasUnavailable {
  const opened = openBlas();
  if (!opened.available) return opened;
  blas = opened;
  blas.setThreads(options.threads ?? blasThreads());
  if (registered) return opened;
  tf.registerBackend(BLAS_BACKEND, () => {
    const backend = new BlasBackendCPU();
    // The CPU backend's banner recommends tfjs-node, which is not what runs here.
    (backend as unknown as { firstUse: boolean }).firstUse = false;
    return backend;
  }, 0);
  const replacements: Record<string, (args: KernelArgs, original: tf.KernelFunc) => Result> = {
    Conv2D: conv2dKernel,
    FusedConv2D: fusedConv2dKernel,
    Conv2DBackpropInput: conv2dBackpropInputKernel,
    Conv2DBackpropFilter: conv2dBackpropFilterKernel,
    BatchMatMul: batchMatMulKernel,
    _FusedMatMul: fusedMatMulKernel,
    MaxPool: maxPoolKernel,
    MaxPoolGrad: maxPoolGradKernel,
    Add: addKernel,
    Multiply: multiplyKernel,
    Sub: subKernel,
    RealDiv: realDivKernel,
    Maximum: maximumKernel,
    Sum: sumKernel,
    Relu: reluKernel,
    Step: stepKernel,
  };
  for (const config of tf.getKernelsForBackend("cpu")) {
    const replace = replacements[config.kernelName];
    const original = config.kernelFunc;
    const run: tf.KernelFunc = replace ? (args) => replace(args, original) : original;
    tf.registerKernel({
      ...config,
      backendName: BLAS_BACKEND,
      kernelFunc: (args) => {
        const result = run(args);
        unshareOutputs(args, result as Result);
        return result;
      },
    });
  }
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: BLAS_BACKEND,
    kernelFunc: reluGradKernel,
  });
  tf.registerGradient({
    kernelName: RELU_GRAD,
    inputsToSave: ["x"],
    gradFunc: (ddx, saved) => {
      const [x] = saved;
      return { dy: () => tf.mul(ddx as tf.Tensor, tf.step(x)), x: () => tf.zerosLike(x) };
    },
  });
  registered = true;
  return opened;
}

/**
 * Float32 arrays handed out by {@link privateFloat32} that no one has read out since: the backend
 * alone holds them, so {@link inPlaceValues} may let an update rewrite them where they are.
 */
const privateArrays = new WeakSet<Values>();

/** The cpu backend, except that a read of a tensor's values makes them no longer private. */
class BlasBackendCPU extends MathBackendCPU {
  override readSync(dataId: object) {
    this.expose(dataId);
    return super.readSync(dataId);
  }

  override read(dataId: object) {
    this.expose(dataId);
    return super.read(dataId);
  }

  override disposeData(dataId: object, force = false): boolean {
    const entry = (this as unknown as CpuBackend).data.get(dataId);
    const disposed = super.disposeData(dataId, force);
    if (disposed && entry) recycle(entry.values);
    return disposed;
  }

  private expose(dataId: object) {
    const entry = (this as unknown as CpuBackend).data.get(dataId);
    if (entry) privateArrays.delete(entry.values);
  }
}

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
function take(length: number): Float32Array {
  const values = pool.get(length)?.pop();
  if (!values) return privateFloat32(length);
  pooled.delete(values);
  pooledBytes -= values.byteLength;
  return values;
}

/** {@link take}, filled with zeros. */
function takeZeroed(length: number): Float32Array {
  const values = pool.get(length)?.pop();
  if (!values) return privateFloat32(length);
  pooled.delete(values);
  pooledBytes -= values.byteLength;
  return values.fill(0);
}

/** Returns a private array no tensor holds any more (a disposed one's, or scratch) to the pool. */
function recycle(values: Values) {
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
function unshareOutputs(args: KernelArgs, result: Result) {
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

/** BLAS threads of `cpu-blas`: `$REDSHIFT_BLAS_THREADS`, else {@link DEFAULT_BLAS_THREADS} or fewer cores. */
export function blasThreads(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get(BLAS_THREADS_ENV);
  } catch {
    fromEnv = undefined;
  }
  if (fromEnv) {
    const n = Number(fromEnv);
    if (Number.isInteger(n) && n >= 1) return n;
    throw new RangeError(`${BLAS_THREADS_ENV}=${fromEnv}: expected a positive integer`);
  }
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(DEFAULT_BLAS_THREADS, cores));
}

function gemm(): Blas {
  if (!blas) throw new Error("cpu-blas: BLAS not opened");
  return blas;
}

/** The same memory as `values`, as int32: a float's bits, to select or mask without a branch. */
function int32View(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

function f32(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Convolutions

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
  const b = gemm();
  if (ci <= IM2COL_MAX_CHANNELS) {
    const cols = im2col(xp, plan);
    b.sgemm(false, false, m, co, fw * ci, 1, cols, fw * ci, ws, co, 0, y, co);
    recycle(cols);
  } else {
    for (let t = 0; t < fw; t++) {
      const a = xp.subarray(t * d * ci);
      b.sgemm(
        false,
        false,
        m,
        co,
        ci,
        1,
        a,
        s * ci,
        ws.subarray(t * ci * co),
        co,
        t ? 1 : 0,
        y,
        co,
      );
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

function conv2dKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

function fusedConv2dKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

function conv2dBackpropInputKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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
  const b = gemm();
  // dx_padded[p·s + t·d] += dy[p] · W_t^T for each tap t.
  for (let t = 0; t < fw; t++) {
    const c = dxp.subarray(t * d * ci);
    b.sgemm(false, true, m, ci, co, 1, dys, co, ws.subarray(t * ci * co), co, 1, c, s * ci);
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

function conv2dBackpropFilterKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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
  const b = gemm();
  if (ci <= IM2COL_MAX_CHANNELS) {
    const cols = im2col(xp, plan);
    b.sgemm(true, false, fw * ci, co, m, 1, cols, fw * ci, dys, co, 0, dw, co);
    recycle(cols);
  } else {
    // dW_t = X_t^T · dy, X_t the input's rows p·s + t·d.
    for (let t = 0; t < fw; t++) {
      const a = xp.subarray(t * d * ci);
      b.sgemm(true, false, ci, co, m, 1, a, s * ci, dys, co, 0, dw.subarray(t * ci * co), co);
    }
  }
  if (xp !== xValues) recycle(xp);
  if (dys !== dyValues) recycle(dys);
  return backend.makeTensorInfo(attrs.filterShape, "float32", dw);
}

// ---------------------------------------------------------------------------------------------
// Matrix products

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
  const lda = transposeA ? m : k, ldb = transposeB ? k : n;
  const b = gemm();
  if (batchB === 1 && !transposeA) {
    // A's matrices stacked are one (batch·m) × k matrix.
    b.sgemm(false, transposeB, batch * m, n, k, 1, av, lda, bv, ldb, 0, out, n);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ai = av.subarray((batchA === 1 ? 0 : i) * m * k);
    const bi = bv.subarray((batchB === 1 ? 0 : i) * k * n);
    b.sgemm(transposeA, transposeB, m, n, k, 1, ai, lda, bi, ldb, 0, out.subarray(i * m * n), n);
  }
  return out;
}

function batchMatMulKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const p = planMatMul(a, b, transposeA, transposeB);
  if (!p) return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const out = matMul(f32(backend, a), f32(backend, b), p, transposeA, transposeB);
  return backend.makeTensorInfo(p.outShape, "float32", out);
}

function fusedMatMulKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

/** In place: y = activation(y + bias), the bias along the last dim (as the cpu kernels do). */
function biasActivate(
  y: Float32Array,
  n: number,
  bias: Float32Array | null,
  activation = "linear",
  alpha = 0.2,
) {
  if (bias) {
    if (bias.length === 1) { for (let i = 0; i < y.length; i++) y[i] += bias[0]; }
    else {
      for (let i = 0; i < y.length; i += n) {
        for (let j = 0; j < n; j++) y[i + j] += bias[j];
      }
    }
  }
  switch (activation) {
    case "relu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
      break;
    case "relu6":
      for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i], 0), 6);
      break;
    case "leakyrelu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = alpha * y[i];
      break;
    case "elu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = Math.exp(y[i]) - 1;
      break;
    case "sigmoid":
      for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Max pooling (NHWC; ties go to the first maximum in window order, NaN never wins, as in tfjs)

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

function maxPoolKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

function maxPoolGradKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

// ---------------------------------------------------------------------------------------------
// Element-wise and reductions (float32 only; the arithmetic is the cpu kernels', in float64
// rounded to float32 on store, so results are the same bit for bit)

/** b broadcasts along a's last dims as a trailing block (a bias), or a scalar; 0 if neither. */
function trailingBroadcast(a: number[], b: number[]): number {
  if (b.length > a.length) return 0;
  const size = tf.util.sizeFromShape(b);
  if (size === 1) return 1;
  const off = a.length - b.length;
  let i = 0;
  while (i < b.length && b[i] === 1) i++;
  for (let j = i; j < b.length; j++) if (b[j] !== a[off + j]) return 0;
  return size;
}

type BinaryOp = "add" | "sub" | "mul" | "div" | "max";

/**
 * a op b for float32 tensors of equal shapes, or where one broadcasts as a trailing block (a
 * bias) or a scalar; anything else goes to the cpu kernel. The arithmetic is the cpu kernel's.
 */
function binary(args: KernelArgs, original: tf.KernelFunc, op: BinaryOp): Result {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (a.dtype !== "float32" || b.dtype !== "float32") return original(args);
  const backend = args.backend as unknown as CpuBackend;
  let big = a, small = b, swapped = false;
  let n = trailingBroadcast(a.shape, b.shape);
  if (n === 0 || (n === 1 && tf.util.sizeFromShape(a.shape) === 1)) {
    const m = trailingBroadcast(b.shape, a.shape);
    if (m === 0) return original(args);
    big = b;
    small = a;
    swapped = true;
    n = m;
  }
  let shape: number[];
  try {
    shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  } catch {
    return original(args);
  }
  if (!tf.util.arraysEqual(shape, big.shape)) return original(args);
  const xs = f32(backend, big), ys = f32(backend, small);
  const out = take(xs.length);
  binaryLoop(swapped ? `${op}/swapped` : op, xs, ys, n, out);
  return backend.makeTensorInfo(big.shape, "float32", out);
}

/** out = xs op ys (ys repeating every n), or ys op xs when swapped; k is ys[0] for n = 1. */
function binaryLoop(op: string, xs: Float32Array, ys: Float32Array, n: number, out: Float32Array) {
  const k = ys[0];
  switch (op) {
    case "add":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = xs[i] + k; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = xs[i + j] + ys[j];
        }
      }
      break;
    case "add/swapped":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = k + xs[i]; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = ys[j] + xs[i + j];
        }
      }
      break;
    case "sub":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = xs[i] - k; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = xs[i + j] - ys[j];
        }
      }
      break;
    case "sub/swapped":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = k - xs[i]; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = ys[j] - xs[i + j];
        }
      }
      break;
    case "mul":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = xs[i] * k; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = xs[i + j] * ys[j];
        }
      }
      break;
    case "mul/swapped":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = k * xs[i]; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = ys[j] * xs[i + j];
        }
      }
      break;
    case "div":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = xs[i] / k; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = xs[i + j] / ys[j];
        }
      }
      break;
    case "div/swapped":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = k / xs[i]; }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = ys[j] / xs[i + j];
        }
      }
      break;
    case "max":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = Math.max(xs[i], k); }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = Math.max(xs[i + j], ys[j]);
        }
      }
      break;
    case "max/swapped":
      if (n === 1) { for (let i = 0; i < out.length; i++) out[i] = Math.max(k, xs[i]); }
      else {
        for (let i = 0; i < out.length; i += n) {
          for (let j = 0; j < n; j++) out[i + j] = Math.max(ys[j], xs[i + j]);
        }
      }
      break;
  }
}

function addKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  return binary(args, original, "add");
}

function subKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  return binary(args, original, "sub");
}

function multiplyKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  return binary(args, original, "mul");
}

function realDivKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  return binary(args, original, "div");
}

function maximumKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  return binary(args, original, "max");
}

/** The kernel of Relu's gradient on `cpu-blas`: dy · step(x) in one pass. */
const RELU_GRAD = "BlasReluGrad";

/** The Relu gradient this module registered, wrapping tfjs's (see {@link fuseReluGradient}). */
let fusedReluGradient: tf.GradConfig | null = null;

/**
 * Makes Relu's gradient one {@link RELU_GRAD} kernel on `cpu-blas` instead of tfjs's
 * `mul(dy, step(x))` (two passes and an array the size of x); on other backends, and for inputs
 * it does not handle, tfjs's own gradient runs. Called from the Relu kernel, so that it wraps the
 * gradient tfjs registers when tf.layers is imported, whenever that is.
 */
function fuseReluGradient() {
  const current = tf.getGradient("Relu");
  if (!current || current === fusedReluGradient) return;
  const original = current;
  fusedReluGradient = {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (
        tf.getBackend() !== BLAS_BACKEND || Array.isArray(dy) || dy.dtype !== "float32" ||
        x?.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape)
      ) {
        return original.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor };
    },
  };
  tf.registerGradient(fusedReluGradient);
}

/** dy · step(x) in one pass: tfjs's mul(dy, step(x)) bit for bit. */
function reluGradKernel(args: KernelArgs): Result {
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const backend = args.backend as unknown as CpuBackend;
  const dys = f32(backend, dy), xs = f32(backend, x);
  const out = take(xs.length);
  // step(x) as the factor +(v > 0): no branch on the sign, which is a coin toss here. step(NaN)
  // is NaN: a NaN is noted without a branch, and only then does a second pass mend its place.
  let nan = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    out[i] = dys[i] * +(v > 0);
    nan |= +(v !== v);
  }
  if (nan) mendNaN(xs, out);
  return backend.makeTensorInfo(x.shape, "float32", out);
}

/** NaN wherever `xs` holds NaN (step's value there). */
function mendNaN(xs: Float32Array, out: Float32Array) {
  for (let i = 0; i < xs.length; i++) if (xs[i] !== xs[i]) out[i] = NaN;
}

function reluKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x } = args.inputs as { x: tf.TensorInfo };
  fuseReluGradient();
  if (x.dtype !== "float32") return original(args);
  const backend = args.backend as unknown as CpuBackend;
  const xs = f32(backend, x);
  const out = take(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    // tfjs's Math.max(0, v); for finite v (nearly always) as v · +(v > 0) + 0, which is v or +0
    // with no branch on the sign, a coin toss here.
    out[i] = v - v === 0 ? v * +(v > 0) + 0 : Math.max(0, v);
  }
  return backend.makeTensorInfo(x.shape, "float32", out);
}

function stepKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype !== "float32") return original(args);
  const alpha = (args.attrs as unknown as tf.StepAttrs).alpha ?? 0;
  const backend = args.backend as unknown as CpuBackend;
  const xs = f32(backend, x);
  const out = take(xs.length);
  // alpha + (1 − alpha) · +(v > 0) is 1 or alpha exactly, with no branch on the sign (as in
  // Relu's gradient)
  const positive = 1 - alpha;
  let nan = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    out[i] = alpha + positive * +(v > 0);
    nan |= +(v !== v);
  }
  if (nan) mendNaN(xs, out);
  return backend.makeTensorInfo(x.shape, "float32", out);
}

function sumKernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  if (x.dtype !== "float32") return original(args);
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  // Only leading axes [0, j): the sum runs down columns, in the row order the cpu kernel uses.
  if (axes.length === 0 || axes.some((v, i) => v !== i) || axes.length === rank) {
    return original(args);
  }
  const backend = args.backend as unknown as CpuBackend;
  const xs = f32(backend, x);
  const n = tf.util.sizeFromShape(x.shape.slice(axes.length));
  const acc = new Float64Array(n);
  for (let i = 0; i < xs.length; i += n) {
    for (let j = 0; j < n; j++) acc[j] += xs[i + j];
  }
  const shape = keepDims
    ? x.shape.map((d, i) => (i < axes.length ? 1 : d))
    : x.shape.slice(axes.length);
  const out = take(n);
  out.set(acc);
  return backend.makeTensorInfo(shape, "float32", out);
}
