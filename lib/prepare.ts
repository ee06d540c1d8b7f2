/**
 * From galaxies to network inputs: split, fit the scaler, scale.
 *
 * @module
 */
import { fitMinMax, type MinMaxScaler } from "./min_max_scaler.ts";
import { selectRows, type Spectra } from "./spectra.ts";
import { type Split, splitIndices } from "./split.ts";
import type { XY } from "./train.ts";

/** Options of {@link prepareData}. */
export interface PrepareOptions {
  /** Seed of the split. */
  seed: number;
  /** Share of the rows held out for testing; default 0.1. */
  testFraction?: number;
  /** Share of the remaining rows used for validation; default 0.3. */
  validationFraction?: number;
  /** Rows the scaler is fitted on: `train` (default, no leak) or `all` (the dissertation's choice). */
  scalerFit?: "train" | "all";
}

/** Scaled inputs and targets of each part, with the split and scaler that made them. */
export interface PreparedData {
  split: Split;
  scaler: MinMaxScaler;
  train: XY;
  validation: XY;
  test: XY;
  /** Source row ids of the test galaxies, to trace predictions back. */
  testIds: Float64Array;
}

/**
 * Splits `data` 63/27/10 (by default), fits min-max scaling and scales every part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareData } from "./prepare.ts";
 * import { simulateSpectra } from "./simulate.ts";
 * const prepared = prepareData(simulateSpectra({ n: 100, seed: 1 }), { seed: 1 });
 * assert.ok(prepared.train.y.length === 63 && prepared.test.y.length === 10);
 * ```
 */
export function prepareData(data: Spectra, options: PrepareOptions): PreparedData {
  const split = splitIndices(data.n, options);
  const fitOn = options.scalerFit ?? "train";
  const scaler = fitMinMax(data.flux, fitOn === "all" ? "all" : split.train, {
    fittedOn: fitOn === "all" ? "all rows (as the dissertation did)" : "training rows",
  });
  const part = (indices: Uint32Array): XY & { ids: Float64Array } => {
    const rows = selectRows(data, indices);
    return { x: scaler.transform(rows.flux), y: rows.z, ids: rows.ids };
  };
  const test = part(split.test);
  return {
    split,
    scaler,
    train: part(split.train),
    validation: part(split.validation),
    test,
    testIds: test.ids,
  };
}
