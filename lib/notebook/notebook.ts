/**
 * What the notebooks share: their data, where a run's results go, and displays that work in
 * Jupyter and in a terminal alike.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { formatLoadReport, loadSpectra } from "../data/load.ts";
import { prepareData, type PreparedData } from "../prepare.ts";
import { getProfile, MOCK_SEED, profileModel, PROFILES, type RunProfile } from "../profiles.ts";
import {
  formatEstimate,
  type MeasuredSpeed,
  measureSpeed,
  TRAIN_HERE_LIMIT_S,
  trainingSeconds,
} from "./training_time.ts";
import { selectRows, type Spectra } from "../spectra.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../mock/simulate.ts";
import { permutation } from "../random.ts";
import type { TrainingProgress } from "../train.ts";
import { committedRunDir, isRunFolder } from "../runs/run_folder.ts";
import { readEnv } from "../_env.ts";
import { escapeHtml } from "../_html.ts";
import { formatDuration } from "../tables.ts";

export { formatDuration };

/** Environment variable naming a real data file (CSV or Parquet) to use instead of the mock. */
export const DATA_ENV = "REDSHIFT_DATA";

/**
 * Folder of a profile's results, ignored by git: `$REDSHIFT_RUNS/<profile>` when set (the report's
 * own fresh folder, so that it never reads back an earlier run), else `out/runs/<profile>`.
 */
export function runDir(profile: RunProfile): string {
  const root = readEnv("REDSHIFT_RUNS");
  if (root) return `${root.replace(/\/+$/, "")}/${profile.name}`;
  return fromFileUrl(new URL(`../../out/runs/${profile.name}`, import.meta.url));
}

/** Galaxies for a notebook, and a sentence saying where they came from. */
export interface NotebookData {
  data: Spectra;
  source: string;
}

/**
 * The galaxies a profile works on: the file named by `$REDSHIFT_DATA` if set (a seeded subset when
 * it holds more than the profile's count), else the committed sample in the `smoke` profile, else
 * freshly simulated mock galaxies.
 */
export async function loadNotebookData(profile: RunProfile = getProfile()): Promise<NotebookData> {
  const path = readEnv(DATA_ENV);
  if (path || profile.name === "smoke") {
    const sample = new URL("../../data/sample/mock_sample.csv", import.meta.url);
    const { data, report } = await loadSpectra(path ?? fromFileUrl(sample));
    let source = formatLoadReport(report);
    if (data.n <= profile.galaxies) return { data, source };
    const subset = permutation(data.n, profile.seed).subarray(0, profile.galaxies).sort();
    source +=
      `\nusing a seeded random subset of ${profile.galaxies} rows (profile ${profile.name})`;
    return { data: selectRows(data, subset), source };
  }
  const started = performance.now();
  const data = simulateSpectra({ n: profile.galaxies, seed: MOCK_SEED });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const source = `${data.n.toLocaleString("en")} mock galaxies simulated (seed ${MOCK_SEED}, ` +
    `simulator ${SIMULATOR_VERSION}) in ${seconds} s`;
  return { data, source };
}

/** Loads a profile's data and splits and scales it the same way in every notebook. */
export async function loadPreparedData(
  profile: RunProfile = getProfile(),
): Promise<NotebookData & { prepared: PreparedData }> {
  const loaded = await loadNotebookData(profile);
  return { ...loaded, prepared: prepareData(loaded.data, { seed: profile.seed }) };
}

/**
 * Shows a figure (an SVG string from `lib/plots`) in the notebook now; outside Jupyter it does
 * nothing. Notebooks display explicitly, not through a cell's last value, which the Deno kernel
 * (2.9) can send after the cell has finished. The SVG goes out as `text/html`, which nbconvert
 * keeps as is (its `image/svg+xml` path strips SVG elements).
 */
export async function figure(svg: string): Promise<void> {
  await publish({ "text/html": svg, "text/plain": "[figure]" });
}

/** Says, in place of a figure, why it is not drawn; the page checks count it as its place. */
export async function figureOmitted(title: string, reason: string): Promise<void> {
  const [t, r] = [escapeHtml(title), escapeHtml(reason)];
  await showText(`**${title} is not drawn:** ${reason}`, {
    "text/html": `<p data-figure-omitted="${t}"><b>${t} is not drawn:</b> ${r}</p>`,
  });
}

/** Shows Markdown (a table, a note) in the notebook now; prints it outside Jupyter. */
export async function show(text: string): Promise<void> {
  await showText(text, { "text/markdown": text });
}

/** Publishes `data` with `text` as its plain form in Jupyter; prints `text` elsewhere. */
async function showText(text: string, data: Record<string, string>): Promise<void> {
  if (inJupyter()) await publish({ ...data, "text/plain": text });
  else console.log(text);
}

async function publish(data: Record<string, string>): Promise<void> {
  if (!inJupyter()) return;
  await broadcast("display_data", data, {});
  // The kernel stamps a queued broadcast with the request current when it leaves the queue, so a
  // display ending a cell can land under the next one in "Run All": 20 ms lets the queue drain
  // (late in 8 of 40 runs without it, 0 of 40 with it; tools/notebooks.py has the details).
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Sends a display message to the notebook (Deno's kernel API, typed here). */
async function broadcast(
  type: "display_data" | "update_display_data",
  data: Record<string, string>,
  transient: { display_id?: string },
): Promise<void> {
  const { jupyter } = Deno as unknown as {
    jupyter: { broadcast: (type: string, content: unknown) => Promise<void> };
  };
  await jupyter.broadcast(type, { data, metadata: {}, transient });
}

/** True inside a Deno Jupyter kernel. */
function inJupyter(): boolean {
  try {
    return typeof (Deno as unknown as { jupyter?: unknown }).jupyter === "object";
  } catch {
    return false;
  }
}

/** A progress line updated in place: one Jupyter output, or one line on a terminal's stderr. */
export class ProgressDisplay {
  #id = `progress-${crypto.randomUUID()}`;
  #shown = false;

  /** Shows or replaces the line for `p`. */
  async update(p: TrainingProgress): Promise<void> {
    await this.#show(formatProgress(p));
  }

  /** Replaces the line with a final message. */
  async finish(message: string): Promise<void> {
    await this.#show(message);
    if (!inJupyter() && Deno.stderr.isTerminal()) {
      Deno.stderr.writeSync(new TextEncoder().encode("\n"));
    }
  }

  async #show(text: string): Promise<void> {
    if (inJupyter()) {
      await broadcast(
        this.#shown ? "update_display_data" : "display_data",
        { "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` },
        { display_id: this.#id },
      );
    } else if (Deno.stderr.isTerminal()) {
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${text}\x1b[K`));
    }
    this.#shown = true;
  }
}

/** One line: epoch, step, loss, throughput and time left. */
function formatProgress(p: TrainingProgress): string {
  const width = 24;
  const done = Math.round((width * p.step) / p.steps);
  const bar = "█".repeat(done) + "░".repeat(width - done);
  return `epoch ${p.epoch}/${p.epochs} ${bar} step ${p.step}/${p.steps}  ` +
    `loss ${p.loss.toFixed(5)}  ${Math.round(p.samplesPerSecond).toLocaleString("en")} ` +
    `samples/s  ${formatDuration(p.secondsLeft)} left`;
}

/** Whether notebooks 03–04 train a run here or present a committed one, and why. */
export interface RunSource {
  mode: "train" | "load";
  /** The run folder: `out/runs/<profile>` when training, `results/runs/<profile>` when loading. */
  dir: string;
  reason: string;
  /** How long training takes here (absent when `REDSHIFT_RUN=load`). */
  estimate?: { seconds: number; text: string };
}

/**
 * Trains here or loads the profile's committed run: `$REDSHIFT_RUN=train|load` if set; else
 * trains when that takes at most {@link TRAIN_HERE_LIMIT_S} here (measured with `speed`, by
 * default a few steps of the profile's network); else loads `results/runs/<profile>`, if there.
 */
export async function chooseRunSource(
  profile: RunProfile,
  speed?: () => Promise<MeasuredSpeed>,
): Promise<RunSource> {
  const committed = committedRunDir(profile.name);
  const train = { mode: "train" as const, dir: runDir(profile) };
  const forced = readEnv("REDSHIFT_RUN");
  if (forced === "load") {
    if (!(await isRunFolder(committed))) {
      throw new Error(`REDSHIFT_RUN=load: no run in ${committed}`);
    }
    return { mode: "load", dir: committed, reason: "REDSHIFT_RUN=load" };
  }
  const epochs = profile.extendedEpochs;
  const estimate = await estimateHere(profile, epochs, `training ${epochs} epochs`, speed);
  if (forced === "train") return { ...train, reason: "REDSHIFT_RUN=train", estimate };
  if (estimate.seconds <= TRAIN_HERE_LIMIT_S) {
    return { ...train, reason: `it takes minutes here: ${estimate.text}`, estimate };
  }
  if (await isRunFolder(committed)) {
    const reason = `${estimate.text}, so the committed run is presented; REDSHIFT_RUN=train ` +
      "trains it here";
    return { mode: "load", dir: committed, reason, estimate };
  }
  return { ...train, reason: `no committed run, so it trains here: ${estimate.text}`, estimate };
}

/**
 * The run notebook 04 evaluates: the one notebook 03 trained here (in `runDir`, which the report
 * empties first), else the committed one; `$REDSHIFT_RUN` names one of the two outright.
 */
export async function runToEvaluate(profile: RunProfile): Promise<RunSource> {
  const trained = runDir(profile), committed = committedRunDir(profile.name);
  const forced = readEnv("REDSHIFT_RUN");
  const candidates: [RunSource["mode"], string, string][] = [
    ["train", trained, "the run notebook 03 trained on this machine"],
    ["load", committed, "the committed run"],
  ];
  for (const [mode, dir, reason] of candidates) {
    if (forced && forced !== mode) continue;
    if (await isRunFolder(dir)) return { mode, dir, reason };
  }
  throw new Error(
    `no run to evaluate in ${forced === "load" ? committed : trained}` +
      (forced ? ` (REDSHIFT_RUN=${forced})` : ` nor ${committed}`) + ": run notebook 03 first",
  );
}

/** How long training a profile's network for `epochs` takes here, and the line that says so. */
async function estimateHere(
  profile: RunProfile,
  epochs: number,
  what: string,
  speed = () => measureSpeed(profileModel(profile), profile.batchSize),
): Promise<{ seconds: number; text: string }> {
  const measured = await speed();
  const seconds = trainingSeconds(measured, { epochs, galaxies: profile.galaxies });
  return { seconds, text: formatEstimate(seconds, measured, what) };
}

/**
 * What notebooks 05 and 06 run now (the profile's own plan, or `smoke`'s), and why. The search
 * and the ensemble take hours at the `default` profile's size on a laptop, so a page runs them
 * only under `$REDSHIFT_RUN=train`, saying how long they take here; otherwise it runs the `smoke`
 * profile's small version. `work.epochs`: the large run's epochs of the profile's network over its
 * split (an upper bound for a search).
 */
export async function chooseExperimentScale(
  profile: RunProfile,
  work: { what: string; epochs: number },
  speed?: () => Promise<MeasuredSpeed>,
): Promise<{ profile: RunProfile; note: string }> {
  if (profile.name === "smoke") {
    return { profile, note: `The \`smoke\` profile runs ${work.what} here, a small version.` };
  }
  const what = `${work.what.charAt(0).toUpperCase()}${work.what.slice(1)} of the ` +
    `\`${profile.name}\` profile`;
  const estimate = (await estimateHere(profile, work.epochs, what, speed)).text;
  if (readEnv("REDSHIFT_RUN") === "train") {
    return { profile, note: `${estimate}. Running it now (REDSHIFT_RUN=train).` };
  }
  return {
    profile: PROFILES.smoke,
    note: `${estimate}: so this page runs the \`smoke\` profile's small version now and presents ` +
      `the committed run below (REDSHIFT_RUN=train runs the large one here).`,
  };
}
