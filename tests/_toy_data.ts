// A small learnable problem for training tests: each "spectrum" is a noisy
// bump whose position encodes z, as an emission line's does.
import { Random } from "../lib/random.ts";
import type { XY } from "../lib/train.ts";

/** `n` spectra of `length` samples whose bump centre moves with z ∈ [0, 0.6]. */
export function bumpData(n: number, seed: number, length = 186): XY {
  const r = new Random(seed);
  const x = new Float32Array(n * length), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = r.uniform() * 0.6;
    y[i] = z;
    const centre = 30 + z * 200;
    for (let j = 0; j < length; j++) {
      x[i * length + j] = Math.exp(-((j - centre) ** 2) / 60) + 0.05 * r.normal();
    }
  }
  return { x, y };
}

/** A narrow variant of the dissertation's architecture, quick to train on a CPU. */
export const NARROW = { convFilters: [8, 8, 8, 8], denseUnits: [16, 16, 16, 16] };
