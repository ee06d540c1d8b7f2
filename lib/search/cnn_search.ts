/**
 * A search over the network for one run profile, as the notebook and
 * `deno task search` run it: the profile's budget (space, trials, epochs), its
 * baseline first, TPE or random proposals, the median rule, a trial log.
 *
 * @module
 */
import type { RunProfile } from "../profiles.ts";
import type { XY } from "../train.ts";
import { cnnSearchSpace } from "./cnn_space.ts";
import { cnnObjective } from "./cnn_objective.ts";
import { MedianPruner } from "./pruner.ts";
import { randomSampler } from "./random_sampler.ts";
import { tpeSampler } from "./tpe.ts";
import { runSearch, type SearchOptions, type SearchResult } from "./search.ts";
import { SEARCH_BUDGETS, searchBaseline, type SearchStrategy } from "./budgets.ts";

/** Options of {@link runCnnSearch}. */
export interface CnnSearchOptions extends
  Pick<
    SearchOptions,
    "logPath" | "resume" | "session" | "timeLimitSeconds" | "onTrialStart" | "onTrialEnd"
  > {
  /** TPE after the budget's random startup trials, or random throughout. */
  strategy: SearchStrategy;
  /** Trials in all; default the budget's. */
  trials?: number;
  /** Epochs per trial; default the budget's. */
  epochs?: number;
  /** Seed; default the budget's. */
  seed?: number;
  /** Evaluate the profile's own network first; default true. */
  baseline?: boolean;
  /** Facts about the data (source, galaxies) that a resumed search must match. */
  settings?: Record<string, unknown>;
}

/**
 * Searches the network's hyperparameters on `data` with the budget of `profile`.
 *
 * @param profile the run profile (its budget, baseline network and seed)
 * @param data scaled training and validation sets
 * @param options strategy, trials, log file and callbacks
 */
export async function runCnnSearch(
  profile: RunProfile,
  data: { train: XY; validation: XY },
  options: CnnSearchOptions,
): Promise<SearchResult> {
  const budget = SEARCH_BUDGETS[profile.name];
  const epochs = options.epochs ?? budget.epochs;
  return await runSearch(cnnSearchSpace(budget.space), cnnObjective(data, { epochs }), {
    sampler: options.strategy === "tpe"
      ? tpeSampler({ startupTrials: budget.startupTrials })
      : randomSampler(),
    trials: options.trials ?? budget.trials,
    seed: options.seed ?? budget.seed,
    pruner: new MedianPruner(budget.pruner),
    baseline: (options.baseline ?? true) ? searchBaseline(profile) : undefined,
    logPath: options.logPath,
    resume: options.resume,
    settings: {
      profile: profile.name,
      epochs,
      trainingRows: data.train.y.length,
      validationRows: data.validation.y.length,
      ...options.settings,
    },
    session: options.session,
    timeLimitSeconds: options.timeLimitSeconds,
    onTrialStart: options.onTrialStart,
    onTrialEnd: options.onTrialEnd,
  });
}
