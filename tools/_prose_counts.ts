/**
 * Counts in a notebook's prose are the dissertation's or none: a number of epochs, trials,
 * ensemble members or galaxies that the project's own runs produce must be computed from their
 * records in a code cell, so that it cannot drift from them. A count written in a Markdown cell
 * passes only when its sentence names the dissertation (whose numbers are fixed).
 *
 * @module
 */

const COUNT = /\b(\d[\d,]*)\s+(?:\(\+\d+\)\s+)?(epochs?|trials?|members?|(?:\w+ )?galaxies)\b/g;

/**
 * The counts typed into the Markdown `cells` of `notebook` whose sentence does not name the
 * dissertation, as "notebook, cell N: «sentence»" lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typedCounts } from "./_prose_counts.ts";
 * const cells = [
 *   { cell_type: "markdown", source: "The dissertation trained 30 epochs. We trained 30 epochs." },
 * ];
 * assert.equal(typedCounts("03.ipynb", cells).length, 1);
 * ```
 */
export function typedCounts(
  notebook: string,
  cells: { cell_type: string; source: string | string[] }[],
): string[] {
  const problems: string[] = [];
  cells.forEach((cell, index) => {
    if (cell.cell_type !== "markdown") return;
    const text = (Array.isArray(cell.source) ? cell.source.join("") : cell.source)
      .replace(/\s+/g, " ");
    for (const sentence of text.split(/(?<=[.!?;])\s+/)) {
      if (/dissertation|Kiraleos/i.test(sentence)) continue;
      for (const m of sentence.matchAll(COUNT)) {
        problems.push(
          `${notebook}, cell ${index}: "${m[0]}" typed in prose («${sentence.trim()}»); ` +
            "compute the project's counts from their records in a code cell",
        );
      }
    }
  });
  return problems;
}
