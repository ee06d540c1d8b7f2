/**
 * Optimizers with checkpointable state (Adamax, the dissertation's, plus Adam and SGD with
 * momentum), so that a resumed run ends bit for bit where an uninterrupted one ends, and
 * learning-rate schedules for large batches (warm-up, linear or square-root scaling, cosine
 * decay). On WebGPU, Adamax's update runs as one fused kernel per weight tensor; on cpu-blas, as
 * one loop per weight tensor.
 *
 * @module
 */
export * from "./optimizers.ts";
export * from "./schedules.ts";
export * from "./adamax.ts";
