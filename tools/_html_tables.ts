// The table check of tools/check_html.ts, apart so that it is tested without a browser.
import { DOMParser } from "linkedom";

/**
 * Tables in `html` whose rows have unequal numbers of cells (counting `colspan`), each described
 * as "table N: row cell counts a, b, …". A Markdown table whose header splits at a stray "|" shows
 * up here: its values sit under the wrong headings.
 */
export function malformedTables(html: string): string[] {
  const document = new DOMParser().parseFromString(html, "text/html");
  const problems: string[] = [];
  [...document.querySelectorAll("table")].forEach((table, t) => {
    // Rows of this table only, not of a table nested in one of its cells.
    const rows = [...table.querySelectorAll("tr")].filter((tr) => tr.closest("table") === table);
    const counts = rows.map((tr) =>
      [...tr.children]
        .filter((c) => c.tagName === "TD" || c.tagName === "TH")
        .reduce((n, c) => n + Math.max(1, Number(c.getAttribute("colspan") ?? 1) || 1), 0)
    );
    if (new Set(counts).size > 1) {
      const head = (table.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 60);
      problems.push(
        `table ${t + 1} ("${head}…"): rows of ${[...new Set(counts)].join(", ")} cells`,
      );
    }
  });
  return problems;
}
