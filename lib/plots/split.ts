/**
 * The data split (Fig. 12): how many galaxies train, validate and test the model.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  type FigureOptions,
  formatCount,
  type PlotOutput,
  renderFigure,
  seriesColor,
} from "./_render.ts";

/** One part of a split. */
export interface SplitPart {
  /** Name of the part, e.g. "Training". */
  label: string;
  count: number;
}

/** Sizes of the three usual parts. */
export interface SplitCounts {
  /** Galaxies the model is fitted on. */
  train: number;
  /** Galaxies that choose the epoch (early stopping). */
  validation: number;
  /** Galaxies held out for the final evaluation. */
  test: number;
}

/** Options of {@link dataSplitPlot}. */
export type DataSplitPlotOptions = FigureOptions;

/**
 * Fig. 12: one horizontal bar per part of the split, labelled with its count
 * and its share of all galaxies.
 *
 * @param parts the three usual counts, or any list of labelled counts
 */
export function dataSplitPlot(
  parts: SplitCounts | SplitPart[],
  options: DataSplitPlotOptions = {},
): PlotOutput {
  const list: SplitPart[] = Array.isArray(parts) ? parts : [
    { label: "Training", count: parts.train },
    { label: "Validation", count: parts.validation },
    { label: "Test", count: parts.test },
  ];
  for (const p of list) {
    if (!(p.count >= 0)) throw new RangeError(`count of "${p.label}" must be ≥ 0, got ${p.count}`);
  }
  const total = list.reduce((sum, p) => sum + p.count, 0);
  const rows = list.map((p, k) => ({
    ...p,
    color: seriesColor(k, 5),
    text: `${formatCount(p.count)} (${total ? ((100 * p.count) / total).toFixed(1) : "0.0"} %)`,
  }));
  return renderFigure({
    height: 60 + 48 * rows.length,
    marginLeft: 90,
    marginRight: 140,
    marginBottom: 40,
    x: axis("Galaxies", {
      domain: [0, Math.max(total ? Math.max(...list.map((p) => p.count)) : 1, 1)],
      grid: true,
      tickFormat: formatCount,
      ticks: 5,
    }),
    y: { domain: rows.map((r) => r.label), label: null, padding: 0.25 },
    marks: [
      Plot.barX(rows, { x: "count", y: "label", fill: (d: { color: string }) => d.color }),
      Plot.text(rows, {
        x: "count",
        y: "label",
        text: "text",
        textAnchor: "start",
        dx: 6,
        fontWeight: "bold",
      }),
      Plot.ruleX([0]),
    ],
  }, { options, title: "Data split", subtitle: `${formatCount(total)} galaxies in all` });
}
