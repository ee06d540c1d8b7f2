/**
 * The `cpu-blas` tfjs backend: tfjs-backend-cpu's MathBackendCPU with every cpu kernel, the heavy
 * ones replaced by the engine's building blocks (BLAS products, `docs/architecture.md` lists
 * them) for what the plans (`blas_gradients.ts`, `blas_forward.ts`) do not cover. Anything a
 * replacement does not handle (another layout, dtype, window or broadcast) goes to the original
 * cpu kernel. Kernel outputs and scratch come from a pool of disposed tensors' arrays
 * (`_blas_arrays.ts`), and only arrays the backend alone holds go there: reading a tensor's values
 * out makes its array public for good. The same rule lets Adamax (`adamax.ts`) update in place.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { type Blas, type BlasUnavailable, openBlas } from "./blas.ts";
import { readEnv } from "../_env.ts";
import {
  BLAS_BACKEND,
  type CpuBackend,
  type KernelArgs,
  privateArrays,
  recycle,
  type Result,
  setBlas,
  unshareOutputs,
} from "./_blas_arrays.ts";
import * as layers from "./_blas_layers.ts";
import * as elementwise from "./_blas_elementwise.ts";

export { BLAS_BACKEND, tensorOver } from "./_blas_arrays.ts";

/** Environment variable that sets the BLAS thread count (default `DEFAULT_BLAS_THREADS`). */
const BLAS_THREADS_ENV = "REDSHIFT_BLAS_THREADS";

/**
 * Default BLAS threads: at most this many, and no more than the machine's cores. On the 2-core
 * machine two threads run the network's GEMMs about 1.9x as fast as one (tools/bench/gemm.ts).
 */
const DEFAULT_BLAS_THREADS = 2;

let registered = false;

/**
 * Opens the BLAS, sets its threads, and registers the `cpu-blas` backend with its kernels (once).
 * Returns the BLAS, or why it is not available (then nothing is registered).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { BLAS_BACKEND, registerBlasBackend } from "./blas_backend.ts";
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
  setBlas(opened);
  opened.setThreads(options.threads ?? blasThreads());
  if (registered) return opened;
  tf.registerBackend(BLAS_BACKEND, () => {
    const backend = new BlasBackendCPU();
    // The CPU backend's banner recommends tfjs-node, which is not what runs here.
    (backend as unknown as { firstUse: boolean }).firstUse = false;
    return backend;
  }, 0);
  const replacements: Record<string, (args: KernelArgs, original: tf.KernelFunc) => Result> = {
    Conv2D: layers.fusedConv2dKernel,
    FusedConv2D: layers.fusedConv2dKernel,
    Conv2DBackpropInput: layers.conv2dBackpropInputKernel,
    Conv2DBackpropFilter: layers.conv2dBackpropFilterKernel,
    BatchMatMul: layers.fusedMatMulKernel,
    _FusedMatMul: layers.fusedMatMulKernel,
    MaxPool: layers.maxPoolKernel,
    MaxPoolGrad: layers.maxPoolGradKernel,
    Add: elementwise.addKernel,
    Multiply: elementwise.multiplyKernel,
    Sub: elementwise.subKernel,
    RealDiv: elementwise.realDivKernel,
    Maximum: elementwise.maximumKernel,
    Sum: elementwise.sumKernel,
    Relu: elementwise.reluKernel,
    Step: elementwise.stepKernel,
    GatherV2: elementwise.gatherV2Kernel,
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
    kernelName: elementwise.RELU_GRAD,
    backendName: BLAS_BACKEND,
    kernelFunc: elementwise.reluGradKernel,
  });
  tf.registerGradient({
    kernelName: elementwise.RELU_GRAD,
    inputsToSave: ["x"],
    gradFunc: (ddx, saved) => {
      const [x] = saved;
      return { dy: () => tf.mul(ddx as tf.Tensor, tf.step(x)), x: () => tf.zerosLike(x) };
    },
  });
  registered = true;
  return opened;
}

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

/** BLAS threads of `cpu-blas`: `$REDSHIFT_BLAS_THREADS`, else `DEFAULT_BLAS_THREADS` or fewer cores. */
export function blasThreads(): number {
  const fromEnv = readEnv(BLAS_THREADS_ENV);
  if (fromEnv) {
    const n = Number(fromEnv);
    if (Number.isInteger(n) && n >= 1) return n;
    throw new RangeError(`${BLAS_THREADS_ENV}=${fromEnv}: expected a positive integer`);
  }
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(DEFAULT_BLAS_THREADS, cores));
}
