/**
 * Where a result came from: the code's commit, for run records and logs.
 *
 * @module
 */

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
    return "unknown"; // no git on the machine (e.g. the GPU machine's copy of the tree)
  }
}
