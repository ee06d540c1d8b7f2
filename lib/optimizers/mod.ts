/**
 * Optimizers with checkpointable state (Adamax, the dissertation's, plus Adam and SGD with
 * momentum), so that a resumed run ends bit for bit where an uninterrupted one ends, and
 * learning-rate schedules for large batches (warm-up, linear or square-root scaling, cosine
 * decay). Adamax's update runs on the device, one kernel per weight tensor
 * (`lib/backend/adamax.ts`).
 *
 * @module
 */
export * from "./optimizers.ts";
export * from "./schedules.ts";
