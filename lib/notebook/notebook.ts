/**
 * What the notebooks share: where their data comes from, where a run's
 * results go, and displays that work in Jupyter and in a terminal alike.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { formatLoadReport, loadSpectra } from "../data/load.ts";
import { prepareData, type PreparedData } from "../prepare.ts";
import { getProfile, MOCK_SEED, type RunProfile } from "../profiles.ts";
import { selectRows, type Spectra } from "../spectra.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../mock/simulate.ts";
import { permutation } from "../random.ts";
import type { TrainingProgress } from "../train.ts";
import { committedRunDir, isRunFolder } from "../runs/run_folder.ts";
import { readEnv } from "../_env.ts";
import { formatDuration } from "../tables.ts";

export { formatDuration };

/** Environment variable naming a real data file (CSV or Parquet) to use instead of the mock. */
export const DATA_ENV = "REDSHIFT_DATA";

/** The committed 3,000-galaxy sample of the mock. */
export const SAMPLE_PATH: string = fromFileUrl(
  new URL("../../data/sample/mock_sample.csv", import.meta.url),
);

/** Environment variable naming the folder under which notebooks write their runs (the report sets it). */
export const RUNS_ENV = "REDSHIFT_RUNS";

/**
 * Folder of a profile's results (trained models, predictions), ignored by git:
 * `$REDSHIFT_RUNS/<profile>` when set (the report points it into its own, fresh
 * folder, so that a report never reads back an earlier run), else `out/runs/<profile>`.
 */
export function runDir(profile: RunProfile): string {
  const root = readEnv(RUNS_ENV);
  if (root) return `${root.replace(/\/+$/, "")}/${profile.name}`;
  return fromFileUrl(new URL(`../../out/runs/${profile.name}`, import.meta.url));
}

/** Galaxies for a notebook, and a sentence saying where they came from. */
export interface NotebookData {
  data: Spectra;
  source: string;
}

/**
 * The galaxies a profile works on: the file named by `$REDSHIFT_DATA` if set
 * (a seeded subset when it holds more than the profile's count), else the
 * committed sample in the `smoke` profile, else freshly simulated mock galaxies.
 */
export async function loadNotebookData(profile: RunProfile = getProfile()): Promise<NotebookData> {
  const path = readEnv(DATA_ENV);
  if (path || profile.name === "smoke") {
    const file = path ?? SAMPLE_PATH;
    const { data, report } = await loadSpectra(file);
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
  return {
    data,
    source: `${
      data.n.toLocaleString("en")
    } mock galaxies simulated (seed ${MOCK_SEED}, simulator ${SIMULATOR_VERSION}) in ${seconds} s`,
  };
}

/** Loads a profile's data and splits and scales it the same way in every notebook. */
export async function loadPreparedData(
  profile: RunProfile = getProfile(),
): Promise<NotebookData & { prepared: PreparedData }> {
  const loaded = await loadNotebookData(profile);
  return { ...loaded, prepared: prepareData(loaded.data, { seed: profile.seed }) };
}

/**
 * Shows a figure (an SVG string from `lib/plots`) in the notebook now.
 *
 * Notebooks show everything through explicit displays rather than a cell's
 * last value, which the Deno kernel (2.9) can send after the cell has
 * finished. Displays can be late too (see `tools/execute_notebook.py`, which
 * the report uses to collect them), so each one waits a moment before the cell
 * goes on. The SVG goes out as `text/html`, which nbconvert keeps as is (its
 * `image/svg+xml` path strips SVG elements). Outside Jupyter it does nothing.
 */
export async function figure(svg: string): Promise<void> {
  await publish({ "text/html": svg, "text/plain": "[figure]" });
}

/** Shows Markdown (a table, a note) in the notebook now; prints it outside Jupyter. */
export async function show(text: string): Promise<void> {
  if (!inJupyter()) {
    console.log(text);
    return;
  }
  await publish({ "text/markdown": text, "text/plain": text });
}

async function publish(data: Record<string, string>): Promise<void> {
  if (!inJupyter()) return;
  await broadcast("display_data", data, {});
  // The kernel queues broadcasts and stamps each with the request current when
  // it leaves the queue, so a display at the end of a cell can land under the
  // next cell in "Run All". A short wait lets the queue drain first: a cell
  // ending in a display sent it late in 8 of 40 runs without it, 0 of 40 with
  // 20 ms (busy 2-core machine; tools/execute_notebook.py has the details).
  await new Promise((resolve) => setTimeout(resolve, PUBLISH_SETTLE_MS));
}

/** How long a display waits for the kernel's message queue to drain. */
const PUBLISH_SETTLE_MS = 20;

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
export function inJupyter(): boolean {
  try {
    return typeof (Deno as unknown as { jupyter?: unknown }).jupyter === "object";
  } catch {
    return false;
  }
}

/**
 * A training progress line that updates in place: one Jupyter output
 * (replaced through its display id) in a notebook, one rewritten line on a
 * terminal's standard error elsewhere.
 */
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
export function formatProgress(p: TrainingProgress): string {
  const width = 24;
  const done = Math.round((width * p.step) / p.steps);
  const bar = "█".repeat(done) + "░".repeat(width - done);
  return `epoch ${p.epoch}/${p.epochs} ${bar} step ${p.step}/${p.steps}  loss ${
    p.loss.toFixed(5)
  }  ` +
    `${Math.round(p.samplesPerSecond).toLocaleString("en")} samples/s  ${
      formatDuration(p.secondsLeft)
    } left`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Whether notebooks 03–04 train a run here or present a committed one, and why. */
export interface RunSource {
  mode: "train" | "load";
  /** The run folder: `out/runs/<profile>` when training, `results/runs/<profile>` when loading. */
  dir: string;
  reason: string;
}

/**
 * Decides between training here and loading the committed run of the profile:
 * `$REDSHIFT_RUN=train|load` if set; else train in `smoke` or on a hardware
 * GPU; else load when `results/runs/<profile>` exists (the full-size network
 * on a CPU would take days); else train anyway, and say it will be slow.
 */
export async function chooseRunSource(
  profile: RunProfile,
  backend: { backend: string; isFallbackAdapter: boolean },
): Promise<RunSource> {
  const committed = committedRunDir(profile.name);
  const train = { mode: "train" as const, dir: runDir(profile) };
  const load = { mode: "load" as const, dir: committed };
  const forced = readEnv("REDSHIFT_RUN");
  if (forced === "train") return { ...train, reason: "REDSHIFT_RUN=train" };
  if (forced === "load") {
    if (!(await isRunFolder(committed))) {
      throw new Error(`REDSHIFT_RUN=load: no run in ${committed}`);
    }
    return { ...load, reason: "REDSHIFT_RUN=load" };
  }
  if (profile.name === "smoke") {
    return { ...train, reason: "the smoke profile trains in about a minute" };
  }
  if (backend.backend === "webgpu" && !backend.isFallbackAdapter) {
    return { ...train, reason: "a GPU is available" };
  }
  if (await isRunFolder(committed)) {
    return {
      ...load,
      reason:
        "no GPU here: presenting the committed run (REDSHIFT_RUN=train trains it on this machine)",
    };
  }
  return { ...train, reason: "no GPU and no committed run: training on this machine (slow)" };
}
