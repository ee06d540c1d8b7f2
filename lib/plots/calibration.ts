/**
 * Figures of per-galaxy uncertainty: the PIT histogram, interval coverage per redshift bin, and
 * predictions with their error bars.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  binExtent,
  checkSameLength,
  COLORS,
  DASHED,
  dashedEntry,
  type FigureOptions,
  gridAxis,
  type LegendEntry,
  type PlotOutput,
  renderFigure,
  seriesColor,
  textAboveFrame,
} from "./_render.ts";
import { Random } from "../random.ts";

/** One PIT histogram: counts in equal bins over [0, 1]. */
export interface PitSeries {
  label: string;
  /** Galaxies per bin (e.g. `CalibrationReport.pitCounts`). */
  counts: readonly number[];
}

/** Options of {@link pitHistogramPlot}. */
export interface PitHistogramPlotOptions extends FigureOptions {
  /** Label of the x axis; default "PIT = Φ((z_true − μ) / σ)", a Gaussian's (a PDF's: F(z_true)). */
  xLabel?: string;
}

/**
 * PIT histogram: the share of galaxies per bin of Φ((z_true − μ)/σ), as a density, with the
 * uniform density 1 of calibrated predictions dashed. The first series is drawn as bars, the
 * others as step lines over them.
 *
 * @param series one or more histograms, each normalised to a density
 */
export function pitHistogramPlot(
  series: readonly PitSeries[],
  options: PitHistogramPlotOptions = {},
): PlotOutput {
  if (series.length === 0) throw new RangeError("no PIT histogram to draw");
  const densities = series.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0) || 1;
    const bins = s.counts.length;
    return s.counts.map((c, b) => ({
      x1: b / bins,
      x2: (b + 1) / bins,
      density: (c * bins) / total,
    }));
  });
  const marks: Plot.Markish[] = [
    Plot.rectY(densities[0], {
      x1: "x1",
      x2: "x2",
      y: "density",
      fill: seriesColor(0),
      fillOpacity: 0.55,
      inset: 0.5,
    }),
    // The others as step lines through their bar tops: two points per bin.
    ...densities.slice(1).map((d, k) =>
      Plot.line(d.flatMap((b) => [{ x: b.x1, y: b.density }, { x: b.x2, y: b.density }]), {
        x: "x",
        y: "y",
        stroke: seriesColor(k + 1, 5),
        strokeWidth: 2,
      })
    ),
    Plot.ruleY([1], DASHED),
  ];
  const top = Math.max(1.5, ...densities.flat().map((b) => b.density));
  const legend: LegendEntry[] = [
    ...series.map((s, k) => ({
      label: s.label,
      color: seriesColor(k, 5),
      ...(k === 0 ? { marker: "square" as const, opacity: 0.55 } : { line: "solid" as const }),
    })),
    dashedEntry("calibrated (uniform)"),
  ];
  return renderFigure({
    height: 320,
    marginLeft: 56,
    x: axis(options.xLabel ?? "PIT = Φ((z_true − μ) / σ)", { domain: [0, 1] }),
    y: gridAxis("Density", { domain: [0, top * 1.05] }),
    marks,
  }, {
    options,
    title: "PIT histogram",
    subtitle: "Flat: calibrated; U-shaped: error bars too narrow; hump: too wide; slope: biased",
    legend,
  });
}

/** Coverage of one prediction per redshift bin (`CoverageRow` from lib/uncertainty fits). */
export interface CoverageBin {
  zLow: number;
  zHigh: number;
  /** Galaxies in the bin; bins with none are skipped. */
  n: number;
  /** Coverage of each level, in the order of the plot's `levels`. */
  coverage: readonly number[];
}

/** One prediction's coverage per bin. */
export interface CoverageSeries {
  label: string;
  rows: readonly CoverageBin[];
}

/** Options of {@link coverageByBinPlot}. */
export interface CoverageByBinPlotOptions extends FigureOptions {
  /** The interval levels of `coverage`; default [0.68, 0.95]. */
  levels?: readonly number[];
}

/**
 * Coverage of the central 68 % and 95 % intervals per bin of true redshift: points (circles for
 * the first level, diamonds for the second) per series, joined by lines, with the target levels
 * as dashed rules. Bins are labelled with their galaxy count (of the first series).
 */
export function coverageByBinPlot(
  series: readonly CoverageSeries[],
  options: CoverageByBinPlotOptions = {},
): PlotOutput {
  if (series.length === 0) throw new RangeError("no coverage to draw");
  const levels = options.levels ?? [0.68, 0.95];
  const symbols = ["circle", "diamond", "square", "triangle"];
  const marks: Plot.Markish[] = [
    Plot.ruleY(levels.map((l) => 100 * l), DASHED),
    Plot.text(levels.map((l) => ({ y: 100 * l, text: `${Math.round(100 * l)} % target` })), {
      y: "y",
      text: "text",
      frameAnchor: "right",
      textAnchor: "end",
      dy: -7,
      fill: COLORS.grey,
      fontSize: 10,
    }),
  ];
  const legend: LegendEntry[] = [];
  series.forEach((s, k) => {
    const color = seriesColor(k, 5);
    levels.forEach((_level, j) => {
      const points = s.rows
        .filter((r) => r.n > 0 && Number.isFinite(r.coverage[j]))
        .map((r) => ({ x: (r.zLow + r.zHigh) / 2, y: 100 * r.coverage[j] }));
      marks.push(
        Plot.line(points, { x: "x", y: "y", stroke: color, strokeOpacity: 0.6 }),
        Plot.dot(points, { x: "x", y: "y", fill: color, symbol: symbols[j % 4], r: 4 }),
      );
    });
    legend.push({ label: s.label, color, line: "solid", marker: "dot" });
  });
  const counts = series[0].rows
    .filter((r) => r.n > 0)
    .map((r) => ({ x: (r.zLow + r.zHigh) / 2, text: String(r.n) }));
  marks.push(textAboveFrame(counts));
  return renderFigure({
    height: 340,
    marginLeft: 56,
    marginTop: 30,
    x: axis("True redshift z (numbers above: galaxies per bin)", {
      domain: binExtent(series.flatMap((s) => s.rows)),
    }),
    y: gridAxis("Coverage (%)", { domain: [0, 100] }),
    marks,
  }, {
    options,
    title: "Coverage of the predicted intervals per redshift bin",
    subtitle: levels.map((l, j) => `${symbols[j % 4]}s: central ${Math.round(100 * l)} %`).join(
      "; ",
    ),
    legend,
  });
}

/** Options of {@link errorBarsPlot}. */
export interface ErrorBarsPlotOptions extends FigureOptions {
  /** Galaxies drawn, a seeded random sample; default 120. */
  sample?: number;
  /** Seed of the sample; default 1. */
  seed?: number;
  /** Width of the bars in σ; default 1. */
  sigmas?: number;
}

/**
 * Predicted against true redshift for a sample of galaxies, each with its ± σ error bar, and the
 * diagonal of perfect prediction.
 */
export function errorBarsPlot(
  zTrue: ArrayLike<number>,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  options: ErrorBarsPlotOptions = {},
): PlotOutput {
  checkSameLength(zTrue, mean, ["zTrue", "mean"]);
  checkSameLength(zTrue, std, ["zTrue", "std"]);
  const { sample = 120, seed = 1, sigmas = 1 } = options;
  const chosen = new Random(seed).shuffle(Array.from({ length: zTrue.length }, (_, i) => i));
  const points = chosen.slice(0, sample).map((i) => ({
    x: zTrue[i],
    y: mean[i],
    low: mean[i] - sigmas * std[i],
    high: mean[i] + sigmas * std[i],
  }));
  const top = Math.max(0.1, ...points.map((p) => Math.max(p.x, p.high)));
  const bottom = Math.min(0, ...points.map((p) => p.low));
  return renderFigure({
    height: 420,
    marginLeft: 56,
    x: axis("True redshift z", { domain: [0, top] }),
    y: gridAxis("Predicted z", { domain: [bottom, top] }),
    marks: [
      Plot.line([[0, 0], [top, top]], DASHED),
      Plot.ruleX(points, {
        x: "x",
        y1: "low",
        y2: "high",
        stroke: COLORS.blue,
        strokeOpacity: 0.6,
      }),
      Plot.dot(points, { x: "x", y: "y", fill: COLORS.blue, r: 2.5 }),
    ],
  }, {
    options,
    title: "Predictions with their error bars",
    subtitle:
      `${points.length} galaxies chosen at random; bars: ± ${sigmas} σ; dashed: perfect prediction`,
  });
}
