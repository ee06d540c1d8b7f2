/**
 * Results on disk. A model folder ({@link saveModel}, {@link loadModel}) holds a trained
 * network, its scaler and its record; a run folder ({@link saveRunArtifact},
 * {@link loadRunArtifact}) adds the training history, the test predictions and the run record
 * (command, commit, machine, wall time). Both are written atomically.
 *
 * @module
 */
export * from "./model_folder.ts";
export * from "./run_folder.ts";
export * from "./provenance.ts";
