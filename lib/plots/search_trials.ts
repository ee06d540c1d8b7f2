/**
 * A hyperparameter search trial by trial: each trial's validation score,
 * coloured by who proposed it, with the best score so far as a step line.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  COLORS,
  type FigureOptions,
  gridAxis,
  type LegendEntry,
  logYAxisMarks,
  type PlotOutput,
  renderFigure,
} from "./_render.ts";
import { count } from "../tables.ts";

/** One trial as the plot needs it (lib/search's `TrialRecord` fits). */
export interface TrialPoint {
  number: number;
  source: "random" | "tpe" | "baseline";
  /** How the trial ended; pruned trials are drawn hollow, failed ones left out. */
  state: "complete" | "pruned" | "failed";
  /** Score, lower is better; null for a failed trial. */
  value: number | null;
}

/** Options of {@link searchTrialsPlot}. */
export interface SearchTrialsPlotOptions extends FigureOptions {
  /** Label of the y axis; default "Validation MAE in z". */
  yLabel?: string;
  /** Logarithmic y axis; default true. */
  logY?: boolean;
  /** Legend label of the baseline trial; default "baseline". */
  baselineLabel?: string;
}

const SOURCES = [
  { source: "baseline", label: "baseline", color: COLORS.green },
  { source: "random", label: "random", color: COLORS.blue },
  { source: "tpe", label: "TPE (model-based)", color: COLORS.orange },
] as const;

/** Validation score of each trial and the best so far. */
export function searchTrialsPlot(
  trials: readonly TrialPoint[],
  options: SearchTrialsPlotOptions = {},
): PlotOutput {
  const logY = options.logY ?? true;
  const yLabel = options.yLabel ?? "Validation MAE in z";
  const shown = trials.filter((t) =>
    t.state !== "failed" && t.value !== null && Number.isFinite(t.value) && (!logY || t.value > 0)
  ) as (TrialPoint & { value: number })[];
  let best = Infinity;
  const steps: { number: number; value: number }[] = [];
  for (const t of trials) {
    if (t.state === "complete" && t.value !== null && Number.isFinite(t.value)) {
      best = Math.min(best, t.value);
    }
    if (Number.isFinite(best)) steps.push({ number: t.number, value: best });
  }
  const marks: Plot.Markish[] = [
    ...(logY ? logYAxisMarks(shown.map((t) => t.value), yLabel) : []),
    Plot.line(steps, {
      x: "number",
      y: "value",
      curve: "step-after",
      stroke: COLORS.text,
      strokeWidth: 1.5,
      strokeOpacity: 0.8,
    }),
  ];
  const legend: LegendEntry[] = [];
  for (const s of SOURCES) {
    const mine = shown.filter((t) => t.source === s.source);
    if (mine.length === 0) continue;
    const complete = mine.filter((t) => t.state === "complete");
    const pruned = mine.filter((t) => t.state === "pruned");
    marks.push(
      Plot.dot(complete, { x: "number", y: "value", fill: s.color, r: 4.5 }),
      Plot.dot(pruned, { x: "number", y: "value", stroke: s.color, fill: "white", r: 4.5 }),
    );
    const label = s.source === "baseline" ? options.baselineLabel ?? s.label : s.label;
    legend.push({ label, color: s.color, line: "none", marker: "dot" });
  }
  legend.push({ label: "Best so far", color: COLORS.text, line: "solid", marker: "none" });
  const nPruned = shown.filter((t) => t.state === "pruned").length;
  const nFailed = trials.length - shown.length;
  const notes = [
    nPruned &&
    `hollow: ${count(nPruned, "trial")} stopped early (median rule), at their best score`,
    nFailed && `${count(nFailed, "failed trial")} not shown`,
  ].filter(Boolean);
  const last = Math.max(1, ...trials.map((t) => t.number));
  return renderFigure({
    height: 320,
    marginLeft: 70,
    marginRight: 20,
    x: axis("Trial", {
      domain: [-0.5, last + 0.5],
      ticks: Math.min(last + 1, 12),
      tickFormat: (d: number) => (Number.isInteger(d) ? String(d) : ""),
    }),
    y: logY ? { type: "log", label: yLabel, labelArrow: "none" } : gridAxis(yLabel),
    marks,
  }, {
    options: { ...options, caption: options.caption ?? notes.join("; ") },
    title: "Validation score by trial",
    legend,
  });
}
