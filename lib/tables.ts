/**
 * Tables as Markdown, for notebooks (`Deno.jupyter.md`) and terminals alike.
 *
 * @module
 */
import type { BinRow, RedshiftMetrics } from "./metrics.ts";
import type { EpochLog } from "./train.ts";
import { PUBLISHED_ERRORS_BY_BIN } from "./published.ts";

/**
 * A Markdown table from a header row and data rows (numbers are printed as given).
 *
 * A "|" inside a cell (as in `max |w| / L`) is written as "∣" (U+2223): an escaped `\|` is not
 * honoured in the header by every renderer (nbconvert's splits the header at it, shifting every
 * column), and a terminal would print the backslash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markdownTable } from "./tables.ts";
 * const table = markdownTable(["x", "|x|"], [[-1, 1]]);
 * assert.equal(table.split("\n")[0], "| x  | ∣x∣ |");
 * ```
 */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))].map((r) =>
    r.map((c) => c.replace(/\|/g, "∣"))
  );
  const width = header.length;
  rows.forEach((r, i) => {
    if (r.length !== width) {
      throw new RangeError(`row ${i + 1} has ${r.length} cells but the header has ${width}`);
    }
  });
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, j) => c.padEnd(widths[j])).join(" | ")} |`;
  return [
    line(cells[0]),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...cells.slice(1).map(line),
  ]
    .join("\n");
}

/** `x` with `digits` decimals, or "–" when it is not a number. */
export function fixed(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
}

/** A small difference in scientific notation, or "0 (identical)" when it is exactly zero. */
export function difference(x: number): string {
  return x === 0 ? "0 (identical)" : Number.isFinite(x) ? x.toExponential(1) : "–";
}

/** Seconds as `1 h 02 min`, `3 min 05 s` or `42 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) {
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  }
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

/** An English ordinal: 1st, 2nd, 3rd, 4th, 11th, 21st … */
export function ordinal(n: number): string {
  const teen = Math.floor(n / 10) % 10 === 1;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10];
  return `${n}${suffix ?? "th"}`;
}

/** `n` and a noun in the singular or plural: "1 figure", "3 figures". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? singular : plural}`;
}

/** The summary metrics as a two-column table. */
export function metricsTable(m: RedshiftMetrics): string {
  return markdownTable(["metric", "value"], [
    ["galaxies", m.n],
    ["MAE", fixed(m.mae)],
    ["RMSE", fixed(m.rmse)],
    ["mean error (z_pred − z_true)", fixed(m.meanError)],
    ["bias of Δz = (z_pred − z_true)/(1 + z_true)", fixed(m.bias)],
    ["σ_NMAD of Δz", fixed(m.sigmaNmad)],
    [
      `outlier fraction (|Δz| > ${m.outlierThreshold})`,
      `${(100 * m.outlierFraction).toFixed(2)} %`,
    ],
  ]);
}

/** The per-bin table (Table 3), ours beside the published one when the bins match. */
export function errorsByBinTable(rows: BinRow[], options: { published?: boolean } = {}): string {
  const published = options.published ?? true;
  const header = ["z bin", "n", "% of data", "mean error", "std"];
  if (published) header.push("published mean error", "published std", "published %");
  return markdownTable(
    header,
    rows.map((r, b) => {
      const cells: (string | number)[] = [
        `${r.zLow.toFixed(2)}–${r.zHigh.toFixed(2)}`,
        r.n,
        r.percent.toFixed(2),
        fixed(r.meanError),
        // One galaxy has no spread to speak of: its "std" of 0 would read as a perfect bin.
        r.n > 1 ? fixed(r.stdError) : "–",
      ];
      const p = PUBLISHED_ERRORS_BY_BIN[b];
      if (published) {
        cells.push(
          ...(p && Math.abs(p.zLow - r.zLow) < 1e-9
            ? [fixed(p.meanError), fixed(p.stdError), p.percent.toFixed(2)]
            : ["", "", ""]),
        );
      }
      return cells;
    }),
  );
}

/** One row per epoch: training and validation loss and MAE, and the epoch's seconds. */
export function historyTable(history: readonly EpochLog[]): string {
  return markdownTable(
    ["epoch", "loss", "val loss", "MAE", "val MAE", "seconds"],
    history.map((h) => [
      h.epoch,
      h.loss.toFixed(5),
      fixed(h.valLoss, 5),
      h.mae.toFixed(4),
      fixed(h.valMae),
      h.seconds.toFixed(1),
    ]),
  );
}
