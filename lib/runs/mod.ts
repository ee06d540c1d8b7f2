/**
 * Results on disk. A model folder ({@link saveModel}, {@link loadModel}) holds a trained
 * network, its scaler and its record; a run folder ({@link saveRunArtifact},
 * {@link loadRunArtifact}) adds the training history, the test predictions and the run record
 * (command, commit, machine, wall time). Both are written atomically. A model folder with a PDF
 * head keeps the training distribution of z for the α knob ({@link trainingPriorRecord},
 * {@link readTrainingPrior}).
 *
 * @module
 */
export * from "./model_folder.ts";
export * from "./run_folder.ts";
export * from "./provenance.ts";
export * from "./training_prior.ts";
