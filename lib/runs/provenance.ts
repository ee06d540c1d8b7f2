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

/**
 * The machine in one line, for run records: CPU model, cores, memory and system, e.g.
 * `AMD EPYC, 2 cores, 23 GiB, linux x86_64`. Parts it cannot read are left out.
 */
export function describeMachine(): string {
  const parts: string[] = [];
  try {
    const cpu = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1];
    if (cpu) parts.push(cpu.trim());
  } catch {
    // not Linux, or /proc not readable: the CPU's name is left out
  }
  parts.push(`${navigator.hardwareConcurrency} cores`);
  try {
    parts.push(`${Math.round(Deno.systemMemoryInfo().total / 2 ** 30)} GiB`);
  } catch {
    // no --allow-sys: the memory is left out
  }
  parts.push(`${Deno.build.os} ${Deno.build.arch}`);
  return parts.join(", ");
}
