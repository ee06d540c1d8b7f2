/**
 * Figures of the high-z bias (notebook 07): the mean error per bin with the galaxies binned by
 * their true or by their predicted redshift, the trade-off between the MAE and the tilt of the
 * error, and one galaxy's redshift PDF.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  binExtent,
  COLORS,
  DASHED,
  dashedEntry,
  type FigureOptions,
  gridAxis,
  type LegendEntry,
  paddedExtent,
  type PlotOutput,
  renderFigure,
  seriesColor,
  SYMBOLS,
} from "./_render.ts";

/** One bin's mean error (`BiasBinRow` from lib/bias fits, and so does Table 3 without `n`). */
export interface BinnedBiasRow {
  zLow: number;
  zHigh: number;
  /** Galaxies in the bin (undefined: a published table, always drawn). */
  n?: number;
  /** Mean of z_pred − z_true; NaN for an empty bin, which is skipped. */
  meanError: number;
  /** Drawn as ± this error bar when finite (e.g. a bootstrap standard error). */
  standardError?: number;
}

/** One series of {@link binnedBiasPlot}: a method's bins, by true or by predicted z. */
export interface BinnedBiasSeries {
  /** Legend text; series that share a label share a colour and a symbol. */
  label: string;
  /** Which redshift put each galaxy in its bin. */
  by: "true" | "predicted";
  rows: readonly BinnedBiasRow[];
}

/** Options of {@link binnedBiasPlot}. */
export interface BinnedBiasPlotOptions extends FigureOptions {
  /** Bins with fewer galaxies are not drawn; default 1. */
  minGalaxies?: number;
  /** What the error bars are, for the legend; default "± 1 standard error". */
  errorBars?: string;
}

const PANEL = { true: "binned by true z", predicted: "binned by predicted z" } as const;

/**
 * Mean error (prediction − truth) per redshift bin, one line of points per series with its error
 * bars, and a rule at zero. Series binned by true z and by predicted z are drawn side by side in
 * two panels, so that each panel's x axis means one thing.
 */
export function binnedBiasPlot(
  series: readonly BinnedBiasSeries[],
  options: BinnedBiasPlotOptions = {},
): PlotOutput {
  if (series.length === 0) throw new RangeError("no series of bins to draw");
  const minGalaxies = options.minGalaxies ?? 1;
  const labels = [...new Set(series.map((s) => s.label))];
  const panels = (["true", "predicted"] as const).filter((by) => series.some((s) => s.by === by));
  const binWidth = Math.min(...series.flatMap((s) => s.rows.map((r) => r.zHigh - r.zLow)));
  const marks: Plot.Markish[] = [Plot.ruleY([0], { stroke: COLORS.text })];
  const at = { ...(panels.length > 1 ? { fx: "panel" } : {}), x: "x" };
  for (const by of panels) {
    const inPanel = series.filter((s) => s.by === by);
    inPanel.forEach((s, k) => {
      const style = labels.indexOf(s.label);
      const color = seriesColor(style), symbol = SYMBOLS[style % SYMBOLS.length].plot;
      const shift = (k - (inPanel.length - 1) / 2) * binWidth * 0.12;
      const points = s.rows
        .filter((r) => Number.isFinite(r.meanError) && (r.n === undefined || r.n >= minGalaxies))
        .map((r) => {
          const se = Number.isFinite(r.standardError) ? r.standardError! : 0;
          return {
            panel: PANEL[by],
            x: (r.zLow + r.zHigh) / 2 + shift,
            y: r.meanError,
            low: r.meanError - se,
            high: r.meanError + se,
          };
        });
      marks.push(
        Plot.line(points, { ...at, y: "y", stroke: color, strokeOpacity: 0.5 }),
        Plot.ruleX(points, { ...at, y1: "low", y2: "high", stroke: color, strokeWidth: 1.5 }),
        Plot.dot(points, { ...at, y: "y", fill: color, symbol, r: 4 }),
      );
    });
  }
  const legend = labels.map((label, k): LegendEntry => ({
    label,
    color: seriesColor(k),
    marker: SYMBOLS[k % SYMBOLS.length].legend,
    line: "solid",
  }));
  const xLabel = panels.length > 1
    ? "Redshift of the bin: true z (left), predicted z (right)"
    : panels[0] === "true"
    ? "True redshift z"
    : "Predicted redshift z";
  return renderFigure({
    height: 360,
    marginLeft: 64,
    ...(panels.length > 1 ? { fx: { domain: panels.map((by) => PANEL[by]), label: null } } : {}),
    x: axis(xLabel, {
      domain: binExtent(series.flatMap((s) => s.rows)),
      ticks: panels.length > 1 ? 4 : 8,
    }),
    y: axis("Mean error z_pred − z_true", { grid: true, nice: true }),
    marks,
  }, {
    options,
    title: "Mean error per redshift bin",
    subtitle: `Bars: ${options.errorBars ?? "± 1 standard error"}`,
    legend,
  });
}

/** One point of {@link biasTradeoffPlot}: a method's MAE and its slope above z = 0.2. */
export interface TradeoffPoint {
  /** Slope of the mean error against true z above z = 0.2. */
  slope: number;
  /** Overall MAE. */
  mae: number;
  /** Written beside the point (e.g. "α = 0.5"); none when absent. */
  label?: string;
}

/** A curve (a knob turned step by step) or a set of separate points. */
export interface TradeoffSeries {
  label: string;
  points: readonly TradeoffPoint[];
  /** Join the points in order; default true when there are several. */
  line?: boolean;
}

/** Options of {@link biasTradeoffPlot}. */
export interface BiasTradeoffPlotOptions extends FigureOptions {
  /** Dashed guides: a slope to reach (e.g. half the baseline's) and an MAE not to pass. */
  target?: { slope: number; mae: number };
}

/**
 * The trade-off of the bias methods: overall MAE against the slope of the mean error above
 * z = 0.2 (0 is no tilt), each knob traced as a curve through its settings.
 */
export function biasTradeoffPlot(
  series: readonly TradeoffSeries[],
  options: BiasTradeoffPlotOptions = {},
): PlotOutput {
  if (series.length === 0) throw new RangeError("no points to draw");
  const marks: Plot.Markish[] = [Plot.ruleX([0], { stroke: COLORS.grey })];
  const legend: LegendEntry[] = [];
  const all = series.flatMap((s) => s.points);
  const target = options.target;
  if (target) {
    marks.push(Plot.ruleX([target.slope], DASHED), Plot.ruleY([target.mae], DASHED));
    legend.push(dashedEntry("targets: slope, MAE (dashed)"));
  }
  // Labels above the first series' points, below the second's, right of the others'.
  const place = [{ dy: -10 }, { dy: 13 }, { dx: 8, textAnchor: "start" as const }];
  series.forEach((s, k) => {
    const color = seriesColor(k);
    const symbol = SYMBOLS[k % SYMBOLS.length];
    const joined = s.line ?? s.points.length > 1;
    if (joined) marks.push(Plot.line(s.points, { x: "slope", y: "mae", stroke: color }));
    marks.push(
      Plot.dot(s.points, { x: "slope", y: "mae", fill: color, symbol: symbol.plot, r: 4.5 }),
      Plot.text(s.points.filter((p) => p.label), {
        x: "slope",
        y: "mae",
        text: "label",
        ...place[Math.min(k, place.length - 1)],
        fill: color,
        fontSize: 10,
      }),
    );
    legend.push({ label: s.label, color, marker: symbol.legend, line: joined ? "solid" : "none" });
  });
  const slopes = [0, ...all.map((p) => p.slope), ...(target ? [target.slope] : [])];
  const maes = [...all.map((p) => p.mae), ...(target ? [target.mae] : [])];
  const [m0, m1] = paddedExtent(maes, 0.08);
  return renderFigure({
    height: 380,
    marginLeft: 64,
    x: axis("Slope of the mean error against true z above z = 0.2 (0: no tilt)", {
      domain: paddedExtent(slopes, 0.08),
    }),
    y: axis("MAE of the test galaxies", { domain: [Math.max(0, m0), m1], grid: true }),
    marks,
  }, { options, title: "What removing the tilt costs", legend });
}

/** One PDF of {@link redshiftPdfPlot}: K probabilities over the plot's bins. */
export interface PdfSeries {
  label: string;
  probs: ArrayLike<number>;
}

/** Options of {@link redshiftPdfPlot}. */
export interface RedshiftPdfPlotOptions extends FigureOptions {
  /** The galaxy's true redshift, drawn as a dashed rule. */
  truth?: number;
}

/**
 * Binned redshift PDFs as step curves of probability density (probability over bin width), the
 * first one filled, with the true redshift as a dashed rule.
 *
 * @param edges K + 1 bin edges, ascending
 * @param series one or more PDFs of K probabilities
 */
export function redshiftPdfPlot(
  edges: ArrayLike<number>,
  series: readonly PdfSeries[],
  options: RedshiftPdfPlotOptions = {},
): PlotOutput {
  if (series.length === 0) throw new RangeError("no PDF to draw");
  const K = edges.length - 1;
  // One point per bin at its lower edge, and the last bin's value again at the upper end, drawn
  // as steps that hold each value across its bin.
  const steps = series.map((s) => {
    if (s.probs.length !== K) {
      throw new RangeError(`${s.label}: ${s.probs.length} probabilities for ${K} bins`);
    }
    let total = 0;
    for (let k = 0; k < K; k++) total += s.probs[k];
    const density = (k: number) => s.probs[k] / total / (edges[k + 1] - edges[k]);
    return [
      ...Array.from({ length: K }, (_, k) => ({ x: edges[k], y: density(k) })),
      { x: edges[K], y: density(K - 1) },
    ];
  });
  const curve = "step-after";
  const marks: Plot.Markish[] = [
    Plot.areaY(steps[0], { x: "x", y: "y", curve, fill: seriesColor(0), fillOpacity: 0.2 }),
  ];
  const legend: LegendEntry[] = [];
  steps.forEach((points, k) => {
    const color = seriesColor(k);
    marks.push(Plot.line(points, { x: "x", y: "y", curve, stroke: color, strokeWidth: 1.5 }));
    legend.push({ label: series[k].label, color, line: "solid", marker: "none" });
  });
  if (options.truth !== undefined) {
    marks.push(Plot.ruleX([options.truth], DASHED));
    legend.push(dashedEntry("true z"));
  }
  return renderFigure({
    height: 300,
    marginLeft: 56,
    x: axis("Redshift z", { domain: [edges[0], edges[K]] }),
    y: gridAxis("Probability density", { nice: true }),
    marks,
  }, { options, title: "A redshift PDF", legend });
}
