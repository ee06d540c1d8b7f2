/**
 * Training and validation curves per epoch (Figs. 13, 14 and 15), optionally
 * beside a published history drawn dashed.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  COLORS,
  type FigureOptions,
  gridAxis,
  labelledRulesX,
  type LegendEntry,
  logYAxisMarks,
  paddedExtent,
  type PlotOutput,
  renderFigure,
} from "./_render.ts";
import type { EpochLog } from "../train.ts";

/** The fields of a training epoch the curves draw; a Keras history read from CSV has these. */
export type CurveEpoch = Pick<EpochLog, "epoch" | "loss" | "mae" | "valLoss" | "valMae">;

/** Options of {@link trainingCurvesPlot}. */
export interface TrainingCurvesPlotOptions extends FigureOptions {
  /** Which metric to draw; default "loss". */
  metric?: "loss" | "mae";
  /** A second history drawn dashed, e.g. the dissertation's. */
  reference?: CurveEpoch[];
  /** Legend suffix of the reference; default "dissertation". */
  referenceLabel?: string;
  /** Legend suffix of `history`; default "this run". */
  historyLabel?: string;
  /** Draws a vertical rule at this epoch, e.g. where validation stops improving. */
  markEpoch?: number;
  /** Text beside the rule; default "epoch N". */
  markLabel?: string;
  logY?: boolean;
  /** Label of the y axis; defaults name the metric. */
  yLabel?: string;
}

/** Figs. 13–15: training and validation loss (or MAE) per epoch. */
export function trainingCurvesPlot(
  history: CurveEpoch[],
  options: TrainingCurvesPlotOptions = {},
): PlotOutput {
  const metric = options.metric ?? "loss", logY = options.logY;
  const sources = [{ points: history, label: options.historyLabel ?? "this run", dashed: false }];
  if (options.reference) {
    const label = options.referenceLabel ?? "dissertation";
    sources.push({ points: options.reference, label, dashed: true });
  }
  const split = [
    { key: metric === "loss" ? "loss" : "mae", name: "Training", color: COLORS.blue },
    { key: metric === "loss" ? "valLoss" : "valMae", name: "Validation", color: COLORS.orange },
  ] as const;

  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  const allValues: number[] = [];
  const allEpochs: number[] = [];
  for (const source of sources) {
    for (const part of split) {
      const points = source.points
        .map((p) => ({ epoch: p.epoch, value: p[part.key] }))
        .filter((p) => Number.isFinite(p.value) && (!logY || p.value > 0));
      if (points.length === 0) continue;
      allValues.push(...points.map((p) => p.value));
      allEpochs.push(...points.map((p) => p.epoch));
      marks.push(
        Plot.lineY(points, {
          x: "epoch",
          y: "value",
          stroke: part.color,
          strokeWidth: source.dashed ? 1.5 : 2,
          strokeDasharray: source.dashed ? "6,4" : undefined,
          strokeOpacity: source.dashed ? 0.8 : 1,
        }),
      );
      if (!source.dashed) {
        marks.push(Plot.dot(points, { x: "epoch", y: "value", fill: part.color, r: 2.5 }));
      }
      legend.push({
        label: sources.length > 1 ? `${part.name} (${source.label})` : part.name,
        color: part.color,
        line: source.dashed ? "dashed" : "solid",
        marker: source.dashed ? "none" : "dot",
      });
    }
  }
  if (options.markEpoch !== undefined) {
    const label = options.markLabel ?? `epoch ${options.markEpoch}`;
    marks.unshift(...labelledRulesX([options.markEpoch], "2,3", () => label, {
      textAnchor: "start",
      dx: 4,
      dy: 4,
      lineAnchor: "top",
    }));
  }
  const maxEpoch = Math.max(1, ...allEpochs, options.markEpoch ?? 1);
  const yLabel = options.yLabel ??
    (metric === "loss" ? "Huber loss (δ = 1)" : "Mean absolute error in z");
  if (logY) marks.unshift(...logYAxisMarks(allValues, yLabel));
  // A linear axis spans the data with 5 % headroom: curves of small losses need no zero.
  const domain = allValues.length ? paddedExtent(allValues, 0.05) : undefined;
  return renderFigure({
    height: 340,
    marginLeft: 70,
    marginRight: 20,
    x: axis("Epoch", {
      domain: [Math.min(1, ...allEpochs), maxEpoch],
      ticks: Math.min(maxEpoch, 10),
      tickFormat: (d: number) => (Number.isInteger(d) ? String(d) : ""),
    }),
    y: gridAxis(yLabel, logY ? { type: "log", grid: false } : { type: "linear", domain }),
    marks,
  }, {
    options,
    title: `Training and validation ${metric === "loss" ? "loss" : "MAE"}`,
    legend,
    // The last epoch of this run drawn: tools/check_html.ts holds the title's epoch count to it.
    data: { epochs: Math.max(0, ...history.map((h) => h.epoch)) },
  });
}

/**
 * Reads a Keras `CSVLogger`-style history (columns `loss`, `mean_absolute_error`
 * or `mae`, `val_loss`, `val_mean_absolute_error` or `val_mae`, one row per
 * epoch) into epoch points numbered from 1, ready to pass as `reference`.
 *
 * @param text the CSV file's text (e.g. the dissertation's history.csv)
 */
export function historyFromKerasCsv(text: string): CurveEpoch[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) return [];
  const header = lines[0].split(",").map((name) => name.trim());
  const column = (...names: string[]) => {
    const index = header.findIndex((h) => names.includes(h));
    if (index < 0) throw new Error(`history CSV has no column ${names.join(" or ")}`);
    return index;
  };
  const loss = column("loss");
  const mae = column("mean_absolute_error", "mae");
  const valLoss = header.indexOf("val_loss");
  const valMae = header.findIndex((h) => h === "val_mean_absolute_error" || h === "val_mae");
  const epochColumn = header.findIndex((h) => h === "" || h === "epoch");
  return lines.slice(1).map((line, row) => {
    const cells = line.split(",").map(Number);
    return {
      // Keras numbers epochs from 0; the plots number them from 1.
      epoch: (epochColumn >= 0 ? cells[epochColumn] : row) + 1,
      loss: cells[loss],
      mae: cells[mae],
      valLoss: valLoss >= 0 ? cells[valLoss] : NaN,
      valMae: valMae >= 0 ? cells[valMae] : NaN,
    };
  });
}
