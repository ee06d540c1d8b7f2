// How many figures a notebook shows: its `figure(` calls (see lib/notebook/notebook.ts).
// Both notebook checks compare what they find with this count.

/** Number of `figure(` calls in the code cells of the notebook at `path`. */
export function expectedFigures(path: string): number {
  const notebook = JSON.parse(Deno.readTextFileSync(path));
  return (notebook.cells as { cell_type: string; source: string[] | string }[])
    .filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .reduce((n, text) => n + (text.match(/\bfigure\(/g)?.length ?? 0), 0);
}
