/**
 * A PDF head's α chosen on its own run's validation galaxies, by the rule that page 07 applies to
 * the trade-off ({@link bestTradeoffPoint}). α acts after training, like the isotonic map fitted on
 * validation galaxies, so a run can fix it without looking at a test galaxy. `tools/choose_alpha.ts`
 * writes the choice into the run folder as `alpha_choice.json`; page 07 scores the test galaxies
 * at it.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { pdfSummaries, trainingPrior } from "../bias/mod.ts";
import { pdfBinsOf } from "../model.ts";
import type { PreparedData } from "../prepare.ts";
import { ALPHA_GRID } from "../runs/run_folder.ts";
import { predict, predictPdf } from "../train.ts";
import { bestTradeoffPoint, scoreMethod, signed, tradeoffPoint } from "./bias_report.ts";
import { en } from "./_words.ts";
import { readTextFileIfAny } from "../_atomic.ts";

/** A trade-off point: the MAE and the slope of the mean error above z = 0.2, by true z. */
export interface AlphaPoint {
  mae: number;
  slope: number;
}

/** What `alpha_choice.json` holds. */
export interface AlphaChoice {
  /** The command that made it, and the commit it ran at. */
  command: string;
  commit: string;
  validationGalaxies: number;
  /** The baseline's point on the same validation galaxies: the goal is relative to it. */
  baseline: AlphaPoint;
  /** The PDF head's point at each α of {@link ALPHA_GRID}. */
  points: (AlphaPoint & { alpha: number })[];
  /** The α the rule picks; null when no α is flatter than the baseline within the MAE budget. */
  chosen: number | null;
}

/**
 * Scores the α grid and the baseline on `prepared`'s validation galaxies and picks α by
 * {@link bestTradeoffPoint}. The prior is the training galaxies', as `task main` and `task predict`
 * use it.
 */
export async function chooseAlphaOnValidation(
  baseline: tfl.LayersModel,
  pdfHead: tfl.LayersModel,
  prepared: PreparedData,
): Promise<Omit<AlphaChoice, "command" | "commit">> {
  const bins = pdfBinsOf(pdfHead);
  if (!bins) throw new TypeError("the model to choose α for has no PDF head");
  const { x, y } = prepared.validation;
  const score = (zPred: ArrayLike<number>) =>
    tradeoffPoint(scoreMethod("", y, [zPred], { resamples: 0 }));
  const probs = await predictPdf(pdfHead, x);
  const prior = trainingPrior(prepared.train.y, bins);
  const points = ALPHA_GRID.map((alpha) => ({
    alpha,
    ...score(pdfSummaries(probs, bins, { prior, alpha }).mean),
  }));
  const base = score(await predict(baseline, x));
  const best = bestTradeoffPoint(base, points.map((p) => ({ ...p, label: `α = ${p.alpha}` })));
  return { validationGalaxies: y.length, baseline: base, points, chosen: best?.alpha ?? null };
}

/** The `alpha_choice.json` of run folder `dir`, or null when it has none; a damaged one is an error. */
export async function loadAlphaChoice(dir: string): Promise<AlphaChoice | null> {
  const path = `${dir}/alpha_choice.json`;
  const text = await readTextFileIfAny(path);
  if (text === null) return null;
  let choice: AlphaChoice;
  try {
    choice = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message})`);
  }
  const ok = (p: unknown) =>
    typeof p === "object" && p !== null && ["mae", "slope"].every((k) => k in p);
  if (!ok(choice?.baseline) || !Array.isArray(choice.points) || !choice.points.every(ok)) {
    throw new Error(`${path}: expected a baseline and points, each with an MAE and a slope`);
  }
  if (choice.chosen !== null && !choice.points.some((p) => p.alpha === choice.chosen)) {
    throw new Error(`${path}: the chosen α ${choice.chosen} is not one of its points`);
  }
  return choice;
}

/** The choice in one paragraph: on how many validation galaxies, by which command, and its point. */
export function alphaChoiceNote(choice: AlphaChoice): string {
  const at = choice.points.find((p) => p.alpha === choice.chosen);
  const point = (p: AlphaPoint) => `slope ${signed(p.slope, 3)}, MAE ${p.mae.toFixed(4)}`;
  const verdict = at
    ? `choose **α = ${choice.chosen}** (${point(at)}, against the baseline's ` +
      `${point(choice.baseline)} on the same galaxies)`
    : `choose none: no α is flatter than the baseline within the MAE budget (baseline: ${
      point(choice.baseline)
    })`;
  return `**α chosen on the full run's own validation galaxies:** by the same rule, the run's ` +
    `${en(choice.validationGalaxies)} validation galaxies (none of them a test galaxy) ` +
    `${verdict}. Made by \`${choice.command}\` at commit ${choice.commit.slice(0, 7)}.`;
}
