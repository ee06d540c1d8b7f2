/**
 * Makes exported notebook pages self-contained: renders their TeX (`$…$`, `$$…$$` in Markdown) to
 * MathML with KaTeX at export time, and removes the scripts nbconvert links (MathJax from the local
 * system or a CDN, require.js), which a page opened on another machine, or offline, cannot load.
 * Browsers draw MathML natively, so the formulas need no script, font or stylesheet.
 *
 *   deno run -A tools/render_math.ts out/report/smoke/*.html
 *
 * @module
 */
import katex from "katex";
import { renderMathInHtml } from "./_math.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";
import { EXIT, fail, parseToolCommandLine, usage } from "./_args.ts";

const { positionals: paths } = parseToolCommandLine("render_math", {}, true, import.meta);
if (paths.length === 0) usage("no page given");

for (const path of paths) {
  const page = await Deno.readTextFile(path)
    .catch((e) => fail(EXIT.input, `${path}: ${(e as Error).message}`));
  let rendered: ReturnType<typeof renderMathInHtml>;
  try {
    rendered = renderMathInHtml(
      page,
      (tex, display) =>
        katex.renderToString(tex, { output: "mathml", displayMode: display, throwOnError: true }),
    );
  } catch (e) {
    fail(EXIT.input, `${path}: a formula KaTeX cannot render: ${(e as Error).message}`);
  }
  // In place, but atomically: a page is never left half-written.
  await writeFileAtomic(path, rendered.html);
  console.log(
    `${path}: ${rendered.formulas} formulas rendered, ${rendered.scriptsRemoved} external scripts removed`,
  );
}
