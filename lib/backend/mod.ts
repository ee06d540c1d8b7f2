/**
 * Where tensors live and how fast the heavy kernels run. {@link selectBackend} walks the backend
 * ladder (a hardware GPU through WebGPU, else the fastest CPU path) and reports the rung it took
 * and why; the kernel modules replace tfjs kernels that are slow for this network. Measurements
 * behind each choice are in `docs/performance.md`.
 *
 * @module
 */
export * from "./select.ts";
