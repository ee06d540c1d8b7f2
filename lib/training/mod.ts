/**
 * What surrounds `train()`'s loop: its options and their defaults, the steps (through tfjs or the
 * `cpu-blas` training plan), checkpoints, early stopping, and progress reports.
 *
 * @module
 */
export * from "./options.ts";
export * from "./steps.ts";
export * from "./checkpoint.ts";
export * from "./early_stopping.ts";
export * from "./progress.ts";
