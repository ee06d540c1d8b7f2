/**
 * The `cpu-blas` backend's matrix products: BatchMatMul and _FusedMatMul as BLAS GEMMs, the batch
 * stacked into one GEMM where B is shared; the fused kernels' bias and activation in
 * `biasActivate` of `_pooling.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type CpuBackend, f32, type KernelArgs, type Result, sgemm, take } from "./_blas_arrays.ts";
import { biasActivate } from "./_pooling.ts";

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
export function canBiasActivate(bias: tf.TensorInfo | undefined, n: number, activation?: string) {
  if (activation !== undefined && !ACTIVATIONS.has(activation)) return false;
  if (!bias) return true;
  if (bias.dtype !== "float32") return false;
  const size = tf.util.sizeFromShape(bias.shape);
  return (size === n && bias.shape.every((d, i) => i === bias.shape.length - 1 || d === 1)) ||
    size === 1;
}
