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

for (const path of Deno.args) {
  const { html, formulas, scriptsRemoved } = renderMathInHtml(
    await Deno.readTextFile(path),
    (tex, display) =>
      katex.renderToString(tex, { output: "mathml", displayMode: display, throwOnError: true }),
  );
  await Deno.writeTextFile(path, html);
  console.log(`${path}: ${formulas} formulas rendered, ${scriptsRemoved} external scripts removed`);
}
