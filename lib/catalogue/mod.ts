/**
 * Redshifts for a whole catalogue: {@link predictCatalogue} reads a CSV or Parquet file of any
 * size in chunks, predicts each good row with a trained model folder (or an ensemble, with error
 * bars; or a PDF head, with its mean, median, mode and 68 % interval), lists bad rows with their
 * row and column, flags spectra far outside the training range, and writes the output
 * atomically. `tools/predict.ts` is its command line.
 *
 * @module
 */
export * from "./predict.ts";
