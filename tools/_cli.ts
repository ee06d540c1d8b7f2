// What the command-line tools share: argument checks, profile overrides, provenance.
// Kept free of polars so that every tool can be bundled for the GPU machine.
import { getProfile, type RunProfile } from "../lib/profiles.ts";

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

/** The checked-out commit, marked when lib/ or tools/ differ from it; "unknown" without git. */
export async function gitCommit(): Promise<string> {
  try {
    const run = (...a: string[]) => new Deno.Command("git", { args: a }).output();
    const head = await run("rev-parse", "HEAD");
    if (!head.success) return "unknown";
    const dirty = await run("status", "--porcelain", "--untracked-files=no", "lib", "tools");
    const sha = new TextDecoder().decode(head.stdout).trim();
    return dirty.success && dirty.stdout.length ? `${sha} (with local changes)` : sha;
  } catch {
    return "unknown"; // no git on the machine (e.g. the GPU machine's copy)
  }
}
