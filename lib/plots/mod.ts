/**
 * Plot functions for every figure of the project. Each takes plain data and an options object and
 * returns a {@link PlotOutput}: the text of one standalone `<svg>` (titles, legend and caption
 * drawn inside it). In a notebook, show it with `svgDisplay(svg)` as a cell's last expression (or
 * ``Deno.jupyter.svg`${svg}` ``, a template tag); or write it to a `.svg` file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redshiftHistogram } from "./mod.ts";
 * const svg = redshiftHistogram([0.08, 0.11, 0.12, 0.2]);
 * assert.ok(svg.startsWith("<svg"));
 * ```
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
  DEFAULT_WIDTH,
  type FigureOptions,
  type LegendEntry,
  normalizeSvg,
  type PlotOutput,
  type SvgDisplay,
  svgDisplay,
} from "./_render.ts";
