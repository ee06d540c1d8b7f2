/**
 * Formats the notebooks with `deno fmt` (their TypeScript cells and Markdown, at the project's line
 * width), or with `--check` fails naming each notebook that `deno fmt` would change.
 *
 *   deno run -A tools/fmt_notebooks.ts [--check]
 *
 * Why not `deno fmt --check notebooks/`: in Deno 2.9.6 it reports a formatted `.ipynb` as "not
 * formatted" on a fresh `DENO_DIR` (its cache of formatted files hides this on the machine that
 * formatted them), while `deno fmt` leaves the same file unchanged. So the check formats a copy of
 * each notebook and compares the bytes.
 *
 * @module
 */
import { parseToolArgs } from "./_args.ts";

const args = parseToolArgs("fmt_notebooks", { check: { type: "boolean" } }, import.meta);

const root = new URL("../", import.meta.url).pathname;
const notebooks = [...Deno.readDirSync(`${root}notebooks`)]
  .filter((e) => e.name.endsWith(".ipynb"))
  .map((e) => `${root}notebooks/${e.name}`)
  .sort();
const scratch = await Deno.makeTempDir({ prefix: "fmt_notebooks_" });
try {
  const copies = notebooks.map((path, i) => `${scratch}/${i}_${path.split("/").pop()}`);
  notebooks.forEach((path, i) => Deno.copyFileSync(path, copies[i]));
  // The project's settings (line width), without its exclusion of notebooks/.
  const config = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).fmt;
  delete config.exclude;
  Deno.writeTextFileSync(`${scratch}/deno.json`, JSON.stringify({ fmt: config }));
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "--config", `${scratch}/deno.json`, ...copies],
    cwd: scratch,
    stdout: "null",
  }).output();
  if (code !== 0) {
    console.error(new TextDecoder().decode(stderr));
    Deno.exit(1);
  }
  const changed = notebooks.filter((path, i) =>
    Deno.readTextFileSync(path) !== Deno.readTextFileSync(copies[i])
  );
  if (args.check) {
    if (changed.length) {
      console.error(
        changed.map((p) => `✗ ${p.slice(root.length)} is not formatted`).join("\n") +
          "\nrun: deno task fmt:notebooks",
      );
      Deno.exit(1);
    }
    console.log(`✓ ${notebooks.length} notebooks formatted`);
  } else {
    changed.forEach((path) => Deno.copyFileSync(copies[notebooks.indexOf(path)], path));
    console.log(`formatted ${changed.length} of ${notebooks.length} notebooks`);
  }
} finally {
  await Deno.remove(scratch, { recursive: true });
}
