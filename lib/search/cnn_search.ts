/**
 * A search over the network for one run profile, as the notebook and `deno task search` run it
 * (the profile's budget, its baseline first, TPE or random proposals, the median rule, a trial
 * log), and its objective: a point's best validation MAE after a few epochs. The MAE, not the
 * loss, because points differ in their Huber δ and so in the scale of their losses.
 *
 * @module
 */
import { buildModel } from "../model.ts";
import type { RunProfile } from "../profiles.ts";
import { train, type XY } from "../train.ts";
import { cnnSearchSpace, paramsToTrialConfig } from "./cnn_space.ts";
import { MedianPruner } from "./pruner.ts";
import { randomSampler } from "./sampler.ts";
import { tpeSampler } from "./tpe.ts";
import { type Objective, runSearch, type SearchOptions, type SearchResult } from "./search.ts";
import { SEARCH_BUDGETS, searchBaseline, type SearchStrategy } from "./budgets.ts";

/**
 * An objective that trains each point's network for `epochs` (fewer if pruned) on `data.train` and
 * reports its validation MAE after every epoch; the trial's seed fixes weights and batch order.
 */
export function cnnObjective(data: { train: XY; validation: XY }, epochs: number): Objective {
  return async (params, context) => {
    const config = paramsToTrialConfig(params, { seed: context.seed });
    const model = buildModel(config.model);
    context.info.parameters = model.countParams();
    try {
      const result = await train(model, data, {
        epochs,
        batchSize: config.batchSize,
        seed: context.seed,
        learningRate: config.learningRate,
        huberDelta: config.huberDelta,
        loss: config.loss,
        optimizer: config.optimizer,
        onEpochEnd: (log) => context.report(log.valMae, { last: log.epoch === epochs }),
      });
      const scores = result.history.map((h) => h.valMae).filter(Number.isFinite);
      return scores.length ? Math.min(...scores) : NaN;
    } finally {
      model.dispose();
    }
  };
}

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

/** Searches the network's hyperparameters on `data` with the budget of `profile`. */
export async function runCnnSearch(
  profile: RunProfile,
  data: { train: XY; validation: XY },
  options: CnnSearchOptions,
): Promise<SearchResult> {
  const { strategy, trials, epochs: _, seed, baseline = true, settings, ...passed } = options;
  const budget = SEARCH_BUDGETS[profile.name];
  const epochs = options.epochs ?? budget.epochs;
  return await runSearch(cnnSearchSpace(budget.space), cnnObjective(data, epochs), {
    ...passed,
    sampler: strategy === "tpe"
      ? tpeSampler({ startupTrials: budget.startupTrials })
      : randomSampler(),
    trials: trials ?? budget.trials,
    seed: seed ?? budget.seed,
    pruner: new MedianPruner(budget.pruner),
    baseline: baseline ? searchBaseline(profile) : undefined,
    settings: {
      profile: profile.name,
      epochs,
      trainingRows: data.train.y.length,
      validationRows: data.validation.y.length,
      ...settings,
    },
  });
}
