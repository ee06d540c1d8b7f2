// How every command-line tool reads its flags and ends: exit codes, one-line errors, argument
// checks. No heavy imports: the light tools (page and notebook checks) use it too.
import { parseArgs, type ParseArgsConfig } from "node:util";

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

/** The exit code of each class of user error; any other error is internal. */
const EXIT_OF_ERROR: Record<string, number> = {
  ModelFolderError: EXIT.model,
  CheckpointError: EXIT.model,
  KerasImportError: EXIT.model,
  Hdf5Error: EXIT.model,
  LoadError: EXIT.input,
  CatalogueInputError: EXIT.input,
  CatalogueOutputError: EXIT.output,
  PathCollisionError: EXIT.output,
  OutputError: EXIT.output,
  CatalogueInterrupted: EXIT.interrupted,
  UsageError: EXIT.usage,
  CatalogueOptionError: EXIT.usage,
};

/** Exit code of an error by its class: user errors get their own code, the rest are internal. */
export function exitCodeOf(e: unknown): number {
  return Object.hasOwn(EXIT_OF_ERROR, (e as Error)?.name)
    ? EXIT_OF_ERROR[(e as Error).name]
    : EXIT.internal;
}

/** A problem writing an output of a tool, naming the path. */
export class OutputError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "OutputError";
  }
}

/** Runs a tool's body and exits 0, or as {@link exitWithError} says when it throws. */
export async function runTool(name: string, body: () => Promise<void>): Promise<never> {
  toolName = name;
  try {
    await body();
  } catch (e) {
    exitWithError(e);
  }
  Deno.exit(EXIT.ok);
}

/**
 * Ends the tool over `e`: a user error (see {@link exitCodeOf}) as one line with its code, anything
 * else as a bug, with its stack, exit 1. For a script's top-level `await`s outside {@link runTool}.
 */
export function exitWithError(e: unknown): never {
  const code = exitCodeOf(e);
  if (code === EXIT.internal) {
    console.error(e);
    fail(code, `unexpected error: ${(e as Error)?.message ?? e}`);
  }
  fail(code, (e as Error).message);
}

type Options = ParseArgsConfig["options"];
/** The `--help` flag (`-h`) that every tool takes. */
const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;
type CommandLine<T extends Options, P extends boolean> = ReturnType<
  typeof parseArgs<{ options: T & typeof HELP_OPTION; strict: true; allowPositionals: P }>
>;

/** A tool's `--help`: its text, or the `import.meta` of the module whose doc comment is its usage. */
export type Help = string | ImportMeta;

/**
 * `parseArgs` for a tool: an unknown flag or a missing value is a usage error, exit 2; `--help`
 * prints `help` and exits 0.
 */
export function parseToolArgs<T extends Options>(
  name: string,
  options: T,
  help: Help,
): CommandLine<T, false>["values"] {
  return parseToolCommandLine(name, options, false, help).values;
}

/** {@link parseToolArgs} for a tool that also takes positional arguments (paths). */
export function parseToolCommandLine<T extends Options, P extends boolean>(
  name: string,
  options: T,
  allowPositionals: P,
  help: Help,
): CommandLine<T, P> {
  toolName = name;
  let parsed: CommandLine<T, P>;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: { ...HELP_OPTION, ...options },
      strict: true,
      allowPositionals,
    }) as CommandLine<T, P>;
  } catch (e) {
    usage((e as Error).message.split("\n")[0]);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(typeof help === "string" ? help : moduleHelp(help.url));
    Deno.exit(EXIT.ok);
  }
  return parsed;
}

/** Options of flags that take a value, `names` each: `{ [name]: { type: "string" } }`. */
export function stringFlags<K extends string>(...names: K[]): StringFlags<K> {
  return Object.fromEntries(names.map((name) => [name, { type: "string" }])) as StringFlags<K>;
}
type StringFlags<K extends string> = Record<K, { type: "string" }>;

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

/** {@link plainInteger} of a flag's `text`, or undefined when the flag is not given. */
export function optionalInteger(
  flag: string,
  text: string | undefined,
  min = 1,
  max = 1e9,
): number | undefined {
  return text === undefined ? undefined : plainInteger(flag, text, min, max);
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

/** `value` when it is one of `choices`, else a usage error: "FLAG VALUE: expected a, b`last`c". */
export function oneOf<T extends string>(
  flag: string,
  value: string,
  choices: readonly T[],
  last = " or ",
): T {
  if (!(choices as readonly string[]).includes(value)) {
    usage(`${flag} ${value}: expected ${choices.slice(0, -1).join(", ")}${last}${choices.at(-1)}`);
  }
  return value as T;
}

/** A usage error unless `path` (when given) names a .csv or .parquet file. */
export function checkTableFile(flag: string, path: string | undefined): void {
  if (path !== undefined && !/\.(csv|parquet|pq)$/i.test(path)) {
    usage(`${flag} ${path}: expected a .csv or .parquet file`);
  }
}

/** The leading doc comment of the module at `moduleUrl`, without its `@module` tag. */
function moduleHelp(moduleUrl: string): string {
  const source = Deno.readTextFileSync(new URL(moduleUrl));
  const doc = source.match(/\/\*\*([\s\S]*?)\*\//)?.[1] ?? "";
  return doc.split("\n").map((line) => line.replace(/^\s*\* ?/, ""))
    .filter((line) => !line.startsWith("@module")).join("\n").trim();
}
