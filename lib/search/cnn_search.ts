/**
 * A search over the network for one run profile, as the notebook and `deno task search` run it:
 * the profile's budget (space, trials, epochs), its baseline first, TPE or random proposals, the
 * median rule, a trial log; and its objective, which builds the point's network, trains it for a
 * few epochs and scores it by its best validation MAE.
 *
 * The score is the MAE in z, not the validation loss: points differ in their Huber δ, so their
 * losses are on different scales, while the MAE is the same quantity for every point.
 *
 * @module
 */
import { buildModel, type ModelConfig } from "../model.ts";
import type { RunProfile } from "../profiles.ts";
import { train, type XY } from "../train.ts";
import { cnnSearchSpace, paramsToTrialConfig } from "./cnn_space.ts";
import { MedianPruner } from "./pruner.ts";
import { randomSampler } from "./sampler.ts";
import { tpeSampler } from "./tpe.ts";
import { type Objective, runSearch, type SearchOptions, type SearchResult } from "./search.ts";
import { SEARCH_BUDGETS, searchBaseline, type SearchStrategy } from "./budgets.ts";

/** Options of {@link cnnObjective}. */
export interface CnnObjectiveOptions {
  /** Epochs per trial (a pruned trial stops sooner). */
  epochs: number;
  /** Model fields the space does not set, e.g. the input length. */
  base?: Partial<ModelConfig>;
  /** Batch size of the validation passes; default 1024. */
  evalBatchSize?: number;
}

/**
 * An objective that trains the network of each point on `data.train` and reports its validation
 * MAE after every epoch; the trial's seed fixes the initial weights and the batch order.
 */
export function cnnObjective(
  data: { train: XY; validation: XY },
  options: CnnObjectiveOptions,
): Objective {
  return async (params, context) => {
    const config = paramsToTrialConfig(params, { ...options.base, seed: context.seed });
    const model = buildModel(config.model);
    context.info.parameters = model.countParams();
    try {
      const result = await train(model, data, {
        epochs: options.epochs,
        batchSize: config.batchSize,
        seed: context.seed,
        learningRate: config.learningRate,
        huberDelta: config.huberDelta,
        loss: config.loss,
        optimizer: config.optimizer,
        evalBatchSize: options.evalBatchSize,
        onEpochEnd: (log) => context.report(log.valMae, { last: log.epoch === options.epochs }),
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
  return await runSearch(cnnSearchSpace(budget.space), cnnObjective(data, { epochs }), {
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
