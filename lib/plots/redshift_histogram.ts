/**
 * Histograms of redshift: the distribution of the sample (Fig. 9) and the
 * predicted against the true distribution (Fig. 17).
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  checkSameLength,
  COLORS,
  type FigureOptions,
  formatCount,
  gridAxis,
  linearNiceTicks,
  type PlotOutput,
  renderFigure,
} from "./_render.ts";
import {
  binning,
  type BinningOptions,
  type HistogramCounts,
  histogramCounts,
} from "../statistics.ts";

export { type BinningOptions, type HistogramCounts, histogramCounts } from "../statistics.ts";

/** Options of {@link redshiftHistogram}. */
export interface RedshiftHistogramOptions extends FigureOptions, BinningOptions {
  color?: string;
  /** Label of the x axis; default "Spectroscopic redshift z". */
  xLabel?: string;
}

/** Fig. 9: histogram of redshift in bins of 0.01 over [0, 0.6]. */
export function redshiftHistogram(
  z: ArrayLike<number>,
  options: RedshiftHistogramOptions = {},
): PlotOutput {
  const bins = binning(options), { binWidth, zMin, zMax } = bins;
  const h = histogramCounts(z, bins);
  const xLabel = options.xLabel ?? "Spectroscopic redshift z";
  return renderFigure(
    histogramFrame(bins, xLabel, h.counts, [countBars(h, { fill: options.color ?? COLORS.blue })]),
    {
      options,
      title: "Redshift distribution",
      subtitle: `${formatCount(z.length)} galaxies, bins of width ${binWidth} in z`,
      notes: [h.outside > 0 && `${formatCount(h.outside)} values outside [${zMin}, ${zMax}]`],
    },
  );
}

/** Options of {@link predictedVsTrueHistogram}. */
export interface PredictedVsTrueHistogramOptions extends FigureOptions, BinningOptions {
  /** Legend text of the true redshifts; default "True z (spectroscopic)". */
  trueLabel?: string;
  /** Legend text of the predictions; default "Predicted z (CNN)". */
  predictedLabel?: string;
}

/**
 * Fig. 17: histograms of true and predicted redshift on one chart, true as
 * bars and predicted as a step line, so that both stay visible where they overlap.
 *
 * @param zTrue true (spectroscopic) redshifts
 * @param zPred predicted redshifts, same order and length
 */
export function predictedVsTrueHistogram(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: PredictedVsTrueHistogramOptions = {},
): PlotOutput {
  const n = checkSameLength(zTrue, zPred, ["zTrue", "zPred"]);
  const bins = binning(options), { binWidth, zMin, zMax } = bins;
  const trueH = histogramCounts(zTrue, bins);
  const predH = histogramCounts(zPred, bins);
  const trueLabel = options.trueLabel ?? "True z (spectroscopic)";
  const predictedLabel = options.predictedLabel ?? "Predicted z (CNN)";
  // A staircase along the bin tops: two points per bin.
  const steps = predH.counts.flatMap((count, b) => [
    { x: predH.edges[b], count },
    { x: predH.edges[b + 1], count },
  ]);
  const outside = (h: HistogramCounts, what: string) =>
    h.outside > 0 && `${formatCount(h.outside)} ${what} outside [${zMin}, ${zMax}] not shown`;
  const counts = [...trueH.counts, ...predH.counts];
  return renderFigure(
    histogramFrame(bins, "Redshift z", counts, [
      countBars(trueH, { fill: COLORS.blue, fillOpacity: 0.45 }),
      Plot.lineY(steps, { x: "x", y: "count", stroke: COLORS.orange, strokeWidth: 2 }),
    ]),
    {
      options,
      title: "Predicted and true redshift distributions",
      subtitle: `${formatCount(n)} galaxies, bins of width ${binWidth} in z`,
      notes: [outside(predH, "predictions"), outside(trueH, "true values")],
      legend: [
        { label: trueLabel, color: COLORS.blue, marker: "square", opacity: 0.45 },
        { label: predictedLabel, color: COLORS.orange, line: "solid" },
      ],
    },
  );
}

/**
 * The frame both histograms share: z along x, galaxies per bin along y on round ticks from 0 to
 * one step above the tallest of `counts`, and `marks` over a rule at 0.
 */
function histogramFrame(
  { binWidth, zMin, zMax }: Required<BinningOptions>,
  xLabel: string,
  counts: readonly number[],
  marks: Plot.Markish[],
): Plot.PlotOptions {
  const ticks = countTicks(Math.max(...counts));
  return {
    height: 360,
    marginLeft: 64,
    marginTop: 30,
    x: axis(xLabel, { domain: [zMin, zMax] }),
    y: gridAxis(`Galaxies per ${binWidth} bin`, {
      ticks,
      domain: [0, ticks[ticks.length - 1]],
      tickFormat: formatCount,
    }),
    marks: [...marks, Plot.ruleY([0])],
  };
}

/** A histogram's counts as bars, one per bin. */
function countBars(h: HistogramCounts, style: Plot.RectYOptions): Plot.Markish {
  const bars = h.counts.map((count, b) => ({ x1: h.edges[b], x2: h.edges[b + 1], count }));
  return Plot.rectY(bars, { x1: "x1", x2: "x2", y: "count", inset: 0.5, ...style });
}

/** Whole-number ticks from 0 past `max` (a histogram of 3 galaxies needs no tick at 0.5). */
function countTicks(max: number): number[] {
  const ticks = linearNiceTicks(0, Math.max(max, 1), 6).filter(Number.isInteger);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  // One more tick above the tallest bar, so that it never touches the top.
  if (ticks[ticks.length - 1] < max * 1.02) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}
