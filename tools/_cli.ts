// What the command-line tools share: exit codes, argument checks, profile overrides, provenance.
// Kept free of polars so that every tool can be bundled for the GPU machine.
import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  BACKEND_NAMES,
  type BackendReport,
  formatBackendReport,
  isBackendName,
  selectBackend,
} from "../lib/backend/select.ts";
import { prepareData, type PreparedData } from "../lib/prepare.ts";
import { getProfile, MOCK_SEED, type RunProfile } from "../lib/profiles.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../lib/mock/simulate.ts";
export { gitCommit } from "../lib/runs/provenance.ts";
import type { Spectra } from "../lib/spectra.ts";

/** Exit codes of every tool (the README's table): a shell script can rely on them. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** An unexpected internal error (a bug: the only case that prints a stack trace). */
  internal: 1,
  /** Usage: an unknown or missing flag, a bad value, an unknown extension. */
  usage: 2,
  /** A model folder or checkpoint is missing, damaged or does not fit. */
  model: 3,
  /** The input cannot be read or has no usable layout (or, with --strict, a bad row). */
  input: 4,
  /** An output cannot be written, or would collide with an input or another output. */
  output: 5,
  /** Interrupted by SIGINT or SIGTERM. */
  interrupted: 130,
} as const;

/** Name of the running tool, for the prefix of its error messages. */
let toolName = "tool";

/** Prints `message` and the pointer to --help on standard error, and exits with status 2. */
export function usage(message: string): never {
  console.error(`${toolName}: ${message} (see --help)`);
  Deno.exit(EXIT.usage);
}

/** Prints `message` on standard error and exits with `code`. */
export function fail(code: number, message: string): never {
  console.error(`${toolName}: ${message}`);
  Deno.exit(code);
}

/** Exit code of an error by its class: user errors get their own code, the rest are internal. */
export function exitCodeOf(e: unknown): number {
  switch ((e as Error)?.name) {
    case "ModelFolderError":
    case "CheckpointError":
      return EXIT.model;
    case "LoadError":
    case "CatalogueInputError":
      return EXIT.input;
    case "CatalogueOutputError":
    case "PathCollisionError":
    case "OutputError":
      return EXIT.output;
    case "CatalogueInterrupted":
      return EXIT.interrupted;
    case "UsageError":
      return EXIT.usage;
    default:
      return EXIT.internal;
  }
}

/** A problem writing an output of a tool, naming the path. */
export class OutputError extends Error {
  /**
   * @param file the path that cannot be written
   * @param message what is wrong
   */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "OutputError";
  }
}

/**
 * Runs a tool's body: a user error (see {@link exitCodeOf}) is printed as one
 * line and ends the tool with its code; anything else is a bug, printed with
 * its stack, exit 1.
 */
export async function runTool(name: string, body: () => Promise<void>): Promise<never> {
  toolName = name;
  try {
    await body();
  } catch (e) {
    const code = exitCodeOf(e);
    if (code === EXIT.internal) {
      console.error(e);
      fail(code, `unexpected error: ${(e as Error)?.message ?? e}`);
    }
    fail(code, (e as Error).message);
  }
  Deno.exit(EXIT.ok);
}

/** `parseArgs` for a tool: an unknown flag or a missing value is a usage error, exit 2. */
export function parseToolArgs<T extends ParseArgsConfig["options"]>(
  name: string,
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  toolName = name;
  try {
    return parseArgs({ args: Deno.args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    usage((e as Error).message.split("\n")[0]);
  }
}

/**
 * `text` as an integer from `min` to `max`, written in plain decimal digits
 * (no sign, exponent, hex or fraction: `1e8` and `0x10` are refused), or a
 * usage error that names `flag`.
 */
export function plainInteger(flag: string, text: string, min = 1, max = 1e9): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    usage(
      `${flag} ${text}: expected a whole number from ${min.toLocaleString("en")} to ` +
        `${max.toLocaleString("en")}, in plain decimal digits`,
    );
  }
  return n;
}

/** `text` as a positive integer (plain decimal), or a usage error naming `flag`. */
export function positiveInteger(flag: string, text: string, max = 1e9): number {
  return plainInteger(flag, text, 1, max);
}

/** `text` as a comma-separated list of positive integers (e.g. "64,64,32,16"), or a usage error. */
export function positiveIntegers(flag: string, text: string): number[] {
  return text.split(",").map((part) => {
    const trimmed = part.trim();
    if (!/^[0-9]+$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > 1e6) {
      usage(`${flag} expects comma-separated positive integers, got "${text}"`);
    }
    return Number(trimmed);
  });
}

/** Most galaxies a tool simulates or trains on (the full mock is 520,393; memory grows with it). */
export const MAX_GALAXIES = 10_000_000;

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
  return {
    ...base,
    galaxies: args.galaxies !== undefined
      ? positiveInteger("--galaxies", args.galaxies, MAX_GALAXIES)
      : base.galaxies,
    epochs: args.epochs !== undefined
      ? positiveInteger("--epochs", args.epochs, 100_000)
      : base.epochs,
  };
}

/** Selects the backend: `--backend` if given, else `$REDSHIFT_BACKEND`, else the profile's preference. */
export async function selectToolBackend(
  backend: string | undefined,
  profile: RunProfile,
): Promise<BackendReport> {
  if (backend !== undefined && !isBackendName(backend)) {
    usage(`--backend ${backend}: expected ${BACKEND_NAMES.join(", ")}`);
  }
  try {
    return await selectBackend({ backend, preferred: profile.backend });
  } catch (e) {
    // A backend that was asked for and is not there (no adapter): the request cannot be met.
    if (e instanceof RangeError || backend !== undefined) usage((e as Error).message);
    throw e;
  }
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
  console.log(source);
  return { backend, data, source, prepared: prepareData(data, { seed: profile.seed }) };
}
