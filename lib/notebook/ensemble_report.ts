/**
 * Notebook 06's account of an ensemble's error bars: a progress bar over its members, the
 * committed larger run (`results/uncertainty/`) as Markdown, and sentences chosen and filled by a
 * calibration report.
 *
 * @module
 */
import { count, formatDuration, markdownTable } from "../tables.ts";
import type { TrainingProgress } from "../train.ts";
import { DISSERTATION_MODEL, type ModelConfig } from "../model.ts";
import { countParams } from "../search/mod.ts";
import {
  type CoverageRow,
  coverageStandardError,
  type Ensemble,
  type EnsembleEvaluation,
  MIN_BIN_GALAXIES,
  type UncertaintyResults,
} from "../uncertainty/mod.ts";
import type { ProgressDisplay } from "./notebook.ts";
import { binName, en, networkAgainstDissertation, pct, pitShapeNote, pp } from "./_words.ts";

/**
 * A `trainEnsemble` progress callback that shows one bar over all members: member k's epochs
 * follow member k − 1's, and the time left counts the members still to train.
 */
export function ensembleProgress(
  display: ProgressDisplay,
  plan: { members: number; epochs: number; batchSize: number },
): (member: number, progress: TrainingProgress) => Promise<void> {
  const { members, epochs, batchSize } = plan;
  return (k, p) =>
    display.update({
      ...p,
      epoch: p.epoch + (k - 1) * epochs,
      epochs: members * epochs,
      secondsLeft: p.secondsLeft + ((members - k) * epochs * p.steps * batchSize) /
          Math.max(p.samplesPerSecond, 1e-9),
    });
}

/** One row per member of a freshly trained ensemble: its seed, last validation MAE and seconds. */
export function ensembleMembersTable(
  ensemble: Pick<Ensemble, "histories" | "memberSeeds"> & { memberSeconds: number[] },
): string {
  return markdownTable(
    ["member", "seed", "val MAE", "seconds"],
    ensemble.histories.map((h, k) => [
      k + 1,
      ensemble.memberSeeds[k],
      h[h.length - 1].valMae.toFixed(4),
      ensemble.memberSeconds[k].toFixed(1),
    ]),
  );
}

/**
 * What an ensemble trains: "3 members of a narrow variant of the dissertation's layout (…),
 * 2 epochs each, on 1,890 training galaxies".
 */
export function ensembleTrainsNote(
  model: ModelConfig,
  plan: { members: number; epochs: number; trainingGalaxies: number },
): string {
  return `${count(plan.members, "member")}, each ${networkAgainstDissertation(model)}, trained ` +
    `for ${count(plan.epochs, "epoch")} on ${en(plan.trainingGalaxies)} training galaxies`;
}

/**
 * A committed ensemble run (`results/uncertainty/<profile>.json`) as Markdown: what it trained, the
 * command, device, training and evaluation time (its scores are read in the page's sections).
 */
export function committedEnsembleReport(r: UncertaintyResults): string {
  const network = r.parameters === countParams(DISSERTATION_MODEL)
    ? `the dissertation's network (${en(r.parameters)} parameters)`
    : `a network of ${en(r.parameters)} parameters`;
  const { members, evaluation, total } = r.wallSeconds;
  return `### \`${r.profile}\` profile: ${r.members} members × ${r.epochs} epochs of ` +
    `${network}, ${en(r.galaxies.train)} training galaxies of the mock\n\n` +
    markdownTable(["", "the run"], [
      ["command", `\`${r.command}\``],
      ["device", r.device],
      [
        "training",
        `${formatDuration(members.reduce((a, b) => a + b, 0))} in all (members: ` +
        `${members.map((s) => formatDuration(s)).join(", ")})`,
      ],
      ["evaluation", formatDuration(evaluation)],
      // A run resumed from its members' checkpoints records the sitting that finished it.
      ["last sitting", `started ${r.startedAt}, ${formatDuration(total)}, commit ${r.commit}`],
    ]);
}

/**
 * Coverage overall, in words: the raw spread's, the recalibrated σ's at the level its scale was
 * fitted at (68 %, on validation galaxies) and at 95 %, each with its sampling error.
 */
export function coverageNote(label: string, e: EnsembleEvaluation): string {
  const c = e.calibration, n = c.recalibrated.n;
  const [raw, [at68, at95]] = [c.raw.coverage[0], c.recalibrated.coverage];
  const [se68, se95] = [coverageStandardError(0.68, n), coverageStandardError(0.95, n)];
  const verdict95 = Math.abs(at95 - 0.95) <= 2 * se95
    ? "as a Gaussian error bar should"
    : at95 < 0.95
    ? "not 95 %: the 95 % intervals are too narrow"
    : "more than 95 %: the 95 % intervals are too wide";
  const verdict68 = Math.abs(at68 - 0.68) <= 2 * se68
    ? ", within its sampling error of 68 %. That holds because the scale was fitted at that " +
      "level: it only checks that test and validation galaxies are alike"
    : `, more than twice its sampling error (± ${pp(se68)}) from 68 % although the scale was ` +
      "fitted at that level: test and validation galaxies differ";
  return `**${label}** (${en(n)} test galaxies): the members' raw spread covers ${pct(raw)} of ` +
    `the test galaxies at 68 %. Scaled by ${e.stdScale.toFixed(2)}, the factor that makes the ` +
    `68 % interval cover 68 % of the validation galaxies, it covers ${pct(at68)} of the test ` +
    `galaxies${verdict68}. At 95 %, which nothing was fitted to, it covers ${pct(at95)} ± ` +
    `${pp(se95)}, ${verdict95}.`;
}

/** The share of galaxies in a PIT histogram's outer and middle bins, read as a shape. */
export function pitNote(label: string, counts: readonly number[]): string {
  return pitShapeNote(label, counts, {
    outer: "outer bins",
    calibrated: "error bars",
    shapes: {
      "heavy-tails": "too many truths lie close to μ and too many far from it, too few in " +
        "between: the errors have heavier tails and a sharper peak than a Gaussian. A σ scaled " +
        "to be right at 68 % is then too small for the tails, which is why the 95 % interval " +
        "covers too few galaxies; one scale factor cannot change a shape (intervals from the " +
        "quantiles of the validation errors, or a heavier-tailed distribution, could)",
      "light-tails": "too few truths lie both close to μ and far from it: the errors have " +
        "lighter tails than a Gaussian",
      "u-shape": "the truth falls in the tails too often: the error bars are too narrow",
      "hump": "the truth crowds the middle: the error bars are too wide",
      "flat": "the histogram is flat within its sampling error",
    },
    reference: "the predicted mean",
    after: ", a bias the error bars do not describe",
  });
}

/**
 * Coverage per redshift bin, in words: at each level, the worst- and best-covered bins (with at
 * least {@link MIN_BIN_GALAXIES} test galaxies), each with its sampling error, and whether each
 * is too narrow or too wide there.
 */
export function binCoverageNote(
  label: string,
  report: { levels: readonly number[]; byBin: readonly Omit<CoverageRow, "meanStd">[] },
): string {
  const rows = report.byBin.filter((r) => r.n >= MIN_BIN_GALAXIES);
  if (rows.length === 0) {
    return `**${label}:** no redshift bin holds ${MIN_BIN_GALAXIES} test galaxies, too few to ` +
      "judge coverage bin by bin.";
  }
  const levels = report.levels.map((level, i) => {
    const judge = (r: (typeof rows)[number]) => {
      const p = r.coverage[i], se = coverageStandardError(level, r.n);
      const verdict = p < level - 2 * se
        ? "too narrow"
        : p > level + 2 * se
        ? "too wide"
        : "within its error";
      return `${pct(p, 0)} ± ${Math.max(1, Math.round(100 * se))} at ${binName(r)} (${en(r.n)} ` +
        `galaxies: ${verdict})`;
    };
    const lo = rows.reduce((a, b) => (b.coverage[i] < a.coverage[i] ? b : a));
    const hi = rows.reduce((a, b) => (b.coverage[i] > a.coverage[i] ? b : a));
    return `at ${Math.round(100 * level)} % from ${judge(lo)} to ${judge(hi)}`;
  });
  return `**${label}**, over the ${count(rows.length, "bin")} with at least ${MIN_BIN_GALAXIES} ` +
    `test galaxies (± one standard error): coverage runs ${levels.join("; ")}.`;
}

/**
 * CRPS of the per-galaxy σ against a constant σ around the same mean (the fair baseline), when
 * the evaluation has it; otherwise what the one-network baseline mixes, with an estimate of the
 * fair baseline (one network's CRPS scaled by the ratio of the MAEs) labelled as such.
 */
export function crpsNote(label: string, e: EnsembleEvaluation): string {
  const c = e.calibration;
  const ours = c.recalibrated.crps;
  const estimate = c.singleConstant.crps * e.metrics.ensemble.mae / e.metrics.single.mae;
  const verdict = (other: number) => {
    const change = (ours - other) / other;
    const by = `scores ${Math.round(100 * Math.abs(change))} % ${change < 0 ? "better" : "worse"}`;
    return `the per-galaxy σ ${Math.abs(change) < 0.01 ? "gains nothing over" : `${by} than`} ` +
      "one σ for all";
  };
  const f5 = (x: number) => x.toFixed(5);
  if (c.ensembleConstant) {
    const constant = c.ensembleConstant.crps;
    return `**${label}:** around the same ensemble mean, the per-galaxy σ has CRPS ${f5(ours)} ` +
      `and one constant σ ${f5(constant)}: ${verdict(constant)}. (The estimate used below for ` +
      "results files without this baseline, one network's constant-σ CRPS scaled by the ratio " +
      `of the MAEs, gives ${f5(estimate)} here.)`;
  }
  return `**${label}:** this results file predates the constant σ around the ensemble mean. Its ` +
    `one constant-σ baseline is one network, whose mean is worse (MAE ` +
    `${e.metrics.single.mae.toFixed(4)} against the ensemble's ` +
    `${e.metrics.ensemble.mae.toFixed(4)}), so the gap in CRPS ` +
    `(${f5(c.singleConstant.crps)} against ${f5(ours)}) mixes the better mean with the ` +
    "per-galaxy σ. If the ensemble mean's errors have the same shape as one network's, only " +
    "smaller, a constant σ around the ensemble mean scores that CRPS scaled by the ratio of " +
    `the MAEs: about ${f5(estimate)}, so ${verdict(estimate)} on that estimate. Measuring it ` +
    "takes the ensemble's evaluation again (`deno task ensemble` now records it).";
}
