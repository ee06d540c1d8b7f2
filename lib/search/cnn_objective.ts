/**
 * The objective of the network search: build the point's network, train it
 * for a few epochs, and score it by its best validation MAE.
 *
 * The score is the MAE in z, not the validation loss: points differ in their
 * Huber δ, so their losses are on different scales, while the MAE is the
 * same quantity for every point.
 *
 * @module
 */
import type { ModelConfig } from "../model.ts";
import { buildModel } from "../model.ts";
import { train, type XY } from "../train.ts";
import type { Objective } from "./search.ts";
import { paramsToTrialConfig } from "./cnn_space.ts";

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
 * An objective that trains the network of each point on `data.train` and
 * reports its validation MAE after every epoch; the trial's seed fixes the
 * initial weights and the batch order.
 *
 * @param data scaled training and validation sets
 * @param options epochs per trial and fixed model fields
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
