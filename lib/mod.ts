/**
 * galaxy-redshift: predict a galaxy's redshift from its Gaia BP/RP spectrum
 * with the 1D convolutional network of Kiraleos (2023), in TypeScript.
 *
 * This module is the teaching core, in the order a reader meets it:
 * - spectra: the {@link Spectra} layout, and {@link loadSpectra} to read a file of them
 * - preprocessing: {@link fitMinMax} on the training rows, {@link splitIndices}, {@link prepareData}
 * - the network: {@link buildModel}, the dissertation's architecture by default
 * - training: {@link train}, {@link evaluate}, {@link predict}, under a {@link RunProfile}
 * - metrics: {@link redshiftMetrics}, {@link errorsByBin}, their tables and the published numbers
 * - plots: every figure, as SVG
 *
 * The machinery lives in sub-packages, each with its own `mod.ts`: `data/` (files of spectra),
 * `mock/` (the simulator), `backend/` (backend choice, fast kernels), `optimizers/`, `runs/`
 * (model and run folders), `catalogue/` (predicting a catalogue), `keras/` (the Keras importer),
 * `search/`, `uncertainty/` and `notebook/`. `docs/architecture.md` draws the layers.
 *
 * @module
 */
export * from "./spectra.ts";
export * from "./random.ts";
export { formatLoadReport, LoadError, loadSpectra } from "./data/load.ts";
export type { LoadOptions, LoadReport, RejectedRow, RowPolicy } from "./data/load.ts";
export * from "./min_max_scaler.ts";
export * from "./split.ts";
export * from "./prepare.ts";
export * from "./model.ts";
export * from "./train.ts";
export * from "./profiles.ts";
export * from "./metrics.ts";
export * from "./statistics.ts";
export * from "./tables.ts";
export * from "./published.ts";
export * from "./plots/mod.ts";
