/**
 * Chooses where tensors live: WebGPU when an adapter exists, else the CPU. (`tfjs-node-gpu` is not
 * an option: its installer downloads libtensorflow from a host these machines cannot reach.)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import { registerFastCpuKernels } from "./cpu_kernels.ts";
import { BLAS_BACKEND, registerBlasBackend } from "./blas_backend.ts";
import { describeBlas } from "./blas.ts";
import { readEnv } from "../_env.ts";

/** The backends this project uses, fastest first. */
export const BACKEND_NAMES = ["webgpu", "cpu-blas", "cpu"] as const;

/** A rung of the ladder: WebGPU, the CPU with BLAS kernels, or the plain CPU backend. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** True when `name` is one of {@link BACKEND_NAMES}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Environment variable that overrides the automatic choice (`webgpu`, `cpu-blas` or `cpu`). */
export const BACKEND_ENV = "REDSHIFT_BACKEND";

/** What {@link selectBackend} chose and why. */
export interface BackendReport {
  /** Backend in use. */
  backend: BackendName;
  /** The GPU adapter's description, or `null` on the CPU backend. */
  adapter: string | null;
  /** True when the adapter is a software rasteriser (e.g. llvmpipe). */
  isFallbackAdapter: boolean;
  /** How the choice was made: an option, the environment variable, or detection. */
  reason: string;
  /** On `cpu-blas`, the BLAS library and its threads, e.g. `OpenBLAS 0.3.21, 2 threads`. */
  library?: string;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Force a backend; wins over the environment variable. */
  backend?: BackendName;
  /** Backend to use when neither `backend` nor the environment variable says (e.g. a profile's). */
  preferred?: BackendName;
}

/**
 * Sets the tfjs backend: `options.backend`, else `$REDSHIFT_BACKEND`, else the ladder: WebGPU
 * on a hardware adapter (a software one such as llvmpipe only when asked for), else `cpu-blas`
 * when a native BLAS opens, else `cpu`. A profile's preferred `cpu` takes the best CPU rung;
 * an explicit `cpu` (option or environment) is tfjs's pure-JS backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "./select.ts";
 * const report = await selectBackend({ backend: "cpu" });
 * assert.ok(report.backend === "cpu");
 * ```
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  const fromEnv = readEnv(BACKEND_ENV);
  const requested = options.backend ?? fromEnv ?? options.preferred;
  if (requested !== undefined && !isBackendName(requested)) {
    throw new RangeError(`${BACKEND_ENV}=${requested}: expected "webgpu", "cpu-blas" or "cpu"`);
  }
  const reason = options.backend
    ? "requested by option"
    : fromEnv
    ? `requested by ${BACKEND_ENV}`
    : options.preferred
    ? "preferred by the run profile"
    : "detected";

  let skipped = "";
  if (requested === undefined || requested === "webgpu") {
    const adapter = await requestAdapter();
    const software = Boolean(
      (adapter?.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
    );
    skipped = !adapter
      ? "no GPU adapter"
      : `software GPU adapter (${describeAdapter(adapter.info)}) not used by default`;
    if (adapter && (requested === "webgpu" || !software)) {
      if (await tf.setBackend("webgpu")) {
        await tf.ready();
        return {
          backend: "webgpu",
          adapter: describeAdapter(adapter.info),
          isFallbackAdapter: software,
          reason,
        };
      }
    }
    if (requested === "webgpu") {
      throw new Error(
        "WebGPU was requested but no adapter is available (on Linux without a GPU, " +
          "install Mesa's software Vulkan driver: apt-get install mesa-vulkan-drivers)",
      );
    }
  }
  const plainCpu = (options.backend ?? fromEnv) === "cpu";
  if (!plainCpu) {
    const blas = registerBlasBackend();
    if (blas.available && await tf.setBackend(BLAS_BACKEND)) {
      await tf.ready();
      return cpuReport(BLAS_BACKEND, reason, skipped, describeBlas(blas));
    }
    if (requested === "cpu-blas") {
      throw new Error(
        `cpu-blas was requested but BLAS is ${blas.available ? "unusable" : blas.reason}`,
      );
    }
    skipped = [skipped, blas.available ? "" : `BLAS ${blas.reason}`].filter(Boolean).join("; ");
  }
  registerFastCpuKernels();
  await tf.setBackend("cpu");
  await tf.ready();
  // The CPU backend greets Node-like runtimes with a banner recommending
  // tfjs-node, which cannot be installed here; it would clutter every notebook.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return cpuReport("cpu", reason, skipped);
}

/** A CPU rung's report: the reason, with the rungs `skipped` above it; `library`: the BLAS. */
function cpuReport(backend: BackendName, reason: string, skipped: string, library?: string) {
  if (skipped) reason = `${reason}: ${skipped}`;
  const report: BackendReport = { backend, adapter: null, isFallbackAdapter: false, reason };
  return library === undefined ? report : { ...report, library };
}

/** One line for notebooks and logs, e.g. `webgpu (NVIDIA H100 80GB HBM3), detected`. */
export function formatBackendReport(report: BackendReport): string {
  const device = report.adapter
    ? ` (${report.adapter}${report.isFallbackAdapter ? ", software adapter" : ""})`
    : report.library
    ? ` (${report.library})`
    : "";
  return `${report.backend}${device}, ${report.reason}`;
}

async function requestAdapter(): Promise<GPUAdapter | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

function describeAdapter(info: GPUAdapterInfo): string {
  return info.description ||
    [info.vendor, info.architecture, info.device].filter(Boolean).join(" ") ||
    "unknown adapter";
}
