// The import rules of docs/architecture.md ("What each part may import"), read from its table and
// checked on every module of lib/ and tools/, with the privacy of lib/'s `_` files and the GPU
// bundle's rule (the training path reaches no polars); and the checker itself, on a broken example.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SECTION = "## What each part may import";

/** A row of the table: a part (a folder, a file or a glob) and what its files may import. */
interface Rule {
  part: string;
  mayImport: string[];
}

/** The rules of the table under {@link SECTION}: the backticked names of each row's two cells. */
function readRules(markdown: string): Rule[] {
  const section = markdown.slice(markdown.indexOf(SECTION));
  const table = section.split("\n").filter((line) => /^\|\s*`/.test(line));
  return table.map((line) => {
    const [part, mayImport] = line.split("|").slice(1, 3).map((cell) =>
      [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1])
    );
    assert.equal(part.length, 1, `one part per row: ${line}`);
    return { part: part[0], mayImport };
  });
}

/** Whether `name` (a repository path or a package) matches `pattern` (see the doc). */
function matches(name: string, pattern: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("/")) return name.startsWith(pattern);
  const glob = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*");
  return new RegExp(`^${glob}$`).test(name);
}

/** The rule of a path: the most specific part that matches it. */
function ruleOf(path: string, rules: Rule[]): Rule | undefined {
  return rules.filter((r) => matches(path, r.part))
    .sort((a, b) => b.part.length - a.part.length)[0];
}

const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The specifiers a module imports: static imports and re-exports, and literal dynamic imports. */
function importsOf(source: string): string[] {
  return [...source.matchAll(STATIC), ...source.matchAll(DYNAMIC)].map((m) => m[1]);
}

/** The package a bare specifier names (`npm:` and the version dropped): `name` or `@scope/name`. */
function packageOf(specifier: string): string {
  const bare = specifier.replace(/^npm:/, "");
  const parts = bare.split("/");
  const name = bare.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return name.replace(/(.)@.*$/, "$1");
}

/** Joins a relative specifier to its importer's folder; null where it leaves the repository. */
function resolve(importer: string, specifier: string): string | null {
  const parts = importer.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (segment !== ".") parts.push(segment);
  }
  return parts.join("/");
}

/** Whether a pattern names files of the repository (else packages). */
const isPath = (pattern: string) => /^(lib|tools)\//.test(pattern);

/** The folder of a path, without its trailing slash. */
const folderOf = (path: string) => path.slice(0, path.lastIndexOf("/"));

/** Every import of `files` (path → source) that breaks `rules`, one line each. */
function violations(files: Map<string, string>, rules: Rule[]): string[] {
  const broken: string[] = [];
  for (const [path, source] of files) {
    const rule = ruleOf(path, rules);
    if (!rule) {
      broken.push(`${path}: no row of the table covers it`);
      continue;
    }
    for (const specifier of importsOf(source)) {
      const why = `${path} imports ${specifier}`;
      if (specifier.startsWith("node:")) continue;
      if (!specifier.startsWith(".")) {
        const name = packageOf(specifier);
        if (!rule.mayImport.some((p) => !isPath(p) && matches(name, p))) {
          broken.push(`${why}: ${rule.part} may not import the package ${name}`);
        }
        continue;
      }
      const target = resolve(path, specifier);
      if (target === null) {
        broken.push(`${why}: outside the repository`);
        continue;
      }
      const file = target.slice(target.lastIndexOf("/") + 1), folder = folderOf(target);
      if (
        path.startsWith("lib/") && file.startsWith("_") && folder !== "lib" &&
        !`${folderOf(path)}/`.startsWith(`${folder}/`) && !rule.mayImport.includes(target)
      ) {
        broken.push(`${why}: a private file of ${folder}/`);
      }
      if (ruleOf(target, rules) === rule || rule.mayImport.some((p) => matches(target, p))) {
        continue;
      }
      broken.push(`${why}: ${rule.part} may not import ${target}`);
    }
  }
  return broken;
}

/** Every .ts module under the repository's `folders`, by repository path. */
async function modules(...folders: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const visit = async (folder: string) => {
    for await (const entry of Deno.readDir(new URL(folder, ROOT))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory) await visit(path);
      else if (entry.name.endsWith(".ts")) {
        found.set(path, await Deno.readTextFile(new URL(path, ROOT)));
      }
    }
  };
  for (const folder of folders) await visit(folder);
  return found;
}

const rules = readRules(await Deno.readTextFile(new URL("docs/architecture.md", ROOT)));

Deno.test("docs/architecture.md's table gives a rule for each part of lib/ and tools/", () => {
  const parts = rules.map((r) => r.part);
  for (const part of ["lib/backend/", "lib/optimizers/", "lib/*.ts", "lib/training/", "tools/"]) {
    assert.ok(parts.includes(part), `no row for ${part}`);
  }
});

Deno.test("every import of lib/ and tools/ keeps docs/architecture.md's rules", async () => {
  assert.deepEqual(violations(await modules("lib", "tools"), rules), []);
});

Deno.test("the checker finds broken rules: a layer, a private file, a package, a new folder", () => {
  const broken = new Map([
    ["lib/backend/select.ts", 'import { train } from "../train.ts";\nimport "../_env.ts";'],
    ["lib/optimizers/adamax.ts", 'import {\n  valuesOf,\n} from "../backend/_blas_arrays.ts";'],
    ["lib/mock/simulate.ts", 'import pl from "npm:nodejs-polars@0.25.2";\nimport "../random.ts";'],
    ["lib/backend/_blas_arrays.ts", 'export { x } from "./_conv.ts";'],
    ["lib/newly/added.ts", 'const text = "import nothing";'],
    ["lib/train.ts", 'export * from "../tools/main.ts";'],
    ["tools/bench/train.ts", 'import { x } from "../../lib/backend/_conv.ts";'],
  ]);
  assert.deepEqual(violations(broken, rules), [
    "lib/backend/select.ts imports ../train.ts: lib/backend/ may not import lib/train.ts",
    "lib/optimizers/adamax.ts imports ../backend/_blas_arrays.ts: a private file of lib/backend/",
    "lib/mock/simulate.ts imports npm:nodejs-polars@0.25.2: lib/mock/ may not import the package " +
    "nodejs-polars",
    "lib/newly/added.ts: no row of the table covers it",
    "lib/train.ts imports ../tools/main.ts: lib/*.ts may not import tools/main.ts",
  ]);
});

Deno.test("the training path reaches no polars, so it bundles for the GPU machine", async () => {
  const files = await modules("lib");
  const entries = ["lib/model.ts", "lib/train.ts", "lib/backend/mod.ts", "lib/optimizers/mod.ts"];
  const seen = new Set<string>(), queue = [...entries, "lib/mock/mod.ts"];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    assert.ok(files.has(path), `${path} is not a module of lib/`);
    for (const specifier of importsOf(files.get(path)!)) {
      assert.ok(!specifier.includes("polars"), `${path} imports ${specifier}`);
      if (specifier.startsWith(".") && specifier.endsWith(".ts")) {
        queue.push(resolve(path, specifier)!);
      }
    }
  }
});
