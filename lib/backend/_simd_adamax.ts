/**
 * The Adamax update's loop in WebAssembly SIMD for `cpu_adamax.ts`: a JavaScript loop spends about
 * 5.7 ns a weight on it (V8 rounds every operation to float32 through float64 and does not
 * vectorise), 4 ms a step for the dissertation's 699,073 weights, 14 % of a batch-16 step. Four
 * lanes of float32 arithmetic round as the loop does, so both give the same bits; the arrays are
 * copied into one WebAssembly memory and back, which costs less than the loop saves.
 *
 * @module
 */
import { type AdamaxConstants, ReusedArena } from "./_simd.ts";

export type { AdamaxConstants };

/** A tensor's weights, first moments and infinity norms. */
export interface AdamaxArrays {
  weight: Float32Array;
  firstMoment: Float32Array;
  infNorm: Float32Array;
}

const arena = new ReusedArena();

/**
 * One Adamax update of a tensor's `weight`, `firstMoment` and `infNorm` from `gradient`, written
 * to `out` (which may be the inputs themselves). False where the runtime has no WebAssembly SIMD:
 * the caller then runs its own loop.
 */
export function simdAdamaxUpdate(
  from: AdamaxArrays,
  gradient: Float32Array,
  out: AdamaxArrays,
  constants: AdamaxConstants,
): boolean {
  const n = gradient.length, padded = Math.ceil(n / 4) * 4;
  const memory = arena.emptied(4 * padded, 4);
  if (!memory) return false;
  const [w, m, u, g] = [0, 1, 2, 3].map(() => memory.alloc(padded));
  w.set(from.weight);
  m.set(from.firstMoment);
  u.set(from.infNorm);
  g.set(gradient);
  // The padding lanes compute on stale floats and are never copied out.
  memory.adamax(w, m, u, g, padded, constants);
  out.weight.set(w.subarray(0, n));
  out.firstMoment.set(m.subarray(0, n));
  out.infNorm.set(u.subarray(0, n));
  return true;
}
