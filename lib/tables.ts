/**
 * Tables as Markdown, for notebooks (`Deno.jupyter.md`) and terminals alike.
 *
 * @module
 */
import type { BinRow, RedshiftMetrics } from "./metrics.ts";
import { PUBLISHED_ERRORS_BY_BIN } from "./published.ts";

/** A Markdown table from a header row and data rows (numbers are printed as given). */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  // A literal "|" would end a Markdown cell early.
  const cells = [header, ...rows.map((r) => r.map(String))].map((r) =>
    r.map((c) => c.replace(/\|/g, "\\|"))
  );
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
        fixed(r.stdError),
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
