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
 * import { simulateSpectra } from "./mock/simulate.ts";
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

/** How fitting the scaler on all rows (the dissertation's way) changes the test inputs. */
export interface ScalerLeak {
  /** Flux columns whose range the rows outside the training set (validation, test) widen. */
  widenedColumns: number;
  /** Test values outside [0, 1] under the scaler fitted on training rows only. */
  testValuesOutside: number;
  /** All test values (rows × 186). */
  testValues: number;
  /** Largest difference of one scaled test value between the two fits. */
  maxDifference: number;
}

/**
 * Compares the leak-free scaler of `prepared` with one fitted on all rows of
 * `data`, on the test rows.
 */
export function measureScalerLeak(data: Spectra, prepared: PreparedData): ScalerLeak {
  const leaky = fitMinMax(data.flux, "all");
  const testFlux = selectRows(data, prepared.split.test).flux;
  const honest = prepared.scaler.transform(testFlux), leaked = leaky.transform(testFlux);
  let testValuesOutside = 0, maxDifference = 0, widenedColumns = 0;
  for (let k = 0; k < honest.length; k++) {
    if (honest[k] < 0 || honest[k] > 1) testValuesOutside++;
    maxDifference = Math.max(maxDifference, Math.abs(honest[k] - leaked[k]));
  }
  for (let j = 0; j < leaky.width; j++) {
    if (leaky.min[j] < prepared.scaler.min[j] || leaky.max[j] > prepared.scaler.max[j]) {
      widenedColumns++;
    }
  }
  return { widenedColumns, testValuesOutside, testValues: honest.length, maxDifference };
}
