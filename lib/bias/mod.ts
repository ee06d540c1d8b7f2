/**
 * The high-z bias (issue 38): how to measure it and the pure pieces of three ways to remove it.
 *
 * - Diagnosis: {@link meanErrorByBin} by true and by predicted z with bootstrap errors,
 *   {@link errorSlope} above z = 0.2, and {@link biasDiagnostics} for every number at once;
 *   {@link gaussianToy} shows why the tilt appears.
 * - A, a classification head: {@link redshiftBins}, {@link softLabels}, the PDF's summaries
 *   ({@link pdfSummaries}), the α knob ({@link trainingPrior}, {@link divideByPrior}) and the
 *   PDFs' calibration ({@link pdfCalibration}).
 * - B, balanced training: {@link balancedWeights} and {@link cappedSubset}.
 * - C, the control: {@link fitIsotonic} and {@link applyIsotonic}.
 *
 * @module
 */
export * from "./diagnostics.ts";
export * from "./gaussian_toy.ts";
export * from "./isotonic.ts";
export * from "../redshift_bins.ts";
export * from "./pdf_summary.ts";
export * from "./density.ts";
export * from "./prior.ts";
export * from "./pdf_calibration.ts";
export * from "./weights.ts";
export type { PriorOptions } from "./_pdf.ts";
