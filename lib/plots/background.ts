/**
 * Teaching plots for the background chapter: activation functions, loss
 * functions and a comparison of optimizers.
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
  type PlotOutput,
  renderFigure,
  seriesColor,
} from "./_render.ts";

/** The activation functions {@link activationFunctionsPlot} knows. */
export type ActivationName = "sigmoid" | "tanh" | "relu";

/** The activation functions the figure draws, each with its derivative (plain numbers). */
export const ACTIVATION_FUNCTIONS: Readonly<
  Record<ActivationName, { title: string; f: (x: number) => number; df: (x: number) => number }>
> = {
  sigmoid: {
    title: "Sigmoid σ(x) = 1 / (1 + e⁻ˣ)",
    f: (x) => 1 / (1 + Math.exp(-x)),
    df: (x) => {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 - s);
    },
  },
  tanh: { title: "tanh(x)", f: Math.tanh, df: (x) => 1 - Math.tanh(x) ** 2 },
  relu: { title: "ReLU(x) = max(0, x)", f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0) },
};

/** Options of {@link activationFunctionsPlot}. */
export interface ActivationFunctionsPlotOptions extends FigureOptions {
  /** Which functions, one panel each; default sigmoid, tanh and ReLU. */
  functions?: ActivationName[];
  /** Range of x; default [−4, 4]. */
  xRange?: [number, number];
  /** Also draw each derivative (dashed), which shows why sigmoid and tanh gradients vanish; default true. */
  derivatives?: boolean;
}

/** Activation functions side by side, one panel each, with their derivatives dashed. */
export function activationFunctionsPlot(options: ActivationFunctionsPlotOptions = {}): PlotOutput {
  const names = options.functions ?? ["sigmoid", "tanh", "relu"];
  const [x0, x1] = options.xRange ?? [-4, 4];
  const derivatives = options.derivatives ?? true;
  const steps = 160;
  const points = names.flatMap((name) => {
    const a = ACTIVATION_FUNCTIONS[name];
    return Array.from({ length: steps + 1 }, (_, i) => {
      const x = x0 + ((x1 - x0) * i) / steps;
      return { panel: a.title, x, y: a.f(x), dy: a.df(x) };
    });
  });
  const curve = { fx: "panel", x: "x", clip: true };
  const dashed = { y: "dy", stroke: COLORS.orange, strokeWidth: 1.8, strokeDasharray: "5,3" };
  // ReLU leaves the top: a taller axis would flatten sigmoid and tanh.
  const yMax = 2.2;
  return renderFigure({
    height: 280,
    marginLeft: 56,
    marginRight: 16,
    marginTop: 28,
    marginBottom: 40,
    fx: { domain: names.map((n) => ACTIVATION_FUNCTIONS[n].title), label: null, padding: 0.12 },
    x: axis("Input x", { domain: [x0, x1], ticks: 5 }),
    y: axis("Output f(x)", { domain: [-1.2, yMax], grid: true }),
    marks: [
      Plot.frame({ stroke: "#dddddd" }),
      Plot.ruleY([0], { stroke: "#999999" }),
      Plot.ruleX([0], { stroke: "#999999" }),
      ...(derivatives ? [Plot.lineY(points, { ...curve, ...dashed })] : []),
      Plot.lineY(points, { ...curve, y: "y", stroke: COLORS.blue, strokeWidth: 2.2 }),
    ],
  }, {
    options,
    title: "Activation functions",
    legend: [
      { label: "f(x)", color: COLORS.blue },
      ...(derivatives
        ? [{ label: "derivative f′(x)", color: COLORS.orange, line: "dashed" as const }]
        : []),
    ],
  });
}

/** Options of {@link lossFunctionsPlot}. */
export interface LossFunctionsPlotOptions extends FigureOptions {
  /** Huber's δ, where it turns from quadratic to linear; default 1 (the dissertation's). */
  delta?: number;
  /** Range of the error; default [−3, 3]. */
  errorRange?: [number, number];
  /** Top of the y axis (MSE grows fast); default 4. */
  yMax?: number;
}

/**
 * MSE, MAE and Huber loss as functions of the error (prediction − truth),
 * with Huber's δ marked, as Keras defines them (MSE = e², Huber = ½e² inside ±δ).
 */
export function lossFunctionsPlot(options: LossFunctionsPlotOptions = {}): PlotOutput {
  const delta = options.delta ?? 1;
  const [e0, e1] = options.errorRange ?? [-3, 3];
  const yMax = options.yMax ?? 4;
  const steps = 240;
  const series = [
    { name: "MSE: e²", color: COLORS.blue, f: (e: number) => e * e },
    { name: "MAE: |e|", color: COLORS.green, f: (e: number) => Math.abs(e) },
    { name: `Huber (δ = ${delta})`, color: COLORS.orange, f: (e: number) => huber(e, delta) },
  ];
  const marks: Plot.Markish[] = [
    Plot.ruleY([0], { stroke: "#999999" }),
    ...labelledRulesX([-delta, delta], "3,3", (d) => (d < 0 ? `−δ = ${-d}` : `δ = ${d}`), {
      dy: -4,
    }),
  ];
  for (const s of series) {
    // MSE leaves the chart on both sides: points above it end one piece and start the next,
    // so that no line joins the two sides across the top.
    let piece = 0;
    const points = [];
    for (let i = 0; i <= steps; i++) {
      const e = e0 + ((e1 - e0) * i) / steps;
      const loss = s.f(e);
      if (loss > yMax * 1.02) piece++;
      else points.push({ e, loss, piece });
    }
    marks.push(
      Plot.lineY(points, { x: "e", y: "loss", z: "piece", stroke: s.color, strokeWidth: 2.2 }),
    );
  }
  return renderFigure({
    height: 340,
    marginLeft: 50,
    marginTop: 28,
    x: axis("Error e = prediction − truth", { domain: [e0, e1] }),
    y: gridAxis("Loss", { domain: [0, yMax] }),
    marks,
  }, {
    options,
    title: "Loss functions",
    subtitle:
      "Huber: quadratic like MSE for |e| ≤ δ, linear like MAE beyond, so outliers weigh less",
    legend: series.map((s): LegendEntry => ({ label: s.name, color: s.color })),
  });
}

/** One optimizer's loss curve for {@link optimizerComparisonPlot}. */
export interface OptimizerSeries {
  /** Legend text, e.g. "Adamax (lr 0.001)". */
  label: string;
  /** Loss after each step (step 0 first). */
  loss: ArrayLike<number>;
  /** Position of each point on the x axis (epochs, seconds); default the step index. */
  x?: ArrayLike<number>;
}

/** Options of {@link optimizerComparisonPlot}. */
export interface OptimizerComparisonPlotOptions extends FigureOptions {
  /** Logarithmic y axis; default true (losses fall by orders of magnitude). */
  logY?: boolean;
  /** Label of the x axis; default "Step". */
  xLabel?: string;
  /** Label of the y axis; default "Loss". */
  yLabel?: string;
}

/**
 * Loss against step (or any x: epoch, seconds) for several optimizers or recipes, one colour each.
 */
export function optimizerComparisonPlot(
  series: OptimizerSeries[],
  options: OptimizerComparisonPlotOptions = {},
): PlotOutput {
  const logY = options.logY ?? true;
  const marks: Plot.Markish[] = [];
  const allValues: number[] = [];
  series.forEach((s, k) => {
    const points = Array.from(s.loss, (loss, i) => ({ step: s.x ? s.x[i] : i, loss }))
      .filter((p) => Number.isFinite(p.loss) && (!logY || p.loss > 0));
    for (const p of points) allValues.push(p.loss);
    const stroke = seriesColor(k);
    marks.push(Plot.lineY(points, { x: "step", y: "loss", stroke, strokeWidth: 2 }));
    // few points (epochs rather than steps): mark each one
    if (points.length <= 40) {
      marks.push(Plot.dot(points, { x: "step", y: "loss", fill: stroke, r: 3 }));
    }
  });
  const yLabel = options.yLabel ?? (logY ? "Loss (log scale)" : "Loss");
  if (logY) marks.unshift(...logYAxisMarks(allValues, yLabel));
  return renderFigure({
    height: 340,
    marginLeft: 60,
    x: axis(options.xLabel ?? "Step"),
    y: gridAxis(yLabel, { type: logY ? "log" : "linear", grid: !logY }),
    marks,
  }, {
    options,
    title: "Optimizers compared",
    legend: series.map((s, k): LegendEntry => ({ label: s.label, color: seriesColor(k) })),
  });
}

/** Huber loss of one error: ½e² inside ±δ, δ(|e| − ½δ) outside. */
export function huber(error: number, delta = 1): number {
  const a = Math.abs(error);
  return a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
}
