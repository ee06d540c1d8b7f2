/**
 * galaxy-redshift: predict a galaxy's redshift from its Gaia BP/RP spectrum
 * with the 1D convolutional network of Kiraleos (2023), in TypeScript.
 *
 * The modules, in the order a reader meets them:
 * - data: {@link loadSpectra} (CSV/Parquet with checks), {@link simulateSpectra} (the mock)
 * - preprocessing: {@link fitMinMax}, {@link splitIndices}, {@link prepareData}
 * - model: {@link buildModel}, {@link importKerasModel}, {@link weightStatistics}
 * - training: {@link selectBackend}, {@link train}, {@link evaluate}, {@link predict}
 * - results: {@link redshiftMetrics}, {@link errorsByBin}, tables and published numbers
 * - persistence: {@link saveModel}, {@link loadModel}
 *
 * @module
 */
export * from "./spectra.ts";
export * from "./random.ts";
export * from "./load.ts";
export * from "./simulate.ts";
export * from "./gaia_xp.ts";
export * from "./min_max_scaler.ts";
export * from "./split.ts";
export * from "./prepare.ts";
export * from "./model.ts";
export * from "./keras_import.ts";
export * from "./weight_statistics.ts";
export * from "./backend.ts";
export * from "./adamax.ts";
export * from "./optimizers.ts";
export * from "./schedules.ts";
export * from "./train.ts";
export * from "./metrics.ts";
export * from "./tables.ts";
export * from "./published.ts";
export * from "./persistence.ts";
export * from "./run_artifact.ts";
export * from "./provenance.ts";
export * from "./profiles.ts";
export * from "./statistics.ts";
export * from "./teaching.ts";
export * from "./notebook.ts";
export * from "./write_spectra.ts";
export * from "./plots/mod.ts";
export * from "./predict_catalogue.ts";
export * from "./uncertainty/mod.ts";
export * from "./search/mod.ts";
