/**
 * Predicted against true redshift as a 2D histogram (Fig. 18): counts per
 * cell on a log colour scale, with the diagonal where prediction equals truth.
 *
 * The cells are counted here rather than by Plot, so that a figure of 50,000
 * galaxies stays a few thousand rectangles (empty cells are left out).
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { binning } from "../statistics.ts";
import {
  axis,
  checkSameLength,
  COLORS,
  type FigureOptions,
  formatCount,
  type PlotOutput,
  renderFigure,
} from "./_render.ts";

/** A non-empty cell of a 2D histogram: its edges in true (x) and predicted z (y), its count. */
export interface DensityCell {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  count: number;
}

/** A 2D histogram of (true, predicted) pairs. */
export interface Histogram2d {
  /** Non-empty cells, row by row (predicted z), then by true z. */
  cells: DensityCell[];
  /** Pairs with either value outside the range or not finite. */
  outside: number;
}

/** Cell size and range of a 2D histogram. */
export interface Histogram2dOptions {
  /** Side of a square cell; default 0.01. */
  cellSize?: number;
  /** Lower end of both axes; default 0. */
  zMin?: number;
  /** Upper end of both axes; default 0.6. */
  zMax?: number;
}

/** Counts (zTrue, zPred) pairs in square cells over [zMin, zMax]²; empty cells are left out. */
export function histogram2d(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: Histogram2dOptions = {},
): Histogram2d {
  const n = checkSameLength(zTrue, zPred, ["zTrue", "zPred"]);
  const { binWidth: cellSize, zMin, zMax } = binning({ ...options, binWidth: options.cellSize });
  const side = Math.round((zMax - zMin) / cellSize);
  if (!(side >= 1)) throw new RangeError(`no cells of size ${cellSize} fit in [${zMin}, ${zMax}]`);
  const counts = new Uint32Array(side * side);
  let outside = 0;
  const cellOf = (v: number) =>
    Math.max(0, Math.min(Math.floor((v - zMin) / cellSize + 1e-6), side - 1));
  // The tolerance keeps float32 values of the ends (0.6 is 0.6000000238) inside.
  const inside = (v: number) => v >= zMin - 1e-6 && v <= zMax + 1e-6;
  for (let i = 0; i < n; i++) {
    const t = zTrue[i], p = zPred[i];
    if (!(inside(t) && inside(p))) {
      outside++;
      continue;
    }
    counts[cellOf(p) * side + cellOf(t)]++;
  }
  const edge = (k: number) => Math.round((zMin + k * cellSize) * 1e9) / 1e9;
  const cells: DensityCell[] = [];
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const count = counts[row * side + col];
      if (count > 0) {
        cells.push({ x1: edge(col), x2: edge(col + 1), y1: edge(row), y2: edge(row + 1), count });
      }
    }
  }
  return { cells, outside };
}

/** Options of {@link predictionDensityPlot}. */
export interface PredictionDensityPlotOptions extends FigureOptions, Histogram2dOptions {
  /** Colour scheme of the counts; default "viridis" (sparse cells stay visible on white). */
  scheme?: Plot.ColorScheme;
}

/**
 * Fig. 18: 2D histogram of predicted against true redshift, log colour scale,
 * with the diagonal y = x; points below it are underestimates.
 */
export function predictionDensityPlot(
  zTrue: ArrayLike<number>,
  zPred: ArrayLike<number>,
  options: PredictionDensityPlotOptions = {},
): PlotOutput {
  const { binWidth: cellSize, zMin, zMax } = binning({ ...options, binWidth: options.cellSize });
  const { cells, outside } = histogram2d(zTrue, zPred, { cellSize, zMin, zMax });
  const maxCount = Math.max(1, ...cells.map((c) => c.count));
  const width = options.width ?? 620;
  const margins = { marginTop: 16, marginRight: 20, marginBottom: 44, marginLeft: 60 };
  // Square frame: one unit of z is as long on both axes.
  return renderFigure({
    height: width - margins.marginLeft - margins.marginRight + margins.marginTop +
      margins.marginBottom,
    ...margins,
    x: axis("True redshift z", { domain: [zMin, zMax] }),
    y: axis("Predicted redshift z", { domain: [zMin, zMax] }),
    color: {
      type: "log",
      scheme: options.scheme ?? "viridis",
      domain: [1, Math.max(maxCount, 10)],
    },
    marks: [
      Plot.frame({ stroke: "#cccccc" }),
      Plot.rect(cells, { x1: "x1", x2: "x2", y1: "y1", y2: "y2", fill: "count" }),
      Plot.line([[zMin, zMin], [zMax, zMax]], {
        stroke: COLORS.red,
        strokeWidth: 1.5,
        strokeDasharray: "6,4",
      }),
      Plot.text([[zMax, zMax]], {
        text: () => "z_pred = z_true",
        textAnchor: "end",
        dx: -4,
        dy: -8,
        fill: COLORS.red,
        rotate: -45,
      }),
    ],
  }, {
    options,
    title: "Predicted against true redshift",
    subtitle: `${formatCount(zTrue.length)} galaxies in cells of ${cellSize} × ${cellSize}`,
    notes: [
      outside > 0 && `${formatCount(outside)} of ${formatCount(zTrue.length)} galaxies fall ` +
        `outside [${zMin}, ${zMax}] on either axis and are not shown`,
    ],
    ramp: "Galaxies per cell (log scale)",
    width,
  });
}
