/**
 * What a search strategy is (it proposes the next point from those evaluated so far), and the
 * simplest one, random search.
 *
 * @module
 */
import type { Random } from "../random.ts";
import { type Params, sampleSpace, type SearchSpace } from "./space.ts";

/** A finished trial as a sampler sees it: its point and objective (lower is better). */
export interface Observation {
  params: Params;
  /** Objective value; null or non-finite for a trial that failed (counted as the worst). */
  value: number | null;
}

/** Who proposed a trial's point: uniform sampling, the model, or the caller (a baseline). */
export type ProposalSource = "random" | "tpe" | "baseline";

/** A proposed point and who proposed it. */
export interface Proposal {
  params: Params;
  source: ProposalSource;
}

/** A search strategy. */
export interface Sampler {
  /** Name recorded in the trial log. */
  readonly name: string;
  /** Settings that must match when a search resumes (recorded in the log). */
  readonly settings: Record<string, unknown>;
  /** The next point to evaluate, given the trials so far; draws only from `random`. */
  propose(space: SearchSpace, observations: readonly Observation[], random: Random): Proposal;
}

/**
 * Random search (Bergstra & Bengio 2012): every point drawn uniformly (log-uniformly on log
 * scales), independent of the results so far. With few dimensions that matter, it covers each of
 * them better than a grid of the same size.
 */
export function randomSampler(): Sampler {
  return {
    name: "random",
    settings: {},
    propose: (space, _observations, random) => ({
      params: sampleSpace(space, random),
      source: "random",
    }),
  };
}
