/**
 * Per-galaxy uncertainty: a deep ensemble's mean and spread, recalibrated on validation galaxies,
 * and the measures that show whether the error bars are honest (PIT, coverage, CRPS).
 *
 * @module
 */
export * from "./calibration.ts";
export * from "./ensemble.ts";
export * from "./results.ts";
export * from "./summary.ts";
