/**
 * Shared rendering for the plot functions: Observable Plot's chart framed by title, subtitle,
 * legend and caption in one standalone `<svg>` (never an HTML `<figure>`, so that the same string
 * works in a notebook, a `.svg` file, an `<img>` and nbconvert's HTML, white under every theme),
 * serialised identically from run to run; and the axes, guides and colours the figures share.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** A rendered figure: the text of one standalone `<svg>` element. */
export type PlotOutput = string;

/** Default figure width in pixels. */
const DEFAULT_WIDTH = 680;

/** Font size of tick labels, axis labels and legends, in pixels. */
const FONT_SIZE = 12;

/** Colours the figures share: a colour-blind-safe pair first (Plot's "observable10"). */
export const COLORS: Readonly<
  Record<"blue" | "orange" | "red" | "green" | "purple" | "grey" | "text", string>
> = {
  blue: "#4269d0",
  orange: "#e0850b",
  red: "#d62728",
  green: "#3ca951",
  purple: "#a463f2",
  grey: "#6b6b6b",
  text: "#222222",
};

/** Titles and size of a figure; every plot function's options extend this. */
export interface FigureOptions {
  /** Bold line above the plot. */
  title?: string;
  /** Smaller line under the title, e.g. what the data is. */
  subtitle?: string;
  /** Note under the plot, e.g. the source or what was left out. */
  caption?: string;
  /** Figure width in pixels; default 680. */
  width?: number;
  /** Height of the plot area (axes included, titles excluded) in pixels. */
  height?: number;
}

/** One swatch of a categorical legend. */
export interface LegendEntry {
  label: string;
  color: string;
  /** Line through the swatch: solid, dashed, or none (default solid unless `marker` is "square"). */
  line?: "solid" | "dashed" | "none";
  /** Marker in the middle of the swatch. */
  marker?: "dot" | "square" | "diamond" | "none";
  /** Fill opacity of a square marker. */
  opacity?: number;
}

/** What a plot function draws around its chart: the caller's `options`, with defaults. */
export interface FrameOptions {
  /** The caller's titles and size, which win over the defaults below. */
  options: FigureOptions;
  /** Title unless the options give one. */
  title: string;
  /** Subtitle unless the options give one. */
  subtitle?: string;
  /** Notes that apply (falsy ones are left out), one sentence each, before the options' caption. */
  notes?: (string | false | undefined)[];
  /** Figure width unless the options give one; default 680. */
  width?: number;
  /** Categorical legend drawn between the titles and the plot. */
  legend?: LegendEntry[];
  /** Label (with units) of a ramp legend of the chart's colour scale, log-spaced on a log scale. */
  ramp?: string;
  /** Facts written as `data-*` attributes, which a page check holds the title to. */
  data?: Record<string, number | string>;
}

const PAD = 10;
const TITLE_SIZE = 17;
const SUBTITLE_SIZE = 13;
const CHAR_WIDTH = 0.55; // average glyph width of a sans-serif font, in ems
const FIGURE_CLASS = "redshift-cnn-figure";

/**
 * Renders `plot` with Plot and frames it with titles, legend and caption in one standalone SVG.
 *
 * @param plot Plot options without `document`, `width`, `title`, `subtitle` or `caption`
 * @param frame the caller's titles and size; the default titles, legend and notes
 */
export function renderFigure(plot: Plot.PlotOptions, frame: FrameOptions): PlotOutput {
  const { options } = frame;
  const width = options.width ?? frame.width ?? DEFAULT_WIDTH;
  const title = options.title ?? frame.title, subtitle = options.subtitle ?? frame.subtitle;
  const caption = [...(frame.notes ?? []), options.caption].filter(Boolean).join(". ");
  const { document } = parseHTML("<html><body></body></html>") as unknown as Plot.PlotOptions;
  const chart = Plot.plot({
    marginBottom: 44,
    ...plot,
    document,
    width,
    height: options.height ?? plot.height,
    style: { fontSize: `${FONT_SIZE}px`, ...(plot.style as object ?? {}) },
  });
  if (chart.tagName.toLowerCase() !== "svg") {
    throw new Error("renderFigure(): Plot returned a figure; draw titles and legends here instead");
  }
  const parts: string[] = [];
  let y = PAD;
  const textWidth = width - 2 * PAD;
  // Wrapped lines of text at the left, each `spacing` font sizes below the last.
  const addText = (text: string, size: number, spacing: number, lift: number, attrs: string) => {
    for (const line of wrap(text, textWidth, size)) {
      y += size * spacing;
      parts.push(textAt(PAD, y - lift, line, `font-size="${size}" ${attrs}`));
    }
  };
  const addBlock = ({ svg, height }: { svg: string; height: number }) => {
    y += 6;
    parts.push(`<g transform="translate(${PAD},${y})">${svg}</g>`);
    y += height;
  };
  if (title) addText(title, TITLE_SIZE, 1.25, 4, `font-weight="bold"`);
  if (subtitle) addText(subtitle, SUBTITLE_SIZE, 1.35, 4, `fill="#555555"`);
  if (frame.legend?.length) addBlock(swatches(frame.legend, textWidth));
  if (frame.ramp) addBlock(rampLegend(frame.ramp, chart.scale("color")!));
  if (y > PAD) y += 6;

  // The chart becomes a nested <svg>; its own <style> would leak into the host page.
  for (const style of [...chart.querySelectorAll("style")]) style.remove();
  chart.removeAttribute("style");
  chart.setAttribute("x", "0");
  chart.setAttribute("y", String(y));
  chart.setAttribute("font-size", String(FONT_SIZE));
  chart.setAttribute("overflow", "visible");
  parts.push(chart.outerHTML);
  y += Number(chart.getAttribute("height"));

  if (caption) {
    y += 4;
    addText(caption, FONT_SIZE, 1.35, 3, `fill="#555555"`);
  }
  y = Math.ceil(y + PAD);

  const label = escapeXml(title ?? subtitle ?? "Figure");
  const data = Object.entries(frame.data ?? {}).map(([k, v]) =>
    `data-${k}="${escapeXml(String(v))}" `
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" class="${FIGURE_CLASS}" ` +
    `width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" role="img" aria-label="${label}" ` +
    data.join("") +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif" ` +
    `style="max-width: 100%; height: auto; background: white; color: ${COLORS.text}">` +
    `<title>${label}</title>` +
    `<style>.${FIGURE_CLASS} { --plot-background: white; } ` +
    `.${FIGURE_CLASS} text, .${FIGURE_CLASS} tspan { white-space: pre; }</style>` +
    `<rect width="100%" height="100%" fill="white"/>` +
    parts.join("") + `</svg>`;
  return normalizeSvg(svg);
}

/**
 * Makes SVG text stable and compact: numbers inside tags rounded to 2 decimals, and element ids
 * (Plot numbers its clip paths with a global counter) renamed from a hash of the figure, so that
 * equal figures give equal text and two figures on one page never share an id.
 */
export function normalizeSvg(svg: string): string {
  const rounded = svg.replace(
    /<[^>]+>/g,
    (tag) => tag.replace(/-?\d+\.\d{3,}/g, (n) => String(Number(Number(n).toFixed(2)))),
  );
  const ids = [...rounded.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  if (ids.length === 0) return rounded;
  let placeholders = rounded;
  ids.forEach((id, i) => {
    placeholders = placeholders.replaceAll(`id="${id}"`, `id="@ID${i}@"`)
      .replaceAll(`url(#${id})`, `url(#@ID${i}@)`)
      .replaceAll(`href="#${id}"`, `href="#@ID${i}@"`);
  });
  const prefix = `f${fnv1a(placeholders)}`;
  return placeholders.replace(/@ID(\d+)@/g, (_, i) => `${prefix}-${i}`);
}

/** Throws a RangeError unless `a` and `b` have the same length. */
export function checkSameLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  names: [string, string],
): number {
  if (a.length !== b.length) {
    throw new RangeError(
      `${names[0]} has ${a.length} values but ${names[1]} has ${b.length}; they must match`,
    );
  }
  return a.length;
}

const PALETTE = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.purple, COLORS.red, COLORS.grey];

/** Colour of series `k`: blue, orange, green, purple, red, grey, the first `n` of them in turn. */
export function seriesColor(k: number, n: number = PALETTE.length): string {
  return PALETTE[k % n];
}

/** Symbols of series in turn: Plot's name and the legend's marker. */
export const SYMBOLS = [
  { plot: "circle", legend: "dot" },
  { plot: "diamond", legend: "diamond" },
  { plot: "square", legend: "square" },
] as const;

/** The least and the greatest of `values`, each moved out by `fraction` of their spread. */
export function paddedExtent(values: number[], fraction: number): [number, number] {
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = (hi - lo || Math.abs(hi) || 1) * fraction;
  return [lo - pad, hi + pad];
}

/** Options of an axis with its label centred and without an arrow. */
export function axis(label: string, options: Plot.ScaleOptions = {}): Plot.ScaleOptions {
  return { label, labelAnchor: "center", labelArrow: "none", ...options };
}

/** Options of a value axis with grid lines and its label at the end, without an arrow. */
export function gridAxis(label: string, options: Plot.ScaleOptions = {}): Plot.ScaleOptions {
  return { label, labelArrow: "none", grid: true, ...options };
}

/** Style of a dashed guide line: a target, the truth, the diagonal of perfect prediction. */
export const DASHED = { stroke: COLORS.text, strokeDasharray: "5,4" };

/** Legend entry of a {@link DASHED} guide. */
export function dashedEntry(label: string): LegendEntry {
  return { label, color: COLORS.text, line: "dashed", marker: "none" };
}

/** Small grey texts above the frame (e.g. galaxies per bin), where no point can cover them. */
export function textAboveFrame(texts: { x: number; text: string }[]): Plot.Markish {
  return Plot.text(texts, {
    x: "x",
    text: "text",
    frameAnchor: "top",
    dy: -8,
    lineAnchor: "bottom",
    fill: COLORS.grey,
    fontSize: 10,
  });
}

/** Grey rules across the frame at `xs` dashed with `dash`, each labelled at the top. */
export function labelledRulesX(
  xs: number[],
  dash: string,
  text: (x: number) => string,
  style: Plot.TextOptions = {},
): Plot.Markish[] {
  return [
    Plot.ruleX(xs, { stroke: COLORS.grey, strokeDasharray: dash }),
    Plot.text(xs, {
      x: (d: number) => d,
      frameAnchor: "top",
      text,
      lineAnchor: "bottom",
      fill: COLORS.grey,
      ...style,
    }),
  ];
}

/** The lowest and the highest edge of the bins. */
export function binExtent(bins: readonly { zLow: number; zHigh: number }[]): [number, number] {
  const edges = bins.flatMap((b) => [b.zLow, b.zHigh]);
  return [Math.min(...edges), Math.max(...edges)];
}

/**
 * Axis and grid marks for a logarithmic y axis over `values`: ticks at powers of ten (with 2× and
 * 5× between them when the data spans few decades) and one tick below the data, or evenly spaced
 * when it spans less than one decade, where powers of ten would leave the axis bare. Labels are
 * plain decimals (0.0005), never SI prefixes: Plot's own log axis hides some labels and writes
 * "300m".
 *
 * @param values the data drawn on the axis (non-positive values are ignored)
 */
export function logYAxisMarks(values: number[], label: string): Plot.Markish[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [];
  const lo = Math.min(...positive), hi = Math.max(...positive);
  const decades = Math.log10(hi / lo);
  let ticks: number[];
  let text = formatTickNumber;
  if (decades < 1) {
    ticks = linearNiceTicks(lo, hi, 5).filter((t) => t > 0);
    // As on a wide axis, one tick below the data: the next step down, or, where that would be
    // zero, the data's floor rounded down to one significant digit (4e-4 under a 5e-4 plateau).
    if (ticks.length && lo < ticks[0] * 0.999) {
      const step = ticks.length > 1 ? ticks[1] - ticks[0] : ticks[0];
      const p = Math.pow(10, Math.floor(Math.log10(lo)));
      const next = Number((ticks[0] - step).toPrecision(12));
      ticks.unshift(
        next > 0 && next <= lo ? next : Number((Math.floor(lo / p) * p).toPrecision(12)),
      );
    }
    // Evenly spaced ticks read best with equal decimals (0.00050, 0.00055).
    const decimals = Math.max(...ticks.map((t) => (String(t).split(".")[1] ?? "").length));
    if (decimals <= 10) text = (d: number) => d.toFixed(decimals);
  } else {
    const multipliers = decades <= 3 ? [1, 2, 5] : [1];
    const candidates: number[] = [];
    for (let p = Math.floor(Math.log10(lo)) - 1; p <= Math.ceil(Math.log10(hi)); p++) {
      for (const m of multipliers) candidates.push(Number((m * Math.pow(10, p)).toPrecision(12)));
    }
    ticks = candidates.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
    // One tick below the lowest value (its grid line extends the domain down to it), so that
    // a curve's floor, e.g. a loss plateau at 5e-4, is read against a labelled line under it.
    const below = candidates.filter((t) => t < lo * 0.999).at(-1);
    if (below !== undefined) ticks.unshift(below);
  }
  return [Plot.gridY(ticks), Plot.axisY(ticks, { text, label, labelArrow: "none" })];
}

/** Evenly spaced "nice" ticks (steps of 1, 2 or 5 × 10^k) inside [lo, hi]. */
export function linearNiceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  // d3's rule: the multiple of 1, 2, 5 or 10 nearest to the raw step (geometrically).
  const ratio = raw / power;
  const step = power * (ratio >= 7.07 ? 10 : ratio >= 3.16 ? 5 : ratio >= 1.41 ? 2 : 1);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** A number as a short plain decimal (0.00055, 12, 1e-7 only below 1e-6). */
function formatTickNumber(d: number): string {
  if (d === 0) return "0";
  if (Math.abs(d) < 1e-6) return d.toExponential(0);
  return String(Number(d.toPrecision(6)));
}

/** Formats an integer with thousands separators (1,234,567), independent of the locale. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Escapes text for use in SVG content or attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function textAt(x: number, y: number, text: string, attributes: string): string {
  return `<text x="${x}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(text)}</text>`;
}

/** Splits `text` into lines that fit `width` pixels at `fontSize` (estimated glyph widths). */
function wrap(text: string, width: number, fontSize: number): string[] {
  const maxChars = Math.max(10, Math.floor(width / (fontSize * CHAR_WIDTH)));
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter((w) => w)) {
      if (line && line.length + 1 + word.length > maxChars) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

function swatches(entries: LegendEntry[], width: number): { svg: string; height: number } {
  const rowHeight = FONT_SIZE + 8;
  const swatchWidth = 24;
  let x = 0, row = 0;
  const out: string[] = [];
  for (const entry of entries) {
    const itemWidth = swatchWidth + 6 + entry.label.length * FONT_SIZE * CHAR_WIDTH + 18;
    if (x > 0 && x + itemWidth > width) {
      x = 0;
      row++;
    }
    const cy = row * rowHeight + rowHeight / 2;
    out.push(
      `<g transform="translate(${x.toFixed(1)},${cy})">${swatch(entry, swatchWidth)}` +
        textAt(swatchWidth + 6, 0, entry.label, `dy="0.35em" font-size="${FONT_SIZE}"`) + `</g>`,
    );
    x += itemWidth;
  }
  return { svg: out.join(""), height: (row + 1) * rowHeight };
}

function swatch(entry: LegendEntry, w: number): string {
  const marker = entry.marker ?? "none";
  const line = entry.line ?? (marker === "square" ? "none" : "solid");
  const c = entry.color;
  let s = "";
  if (line !== "none") {
    const dash = line === "dashed" ? ` stroke-dasharray="5,3"` : "";
    s += `<line x1="0" x2="${w}" stroke="${c}" stroke-width="2"${dash}/>`;
  }
  const m = w / 2;
  if (marker === "dot") s += `<circle cx="${m}" r="4" fill="${c}"/>`;
  if (marker === "diamond") s += `<path d="M${m},-5L${m + 5},0L${m},5L${m - 5},0Z" fill="${c}"/>`;
  if (marker === "square") {
    const opacity = entry.opacity === undefined ? "" : ` fill-opacity="${entry.opacity}"`;
    s += `<rect x="${m - 7}" y="-7" width="14" height="14" fill="${c}"${opacity}/>`;
  }
  return s;
}

function rampLegend(label: string, scale: Plot.Scale): { svg: string; height: number } {
  const rampWidth = 280, rampHeight = 12, steps = 64;
  const [lo, hi] = scale.domain as [number, number];
  const isLog = scale.type === "log";
  const toUnit = (v: number) =>
    isLog ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo || 1);
  const fromUnit = (t: number) => isLog ? lo * Math.pow(hi / lo, t) : lo + t * (hi - lo);
  const out: string[] = [
    textAt(0, FONT_SIZE, label, `font-size="${FONT_SIZE}" font-weight="bold"`),
  ];
  const top = FONT_SIZE + 6;
  const cell = rampWidth / steps;
  for (let i = 0; i < steps; i++) {
    out.push(
      `<rect x="${(i * cell).toFixed(2)}" y="${top}" width="${(cell + 0.5).toFixed(2)}" ` +
        `height="${rampHeight}" fill="${scale.apply(fromUnit((i + 0.5) / steps))}"/>`,
    );
  }
  const ticks = isLog ? logTicks(lo, hi) : [0, 1, 2, 3, 4].map((i) => lo + (i * (hi - lo)) / 4);
  for (const t of ticks) {
    const x = (toUnit(t) * rampWidth).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${top + rampHeight + 4}" stroke="currentColor"/>`,
      textAt(
        Number(x),
        top + rampHeight + 6,
        formatCount(t),
        `dy="0.8em" text-anchor="middle" font-size="${FONT_SIZE - 1}"`,
      ),
    );
  }
  return { svg: out.join(""), height: top + rampHeight + 6 + FONT_SIZE + 6 };
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.ceil(Math.log10(lo) - 1e-9); Math.pow(10, p) <= hi * (1 + 1e-9); p++) {
    ticks.push(Math.pow(10, p));
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
