/**
 * Plot functions for every figure of the project. Each takes plain data and an options object and
 * returns a {@link PlotOutput}: the text of one standalone `<svg>` (titles, legend and caption
 * drawn inside it), which a notebook shows with `figure(svg)` (lib/notebook) or a tool writes to a
 * `.svg` file.
 *
 * @module
 */
export * from "./redshift_histogram.ts";
export * from "./spectrum.ts";
export * from "./split.ts";
export * from "./training_curves.ts";
export * from "./errors_by_bin.ts";
export * from "./prediction_density.ts";
export * from "./background.ts";
export * from "./search_trials.ts";
export * from "./calibration.ts";
export * from "./bias.ts";
export {
  COLORS,
  type FigureOptions,
  type LegendEntry,
  normalizeSvg,
  type PlotOutput,
} from "./_render.ts";
