/**
 * The bookkeeping of notebooks 05 and 06 behind one call each: the committed larger runs
 * (searches, ensembles) as Markdown, and the sentences about them, computed from their records.
 *
 * @module
 */
export * from "./search_report.ts";
export * from "./ensemble_report.ts";
