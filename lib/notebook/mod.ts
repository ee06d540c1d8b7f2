/**
 * What the notebooks share and nothing else uses: the data of each profile, displays of figures
 * and tables in Jupyter, a live progress line, the choice between training and presenting a
 * committed run, the small experiments of chapter 2, and the bookkeeping of notebooks 05–07
 * (committed searches, ensembles and bias runs as Markdown, with sentences computed from them).
 *
 * @module
 */
export * from "./notebook.ts";
export * from "./training_time.ts";
export * from "./experiments.ts";
export * from "./dissertation.ts";
export * from "./search_report.ts";
export * from "./ensemble_report.ts";
export * from "./bias_runs.ts";
export * from "./bias_report.ts";
