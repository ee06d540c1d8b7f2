/**
 * The report's index page and the links between its pages, for the executed notebooks in
 * `DIR/executed/` (tools/notebooks.py runs it once the pages are written).
 *
 *   deno run -A tools/_index_page.ts out/report/smoke
 *
 * @module
 */
import { escapeHtml } from "../lib/_html.ts";
import { getProfile, profileModel } from "../lib/profiles.ts";
import { errorsByBin, redshiftMetrics } from "../lib/metrics.ts";
import { PUBLISHED_ERRORS_BY_BIN, PUBLISHED_RESULTS } from "../lib/published.ts";
import { count, formatDuration } from "../lib/tables.ts";
import {
  committedRunDir,
  isRunFolder,
  loadRunArtifact,
  type RunArtifact,
} from "../lib/runs/mod.ts";
import { readCommittedSearches } from "../lib/notebook/search_report.ts";
import { readCommittedUncertaintyResults } from "../lib/uncertainty/mod.ts";
import { isMockSource, mockCaveat } from "../lib/mock/caveats.ts";
import { addPageLinks, type BookPage } from "./_page_links.ts";

/** One executed notebook page. */
export interface IndexEntry extends BookPage {
  figures: number;
}

/** What each page is for, in a reader's order. */
const PURPOSE: Record<string, string> = {
  "00_background":
    "start here: redshift, neurons, losses, optimisers and convolutions, each written out in tf",
  "01_data_analysis": "the data: Table 1, the redshift distribution, the spectra",
  "02_preprocessing_and_split": "the split and min-max scaling, by hand and with the library",
  "03_model_and_training":
    "the network layer by layer, one training step and the training loop by hand, then the run",
  "03b_the_original_keras_model": "the dissertation's published model file, read and checked",
  "04_results_and_discussion": "the metrics by hand, Table 3, Figures 16–18, the high-z bias",
  "05_hyperparameter_search": "random search and TPE with early stopping",
  "06_uncertainty":
    "per-galaxy error bars from a deep ensemble, and how often they cover the truth",
  "07_high_z_bias":
    "the dissertation's future work: the high-z bias binned two ways, a PDF head, balanced weights and a monotone map, measured",
};

/**
 * Writes `DIR/index.html`: what the profile means, which network and data produced the results,
 * how they compare with the dissertation's, where to start and how long each page took.
 */
export async function writeIndexPage(dir: string, pages: IndexEntry[]): Promise<void> {
  const profile = getProfile(Deno.env.get("REDSHIFT_PROFILE") ?? "default");
  const config = profileModel(profile);
  const seconds = await readTimings(`${dir}/executed/timings.tsv`);
  const run = await findRun(dir, profile.name);
  const rows = pages.map((p) =>
    `<tr><td><a href="${p.name}.html">${escapeHtml(p.title)}</a></td><td>${
      escapeHtml(PURPOSE[p.name] ?? "")
    }</td><td>${count(p.figures, "figure")}</td><td>${
      seconds.has(p.name) ? formatDuration(seconds.get(p.name)!) : "–"
    }</td></tr>`
  );
  const total = [...seconds.values()].reduce((a, b) => a + b, 0);
  await Deno.writeTextFile(
    `${dir}/index.html`,
    `<!doctype html><meta charset="utf-8"><title>galaxy-redshift report (${profile.name})</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52em;margin:3em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}</style>
<h1>galaxy-redshift: the notebooks, executed</h1>
<p>These pages rebuild, in TypeScript, the method of A. Kiraleos's MSc dissertation (2023): a 1D
convolutional network that predicts a galaxy's redshift from its Gaia BP/RP spectrum. Each page
writes its method out in code, checks it against the project's library, then uses the library.
<b>Where to start:</b> <a href="${pages[0]?.name ?? ""}.html">${
      escapeHtml(pages[0]?.title ?? "")
    }</a>,
then in order.</p>
${run ? headline(run) : ""}
<h2>What produced these results</h2>
<table>
<tr><th>profile</th><td><b>${profile.name}</b>: ${
      escapeHtml(profile.description)
    } (what the profile asks for; the run's own row says what it trained)</td></tr>
<tr><th>network</th><td>filters ${config.convFilters.join("/")}, kernels ${
      config.kernelSizes.join("/")
    }, dense ${
      config.denseUnits.join("/")
    } (the dissertation's: 256/256/128/64, 5/5/3/2, 256/256/128/64; 699,073 parameters)</td></tr>
<tr><th>recipe</th><td>Adamax at ${profile.learningRate}, Huber δ = ${profile.huberDelta}, batch ${profile.batchSize}${
      run ? `; ${epochsOf(run.run, run.history.length)}` : ""
    }</td></tr>
${run ? runRows(run) : "<tr><th>run</th><td>no run folder was found for this report</td></tr>"}
</table>
${await committedRunsSection(run)}
<h2>The pages</h2>
<table><tr><th>page</th><th>what it teaches</th><th>figures</th><th>time to execute</th></tr>
${rows.join("\n")}
</table>
<p>${count(pages.length, "page")} in ${formatDuration(total)}, generated ${
      new Date().toISOString()
    }.</p>
`,
  );
}

/** The first screen: test MAE and Table 3 beside the dissertation's, and the run they come from. */
function headline(artifact: RunArtifact & { label: string }): string {
  const { run, test } = artifact;
  const m = redshiftMetrics(test.zTrue, test.zPred);
  const ours = errorsByBin(test.zTrue, test.zPred);
  const rows = PUBLISHED_ERRORS_BY_BIN.map((p, b) => {
    const o = ours[b];
    const cell = o && o.n >= 10 ? signed(o.meanError) : o && o.n ? `(${o.n} galaxies)` : "–";
    return `<tr><td>${p.zLow.toFixed(2)}–${p.zHigh.toFixed(2)}</td><td>${cell}</td><td>${
      signed(p.meanError)
    }</td><td>${o ? o.n.toLocaleString("en") : 0}</td></tr>`;
  });
  const comparable = run.profile !== "smoke";
  const mock = isMockSource(run.data);
  return `<h2>The result</h2>
<p>Test MAE <b>${m.mae.toFixed(4)}</b> on ${test.zTrue.length.toLocaleString("en")} ${
    mock ? "simulated test galaxies of the project's mock" : "test galaxies of a real file"
  }${
    comparable ? "" : " (the smoke profile: a check that the pipeline runs, not comparable)"
  }; the dissertation: <b>${PUBLISHED_RESULTS.testMae}</b> on about ${
    PUBLISHED_RESULTS.testGalaxies.toLocaleString("en")
  } real galaxies.<br>The run: ${escapeHtml(artifact.label)}; the ${
    escapeHtml(run.profile)
  } profile, ${run.galaxies.toLocaleString("en")} galaxies, ${
    epochsOf(run, artifact.history.length)
  } (${formatDuration(run.trainingSeconds)} to the evaluated one) on ${escapeHtml(run.device)}.</p>
<p>${markdownToHtml(mockCaveat(mock))}</p>
<details${
    comparable ? " open" : ""
  }><summary>Table 3: mean error (predicted − true z) per redshift bin</summary>
<table><tr><th>true z</th><th>this report${
    mock ? " (mock)" : ""
  }</th><th>the dissertation (real data)</th><th>test galaxies here</th></tr>
${rows.join("\n")}
</table></details>`;
}

/** What a run trained and evaluated, from its record: "20 epochs evaluated (30 trained)". */
function epochsOf(run: RunArtifact["run"], historyLength: number): string {
  const trained = run.trainedEpochs ?? historyLength;
  return trained > run.evaluatedEpoch
    ? `the model of epoch ${run.evaluatedEpoch} evaluated (${trained} epochs trained)`
    : `${run.evaluatedEpoch} epochs trained and evaluated`;
}

/** The little Markdown of {@link mockCaveat}: bold and code spans. */
function markdownToHtml(text: string): string {
  return escapeHtml(text).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
    .replace(/`([^`]+)`/g, "<code>$1</code>");
}

function signed(x: number): string {
  return (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(4);
}

function runRows(artifact: RunArtifact & { label: string }): string {
  const { run } = artifact;
  // Paths inside the project are shown from its root, so the page reads the same on any machine.
  const root = new URL("../", import.meta.url).pathname;
  const data = run.data.split("\n")[0].replaceAll(root, "");
  return `<tr><th>data</th><td>${escapeHtml(data)} (${
    run.galaxies.toLocaleString("en")
  } galaxies)</td></tr>
<tr><th>run</th><td>${escapeHtml(artifact.label)}; ${escapeHtml(run.device)}; ${
    epochsOf(run, artifact.history.length)
  }; ${formatDuration(run.trainingSeconds)} of training to the evaluated epoch</td></tr>`;
}

/**
 * Which committed run each page presents (it presents one when training it here would take
 * longer than the page allows), with its command, machine and cost.
 */
async function committedRunsSection(
  run: (RunArtifact & { label: string }) | undefined,
): Promise<string> {
  const rows: string[] = [];
  if (run) {
    rows.push(
      `<tr><td>03, 04</td><td>${escapeHtml(run.label)}: the ${
        escapeHtml(run.run.profile)
      } run</td><td>${escapeHtml(run.run.device)}</td><td>${
        epochsOf(run.run, run.history.length)
      }; ${formatDuration(run.run.trainingSeconds)} to the evaluated epoch</td></tr>`,
    );
  }
  // Pages 05 and 06 present every committed search and ensemble, whatever the report's profile.
  for (const { label, profile, strategy, log } of await readCommittedSearches()) {
    const seconds = log.trials.reduce((sum, t) => sum + t.seconds, 0);
    const device = String(log.sessions[0]?.info.backend ?? log.sessions[0]?.info.device ?? "");
    rows.push(
      `<tr><td>05</td><td>results/search/${profile}_${strategy}.jsonl: ${
        escapeHtml(label.replaceAll("`", ""))
      }</td><td>${escapeHtml(device)}</td><td>${count(log.trials.length, "trial")} in ${
        count(log.sessions.length, "sitting")
      }, ${formatDuration(seconds)}</td></tr>`,
    );
  }
  for (const r of await readCommittedUncertaintyResults()) {
    const training = r.wallSeconds.members.reduce((a, b) => a + b, 0);
    rows.push(
      `<tr><td>06</td><td>results/uncertainty/${r.profile}.json: ensemble of ${r.members} × ${r.epochs} epochs</td><td>${
        escapeHtml(r.device)
      }</td><td>${formatDuration(training)} of training, ${
        formatDuration(r.wallSeconds.evaluation)
      } of evaluation</td></tr>`,
    );
  }
  if (rows.length === 0) return "";
  return `<h2>Committed runs the pages present</h2>
<table><tr><th>pages</th><th>run</th><th>machine</th><th>cost</th></tr>
${rows.join("\n")}
</table>`;
}

async function findRun(dir: string, profile: string) {
  const candidates = [
    [`${dir}/runs/${profile}`, "trained in this report (notebook 03)"],
    [committedRunDir(profile), "the committed run, loaded"],
  ];
  for (const [folder, label] of candidates) {
    if (await isRunFolder(folder)) return { ...(await loadRunArtifact(folder)), label };
  }
}

async function readTimings(path: string): Promise<Map<string, number>> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines = text.trim().split("\n").filter(Boolean).map((line) => line.split("\t"));
  return new Map(lines.map(([name, s]) => [name, Number(s)]));
}

/** The pages of the executed notebooks in `dir/executed/`, in reading order. */
function executedPages(dir: string): IndexEntry[] {
  type Cell = {
    cell_type: string;
    source: string[] | string;
    outputs?: { data?: Record<string, unknown> }[];
  };
  const names = [...Deno.readDirSync(`${dir}/executed`)].map((e) => e.name).sort();
  return names.filter((name) => /^\d\d[a-z]?_.*\.ipynb$/.test(name)).map((name) => {
    const cells: Cell[] = JSON.parse(Deno.readTextFileSync(`${dir}/executed/${name}`)).cells;
    const source = cells.find((c) => c.cell_type === "markdown")?.source ?? name;
    const title = [source].flat().join("").split("\n")[0].replace(/^#\s*/, "");
    // A figure's place left empty on purpose (figureOmitted) counts as shown.
    const html = cells.flatMap((c) => c.outputs ?? []).map((o) =>
      String(o.data?.["text/html"] ?? "")
    );
    const figures = html.filter((h) => /<svg|data-figure-omitted=/.test(h)).length;
    return { name: name.replace(/\.ipynb$/, ""), title, figures };
  });
}

if (import.meta.main) {
  const [dir] = Deno.args;
  if (!dir) {
    console.error("usage: deno run -A tools/_index_page.ts REPORT_DIR");
    Deno.exit(2);
  }
  const pages = executedPages(dir);
  await writeIndexPage(dir, pages);
  await addPageLinks(dir, pages);
}
