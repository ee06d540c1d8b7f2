/**
 * Hyperparameter search: a search space, random search, TPE (a model-based search), early stopping
 * of poor trials, and a resumable trial log; with the network's space and objective.
 *
 * @module
 */
export * from "./space.ts";
export * from "./sampler.ts";
export * from "./tpe.ts";
export * from "./pruner.ts";
export * from "./trial_log.ts";
export * from "./search.ts";
export * from "./cnn_space.ts";
export * from "./budgets.ts";
export * from "./cnn_search.ts";
export * from "./search_tables.ts";
