// What the training tools share beyond tools/_args.ts (re-exported here): profile overrides, the
// backend, the data, provenance.
// Kept free of polars so that every tool can be bundled for the GPU machine.
import {
  BACKEND_NAMES,
  type BackendName,
  type BackendReport,
  formatBackendReport,
  selectBackend,
} from "../lib/backend/select.ts";
import { prepareData, type PreparedData } from "../lib/prepare.ts";
import { getProfile, MOCK_SEED, type RunProfile } from "../lib/profiles.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../lib/mock/simulate.ts";
export { describeMachine, gitCommit } from "../lib/runs/provenance.ts";
import type { Spectra } from "../lib/spectra.ts";
import { EXIT, fail, oneOf, optionalInteger, OutputError, usage } from "./_args.ts";
import { checkToolPaths, PathCollisionError, type ToolPath } from "../lib/_atomic.ts";
import { splitSizes } from "../lib/split.ts";
export * from "./_args.ts";

/** Most galaxies a tool simulates or trains on (the full mock is 520,393; memory grows with it). */
const MAX_GALAXIES = 10_000_000;

/**
 * Fewest galaxies a run splits: 100 give 63 training, 27 validation and 10 test galaxies. Fewer
 * make a test MAE and a per-bin table of a handful of galaxies, which look like results and are not.
 */
export const MIN_GALAXIES = 100;

/** Why `n` galaxies are too few, naming the sizes of the split they would give. */
function tooFew(n: number): string {
  const s = splitSizes(n);
  return `${n} galaxies would split into ${s.train} training, ${s.validation} validation and ` +
    `${s.test} test galaxies: too few for a meaningful split (at least ${MIN_GALAXIES} are needed)`;
}

/** The named profile with `--galaxies` and `--epochs` overrides applied; a bad name is a usage error. */
export function profileFromArgs(
  args: { profile?: string; galaxies?: string; epochs?: string },
): RunProfile {
  let base: RunProfile;
  try {
    base = getProfile(args.profile);
  } catch (e) {
    usage((e as Error).message);
  }
  const galaxies = optionalInteger("--galaxies", args.galaxies, 1, MAX_GALAXIES) ?? base.galaxies;
  if (galaxies < MIN_GALAXIES) usage(`--galaxies ${galaxies}: ${tooFew(galaxies)}`);
  return {
    ...base,
    galaxies,
    epochs: optionalInteger("--epochs", args.epochs, 1, 100_000) ?? base.epochs,
  };
}

/** Selects the backend: `--backend` if given, else `$REDSHIFT_BACKEND`, else the profile's preference. */
export async function selectToolBackend(
  backend: string | undefined,
  profile: RunProfile,
): Promise<BackendReport> {
  checkBackendName(backend);
  try {
    return await selectBackend({ backend, preferred: profile.backend });
  } catch (e) {
    // A backend that was asked for and is not there (no adapter): the request cannot be met.
    if (e instanceof RangeError || backend !== undefined) usage((e as Error).message);
    throw e;
  }
}

/** A usage error unless `backend` (when given) names a backend. */
export function checkBackendName(
  backend: string | undefined,
): asserts backend is BackendName | undefined {
  if (backend !== undefined) oneOf("--backend", backend, BACKEND_NAMES, ", ");
}

/** Writes `line` over the status line of a terminal's standard error (none: clears it). */
export function statusLine(line = ""): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K`));
}

/**
 * The galaxies a tool works on: the file `--data` names, else the committed sample in the
 * `smoke` profile (as the notebooks use it), else `profile.galaxies` freshly simulated.
 *
 * The modules that read files are imported through computed names, which `deno bundle`
 * leaves out: polars is a native addon and cannot travel to the GPU machine.
 */
async function loadToolData(
  args: { data?: string; galaxies?: string },
  profile: RunProfile,
): Promise<{ data: Spectra; source: string }> {
  if (args.data) {
    const loader = "../lib/data/load.ts";
    const { formatLoadReport, loadSpectra } = await import(loader);
    const { data, report } = await loadSpectra(args.data);
    return { data, source: formatLoadReport(report) };
  }
  if (profile.name === "smoke" && !args.galaxies) {
    const notebook = "../lib/notebook/notebook.ts";
    const { loadNotebookData } = await import(notebook);
    return await loadNotebookData(profile);
  }
  // The source is recorded in logs that a resumed run must match: no timing in it, and the
  // simulator's version, since another version's galaxies differ.
  const data = simulateSpectra({ n: profile.galaxies, seed: MOCK_SEED });
  return {
    data,
    source: `${data.n} mock galaxies simulated (seed ${MOCK_SEED}, simulator ${SIMULATOR_VERSION})`,
  };
}

/**
 * What every training tool does first: selects the backend, loads its galaxies
 * ({@link loadToolData}), splits and scales them with the profile's seed, and prints the
 * profile, the backend and where the galaxies came from.
 */
export async function prepareToolRun(
  args: { backend?: string; data?: string; galaxies?: string },
  profile: RunProfile,
): Promise<{ backend: BackendReport; data: Spectra; source: string; prepared: PreparedData }> {
  const backend = await selectToolBackend(args.backend, profile);
  console.log(`profile: ${profile.name} (${profile.description})`);
  console.log(`backend: ${formatBackendReport(backend)}`);
  const { data, source } = await loadToolData(args, profile);
  if (data.n < MIN_GALAXIES) fail(EXIT.input, `${args.data ?? "the data"}: ${tooFew(data.n)}`);
  console.log(source);
  return { backend, data, source, prepared: prepareData(data, { seed: profile.seed }) };
}

/** The sizes of a split, e.g. "63 train, 27 validation, 10 test". */
export const splitCounts = ({ train, validation, test }: PreparedData): string =>
  `${train.y.length} train, ${validation.y.length} validation, ${test.y.length} test`;

/** {@link checkToolPaths} for a training tool: a collision is an {@link OutputError}, exit 5. */
export async function checkOutputPaths(paths: readonly ToolPath[]): Promise<void> {
  try {
    await checkToolPaths(paths);
  } catch (e) {
    if (e instanceof PathCollisionError) {
      throw new OutputError(e.written.path, `refused: ${e.message}; nothing was done`);
    }
    throw e;
  }
}
