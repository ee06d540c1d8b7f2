/**
 * Checks the committed notebooks: they carry no outputs, and their prose types no count of the
 * project's runs (epochs, trials, members, galaxies: those are computed from the records;
 * `_prose_counts.ts`). Executing them is tools/notebooks.py's part.
 *
 *   deno run -A tools/check_notebooks.ts
 *
 * @module
 */
import { parseToolArgs } from "./_args.ts";
import { typedCounts } from "./_prose_counts.ts";

interface Cell {
  cell_type: string;
  source: string[] | string;
  outputs?: unknown[];
  execution_count?: number | null;
}

parseToolArgs("check_notebooks", {}, import.meta);
const sources = [...Deno.readDirSync("notebooks")]
  .filter((e) => /^\d\d[a-z]?_.*\.ipynb$/.test(e.name))
  .map((e) => e.name)
  .sort();
const problems: string[] = [];
for (const name of sources) {
  const { cells } = JSON.parse(Deno.readTextFileSync(`notebooks/${name}`)) as { cells: Cell[] };
  const withOutputs = cells.filter((c) =>
    c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null)
  );
  if (withOutputs.length) {
    problems.push(
      `notebooks/${name}: ${withOutputs.length} code cells carry outputs; clear them before committing`,
    );
  }
  problems.push(...typedCounts(name, cells));
}
if (problems.length) {
  console.error(problems.map((p) => `✗ ${p}`).join("\n"));
  Deno.exit(1);
}
console.log(
  `✓ ${sources.length} notebooks committed without outputs, no run's count typed in prose`,
);
