/**
 * The search budget of each profile (trials, epochs, ranges, early stopping), its
 * baseline point, and where the logs of the larger searches are committed.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ModelConfig } from "../model.ts";
import { NARROW_MODEL, profileModel, type ProfileName, type RunProfile } from "../profiles.ts";
import type { Params } from "./space.ts";
import { type CnnSpaceOptions, trialConfigToParams } from "./cnn_space.ts";
import type { MedianPrunerOptions } from "./pruner.ts";

/** The search budget of one profile: how many trials, how long each, over which ranges. */
export interface SearchBudget {
  trials: number;
  epochs: number;
  /** Random trials (the baseline included) before TPE takes over. */
  startupTrials: number;
  space: CnnSpaceOptions;
  pruner: MedianPrunerOptions;
  /** Seed of the proposals and of each trial. */
  seed: number;
  /** The baseline trial's network and batch when the profile's own lie outside `space`. */
  baseline?: { model: Partial<ModelConfig>; batchSize: number };
}

/** Strategies of the command line and the notebook. */
export type SearchStrategy = "random" | "tpe";

/** The search of each profile. */
export const SEARCH_BUDGETS: Readonly<Record<ProfileName, SearchBudget>> = Object.freeze({
  // A CPU in CI, about a minute: small networks (the smoke profile's own is the largest), 2 epochs.
  smoke: {
    trials: 8,
    epochs: 2,
    startupTrials: 4,
    space: {
      maxConvLayers: 4,
      filters: [4, 16],
      kernel: [2, 9],
      maxDenseLayers: 4,
      units: [8, 32],
      learningRate: [3e-4, 1e-2],
      batchSizes: [32, 64, 128],
      maxParams: 100_000,
    },
    pruner: { startupTrials: 2, warmupSteps: 0 },
    seed: 7,
    // The profile's own network (699,073 parameters) is far outside these ranges.
    baseline: { model: NARROW_MODEL, batchSize: 32 },
  },
  // Wide ranges (the dissertation's dimensions; it gives no ranges) on the profile's galaxies, 5
  // epochs per trial, sized for a CPU: TPE has had its start-up (the baseline, then random points)
  // and as many trials of its own by the last trial. What the committed logs' trials cost, and on
  // which machine, notebook 05 computes from results/search/.
  default: {
    trials: 20,
    epochs: 5,
    startupTrials: 10,
    space: {},
    pruner: { startupTrials: 5, warmupSteps: 1 },
    seed: 7,
  },
  full: {
    trials: 60,
    epochs: 10,
    startupTrials: 15,
    space: {},
    pruner: { startupTrials: 5, warmupSteps: 2 },
    seed: 7,
  },
});

/** The baseline trial of a profile: its own network and recipe, or its budget's `baseline`. */
export function searchBaseline(profile: RunProfile): Params {
  const { baseline, space } = SEARCH_BUDGETS[profile.name];
  const model = { ...profileModel(profile), ...baseline?.model };
  return trialConfigToParams(model, baseline?.batchSize ?? profile.batchSize, {
    maxConvLayers: space.maxConvLayers,
    maxDenseLayers: space.maxDenseLayers,
    learningRate: profile.learningRate,
    huberDelta: profile.huberDelta,
  });
}

/** Where the log of a profile's larger search is committed: `results/search/<profile>_<strategy>.jsonl`. */
export function committedSearchPath(profile: ProfileName, strategy: SearchStrategy): string {
  return fileURLToPath(
    new URL(`../../results/search/${profile}_${strategy}.jsonl`, import.meta.url),
  );
}
