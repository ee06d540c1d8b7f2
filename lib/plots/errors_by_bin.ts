/**
 * Mean prediction error ± its standard deviation per redshift bin (Fig. 16),
 * optionally beside the published table.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  axis,
  binExtent,
  COLORS,
  type FigureOptions,
  type LegendEntry,
  type PlotOutput,
  renderFigure,
  seriesColor,
  SYMBOLS,
  textAboveFrame,
} from "./_render.ts";

/** One bin's error statistics (lib/metrics.ts's `BinRow` fits, so does the published table). */
export interface ErrorBin {
  /** Lower edge of the bin of true z. */
  zLow: number;
  zHigh: number;
  /** Mean of z_pred − z_true (NaN for an empty bin, which is skipped). */
  meanError: number;
  /** Standard deviation of z_pred − z_true. */
  stdError: number;
  /** Share of all galaxies in the bin, in percent. */
  percent?: number;
  n?: number;
}

/** Options of {@link errorsByBinPlot}. */
export interface ErrorsByBinPlotOptions extends FigureOptions {
  /** A second table drawn beside the first, e.g. the dissertation's Table 3. */
  reference?: readonly ErrorBin[];
  /** Legend text of `rows`; default "This model". */
  label?: string;
  /** Legend text of `reference`; default "Dissertation (Table 3)". */
  referenceLabel?: string;
  /** Writes each bin's share of the data (from `rows`) along the top; default true. */
  showPercent?: boolean;
}

/**
 * Fig. 16: mean error (prediction − truth) per bin of true redshift as points,
 * ± one standard deviation as bars, with a rule at zero error.
 *
 * @param rows one entry per bin; bins with a NaN mean are skipped
 */
export function errorsByBinPlot(
  rows: readonly ErrorBin[],
  options: ErrorsByBinPlotOptions = {},
): PlotOutput {
  const series = [{ rows, label: options.label ?? "This model" }];
  if (options.reference) {
    const label = options.referenceLabel ?? "Dissertation (Table 3)";
    series.push({ rows: options.reference, label });
  }
  const allRows = series.flatMap((s) => s.rows);
  const binWidth = allRows.length ? Math.min(...allRows.map((r) => r.zHigh - r.zLow)) : 0.05;
  // Two series sit side by side within their bin so that their bars never overlap.
  const offset = series.length > 1 ? binWidth * 0.14 : 0;

  const marks: Plot.Markish[] = [Plot.ruleY([0], { stroke: COLORS.text })];
  const legend: LegendEntry[] = [];
  series.forEach((s, k) => {
    const color = seriesColor(k), { plot: symbol, legend: marker } = SYMBOLS[k];
    const shift = (k - (series.length - 1) / 2) * 2 * offset;
    const points = s.rows
      .filter((r) => Number.isFinite(r.meanError))
      .map((r) => {
        const std = Number.isFinite(r.stdError) ? r.stdError : 0;
        const x = (r.zLow + r.zHigh) / 2 + shift;
        return {
          x,
          mean: r.meanError,
          low: r.meanError - std,
          high: r.meanError + std,
          capLeft: x - binWidth * 0.06,
          capRight: x + binWidth * 0.06,
        };
      });
    const caps = { x1: "capLeft", x2: "capRight", stroke: color };
    marks.push(
      Plot.ruleX(points, { x: "x", y1: "low", y2: "high", stroke: color, strokeWidth: 1.5 }),
      Plot.link(points, { ...caps, y1: "low", y2: "low" }),
      Plot.link(points, { ...caps, y1: "high", y2: "high" }),
      Plot.dot(points, { x: "x", y: "mean", fill: color, symbol, r: 4.5 }),
    );
    legend.push({ label: `${s.label}: mean ± 1 std`, color, marker });
  });

  const withPercent = rows.filter((r) => Number.isFinite(r.percent));
  const showPercent = (options.showPercent ?? true) && withPercent.length > 0;
  if (showPercent) {
    marks.push(textAboveFrame(
      withPercent.map((r) => ({ x: (r.zLow + r.zHigh) / 2, text: formatPercent(r.percent!) })),
    ));
  }
  const [zMin, zMax] = allRows.length ? binExtent(allRows) : [0, 0.6];
  return renderFigure({
    height: 380,
    marginLeft: 70,
    marginTop: showPercent ? 36 : 20,
    x: axis(`True redshift z (bins of ${Math.round(binWidth * 1e6) / 1e6})`, {
      domain: [zMin, zMax],
      ticks: Math.min(12, Math.round((zMax - zMin) / binWidth)),
    }),
    y: axis("Mean error z_pred − z_true", { grid: true, nice: true }),
    marks: [
      ...(showPercent
        ? [Plot.text(["% of data"], {
          frameAnchor: "top-left",
          text: (d: string) => d,
          dx: -8,
          dy: -8,
          lineAnchor: "bottom",
          textAnchor: "end",
          fill: COLORS.grey,
          fontSize: 10,
        })]
        : []),
      ...marks,
    ],
  }, { options, title: "Prediction error per redshift bin", legend });
}

function formatPercent(p: number): string {
  return p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2);
}
