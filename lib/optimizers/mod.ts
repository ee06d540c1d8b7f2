/**
 * Optimizers with checkpointable state (`optimizers.ts`) and learning-rate schedules for large
 * batches (`schedules.ts`).
 *
 * @module
 */
export * from "./optimizers.ts";
export * from "./schedules.ts";
