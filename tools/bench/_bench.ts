/**
 * What the benchmarks of tools/bench/ share: timing, their plain Markdown tables, the device of a
 * backend, and the PyTorch side (installed on demand, run as a subprocess that prints JSON). It
 * loads no tfjs, so that `simulate.ts` measures the simulator's memory alone.
 *
 * @module
 */
import { EXIT, fail } from "../_args.ts";
import { installSystemPart } from "../_system.ts";
import type { BackendReport } from "../../lib/backend/select.ts";

/** Seconds since `start`, a `performance.now()` reading. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** `bytes` in MiB. */
export function mib(bytes: number): number {
  return bytes / 2 ** 20;
}

/** Running totals of each epoch's `seconds`: the elapsed time at the end of each epoch. */
export function cumulativeSeconds(history: readonly { seconds: number }[]): number[] {
  let total = 0;
  return history.map((e) => (total += e.seconds));
}

/**
 * A Markdown table with unpadded cells, as the benchmarks print it; `align` gives the separator
 * row's cells (`---` each by default).
 */
export function plainTable(
  header: string[],
  rows: (string | number)[][],
  align: string[] = header.map(() => "---"),
): string {
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** The backend and its adapter or library, e.g. `cpu-blas (OpenBLAS 0.3.21, 2 threads)`. */
export function deviceOf(report: BackendReport): string {
  const detail = report.adapter ?? report.library;
  return detail ? `${report.backend} (${detail})` : report.backend;
}

/** The path of a file of tools/bench/. */
export function benchFile(name: string): string {
  return new URL(name, import.meta.url).pathname;
}

/** Installs Debian's `python3-torch` when missing; exits 1 when it cannot. */
export async function requireTorch(): Promise<void> {
  if (!await installSystemPart("torch")) {
    fail(EXIT.internal, "PyTorch is needed for the reference side and could not be installed");
  }
}

/**
 * Runs `command` (its standard error passed through) and parses the last line of its standard
 * output as JSON; `finished` runs once it has ended. Exits 1 when it fails or prints no JSON.
 */
export async function runJsonLine<T>(
  command: string[],
  options: { env?: Record<string, string>; finished?: () => Promise<void> } = {},
): Promise<T> {
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "inherit",
    env: options.env,
  }).output();
  await options.finished?.();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) fail(EXIT.internal, `${command.join(" ")} failed (exit ${out.code})`);
  try {
    return JSON.parse(text) as T;
  } catch {
    fail(EXIT.internal, `${command.join(" ")} printed no JSON summary: ${text.slice(0, 200)}`);
  }
}
