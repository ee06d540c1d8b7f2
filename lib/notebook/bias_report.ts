/**
 * Notebook 07's tables and sentences about the high-z bias, each chosen and filled by the numbers
 * it is given: the two binnings beside Table 3, the methods' scores over their seeds, the
 * trade-off's verdict and the PDFs' calibration.
 *
 * @module
 */
import {
  type BiasBinRow,
  type BiasDiagnostics,
  biasDiagnostics,
  errorSlope,
  type LinearFit,
} from "../bias/mod.ts";
import type { BinnedBiasRow } from "../plots/bias.ts";
import { count, formatDuration, markdownTable } from "../tables.ts";
import { DISSERTATION_RECIPE } from "../profiles.ts";
import type { ModelConfig } from "../model.ts";
import { binName, en, maeChange, networkAgainstDissertation, pct, pitShapeNote } from "./_words.ts";
import { binCoverageNote } from "./ensemble_report.ts";

/** "+0.0131" or "−0.0980": a signed error with a true minus sign. */
export function signed(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return "–";
  const text = Math.abs(x).toFixed(digits);
  return Number(text) === 0 ? text : `${x < 0 ? "−" : "+"}${text}`;
}

/** "−0.0980 ± 0.0040": a mean error and its standard error, "–" when the bin is empty. */
function withError(mean: number, se: number): string {
  return Number.isFinite(mean) && Number.isFinite(se)
    ? `${signed(mean)} ± ${se.toFixed(4)}`
    : signed(mean);
}

/**
 * The mean error per bin binned by true z and by predicted z side by side, each with its galaxies
 * and bootstrap standard error, beside a `published` table binned by true z (Table 3).
 */
export function binningTable(
  d: { byTrue: readonly BiasBinRow[]; byPredicted: readonly BiasBinRow[] },
  published?: { label: string; rows: readonly { meanError: number }[] },
): string {
  return markdownTable(
    [
      "z bin",
      "by true z: galaxies",
      "by true z: mean error ± s.e.",
      "by predicted z: galaxies",
      "by predicted z: mean error ± s.e.",
      ...(published ? [published.label] : []),
    ],
    d.byTrue.map((t, b) => {
      const p = d.byPredicted[b];
      return [
        binName(t),
        en(t.n),
        withError(t.meanError, t.standardError),
        en(p.n),
        withError(p.meanError, p.standardError),
        ...(published ? [signed(published.rows[b]?.meanError ?? NaN)] : []),
      ];
    }),
  );
}

/** A slope with its standard error: "−0.52 ± 0.03". */
export function slopeText(fit: LinearFit, digits = 2): string {
  const se = Number.isFinite(fit.slopeSe) ? ` ± ${fit.slopeSe.toFixed(digits)}` : "";
  return `${signed(fit.slope, digits)}${se}`;
}

/** Whether a slope differs from 0 by more than two standard errors. */
function tilted(fit: LinearFit): boolean {
  return Math.abs(fit.slope) > 2 * fit.slopeSe;
}

/**
 * The diagnosis in words: the mean error by true z from the first to the last bin with at least
 * 30 galaxies, and the slope above z = 0.2 in each binning (`byPredicted`: errorSlope's by
 * predicted z), each judged against its standard error.
 */
export function diagnosisNote(label: string, d: BiasDiagnostics, byPredicted: LinearFit): string {
  const minGalaxies = 30;
  const full = d.byTrue.filter((r) => r.n >= minGalaxies);
  const [first, last] = [full[0], full[full.length - 1]];
  const range = first && last && first !== last
    ? `binned by true z, its mean error runs from ${signed(first.meanError)} at ${
      binName(first)
    } to ${signed(last.meanError)} at ${binName(last)} (the last bin with at least ${
      count(minGalaxies, "galaxy", "galaxies")
    }). `
    : "";
  const trueWords = tilted(d.slope)
    ? "a tilt more than twice its standard error"
    : "within two standard errors of flat";
  const predWords = tilted(byPredicted)
    ? Math.abs(byPredicted.slope) < Math.abs(d.slope.slope)
      ? "tilted too, though less"
      : "tilted as much or more"
    : "flat within two standard errors";
  return `**${label}:** ${range}Above z = 0.2 the slope of the mean error against true z is ` +
    `${slopeText(d.slope)} (${trueWords}, ${en(d.slope.n)} galaxies); binned by predicted z ` +
    `instead, its slope above z = 0.2 is ${slopeText(byPredicted)} (${predWords}, ` +
    `${en(byPredicted.n)} galaxies).`;
}

/** One method's test predictions from one or more seeds, and their scores. */
export interface MethodScores {
  label: string;
  /** Diagnostics of each seed's predictions. */
  runs: BiasDiagnostics[];
  /** The slope of the error against predicted z above z = 0.2, per seed. */
  predictedSlopes: LinearFit[];
}

/**
 * Scores a method's predictions, one array per seed, on the same test galaxies (`options`: the
 * bootstrap of {@link biasDiagnostics}). The slope by predicted z is NaN for an array with fewer
 * than two galaxies predicted above z = 0.2.
 */
export function scoreMethod(
  label: string,
  zTrue: ArrayLike<number>,
  predictions: readonly ArrayLike<number>[],
  options: { resamples?: number; seed?: number } = {},
): MethodScores {
  if (predictions.length === 0) throw new RangeError(`${label}: no predictions to score`);
  return {
    label,
    runs: predictions.map((zPred) => biasDiagnostics(zTrue, zPred, options)),
    predictedSlopes: predictions.map((zPred) => slopeOrNone(zTrue, zPred)),
  };
}

/** The slope against predicted z above 0.2, or NaN when no galaxy is predicted there. */
function slopeOrNone(zTrue: ArrayLike<number>, zPred: ArrayLike<number>): LinearFit {
  try {
    return errorSlope(zTrue, zPred, { by: "predicted" });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { slope: NaN, intercept: NaN, n: 0, slopeSe: NaN };
  }
}

/** Mean and sample standard deviation (NaN for one value) of `xs`. */
function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1
    ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1))
    : NaN;
  return { mean, sd };
}

/** A score over seeds: its mean, and "± sd" when there are several. */
function overSeeds(xs: readonly number[], format: (x: number) => string): string {
  const { mean, sd } = meanSd(xs);
  return Number.isFinite(sd)
    ? `${format(mean)} ± ${format(sd).replace(/^[+−]/, "")}`
    : format(mean);
}

/**
 * The comparison table: per method, the MAE, the MAE averaged over the bins of true z, σ_NMAD,
 * the outlier fractions, and the slope above z = 0.2 by true and by predicted z; the mean over
 * seeds, ± their standard deviation where there are several.
 */
export function biasComparisonTable(methods: readonly MethodScores[]): string {
  const f4 = (x: number) => x.toFixed(4), p = (x: number) => pct(x, 2);
  const columns: [string, (d: BiasDiagnostics) => number, (x: number) => string][] = [
    ["MAE", (d) => d.mae, f4],
    ["MAE averaged over bins", (d) => d.binMae, f4],
    ["σ_NMAD", (d) => d.sigmaNmad, f4],
    ["|Δz| > 0.05", (d) => d.outliers05, p],
    ["|Δz| > 0.15", (d) => d.outliers15, p],
    ["slope above 0.2, by true z", (d) => d.slope.slope, (x) => signed(x, 3)],
  ];
  return markdownTable(
    ["method", "seeds", ...columns.map((c) => c[0]), "slope above 0.2, by predicted z"],
    methods.map((m) => [
      m.label,
      m.runs.length,
      ...columns.map(([, pick, format]) => overSeeds(m.runs.map(pick), format)),
      overSeeds(m.predictedSlopes.map((f) => f.slope), (x) => signed(x, 3)),
    ]),
  );
}

/**
 * A method's mean error per bin over its seeds, for {@link binnedBiasPlot}: the mean of the seeds'
 * bin means, with the standard error of that mean over the seeds (several seeds) or the bootstrap
 * standard error (one seed).
 */
export function seedAveragedBins(
  m: MethodScores,
  by: "true" | "predicted",
): (BinnedBiasRow & { n: number })[] {
  const rows = m.runs.map((d) => (by === "true" ? d.byTrue : d.byPredicted));
  return rows[0].map((r, b) => {
    const means = rows.map((rs) => rs[b].meanError).filter(Number.isFinite);
    const { mean, sd } = means.length ? meanSd(means) : { mean: NaN, sd: NaN };
    return {
      zLow: r.zLow,
      zHigh: r.zHigh,
      n: Math.min(...rows.map((rs) => rs[b].n)),
      meanError: mean,
      standardError: rows.length > 1 ? sd / Math.sqrt(means.length) : r.standardError,
    };
  });
}

/**
 * The mean error per bin of every method side by side, binned by true z (with the galaxies per
 * bin, the same for all) or by predicted z (each method's galaxies differ, so none is given),
 * and optionally a published column binned the same way, bin for bin (Table 3, by true z).
 */
export function binnedComparisonTable(
  methods: readonly MethodScores[],
  by: "true" | "predicted",
  published?: { label: string; rows: readonly { meanError: number }[] },
): string {
  const bins = methods.map((m) => seedAveragedBins(m, by));
  return markdownTable(
    [
      `${by} z bin`,
      ...(by === "true" ? ["galaxies"] : []),
      ...methods.map((m) => m.label),
      ...(published ? [published.label] : []),
    ],
    bins[0].map((r, b) => [
      binName(r),
      ...(by === "true" ? [en(r.n)] : []),
      ...bins.map((rows) => signed(rows[b].meanError)),
      ...(published ? [signed(published.rows[b]?.meanError ?? NaN)] : []),
    ]),
  );
}

/** A point of the trade-off: a method (or a knob's setting) with its MAE and slope above 0.2. */
export interface TradeoffCandidate {
  label: string;
  mae: number;
  slope: number;
}

/** A method's point on the trade-off: its MAE and slope above z = 0.2 (by true z), over its seeds. */
export function tradeoffPoint(m: MethodScores): { mae: number; slope: number } {
  const mean = (pick: (d: BiasDiagnostics) => number) => meanSd(m.runs.map(pick)).mean;
  return { mae: mean((d) => d.mae), slope: mean((d) => d.slope.slope) };
}

/** The bar of the trade-off: a slope of at most `slopeFraction` of the baseline's, at an MAE at most `maeBudget` above it. */
export interface TradeoffBar {
  /** Default 0.5: half the baseline's slope. */
  slopeFraction?: number;
  /** Default 0.1: + 10 %. */
  maeBudget?: number;
}

/**
 * The best point of a trade-off: the flattest of the candidates that reach the bar; else the
 * flattest within the MAE budget, if it is flatter than the baseline; else null (the baseline is
 * the best point).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestTradeoffPoint } from "./bias_report.ts";
 * const base = { mae: 0.02, slope: -0.3 };
 * const a = { label: "a", mae: 0.021, slope: -0.12 }, b = { label: "b", mae: 0.03, slope: 0 };
 * assert.equal(bestTradeoffPoint(base, [a, b]), a); // b costs more than the budget
 * assert.equal(bestTradeoffPoint(base, [b]), null);
 * ```
 */
export function bestTradeoffPoint<T extends TradeoffCandidate>(
  baseline: { mae: number; slope: number },
  candidates: readonly T[],
  bar: TradeoffBar = {},
): T | null {
  const { maxMae, maxSlope } = barOf(baseline, bar);
  const within = candidates.filter((c) => c.mae <= maxMae);
  const reach = within.filter((c) => Math.abs(c.slope) <= maxSlope);
  const best = flattest(reach.length ? reach : within);
  return best && Math.abs(best.slope) < Math.abs(baseline.slope) ? best : null;
}

function barOf(baseline: { mae: number; slope: number }, bar: TradeoffBar) {
  const { slopeFraction = 0.5, maeBudget = 0.1 } = bar;
  return {
    slopeFraction,
    maeBudget,
    maxMae: baseline.mae * (1 + maeBudget),
    maxSlope: Math.abs(baseline.slope) * slopeFraction,
  };
}

function flattest<T extends TradeoffCandidate>(cs: readonly T[]): T | undefined {
  return cs.length
    ? cs.reduce((a, b) => (Math.abs(b.slope) < Math.abs(a.slope) ? b : a))
    : undefined;
}

/**
 * The trade-off in words: the goal (the default {@link TradeoffBar}), which candidates (methods,
 * α settings, weightings) reach it, and which point is best ({@link bestTradeoffPoint}) and why.
 */
export function tradeoffNote(
  baseline: { mae: number; slope: number },
  candidates: readonly TradeoffCandidate[],
): string {
  const { slopeFraction, maeBudget, maxMae, maxSlope } = barOf(baseline, {});
  const describe = (c: TradeoffCandidate) =>
    `${c.label} (slope ${signed(c.slope, 3)}, MAE ${c.mae.toFixed(4)}, ${
      maeChange(c.mae, baseline.mae)
    })`;
  const goal = `The goal: a slope above z = 0.2 (by true z) at most ${pct(slopeFraction, 0)} of ` +
    `the baseline's ${signed(baseline.slope, 3)}, so |slope| ≤ ${maxSlope.toFixed(3)}, at an MAE ` +
    `at most ${pct(maeBudget, 0)} above its ${baseline.mae.toFixed(4)}, so ≤ ${maxMae.toFixed(4)}.`;
  const reach = candidates.filter((c) => c.mae <= maxMae && Math.abs(c.slope) <= maxSlope);
  const best = bestTradeoffPoint(baseline, candidates);
  if (reach.length) {
    return `${goal} **Reached by ${count(reach.length, "point")}:** ${
      reach.map(describe).join("; ")
    }. The best is ${best!.label}: the flattest of those within the MAE budget.`;
  }
  const overall = flattest(candidates);
  const verdict = best
    ? `Within the MAE budget the flattest is ${describe(best)}: the best point here, since ` +
      "it lowers the slope most without costing more than the budget."
    : "No point within the MAE budget is flatter than the baseline: the baseline is the best " +
      "point here.";
  const steepest = overall && overall !== best && overall.mae > maxMae
    ? ` The flattest of all is ${describe(overall)}, over the budget.`
    : "";
  return `${goal} **No point reaches it.** ${verdict}${steepest}`;
}

/** Calibration of PDFs or error bars on `n` test galaxies as one table row. */
export interface CalibrationRow {
  label: string;
  n: number;
  /** MAE of the point estimate (the PDF's mean, or the ensemble's mean). */
  mae: number;
  /** Coverage of the central 68 % and 95 % intervals. */
  coverage: readonly number[];
  crps: number;
}

/** The calibration of PDF heads beside the ensemble's, one row each. */
export function pdfCalibrationTable(rows: readonly CalibrationRow[]): string {
  return markdownTable(
    ["prediction", "test galaxies", "MAE", "68 % coverage", "95 % coverage", "CRPS"],
    rows.map((r) => [
      r.label,
      en(r.n),
      r.mae.toFixed(4),
      pct(r.coverage[0]),
      pct(r.coverage[1]),
      r.crps.toFixed(5),
    ]),
  );
}

/** A PDF head's PIT histogram (10 bins) in words, as {@link pitShapeNote} says it. */
export function pdfPitNote(label: string, counts: readonly number[]): string {
  return pitShapeNote(label, counts, {
    outer: "outer bins of the PIT histogram",
    calibrated: "PDFs",
    shapes: {
      "heavy-tails": "the PDFs are too narrow for the galaxies they miss and too wide for the " +
        "ones they get right: the truth lands both near the middle and in the far tails too often",
      "light-tails": "the truth lands too rarely both in the middle and in the tails",
      "u-shape": "the truth falls in the PDFs' tails too often: they are too narrow",
      "hump": "the truth crowds the PDFs' middle: they are too wide",
      "flat": "the histogram is flat within its sampling error",
    },
    reference: "the PDF's median",
    after: " it",
  });
}

/** Coverage per bin of true z in words, as {@link binCoverageNote} says it of the ensemble. */
export const pdfCoverageNote: typeof binCoverageNote = binCoverageNote;

/**
 * The mean training weight per 0.05 bin of z for each weighting, beside the bin's share of the
 * training galaxies: how much harder a rare galaxy pulls on the loss.
 */
export function weightsByBinTable(
  z: ArrayLike<number>,
  weightings: readonly { label: string; weights: ArrayLike<number> }[],
): string {
  const binWidth = 0.05, nBins = Math.round(0.6 / binWidth);
  const bin = (v: number) => Math.min(nBins - 1, Math.max(0, Math.floor(v / binWidth + 1e-9)));
  const n = new Float64Array(nBins);
  const sums = weightings.map(() => new Float64Array(nBins));
  for (let i = 0; i < z.length; i++) {
    const b = bin(z[i]);
    n[b]++;
    weightings.forEach((w, k) => (sums[k][b] += w.weights[i]));
  }
  return markdownTable(
    ["z bin", "training galaxies", ...weightings.map((w) => `mean weight: ${w.label}`)],
    Array.from({ length: nBins }, (_, b) => [
      binName({ zLow: b * binWidth, zHigh: (b + 1) * binWidth }),
      `${en(n[b])} (${(100 * n[b] / z.length).toFixed(2)} %)`,
      ...sums.map((s) => (n[b] ? (s[b] / n[b]).toFixed(2) : "–")),
    ]),
  );
}

/** What the small version trained, and how long it took here, in one sentence. */
export function smallVersionNote(
  network: ModelConfig,
  plan: { epochs: number; learningRate: number; trainingGalaxies: number; seconds: number },
): string {
  const { learningRate: lr } = DISSERTATION_RECIPE;
  return `**The small version, trained here in ${formatDuration(plan.seconds)}:** each method on ` +
    `${networkAgainstDissertation(network)}; ${count(plan.epochs, "epoch")} on ` +
    `${en(plan.trainingGalaxies)} training galaxies, Adamax at a learning rate of ` +
    `${plan.learningRate} (${Number((plan.learningRate / lr).toFixed(2))} times the ` +
    `dissertation's ${lr}, so that so few epochs get somewhere). Its numbers show how the ` +
    "methods are run and compared, not how well they work at scale.";
}

/** How a method moves the two slopes and the MAE against the baseline, as numbers. */
export function againstBaselineNote(baseline: MethodScores, m: MethodScores): string {
  const [b, x] = [tradeoffPoint(baseline), tradeoffPoint(m)];
  const predicted = (s: MethodScores) => meanSd(s.predictedSlopes.map((f) => f.slope)).mean;
  return `**${m.label}:** slope above z = 0.2 by true z ${signed(b.slope, 3)} → ` +
    `${signed(x.slope, 3)}; by predicted z ${signed(predicted(baseline), 3)} → ` +
    `${signed(predicted(m), 3)}; MAE ${b.mae.toFixed(4)} → ${x.mae.toFixed(4)} ` +
    `(${maeChange(x.mae, b.mae)}).`;
}
