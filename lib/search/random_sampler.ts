/**
 * Random search: every point drawn uniformly (log-uniformly on log scales),
 * independent of the results so far.
 *
 * @module
 */
import type { Random } from "../random.ts";
import { sampleSpace, type SearchSpace } from "./space.ts";
import type { Observation, Proposal, Sampler } from "./sampler.ts";

/**
 * Random search (Bergstra & Bengio 2012): with few dimensions that matter, it
 * covers each of them better than a grid of the same size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSampler } from "./random_sampler.ts";
 * import { Random } from "../random.ts";
 * const space = { dimensions: { lr: { kind: "float" as const, low: 1e-4, high: 1e-2, log: true } } };
 * const { params } = randomSampler().propose(space, [], new Random(3));
 * assert.ok(Number(params.lr) >= 1e-4 && Number(params.lr) <= 1e-2);
 * ```
 */
export function randomSampler(): Sampler {
  return {
    name: "random",
    settings: {},
    propose(space: SearchSpace, _observations: readonly Observation[], random: Random): Proposal {
      return { params: sampleSpace(space, random), source: "random" };
    },
  };
}
