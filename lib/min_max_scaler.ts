/**
 * Min-max scaling of each flux column onto [0, 1].
 *
 * The scaler is fitted on the training rows only, so nothing about the
 * validation or test galaxies leaks into the inputs the network learns from.
 * The dissertation fitted it on all rows before splitting; `fitMinMax` can
 * reproduce that with `rows: "all"` to measure the difference.
 *
 * @module
 */
import { N_FLUX } from "./spectra.ts";

/** Serialised form of a {@link MinMaxScaler} (what `toJSON` returns). */
export interface MinMaxScalerJSON {
  kind: "min-max";
  /** Per-column minimum seen when fitting. */
  min: number[];
  /** Per-column maximum seen when fitting. */
  max: number[];
  /** Which rows the scaler was fitted on, for the record. */
  fittedOn: string;
}

/** Per-column affine map x ↦ (x − min) / (max − min) and its inverse. */
export class MinMaxScaler {
  /**
   * @param min per-column minimum
   * @param max per-column maximum (≥ min)
   * @param fittedOn which rows the scaler was fitted on, for the record
   */
  constructor(
    readonly min: Float64Array,
    readonly max: Float64Array,
    readonly fittedOn: string = "unknown",
  ) {
    if (min.length !== max.length) throw new RangeError("min and max differ in length");
    for (let j = 0; j < min.length; j++) {
      if (!(max[j] >= min[j])) throw new RangeError(`column ${j}: max ${max[j]} < min ${min[j]}`);
    }
  }

  /** Number of columns. */
  get width(): number {
    return this.min.length;
  }

  /**
   * Scales row-major `values` (rows × width) into a new array. A constant
   * column (max = min) maps to 0 rather than dividing by zero.
   */
  transform(values: Float32Array): Float32Array {
    const out = new Float32Array(values.length);
    const w = this.#checkWidth(values);
    const scale = this.#scale();
    for (let i = 0; i < values.length; i += w) {
      for (let j = 0; j < w; j++) out[i + j] = (values[i + j] - this.min[j]) * scale[j];
    }
    return out;
  }

  /** Maps scaled values back to the original units (constant columns return their value). */
  inverseTransform(scaled: Float32Array): Float32Array {
    const out = new Float32Array(scaled.length);
    const w = this.#checkWidth(scaled);
    for (let i = 0; i < scaled.length; i += w) {
      for (let j = 0; j < w; j++) {
        out[i + j] = scaled[i + j] * (this.max[j] - this.min[j]) + this.min[j];
      }
    }
    return out;
  }

  /** Plain-JSON form; {@link MinMaxScaler.fromJSON} restores it exactly. */
  toJSON(): MinMaxScalerJSON {
    return { kind: "min-max", min: [...this.min], max: [...this.max], fittedOn: this.fittedOn };
  }

  /** Restores a scaler from {@link MinMaxScaler.toJSON}'s output, checking its shape. */
  static fromJSON(json: unknown): MinMaxScaler {
    const j = json as Partial<MinMaxScalerJSON>;
    if (
      !j || j.kind !== "min-max" || !Array.isArray(j.min) || !Array.isArray(j.max) ||
      j.min.length !== j.max.length || ![...j.min, ...j.max].every(Number.isFinite)
    ) {
      throw new TypeError(
        "not a min-max scaler: expected {kind: 'min-max', min: [...], max: [...]}",
      );
    }
    return new MinMaxScaler(
      Float64Array.from(j.min),
      Float64Array.from(j.max),
      j.fittedOn ?? "unknown",
    );
  }

  #scale(): Float64Array {
    return this.max.map((hi, j) => (hi > this.min[j] ? 1 / (hi - this.min[j]) : 0));
  }

  #checkWidth(values: Float32Array): number {
    const w = this.width;
    if (values.length % w !== 0) {
      throw new RangeError(`${values.length} values are not a whole number of rows of ${w}`);
    }
    return w;
  }
}

/** Options of {@link fitMinMax}. */
export interface FitMinMaxOptions {
  /** Values per row; default 186 fluxes. */
  width?: number;
  /** Label stored with the scaler, e.g. "train rows". */
  fittedOn?: string;
}

/**
 * Fits a scaler on the rows `rows` of row-major `values`.
 *
 * Pass the training indices for the leak-free fit, or `"all"` to reproduce
 * the dissertation's fit on every row (test rows included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitMinMax } from "./min_max_scaler.ts";
 * const values = new Float32Array([0, 10, 5, 20, 10, 30]); // 3 rows × 2 columns
 * const scaler = fitMinMax(values, "all", { width: 2 });
 * assert.ok(scaler.transform(values)[4] === 1);
 * ```
 */
export function fitMinMax(
  values: Float32Array,
  rows: ArrayLike<number> | "all",
  options: FitMinMaxOptions = {},
): MinMaxScaler {
  const w = options.width ?? N_FLUX;
  const nRows = values.length / w;
  const count = rows === "all" ? nRows : rows.length;
  if (count === 0) throw new RangeError("cannot fit a scaler on zero rows");
  const min = new Float64Array(w).fill(Infinity);
  const max = new Float64Array(w).fill(-Infinity);
  for (let k = 0; k < count; k++) {
    const i = rows === "all" ? k : rows[k];
    const base = i * w;
    for (let j = 0; j < w; j++) {
      const v = values[base + j];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  return new MinMaxScaler(
    min,
    max,
    options.fittedOn ?? (rows === "all" ? "all rows" : `${count} rows`),
  );
}
