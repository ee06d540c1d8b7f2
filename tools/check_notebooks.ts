/**
 * Checks the notebooks.
 *
 *   deno run -A tools/check_notebooks.ts             committed notebooks carry no outputs, and
 *       their prose types no count of the project's runs (epochs, trials, members, galaxies:
 *       those are computed from the records; `_prose_counts.ts`)
 *   deno run -A tools/check_notebooks.ts --executed out/report/smoke
 *       every executed notebook ran without an error and shows at least as many
 *       figures as its source has `figure(` calls; writes the index page
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs } from "./_args.ts";
import { expectedFigures } from "./_expected_figures.ts";
import { writeIndexPage } from "./_index_page.ts";
import { addPageLinks } from "./_page_links.ts";
import { typedCounts } from "./_prose_counts.ts";

interface Cell {
  cell_type: string;
  source: string[] | string;
  outputs?: {
    output_type: string;
    data?: Record<string, unknown>;
    name?: string;
    ename?: string;
    evalue?: string;
  }[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
}

const args = parseToolArgs("check_notebooks", {
  executed: { type: "string" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const sources = [...Deno.readDirSync("notebooks")]
  .filter((e) => /^\d\d[a-z]?_.*\.ipynb$/.test(e.name))
  .map((e) => e.name)
  .sort();
const read = (path: string) => JSON.parse(Deno.readTextFileSync(path)) as Notebook;
const text = (s: string[] | string) => (Array.isArray(s) ? s.join("") : s);
const problems: string[] = [];

if (!args.executed) {
  for (const name of sources) {
    const withOutputs = read(`notebooks/${name}`).cells.filter((c) =>
      c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null)
    );
    if (withOutputs.length) {
      problems.push(
        `notebooks/${name}: ${withOutputs.length} code cells carry outputs; clear them before committing`,
      );
    }
  }
  for (const name of sources) problems.push(...typedCounts(name, read(`notebooks/${name}`).cells));
  report(`${sources.length} notebooks committed without outputs, no run's count typed in prose`);
} else {
  const pages: { name: string; title: string; figures: number }[] = [];
  for (const name of sources) {
    const expected = expectedFigures(`notebooks/${name}`);
    const executedPath = `${args.executed}/executed/${name}`;
    let executed: Notebook;
    try {
      executed = read(executedPath);
    } catch {
      problems.push(`${executedPath}: missing (the notebook was not executed)`);
      continue;
    }
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    for (const o of outputs) {
      if (o.output_type === "error") problems.push(`${name}: error output ${o.ename}: ${o.evalue}`);
    }
    // A figure's place left empty on purpose (figureOmitted) counts as shown.
    const figures = outputs.filter((o) =>
      /<svg|data-figure-omitted=/.test(String(o.data?.["text/html"] ?? ""))
    ).length;
    if (figures < expected) {
      problems.push(`${name}: ${figures} figures shown, ${expected} expected`);
    }
    const title = text(executed.cells.find((c) => c.cell_type === "markdown")?.source ?? name)
      .split("\n")[0].replace(/^#\s*/, "");
    pages.push({ name: name.replace(/\.ipynb$/, ""), title, figures });
  }
  await writeIndexPage(args.executed, pages);
  await addPageLinks(args.executed, pages);
  report(
    `${sources.length} notebooks executed without errors, every figure shown; index at ${args.executed}/index.html`,
  );
}

function report(ok: string): void {
  if (problems.length) {
    console.error(problems.map((p) => `✗ ${p}`).join("\n"));
    Deno.exit(1);
  }
  console.log(`✓ ${ok}`);
}
