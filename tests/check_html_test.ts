import assert from "node:assert/strict";
import { malformedTables } from "../tools/_html_tables.ts";
import { markdownTable } from "../lib/tables.ts";

const page = (body: string) => `<!doctype html><html><body>${body}</body></html>`;

Deno.test("malformedTables() accepts tables whose rows have equal cell counts", () => {
  const html = page(`<table><thead><tr><th>a</th><th>b</th></tr></thead>
    <tbody><tr><td>1</td><td>2</td></tr><tr><td colspan="2">wide</td></tr></tbody></table>`);
  assert.deepEqual(malformedTables(html), []);
});

Deno.test("malformedTables() reports a header split into more cells than the rows have", () => {
  // What nbconvert made of `| layer | max \\|w\\| / L |`: the header split at the escaped bars.
  const html = page(`<p>x</p><table><tr><th>layer</th><th>max \\</th><th>w\\</th><th>/ L</th></tr>
    <tr><td>conv1d</td><td>0.99</td></tr></table>`);
  const problems = malformedTables(html);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^table 1 .*rows of 4, 2 cells$/);
});

Deno.test("malformedTables() counts the rows of a nested table apart from its parent's", () => {
  const html = page(`<table><tr><td><table><tr><td>1</td><td>2</td><td>3</td></tr></table></td>
    <td>b</td></tr><tr><td>c</td><td>d</td></tr></table>`);
  assert.deepEqual(malformedTables(html), []);
});

Deno.test("markdownTable() keeps a cell's | inside its cell and refuses a row of the wrong width", () => {
  const table = markdownTable(["layer", "max |w| / L"], [["conv1d", 0.99]]);
  for (const line of table.split("\n")) assert.equal(line.split("|").length, 4, line);
  assert.doesNotMatch(table, /\\\\/);
  assert.throws(() => markdownTable(["a", "b"], [[1, 2, 3]]), /row 1 has 3 cells/);
});

Deno.test("renderMathInHtml() renders TeX in Markdown only and drops scripts loaded from elsewhere", async () => {
  const { renderMathInHtml } = await import("../tools/_math.ts");
  const html = page(`<script src="file:///usr/share/javascript/mathjax/MathJax.js"></script>
    <script>MathJax.Hub.Config({})</script><script>const kept = 1;</script>
    <div class="jp-RenderedMarkdown"><p>Inline $a &lt; b$ and $$x^2$$, not $5 or $6; <code>$HOME$</code></p></div>
    <pre>$not math$</pre>`);
  const out = renderMathInHtml(
    html,
    (tex, display) => `<math data-display="${display}">${tex}</math>`,
  );
  assert.equal(out.formulas, 2);
  assert.equal(out.scriptsRemoved, 2);
  assert.match(out.html, /<math data-display="false">a &lt; b<\/math>/);
  assert.match(out.html, /<math data-display="true">x\^2<\/math>/);
  assert.match(out.html, /not \$5 or \$6/);
  assert.match(out.html, /<code>\$HOME\$<\/code>/);
  assert.match(out.html, /<pre>\$not math\$<\/pre>/);
  assert.match(out.html, /const kept = 1/);
  assert.doesNotMatch(out.html, /mathjax/i);
});

Deno.test("epochClaimProblems() fails a Figure 14 that repeats Figure 13, and a title that claims more epochs than drawn", async () => {
  const { epochClaimProblems } = await import("../tools/_figure_claims.ts");
  const { trainingCurvesPlot } = await import("../lib/plots/training_curves.ts");
  const history = Array.from({ length: 30 }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    mae: 0.5,
    valLoss: 1.1 / (i + 1),
    valMae: 0.6,
  }));
  const curves = (epochs: number, n: number, title = `over ${epochs} epochs`) =>
    trainingCurvesPlot(history.slice(0, epochs), { title: `Figure ${n} · Loss ${title}` });
  // as the page draws them from a history of 30 epochs, 20 evaluated: nothing to report
  assert.deepEqual(epochClaimProblems("03.html", page(curves(20, 13) + curves(30, 14))), []);
  // a run trained only to its evaluated epoch: Figure 14 draws what Figure 13 draws
  const repeated = epochClaimProblems("03.html", page(curves(20, 13) + curves(20, 14)));
  assert.equal(repeated.length, 1);
  assert.match(repeated[0], /Figure 14 draws 20 epochs, no more than Figure 13's 20/);
  // a title that claims the profile's 30 epochs over a history of 20
  const claimed = epochClaimProblems(
    "03.html",
    page(curves(20, 13) + curves(20, 14, "over 30 epochs")),
  );
  assert.ok(claimed.some((p) => /draws 20 epochs, not 30/.test(p)), claimed.join("\n"));
});
