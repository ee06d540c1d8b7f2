// What the command-line tools share: argument checks, profile overrides, provenance.
// Kept free of polars so that every tool can be bundled for the GPU machine.
import { type BackendReport, formatBackendReport, selectBackend } from "../lib/backend/select.ts";
import { prepareData, type PreparedData } from "../lib/prepare.ts";
import { getProfile, MOCK_SEED, type RunProfile } from "../lib/profiles.ts";
import { simulateSpectra } from "../lib/mock/simulate.ts";
export { gitCommit } from "../lib/runs/provenance.ts";
import type { Spectra } from "../lib/spectra.ts";

/** Prints `message` and the pointer to --help on standard error, and exits with status 2. */
export function usage(message: string): never {
  console.error(`${message} (see --help)`);
  Deno.exit(2);
}

/** `text` as a positive integer, or a usage error naming `flag`. */
export function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${flag} expects a positive integer, got "${text}"`);
  return n;
}

/** `text` as a comma-separated list of positive integers (e.g. "64,64,32,16"), or a usage error. */
export function positiveIntegers(flag: string, text: string): number[] {
  return text.split(",").map((part) => {
    const n = Number(part.trim());
    if (part.trim() === "" || !Number.isInteger(n) || n < 1) {
      usage(`${flag} expects comma-separated positive integers, got "${text}"`);
    }
    return n;
  });
}

/** The named profile with `--galaxies` and `--epochs` overrides applied. */
export function profileFromArgs(
  args: { profile?: string; galaxies?: string; epochs?: string },
): RunProfile {
  const base = getProfile(args.profile);
  return {
    ...base,
    galaxies: args.galaxies ? positiveInteger("--galaxies", args.galaxies) : base.galaxies,
    epochs: args.epochs ? positiveInteger("--epochs", args.epochs) : base.epochs,
  };
}

/** Selects the backend: `--backend` if given, else `$REDSHIFT_BACKEND`, else the profile's preference. */
export async function selectToolBackend(
  backend: string | undefined,
  profile: RunProfile,
): Promise<BackendReport> {
  if (backend !== undefined && backend !== "webgpu" && backend !== "cpu") {
    usage(`--backend ${backend}: expected webgpu or cpu`);
  }
  return await selectBackend({ backend, preferred: profile.backend });
}

/**
 * The galaxies a tool works on: the file `--data` names, else the committed sample in the
 * `smoke` profile (as the notebooks use it), else `profile.galaxies` freshly simulated.
 *
 * The modules that read files are imported through computed names, which `deno bundle`
 * leaves out: polars is a native addon and cannot travel to the GPU machine.
 */
export async function loadToolData(
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
  // The source is recorded in logs that a resumed run must match: no timing in it.
  const data = simulateSpectra({ n: profile.galaxies, seed: MOCK_SEED });
  return { data, source: `${data.n} mock galaxies simulated (seed ${MOCK_SEED})` };
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
  console.log(source);
  return { backend, data, source, prepared: prepareData(data, { seed: profile.seed }) };
}
