/**
 * Spectra against wavelength: one galaxy's 186 fluxes (Fig. 10) and the mean spectrum of each
 * redshift range (Fig. 11), with the helper that computes those means.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { Random } from "../random.ts";
import { N_BP, N_FLUX } from "../spectra.ts";
import {
  axis,
  checkSameLength,
  COLORS,
  type FigureOptions,
  formatCount,
  gridAxis,
  labelledRulesX,
  type LegendEntry,
  type PlotOutput,
  renderFigure,
} from "./_render.ts";

/** One spectrum to draw: fluxes at their wavelengths, BP samples first. */
export interface SpectrumInput {
  /** Wavelength of each sample in nm (e.g. `SAMPLE_WAVELENGTHS_NM` of lib/mock/gaia_xp.ts). */
  wavelengthsNm: ArrayLike<number>;
  /** Flux of each sample, same length. */
  flux: ArrayLike<number>;
  /** How many leading samples are BP; the rest are RP. Default 80. */
  nBp?: number;
  /** Title of the figure, e.g. "Galaxy 123 (z = 0.174)". */
  title?: string;
}

/** Options of {@link spectrumPlot}. */
export interface SpectrumPlotOptions extends FigureOptions {
  /** Label of the y axis; default "Flux (instrument units)". */
  fluxLabel?: string;
}

/**
 * Fig. 10: one spectrum's flux against wavelength, BP and RP in two colours
 * with a dashed rule at the junction of the two bands.
 *
 * @param spectrum wavelengths, fluxes and the number of BP samples
 * @param options labels, titles and size; `options.title` wins over `spectrum.title`
 */
export function spectrumPlot(
  spectrum: SpectrumInput,
  options: SpectrumPlotOptions = {},
): PlotOutput {
  const { wavelengthsNm, flux } = spectrum;
  const nBp = spectrum.nBp ?? N_BP;
  checkSameLength(wavelengthsNm, flux, ["wavelengthsNm", "flux"]);
  const points = Array.from(flux, (f, i) => ({ wavelength: wavelengthsNm[i], flux: f }));
  const bp = points.slice(0, nBp), rp = points.slice(nBp);
  const bands = [
    { points: bp, color: COLORS.blue, label: "BP (blue photometer)" },
    { points: rp, color: COLORS.red, label: "RP (red photometer)" },
  ];
  return renderFigure({
    height: 340,
    marginLeft: 60,
    x: axis("Wavelength (nm)"),
    y: gridAxis(options.fluxLabel ?? "Flux (instrument units)"),
    marks: [
      ...junctionMarks(wavelengthsNm, nBp),
      ...bands.flatMap(({ points, color }) => [
        Plot.lineY(points, { x: "wavelength", y: "flux", stroke: color, strokeWidth: 1.5 }),
        Plot.dot(points, { x: "wavelength", y: "flux", fill: color, r: 1.8 }),
      ]),
    ],
  }, {
    options,
    title: spectrum.title ?? "Spectrum",
    subtitle:
      `${bp.length} BP samples and ${rp.length} RP samples of the Gaia sampled mean spectrum`,
    legend: bands.filter((b) => b.points.length).map(({ label, color }) => ({
      label,
      color,
      marker: "dot",
    })),
  });
}

/** One line of {@link meanSpectraPlot}. */
export interface SpectrumSeries {
  /** Legend text, e.g. "0.0 ≤ z < 0.1 (1,000 galaxies)". */
  label: string;
  /** Flux at each wavelength; NaN leaves a gap. */
  flux: ArrayLike<number>;
}

/** Options of {@link meanSpectraPlot}. */
export interface MeanSpectraPlotOptions extends FigureOptions {
  /** How many leading samples are BP; lines break there. Default 80. */
  nBp?: number;
  /** Label of the y axis; default "Mean flux (instrument units)". */
  fluxLabel?: string;
  /** Colours of the series in order; default a sequential palette (ordered ranges read in order). */
  colors?: string[];
}

/**
 * Fig. 11: several spectra on one chart, e.g. the mean spectrum of each
 * redshift range, with a legend. Series with no finite flux are left out.
 *
 * @param wavelengthsNm wavelength of each sample in nm
 */
export function meanSpectraPlot(
  wavelengthsNm: ArrayLike<number>,
  series: SpectrumSeries[],
  options: MeanSpectraPlotOptions = {},
): PlotOutput {
  const nBp = options.nBp ?? N_BP;
  const drawn = series.filter((s) => {
    checkSameLength(wavelengthsNm, s.flux, ["wavelengthsNm", `flux of "${s.label}"`]);
    return Array.from(s.flux).some(Number.isFinite);
  });
  const colors = options.colors ?? sequentialColors(drawn.length);
  const points = drawn.flatMap((s, k) =>
    Array.from({ length: s.flux.length }, (_, i) => ({
      wavelength: wavelengthsNm[i],
      flux: s.flux[i],
      // Separate BP and RP pieces so that no line joins the two bands.
      piece: 2 * k + (i < nBp ? 0 : 1),
      color: colors[k],
    }))
  );
  return renderFigure({
    height: 360,
    marginLeft: 60,
    x: axis("Wavelength (nm)"),
    y: gridAxis(options.fluxLabel ?? "Mean flux (instrument units)"),
    marks: [
      ...junctionMarks(wavelengthsNm, nBp),
      Plot.lineY(points, {
        x: "wavelength",
        y: "flux",
        z: "piece",
        stroke: (d: { color: string }) => d.color,
        strokeWidth: 1.8,
      }),
    ],
  }, {
    options,
    title: "Mean spectrum per redshift range",
    legend: drawn.map((s, k): LegendEntry => ({ label: s.label, color: colors[k] })),
  });
}

/** The mean spectrum of the galaxies in one redshift range. */
export interface RangeMeanSpectrum {
  /** Legend text, e.g. "0.1 ≤ z < 0.2 (1,000 galaxies)". */
  label: string;
  /** Lower end of the range (inclusive). */
  zLow: number;
  /** Upper end (exclusive, except for the last range). */
  zHigh: number;
  /** Galaxies averaged (after the cap). */
  n: number;
  /** Galaxies in the range before the cap. */
  available: number;
  /** Mean flux per sample; NaN everywhere when `n` is 0. */
  flux: Float64Array;
}

/** Options of {@link meanSpectraByRedshift}. */
export interface MeanSpectraByRedshiftOptions {
  /** Range edges; default 0, 0.1, …, 0.6 (six ranges, the last one closed). */
  edges?: number[];
  /** Average at most this many galaxies per range, drawn at random (the dissertation used 1,000). */
  maxPerRange?: number;
  /** Seed of the random draw under `maxPerRange`; default 0. */
  seed?: number;
  /** Fluxes per galaxy; default 186. */
  nFlux?: number;
}

/**
 * Mean spectrum of the galaxies in each redshift range, optionally of a seeded
 * random sample of at most `maxPerRange` galaxies per range.
 *
 * @param data redshifts and row-major fluxes (`n × nFlux`)
 */
export function meanSpectraByRedshift(
  data: { z: ArrayLike<number>; flux: ArrayLike<number> },
  options: MeanSpectraByRedshiftOptions = {},
): RangeMeanSpectrum[] {
  const { edges = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], seed = 0, nFlux = N_FLUX } = options;
  const n = data.z.length;
  if (data.flux.length !== n * nFlux) {
    throw new RangeError(
      `flux has ${data.flux.length} values; ${n} redshifts need ${n} × ${nFlux} = ${n * nFlux}`,
    );
  }
  const nRanges = edges.length - 1;
  const members: number[][] = Array.from({ length: nRanges }, () => []);
  // The last range is closed, with a tolerance for float32 (0.6 is 0.6000000238).
  const within = (z: number, r: number) =>
    z >= edges[r] && (z < edges[r + 1] || (r === nRanges - 1 && z <= edges[r + 1] + 1e-6));
  for (let i = 0; i < n; i++) {
    const r = members.findIndex((_, k) => within(data.z[i], k));
    if (r >= 0) members[r].push(i);
  }
  const random = new Random(seed);
  return members.map((rows, r) => {
    const available = rows.length;
    if (options.maxPerRange !== undefined && rows.length > options.maxPerRange) {
      rows = random.shuffle(rows).slice(0, options.maxPerRange);
    }
    const flux = new Float64Array(nFlux);
    for (const i of rows) {
      for (let j = 0; j < nFlux; j++) flux[j] += data.flux[i * nFlux + j];
    }
    for (let j = 0; j < nFlux; j++) flux[j] = rows.length ? flux[j] / rows.length : NaN;
    const range = `${edges[r]} ≤ z ${r === nRanges - 1 ? "≤" : "<"} ${edges[r + 1]}`;
    return {
      label: `${range} (${formatCount(rows.length)} galaxies)`,
      zLow: edges[r],
      zHigh: edges[r + 1],
      n: rows.length,
      available,
      flux,
    };
  });
}

/** Colours from dark blue to orange (part of the "plasma" scheme) that stay legible on white. */
export function sequentialColors(count: number): string[] {
  const scale = Plot.scale({ color: { type: "linear", scheme: "plasma", domain: [0, 1] } });
  return Array.from(
    { length: count },
    (_, k) => scale.apply(count === 1 ? 0 : (0.82 * k) / (count - 1)) as string,
  );
}

/** A dashed rule between the last BP and the first RP sample, labelled at the top. */
function junctionMarks(wavelengthsNm: ArrayLike<number>, nBp: number): Plot.Markish[] {
  if (nBp <= 0 || nBp >= wavelengthsNm.length) return [];
  const x = (wavelengthsNm[nBp - 1] + wavelengthsNm[nBp]) / 2;
  return labelledRulesX([x], "4,3", () => "BP | RP", { dy: -2 });
}
