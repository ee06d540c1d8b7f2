/**
 * Opens each exported notebook page in headless Chromium, offline, and checks
 * that its figures render (every inline SVG figure is laid out at a readable
 * size and has drawn marks) and its formulas render (MathML, laid out), that
 * it loads no script from elsewhere, and that every table has rows of equal
 * cell counts, and that a training-curve figure draws the epochs its title claims (Figure 14 more
 * than Figure 13, `_figure_claims.ts`). With `--screenshots DIR`, saves a full-page PNG of each.
 * Installs Chromium when it is missing (`tools/install_system.sh chromium`: Debian, as root).
 *
 *   deno run -A tools/check_html.ts out/report/smoke [--screenshots DIR]
 *
 * Talks to Chromium over the DevTools protocol (a WebSocket), so the check
 * sees the page as a reader's browser lays it out, not just the HTML text.
 *
 * @module
 */
import { parseToolCommandLine, stringFlags } from "./_args.ts";
import { installSystemPart, isFolder } from "./_system.ts";
import { malformedTables } from "./_html_tables.ts";
import { pageLinkProblems } from "./_page_links.ts";
import { epochClaimProblems } from "./_figure_claims.ts";
import { count } from "../lib/tables.ts";

const { values: args, positionals } = parseToolCommandLine(
  "check_html",
  stringFlags("screenshots"),
  true,
  import.meta,
);
const dir = positionals[0] ?? "out/report/default";
if (!isFolder(dir)) fail(`${dir}: no such folder of exported pages (run the report first)`);
const pages = [...Deno.readDirSync(dir)].map((e) => e.name)
  .filter((n) => /^\d\d[a-z]?_.*\.html$/.test(n)).sort();
if (pages.length === 0) fail(`no notebook pages in ${dir}: run the report first`);

const browser = await launchChromium();
const problems: string[] = pageLinkProblems(dir, pages);
try {
  for (const page of pages) {
    const url = new URL(`${Deno.realPathSync(dir)}/${page}`, "file://").href;
    const html = Deno.readTextFileSync(`${dir}/${page}`);
    for (const table of malformedTables(html)) problems.push(`${page}: ${table}`);
    problems.push(...epochClaimProblems(page, html));
    for (const src of html.match(/<script[^>]*\bsrc=["'][^"']*/g) ?? []) {
      problems.push(`${page}: loads a script from elsewhere (${src.replace(/.*src=["']/, "")})`);
    }
    const { figures, formulas } = await inspectPage(
      browser.port,
      url,
      args.screenshots && `${args.screenshots}/${page.replace(/\.html$/, ".png")}`,
    );
    const texLeft = (html.match(/\$\$[^$<]+\$\$/g) ?? []).length;
    if (texLeft) problems.push(`${page}: ${texLeft} display formulas left as TeX`);
    const flat = formulas.filter((f) => f.width === 0 || f.height === 0).length;
    if (flat) problems.push(`${page}: ${flat} of ${formulas.length} formulas not laid out`);
    const bad = figures.filter((f) => f.width < 300 || f.height < 150 || f.marks < 3);
    const notRendered = bad.length ? `, ${bad.length} not` : "";
    const formulaCount = count(formulas.length, "formula");
    console.log(
      `${page}: ${count(figures.length, "figure")} rendered${notRendered}, ${formulaCount}`,
    );
    const expected = expectedFigures(`notebooks/${page.replace(/\.html$/, ".ipynb")}`);
    // A figure's place left empty on purpose (figureOmitted in lib/notebook) counts as its place.
    const omitted = (html.match(/\bdata-figure-omitted="/g) ?? []).length;
    if (figures.length + omitted < expected) {
      problems.push(`${page}: ${figures.length} figures rendered, ${expected} expected`);
    }
    problems.push(
      ...bad.map((f) =>
        `${page}: figure ${f.index + 1} is ${f.width}×${f.height} px with ${f.marks} marks`
      ),
    );
  }
} finally {
  browser.process.kill();
  await browser.process.status;
}
if (problems.length) fail(problems.join("\n"));
console.log(
  `✓ ${pages.length} pages: every figure and formula renders in Chromium offline; tables well formed; ` +
    "each page links to the index and its neighbours",
);

interface FigureBox {
  index: number;
  width: number;
  height: number;
  marks: number;
}

async function inspectPage(
  port: number,
  url: string,
  screenshot?: string,
): Promise<{ figures: FigureBox[]; formulas: { width: number; height: number }[] }> {
  const target =
    await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: "PUT" })).json();
  const cdp = await connect(target.webSocketDebuggerUrl);
  try {
    await cdp.send("Page.enable");
    const loaded = cdp.once("Page.loadEventFired");
    await cdp.send("Page.navigate", { url });
    await loaded;
    // Figures are top-level SVGs in output areas (nested SVGs are parts of them).
    const figures = await cdp.evaluate(
      `[...document.querySelectorAll(".jp-OutputArea-output svg, .output_html svg")]
        .filter((svg) => !svg.parentElement.closest("svg"))
        .map((svg, index) => { const r = svg.getBoundingClientRect();
          return { index, width: Math.round(r.width), height: Math.round(r.height),
            marks: svg.querySelectorAll("path, rect, circle, line, polyline").length }; })`,
    );
    const formulas = await cdp.evaluate(`[...document.querySelectorAll("math")].map((m) => {
        const r = m.getBoundingClientRect(); return { width: r.width, height: r.height }; })`);
    if (screenshot) {
      const [width, height] = await cdp.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
      );
      const metrics = { width, height, deviceScaleFactor: 1, mobile: false };
      await cdp.send("Emulation.setDeviceMetricsOverride", metrics);
      const { data } = await cdp.send("Page.captureScreenshot", { format: "png" });
      await Deno.mkdir(screenshot.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeFile(screenshot, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
    }
    return { figures, formulas };
  } finally {
    cdp.close();
    await fetch(`http://127.0.0.1:${port}/json/close/${target.id}`).then((r) => r.body?.cancel());
  }
}

async function launchChromium(): Promise<{ process: Deno.ChildProcess; port: number }> {
  const find = () =>
    ["chromium", "chromium-browser", "google-chrome"].find((name) =>
      new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" }).outputSync()
        .success
    );
  let binary = find();
  if (!binary) {
    // A fresh machine: the one installer of system packages installs it (Debian, as root).
    await installSystemPart("chromium", true);
    binary = find();
  }
  if (!binary) {
    fail("Chromium is not installed and could not be installed (Debian: apt-get install chromium)");
  }
  const process = new Deno.Command(binary!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      // Offline: a page must show everything from its own file.
      "--proxy-server=127.0.0.1:9",
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--remote-debugging-port=0",
      "--window-size=1200,900",
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Chromium announces its DevTools endpoint on stderr.
  const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const match = text.match(/DevTools listening on ws:\/\/[^:]+:(\d+)\//);
    if (match) {
      reader.releaseLock();
      process.stderr.cancel().catch(() => {});
      return { process, port: Number(match[1]) };
    }
  }
  process.kill();
  fail(`Chromium did not start:\n${text}`);
}

function connect(url: string) {
  const socket = new WebSocket(url);
  let nextId = 1;
  const pending = new Map<number, (message: Record<string, unknown>) => void>();
  const waiters = new Map<string, () => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)!(message);
      pending.delete(message.id);
    } else if (message.method && waiters.has(message.method)) {
      waiters.get(message.method)!();
      waiters.delete(message.method);
    }
  };
  const open = new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return {
    // deno-lint-ignore no-explicit-any
    async send(method: string, params: Record<string, unknown> = {}): Promise<any> {
      await open;
      const id = nextId++;
      const reply = new Promise<Record<string, unknown>>((resolve) => pending.set(id, resolve));
      socket.send(JSON.stringify({ id, method, params }));
      const message = await reply;
      if (message.error) throw new Error(`${method}: ${JSON.stringify(message.error)}`);
      return message.result;
    },
    /** The value of the JavaScript `expression` in the page. */
    // deno-lint-ignore no-explicit-any
    async evaluate(expression: string): Promise<any> {
      return (await this.send("Runtime.evaluate", { expression, returnByValue: true })).result
        .value;
    },
    once(method: string): Promise<void> {
      return new Promise((resolve) => waiters.set(method, resolve));
    },
    close: () => socket.close(),
  };
}

function fail(message: string): never {
  console.error(`✗ ${message}`);
  Deno.exit(1);
}

/** Number of `figure(` calls in the code cells of the notebook at `path` (lib/notebook). */
function expectedFigures(path: string): number {
  const cells: { cell_type: string; source: string[] | string }[] =
    JSON.parse(Deno.readTextFileSync(path)).cells;
  const code = cells.filter((c) => c.cell_type === "code").map((c) => [c.source].flat().join(""));
  return code.join("\n").match(/\bfigure\(/g)?.length ?? 0;
}
