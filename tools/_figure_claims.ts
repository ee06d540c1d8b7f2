/**
 * Holds the training-curve figures of an exported page to what they draw: a title that says
 * "over N epochs" must draw N epochs of the run, and Figure 14 (training past the evaluated
 * epoch) must draw more epochs than Figure 13 (the evaluated ones), else it repeats it.
 *
 * Reads the `data-epochs` attribute that `trainingCurvesPlot` writes on each figure.
 *
 * @module
 */

/** The training-curve figures of `html`, in page order: each title (`aria-label`) and epochs. */
function curveFigures(html: string): { title: string; epochs: number }[] {
  return [...html.matchAll(/<svg\b[^>]*\bdata-epochs="[^"]*"[^>]*>/g)].map(([tag]) => ({
    title: /\baria-label="([^"]*)"/.exec(tag)?.[1] ?? "",
    epochs: Number(/\bdata-epochs="([^"]*)"/.exec(tag)![1]),
  }));
}

/**
 * What is wrong with the epoch claims of the page `page` (its HTML `html`); empty when nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochClaimProblems } from "./_figure_claims.ts";
 * const fig = (title: string, epochs: number) =>
 *   `<svg aria-label="${title}" data-epochs="${epochs}"></svg>`;
 * const page = fig("Figure 13 · Loss over 20 epochs", 20) + fig("Figure 14 · Loss over 30 epochs", 20);
 * assert.equal(epochClaimProblems("03.html", page).length, 2);
 * ```
 */
export function epochClaimProblems(page: string, html: string): string[] {
  const problems: string[] = [];
  const figures = curveFigures(html);
  for (const f of figures) {
    const claimed = /\bover (\d+) epochs\b/.exec(f.title)?.[1];
    if (claimed !== undefined && Number(claimed) !== f.epochs) {
      problems.push(`${page}: "${f.title}" draws ${f.epochs} epochs, not ${claimed}`);
    }
  }
  const numbered = (n: number) => figures.find((f) => f.title.startsWith(`Figure ${n} `));
  const [fig13, fig14] = [numbered(13), numbered(14)];
  if (fig13 && fig14 && fig14.epochs <= fig13.epochs) {
    problems.push(
      `${page}: Figure 14 draws ${fig14.epochs} epochs, no more than Figure 13's ` +
        `${fig13.epochs}: it repeats Figure 13 instead of showing the training past it`,
    );
  }
  return problems;
}
