/**
 * Seeded pseudo-random numbers, identical on every machine.
 *
 * Everything random in the project (mock data, the split, weight initial
 * values, batch order) draws from here, so one seed fixes a whole run.
 *
 * @module
 */

/** A seeded generator of uniform and normal deviates (xoshiro128**). */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spareNormal: number | null = null;

  /**
   * Seeds the four-word state from one integer with splitmix32.
   *
   * @param seed any integer; equal seeds give equal streams
   */
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let t = x;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    [this.#s0, this.#s1, this.#s2, this.#s3] = [next(), next(), next(), next()];
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 = s2 ^ s0;
    this.#s3 = s3 ^ s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 = s0 ^ this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform deviate in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (Marsaglia polar method). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const v = this.#spareNormal;
      this.#spareNormal = null;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt(-2 * Math.log(s) / s);
    this.#spareNormal = v * f;
    return u * f;
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [array[i], array[j]] = [array[j], array[i]];
    }
    return array;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A permutation of 0..n-1 drawn from `seed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutation } from "./random.ts";
 * const p = permutation(5, 42);
 * assert.ok([...p].sort().join() === "0,1,2,3,4");
 * ```
 */
export function permutation(n: number, seed: number): Uint32Array {
  return new Random(seed).shuffle(Uint32Array.from({ length: n }, (_, i) => i));
}
