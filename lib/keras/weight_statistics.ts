/**
 * Is a network trained? Statistics of its weights that tell freshly initialised
 * weights from trained ones.
 *
 * Keras (and {@link buildModel}) start every kernel as a Glorot-uniform draw, uniform on [−L, L]
 * with L = √(6 / (fan_in + fan_out)), and every bias at zero. Training moves the biases off zero at
 * the first step and spreads the kernels beyond L. A file whose biases are all exactly zero and
 * whose kernels are uniform within their limits has not been trained; this is how the
 * dissertation's published `model.keras` was found to hold its initial weights.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";

/** The weights of one layer with a kernel, against a fresh Glorot-uniform draw. */
export interface LayerWeightStatistics {
  /** Layer name. */
  layer: string;
  /** Kernel shape: [kernel, in, out] for Conv1D, [in, out] for Dense. */
  kernelShape: number[];
  /** Half-width L = √(6 / (fan_in + fan_out)) of Keras's default initial draw. */
  glorotLimit: number;
  /** max |w| / L: at most 1 for a fresh draw. */
  maxAbsOverLimit: number;
  /** std(w) / (L / √3): close to 1 for a fresh draw (a uniform's standard deviation). */
  stdOverGlorot: number;
  /** Largest |bias|: exactly 0 before training. */
  maxAbsBias: number;
}

/**
 * Per-layer statistics of `model`'s kernels and biases (layers without a kernel are skipped).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildModel } from "../model.ts";
 * import { selectBackend } from "../backend/select.ts";
 * import { looksUntrained, weightStatistics } from "./weight_statistics.ts";
 * await selectBackend({ backend: "cpu" });
 * const model = buildModel({ convFilters: [4, 4, 4, 4], denseUnits: [8, 8, 8, 8] });
 * assert.ok(looksUntrained(weightStatistics(model)));
 * model.dispose();
 * ```
 */
export function weightStatistics(model: tfl.LayersModel): LayerWeightStatistics[] {
  const rows: LayerWeightStatistics[] = [];
  for (const layer of model.layers) {
    const [kernel, bias] = layer.getWeights(); // live variables: read, never dispose
    if (!kernel || kernel.shape.length < 2) continue;
    const values = kernel.dataSync();
    let sumSquares = 0, sum = 0, maxAbs = 0;
    for (const v of values) {
      sum += v;
      sumSquares += v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    const mean = sum / values.length;
    const std = Math.sqrt(Math.max(0, sumSquares / values.length - mean * mean));
    // Fan-in and fan-out as Keras counts them: the receptive field times the channels.
    const receptive = kernel.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const [fanIn, fanOut] = kernel.shape.slice(-2).map((channels) => receptive * channels);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    let maxAbsBias = 0;
    for (const b of bias?.dataSync() ?? []) maxAbsBias = Math.max(maxAbsBias, Math.abs(b));
    rows.push({
      layer: layer.name,
      kernelShape: kernel.shape,
      glorotLimit: limit,
      maxAbsOverLimit: maxAbs / limit,
      stdOverGlorot: std / (limit / Math.sqrt(3)),
      maxAbsBias,
    });
  }
  return rows;
}

/**
 * True when every layer looks freshly initialised: all biases exactly zero and every kernel inside
 * its Glorot limit with a standard deviation within `tolerance` (relative) of a uniform draw's,
 * plus 2/√n for a kernel of n weights (about 4.4 standard errors of a uniform sample's standard
 * deviation, so small kernels are not misjudged). Any training step moves some bias off zero, so a
 * trained network fails the first test even where its kernels have barely moved.
 */
export function looksUntrained(stats: LayerWeightStatistics[], tolerance = 0.01): boolean {
  return stats.length > 0 && stats.every((s) => {
    const n = s.kernelShape.reduce((a, b) => a * b, 1);
    return s.maxAbsBias === 0 && s.maxAbsOverLimit <= 1 + 1e-6 &&
      Math.abs(s.stdOverGlorot - 1) <= tolerance + 2 / Math.sqrt(n);
  });
}
