/**
 * The `cpu-blas` backend's element-wise, reduction and gather kernels, those that dominate a tfjs
 * training step once the products are fast (`blas_backend.ts` lists them). Float32 only, in the
 * cpu kernels' arithmetic (float64 rounded to float32 on store), so the same bits; anything else
 * goes to the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  BLAS_BACKEND,
  type CpuBackend,
  f32,
  type KernelArgs,
  type Result,
  take,
} from "./_blas_arrays.ts";

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
  // Addition, multiplication and maximum commute exactly: only sub and div need a swapped loop.
  const ordered = swapped && (op === "sub" || op === "div") ? `${op}/swapped` : op;
  binaryLoop(ordered, xs, ys, n, out);
  return backend.makeTensorInfo(big.shape, "float32", out);
}

/**
 * out = xs op ys (ys repeating every n), or ys op xs when swapped: one loop per op (a function
 * per op, called per element, was ten times slower).
 */
function binaryLoop(op: string, xs: Float32Array, ys: Float32Array, n: number, out: Float32Array) {
  switch (op) {
    case "add":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = xs[i] + ys[j];
        if (++j === n) j = 0;
      }
      break;
    case "sub":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = xs[i] - ys[j];
        if (++j === n) j = 0;
      }
      break;
    case "sub/swapped":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = ys[j] - xs[i];
        if (++j === n) j = 0;
      }
      break;
    case "mul":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = xs[i] * ys[j];
        if (++j === n) j = 0;
      }
      break;
    case "div":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = xs[i] / ys[j];
        if (++j === n) j = 0;
      }
      break;
    case "div/swapped":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = ys[j] / xs[i];
        if (++j === n) j = 0;
      }
      break;
    case "max":
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = Math.max(xs[i], ys[j]);
        if (++j === n) j = 0;
      }
      break;
  }
}

/** The kernel of one binary op (see {@link binary}). */
const binaryKernel = (op: BinaryOp) => (args: KernelArgs, original: tf.KernelFunc): Result =>
  binary(args, original, op);

export const addKernel = binaryKernel("add");
export const subKernel = binaryKernel("sub");
export const multiplyKernel = binaryKernel("mul");
export const realDivKernel = binaryKernel("div");
export const maximumKernel = binaryKernel("max");

/** The kernel of Relu's gradient on `cpu-blas`: dy · step(x) in one pass. */
export const RELU_GRAD = "BlasReluGrad";

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
export function reluGradKernel(args: KernelArgs): Result {
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

export function reluKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

export function stepKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

export function sumKernel(args: KernelArgs, original: tf.KernelFunc): Result {
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

/** Rows narrower than this are copied element by element: cheaper than a view and a `set`. */
const LOOP_COPY_WIDTH = 64;

/**
 * GatherV2 along the first axis. tfjs's cpu kernel indexes every element through a generic buffer
 * (about 300 ns an element on the 2-core machine: 3.6 ms for a 64-row chunk of spectra); rows are
 * contiguous, so this copies them whole. Other axes, batch dimensions, dtypes and out-of-range
 * indices (whose error is the cpu kernel's) go to the cpu kernel.
 */
export function gatherV2Kernel(args: KernelArgs, original: tf.KernelFunc): Result {
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  if (
    x.dtype !== "float32" || indices.dtype !== "int32" || (batchDims ?? 0) !== 0 ||
    x.shape.length === 0 || tf.util.parseAxisParam(axis, x.shape)[0] !== 0
  ) return original(args);
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
